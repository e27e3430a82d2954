"""Files the package writes: where its caches live, and how a file is replaced atomically.

Saved chats, cached embeddings and the cached model list are all written the same way: to a
temporary file in the target's folder, then moved over the target, so a reader (another kernel,
a later session) sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["cache_dir", "replace_atomically"]


def cache_dir() -> Path:
    """``$CO_WIDGET_CACHE_DIR``, else the user's cache folder for co_widget."""
    configured = os.environ.get("CO_WIDGET_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs  # only when there is something to cache

    return Path(platformdirs.user_cache_dir("co_widget", appauthor=False))


def replace_atomically(
    target: Path,
    write: Callable[[BinaryIO], object],
    *,
    mode: int | None = None,
    durable: bool = False,
) -> None:
    """Write ``target`` through ``write(file)`` on a temporary file named ``.<name>.*.tmp`` in
    its folder, then move it over ``target``. ``mode``: its permission bits; ``durable``: on
    disk (fsync) before the move. A failure leaves an existing ``target`` as it was."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            if mode is not None:
                os.fchmod(file.fileno(), mode)
            write(file)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
