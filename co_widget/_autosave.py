"""``Chat(file=...)``: the conversation read from, and written back to, a JSON file.

The file has ``Chat.save``'s format, and ``Chat.save`` (atomic) writes it after every change of
the conversation, so it survives kernel restarts and front ends that save no widget state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._conversation import load_chat, read_chat_file

__all__ = ["check_file", "read_messages"]


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
        return load_chat(read_chat_file(path))[3]
    except FileNotFoundError:
        return []
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(
            f"file={str(path)!r} is not a conversation saved by co_widget ({error}); "
            "move it away or pass another file."
        ) from None
