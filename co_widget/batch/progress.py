"""Progress of a ``chat.map``: the counts, rate, ETA and cost, and where they show: the chat's
views (a progress card, through ``map`` custom messages) inside a kernel, a one-line bar on
stderr in a plain terminal.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["Progress", "TerminalBar", "WidgetCard", "plain_label"]

_RECENT = 5  # results the card shows
_SNIPPET = 80  # characters of each
_BAR_WIDTH = 24


@dataclass
class Progress:
    """Counts of one map, updated by its coordinating thread only."""

    total: int
    done: int = 0
    failed: int = 0
    stopped: int = 0
    resumed: int = 0  # done in an earlier run (read from the file)
    running: int = 0
    cost: float | None = None
    state: str = "running"  # "running", "stopping", "finished" or "stopped"
    started: float = field(default_factory=time.monotonic)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_RECENT))

    def finish(self, record: dict[str, Any], label: Any) -> None:
        status = record["status"]
        if status == "stopped":
            self.stopped += 1
            return
        if status == "done":
            self.done += 1
        else:
            self.failed += 1
        cost = record.get("cost")
        if isinstance(cost, (int, float)):
            self.cost = (self.cost or 0.0) + cost
        error = record.get("error") or {}
        text = record.get("text") or error.get("message") or ""
        self.recent.append({"label": plain_label(label), "status": status, "text": text[:_SNIPPET]})

    def snapshot(self) -> dict[str, Any]:
        """Plain JSON: what a card or a bar shows."""
        elapsed = time.monotonic() - self.started
        finished_here = self.done + self.failed - self.resumed
        rate = finished_here / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done - self.failed - self.stopped
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "running": self.running,
            "resumed": self.resumed,
            "stopped": self.stopped,
            "rate": round(rate, 2),
            "eta": round(left / rate, 1) if rate > 0 and self.state == "running" else None,
            "elapsed": round(elapsed, 2),
            "cost": self.cost,
            "state": self.state,
            "recent": list(self.recent),
        }


def plain_label(label: Any) -> Any:
    """A row's label as plain JSON: a DataFrame's numpy integer as an int, an odd one (a
    timestamp, a tuple) as its str."""
    if hasattr(label, "item") and callable(label.item):
        label = label.item()
    return label if isinstance(label, (int, str, float)) or label is None else str(label)


class _Throttled:
    """Shows at most every ``every`` seconds, and always the last (final) snapshot."""

    every = 0.25

    def __init__(self) -> None:
        self._last = 0.0

    def update(self, snapshot: dict[str, Any], *, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._last >= self.every:
            self._last = now
            self.show(snapshot, final)

    def show(self, snapshot: dict[str, Any], final: bool) -> None:
        raise NotImplementedError


class WidgetCard(_Throttled):
    """The chat's views draw a progress card from ``{"type": "map", ...}`` messages."""

    def __init__(self, send: Callable[[dict[str, Any]], None], run: str, blocking: bool) -> None:
        super().__init__()
        self._send = send
        self._run = run
        self._blocking = blocking

    def show(self, snapshot: dict[str, Any], final: bool) -> None:
        self._send({"type": "map", "run": self._run, "blocking": self._blocking, **snapshot})


class TerminalBar(_Throttled):
    """``map  1200/2000 |██████████      | 60% · 3 failed · 16 running · 240.0 rows/s · ETA 3 s``"""

    every = 0.1

    def __init__(self, out: IO[str] | None = None) -> None:
        super().__init__()
        self._out = out or sys.stderr
        self._width = 0

    def show(self, snapshot: dict[str, Any], final: bool) -> None:
        line = bar_line(snapshot)
        # Padded over the last line's end: a shorter line (a shorter ETA) leaves no trail.
        self._out.write("\r" + line.ljust(self._width) + ("\n" if final else ""))
        self._width = len(line)
        self._out.flush()


def bar_line(s: dict[str, Any]) -> str:
    finished = s["done"] + s["failed"]
    share = finished / s["total"] if s["total"] else 1.0
    filled = round(share * _BAR_WIDTH)
    parts = [
        f"map {finished}/{s['total']} |{'█' * filled}{' ' * (_BAR_WIDTH - filled)}| {share:4.0%}",
        f"{s['failed']} failed",
        f"{s['running']} running",
        f"{s['rate']:.1f} rows/s",
    ]
    if s["eta"] is not None:
        parts.append(f"ETA {s['eta']:.0f} s")
    if s["cost"] is not None:
        parts.append(f"${s['cost']:.4f}")
    if s["state"] == "stopped":
        parts.append(f"stopped ({s['stopped']} not run)")
    return " · ".join(parts)
