"""Document vectors, computed once: in memory for the kernel's life, on disk across kernels.

Vectors are keyed by the hash of the text that was embedded (``Chunk.key``), in a namespace per
embedding setting (model, output dimension, embedding type): a re-run kernel, a second chat or an
unchanged row finds its vector here and is not embedded again.

On disk, under the user's cache folder (``platformdirs``; ``$CO_WIDGET_CACHE_DIR`` or
``retrieve={"cache_dir": ...}`` elsewhere, ``False`` for none), each embed call's answer is one
``.npz`` file (the keys and the vectors), written to a temporary file and renamed into place: two
kernels filling the same folder never see half a file, and two writing the same batch write the
same bytes. A kernel reads the files it has not read yet whenever it misses a key, so vectors
another kernel computed meanwhile are found. A file that cannot be read is skipped.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import replace_atomically

if TYPE_CHECKING:
    import numpy as np

__all__ = ["EmbedCache"]

# The kernel's vectors, per namespace: shared by every chat and corpus of the process.
_MEMORY: dict[str, dict[str, Any]] = {}
_READ: dict[tuple[str, str], set[str]] = {}  # files each (folder, namespace) has read
_LOCK = threading.Lock()


class EmbedCache:
    """The vectors of one embedding setting (``namespace``), with an optional disk folder."""

    def __init__(self, namespace: str, folder: Path | None) -> None:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", namespace)[:60]
        self.namespace = f"{safe}-{hashlib.sha256(namespace.encode()).hexdigest()[:8]}"
        self.folder = None if folder is None else folder / "embeddings" / self.namespace
        with _LOCK:
            self._memory = _MEMORY.setdefault(self.namespace, {})

    def missing(self, keys: Sequence[str]) -> list[str]:
        """The keys with no vector yet (each once, in order), after reading new disk files."""
        absent = [key for key in dict.fromkeys(keys) if key not in self._memory]
        if absent and self.folder is not None:
            self._read_new_files()
            absent = [key for key in absent if key not in self._memory]
        return absent

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``vectors`` (one row per key) in memory, and on disk if there is a folder. A
        folder that cannot be written (read-only, full) only costs the disk copy."""
        import numpy as np

        with _LOCK:
            for key, row in zip(keys, vectors, strict=True):
                self._memory[key] = row
        if self.folder is None:
            return
        name = hashlib.sha256("".join(keys).encode()).hexdigest()[:32] + ".npz"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            replace_atomically(
                self.folder / name,
                lambda file: np.savez(file, keys=np.array(list(keys)), vectors=vectors),
            )
        except OSError:
            return
        with _LOCK:
            _READ.setdefault((str(self.folder), self.namespace), set()).add(name)

    def matrix(self, keys: Sequence[str]) -> np.ndarray:
        """The vectors of ``keys`` as rows of unit length (float32): cosine is then a dot."""
        import numpy as np

        rows = np.stack([self._memory[key] for key in keys]).astype(np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        rows /= norms
        return rows

    def _read_new_files(self) -> None:
        import numpy as np

        assert self.folder is not None
        try:
            names = {entry.name for entry in os.scandir(self.folder) if entry.name.endswith(".npz")}
        except OSError:
            return
        with _LOCK:
            read = _READ.setdefault((str(self.folder), self.namespace), set())
            new = sorted(names - read)
            read.update(new)
        for name in new:
            try:
                with np.load(self.folder / name, allow_pickle=False) as saved:
                    keys, vectors = saved["keys"], saved["vectors"]
            except (OSError, ValueError, KeyError, zipfile.BadZipFile):
                continue  # another program's file, or a damaged one: embed those again
            with _LOCK:
                for key, row in zip(keys.tolist(), vectors, strict=False):
                    self._memory.setdefault(str(key), row)
