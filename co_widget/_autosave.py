"""``Chat(file=...)``: the conversation read from, and written back to, a JSON file.

The file has ``Chat.save``'s format. It is written after every change of the conversation, so it
survives kernel restarts and front ends that save no widget state. Writes are atomic: a crash
mid-write leaves the previous file, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._conversation import load_chat

__all__ = ["check_file", "read_messages", "write_atomic"]


def check_file(file: Any) -> Path:
    """``file=`` as a Path whose folder exists (ValueError naming the argument otherwise)."""
    if not isinstance(file, (str, os.PathLike)):
        raise TypeError(f"file= must be a path (str or os.PathLike), got {type(file).__name__}.")
    path = Path(file)
    if not path.parent.is_dir():
        raise ValueError(f"file={str(file)!r}: the folder {str(path.parent)!r} does not exist.")
    if path.is_dir():
        raise ValueError(
            f"file={str(file)!r} is a folder: give a file name such as notes.chat.json."
        )
    return path


def read_messages(path: Path) -> list[dict[str, Any]]:
    """The saved conversation's messages ([] if the file does not exist yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        return load_chat(json.loads(text))[3]
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"file={str(path)!r} is not a conversation saved by co_widget ({error}); "
            "move it away or pass another file."
        ) from None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
