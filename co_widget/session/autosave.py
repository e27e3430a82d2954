"""``Chat(file=...)``: the conversation read from, and written back to, a JSON file.

The file has ``Chat.save``'s format, and it is written (atomically) after every change of the
conversation, so it survives kernel restarts and front ends that save no widget state.

Writes happen in one writer thread per chat (:class:`Autosaver`), never under the chat's lock:
a slow or hung disk cannot block ``send()``. Changes made while a write runs are coalesced
into one next write of the latest state. A failed write is kept (``chat.autosave_error``, shown
in the widget) until the next good one.

One file belongs to one chat of a kernel at a time. Re-running the cell that made a chat makes
a new chat for the same file while the old one still exists: the new one takes the file over
(after the old one's last write), and the old one stops saving and says so in its widget. While
the old chat streams a reply, the new one is refused instead: that reply would be lost.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .conversation import load_chat, read_chat_file, write_chat_file

__all__ = ["AUTOSAVE_WAIT", "Autosaver", "check_file", "claim_file", "read_messages"]

# How long a reply waits for the write of its turn before it is released (a slow disk delays
# ``wait()`` by at most this much, never ``send()``).
AUTOSAVE_WAIT = 10.0

_owners: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_owners_lock = threading.Lock()


def claim_file(path: Path, chat: Any) -> None:
    """Make ``chat`` the one chat of this kernel that writes ``path``: an idle older chat of
    that file is detached (it stops saving, visibly); one that is streaming is a ValueError."""
    key = os.path.realpath(path)
    with _owners_lock:
        owner = _owners.get(key)
        if owner is not None and owner is not chat and not getattr(owner, "_closed", False):
            if owner.status != "idle":
                raise ValueError(
                    f"file={str(path)!r} is the file of another chat in this kernel, which is "
                    "streaming a reply; two chats writing one file would overwrite each "
                    "other. Wait for it (or stop it), use that chat, or give this one another "
                    "file."
                )
            owner._detach_file(
                f"{path} now belongs to a newer chat of this kernel (the cell was run again?): "
                "this chat no longer saves to it. chat.save(path) still works."
            )
        _owners[key] = chat


def release_file(path: Path, chat: Any) -> None:
    key = os.path.realpath(path)
    with _owners_lock:
        if _owners.get(key) is chat:
            del _owners[key]


class Autosaver:
    """Writes ``snapshot()`` to ``path`` in a thread of its own; ``report(error)`` gets each
    write's outcome (None when it worked)."""

    def __init__(
        self,
        path: Path,
        snapshot: Callable[[], dict[str, Any]],
        report: Callable[[str | None], None],
    ) -> None:
        self.path = path
        self._snapshot = snapshot
        self._report = report
        self._changed = threading.Condition()
        self._pending = False  # a change not written yet
        self._writing = False
        self._thread: threading.Thread | None = None

    def schedule(self) -> None:
        """A change to write (any thread; returns at once)."""
        with self._changed:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="co_widget-autosave", daemon=True
                )
                self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every scheduled change is written (or failed); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending and not self._writing, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._pending:
                    self._thread = None
                    self._changed.notify_all()
                    return
                self._pending, self._writing = False, True
            try:
                write_chat_file(self.path, self._snapshot())
                error = None
            except Exception as exc:  # OSError mostly; nothing may stop the writer
                error = f"{type(exc).__name__}: {exc}"
            try:
                self._report(error)
            finally:
                with self._changed:
                    self._writing = False
                    self._changed.notify_all()


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
