"""Merges a reply's token deltas into few ``delta`` messages for the browser.

One message per token would flood IOPub (Jupyter Server drops messages above 1,000/s) and, at
~100 bytes of framing per message, cost several times the text itself. So pending text goes out:

* at once for the first message, so the first token shows without delay;
* then at most ``MAX_RATE`` times per second;
* and only once the text sent so far pays for the framing: framing stays under ``MAX_OVERHEAD``
  of the text, which keeps a reply's kernel→browser bytes within the 1.3× budget whatever the
  pace of the stream (a fast stream is bound by the rate, a slow one by the bytes);
* but never later than ``MAX_HOLD`` seconds after it arrived, so text at a model's real pace
  still moves at least five times a second: there, smoothness wins over bytes (at 150 deltas/s
  the framing adds ~40% to the text, a few hundred bytes a second).

A flusher thread sends pending text when its time comes, so the tail of a paused stream never
waits for the next token. Messages go out in order: every send happens under one lock.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from .protocol import LIST_KINDS, STREAM_KINDS, Partial

__all__ = ["DeltaCoalescer"]

MAX_RATE = 30.0  # messages per second
ENVELOPE_BYTES = 100  # a delta message's JSON framing, rounded up (measured: ~80)
MAX_OVERHEAD = 0.25  # framing / text, leaving room for begin, end and the status updates
MAX_HOLD = 0.2  # seconds


class DeltaCoalescer:
    """Batches ``add(kind, text)`` calls into ``emit({kind: text, ...})`` calls.

    Use as a context manager: entering starts the flusher thread, leaving sends what is still
    pending and stops it.
    """

    def __init__(self, emit: Callable[[dict[str, Any]], None]) -> None:
        self._emit = emit
        # add() takes the plain lock (a Condition's own __enter__ is a Python call, and add runs
        # once per streamed piece); the flusher waits on the Condition built on the same lock.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._pending: dict[str, list[Any]] = {kind: [] for kind in (*STREAM_KINDS, *LIST_KINDS)}
        # Sizes are counted in characters, not UTF-8 bytes: never more than the bytes, so the
        # byte budget is met with some margin for non-ASCII text.
        self._pending_chars = 0
        self._pending_since = 0.0
        self._sent: dict[str, list[Any]] = {kind: [] for kind in (*STREAM_KINDS, *LIST_KINDS)}
        self._sent_chars = 0
        self._messages = 0
        self._last_sent = -math.inf
        self._wake_at = math.inf  # when the flusher looks next (inf: when notified)
        self._closed = False
        self._flusher = threading.Thread(target=self._run, name="co_widget-deltas", daemon=True)

    def __enter__(self) -> DeltaCoalescer:
        self._flusher.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        self._flusher.join()

    def close(self) -> None:
        """Send what is pending, then drop every later ``add`` (any thread, idempotent)."""
        with self._cond:
            if self._closed:
                return
            if self._pending_chars:
                self._flush()
            self._closed = True
            self._cond.notify()

    def add(self, kind: str, piece: Any) -> None:
        """Queue a non-empty piece of text of one of ``STREAM_KINDS``, or one object of
        ``LIST_KINDS`` (a citation: its JSON size counts as text, as it costs that on the wire)."""
        now = time.monotonic()
        with self._lock:
            if self._closed:
                return
            if not self._pending_chars:
                self._pending_since = now
            self._pending[kind].append(piece)
            self._pending_chars += len(piece) if kind in STREAM_KINDS else len(json.dumps(piece))
            due = self._due()
            if due <= now:
                self._flush()
            elif due < self._wake_at:
                self._cond.notify()

    def snapshot(self, send: Callable[[Partial], None]) -> None:
        """Call ``send(partial)`` with everything sent so far, after sending what is pending.

        The partial then equals the sum of all deltas before it, so the deltas after it
        continue it exactly, and views that ignore the snapshot lose nothing.
        """
        with self._cond:
            if self._pending_chars:
                self._flush()
            sent = self._sent
            send(
                Partial(
                    text="".join(sent["text"]),
                    thinking="".join(sent["thinking"]),
                    tool_plan="".join(sent["tool_plan"]),
                    citations=list(sent["citations"]),
                    spans=list(sent["spans"]),
                )
            )

    def _due(self) -> float:
        """When the pending text may go (monotonic time; inf when nothing is pending)."""
        if not self._pending_chars:
            return math.inf
        if not self._messages:
            return -math.inf
        next_slot = self._last_sent + 1 / MAX_RATE
        # The first message is free; each later one must be paid for by the text.
        paid = MAX_OVERHEAD * (self._sent_chars + self._pending_chars) >= (
            ENVELOPE_BYTES * self._messages
        )
        return next_slot if paid else max(next_slot, self._pending_since + MAX_HOLD)

    def _flush(self) -> None:
        parts: dict[str, Any] = {}
        for kind, pending in self._pending.items():
            if pending and kind in STREAM_KINDS:
                parts[kind] = text = "".join(pending)
                self._sent[kind].append(text)
            elif pending:
                parts[kind] = list(pending)
                self._sent[kind] += pending
            pending.clear()
        self._sent_chars += self._pending_chars
        self._pending_chars = 0
        self._messages += 1
        self._last_sent = time.monotonic()
        self._emit(parts)

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                due = self._due()
                if due <= now:
                    self._flush()
                    continue
                self._wake_at = due
                self._cond.wait(None if due == math.inf else due - now)
