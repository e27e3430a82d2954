"""``chat.map(..., file=...)``: every finished row appended to a JSON Lines file, and the rows
already done read back, so re-running the same call skips them.

One line per finished row: ``{"key", "label", "status", "text", "error", "usage", "cost",
"citations", "finish_reason", "attempts"}``. Only the map's own thread writes, so lines never
interleave; each is flushed as it is written, so a killed kernel loses no finished row. A line
cut short by a crash is skipped when read. A later line for the same key wins (a failed row that
succeeds on a re-run).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

__all__ = ["Journal"]


class Journal:
    """The results file of one ``map`` call."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(
                f"file={str(path)!r} is a folder: give a file name, e.g. 'results.jsonl'."
            )
        self._out: IO[str] | None = None

    def done(self) -> dict[str, dict[str, Any]]:
        """The records of the rows finished with status "done", by key."""
        records: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return records
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # cut short by a crash
                if isinstance(record, dict) and isinstance(record.get("key"), str):
                    if record.get("status") == "done":
                        records[record["key"]] = record
                    else:
                        records.pop(record["key"], None)
        return records

    def append(self, record: dict[str, Any]) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
            if self._out.tell() and not _ends_with_newline(self.path):
                self._out.write("\n")  # after a line cut short: start a fresh one
        line = json.dumps(record, ensure_ascii=False, default=repr)
        self._out.write(line + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as raw:
        raw.seek(-1, os.SEEK_END)
        return raw.read(1) == b"\n"
