"""``Chat(corpus=...)``: the documents a chat retrieves from, as chunks with their origin.

A corpus takes the same sources as ``documents=`` (strings, dicts, ``pathlib.Path`` files and
folders, DataFrames, lists of these) and chunks them the same way (``request/documents``). Each
chunk also keeps where it came from (a DataFrame row's label, a file's path and part), so the
bubble, ``reply.retrieved`` and the Markdown footnotes can name it, and the text that Embed and
Rerank read: a dict or a row as YAML (Cohere's advice for structured data), a text as its title and
text. A chunk's cache key is the hash of that text, so an unchanged row is never embedded again.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..request.documents import Document, normalize_documents

__all__ = ["Chunk", "Corpus", "origin_label"]

_UIDS = itertools.count(1)
# The fields of a text document; a document with others is structured data (sent as YAML).
_TEXT_FIELDS = frozenset({"text", "title", "chunk"})


@dataclass(frozen=True)
class Chunk:
    id: str
    data: dict[str, Any]
    origin: dict[str, Any]  # {"kind": "row", "row": label} | {"kind": "file", "file", "chunk"}...
    text: str  # what Embed and Rerank read
    key: str  # sha256 of ``text``: the embedding cache's key

    @property
    def document(self) -> Document:
        return {"id": self.id, "data": self.data}


class Corpus:
    """The chunks a chat retrieves from: ``corpus.add(...)``, ``corpus.remove(...)``,
    ``len(corpus)`` (chunks), ``corpus.documents`` (Cohere documents). ``corpus.embed()``
    computes the vectors now (with a progress line) instead of at the first question."""

    def __init__(self, sources: Any = None) -> None:
        self._chunks: dict[str, Chunk] = {}
        # A cell may add or remove while a turn retrieves in its worker thread: changes and
        # snapshots take this lock, so a stamp always matches the chunks it was taken with.
        self._lock = threading.RLock()
        self.uid = next(_UIDS)  # with version: the stamp retrieval caches its matrix under
        self.version = 0  # grows with every change: retrieval rebuilds its matrix then
        self._embed_now: Any = None  # set by the chat that owns this corpus
        if sources is not None:
            self.add(sources)

    def add(self, *sources: Any) -> int:
        """Add sources (as for ``documents=``); returns how many chunks were new. A chunk equal
        to one already there is kept once; a different one with the same id gets ``~2``."""
        new = [chunk for source in sources for chunk in _chunks(source, "corpus")]
        added = 0
        with self._lock:
            for chunk in new:
                chunk_id, n = chunk.id, 1
                while chunk_id in self._chunks and self._chunks[chunk_id].data != chunk.data:
                    n += 1
                    chunk_id = f"{chunk.id}~{n}"
                if chunk_id not in self._chunks:
                    self._chunks[chunk_id] = _renamed(chunk, chunk_id)
                    added += 1
            if added:
                self.version += 1
        return added

    def remove(self, *items: Any) -> int:
        """Remove chunks by id (``"row:12"``; a file's name, ``"notes/a.md"``, removes all its
        parts), or the chunks of a source given again (a DataFrame, a Path, a dict); returns how
        many went. A string that is no chunk's id raises KeyError, and nothing is removed."""
        gone: set[str] = set()
        for item in items:
            if isinstance(item, str):
                ids = self._ids_of(item)
                if not ids:
                    raise KeyError(f"No chunk with id {item!r} in the corpus.")
                gone |= ids
                continue
            keys = {chunk.key for chunk in _chunks(item, "remove")}  # the same content
            gone |= {k for k, c in self._chunks.items() if c.key in keys}
        with self._lock:
            for chunk_id in gone:
                self._chunks.pop(chunk_id, None)
            if gone:
                self.version += 1
        return len(gone)

    def with_sources(self, sources: Any) -> Corpus:
        """A new corpus: these chunks plus ``sources`` (a send's own ``corpus=``)."""
        union = Corpus()
        with self._lock:
            union._chunks = dict(self._chunks)
        union.add(sources)
        return union

    def _ids_of(self, name: str) -> set[str]:
        return {k for k in self._chunks if k == name or k.startswith(name + "#")}

    def clear(self) -> None:
        with self._lock:
            if self._chunks:
                self._chunks.clear()
                self.version += 1

    def snapshot(self) -> tuple[tuple[int, int], list[Chunk]]:
        """The corpus's stamp (its uid and version) and its chunks, taken together."""
        with self._lock:
            return (self.uid, self.version), list(self._chunks.values())

    def __len__(self) -> int:
        return len(self._chunks)

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.snapshot()[1])

    def __getitem__(self, chunk_id: str) -> Chunk:
        return self._chunks[chunk_id]

    @property
    def documents(self) -> list[Document]:
        """Every chunk as a Cohere document (what ``documents=`` would send)."""
        return [chunk.document for chunk in self._chunks.values()]

    @property
    def unit(self) -> str:
        """What the chip counts: "rows" when every chunk is a DataFrame row, else "chunks"."""
        rows = self._chunks and all(c.origin["kind"] == "row" for c in self._chunks.values())
        return "rows" if rows else "chunks"

    def embed(self, progress: bool = True) -> Any:
        """Embed every chunk not embedded yet, now, in this thread (a kernel interrupt stops
        it; what was embedded stays cached). Returns a summary. Without this, the first
        question embeds them (with a progress bar in the widget)."""
        if self._embed_now is None:
            raise RuntimeError("This corpus belongs to no chat: use chat.corpus.embed().")
        return self._embed_now(self, progress)

    def __repr__(self) -> str:
        return f"Corpus({len(self):,} {self.unit})"


def _chunks(source: Any, where: str) -> list[Chunk]:
    """``source`` as chunks, each with its origin (by the kind of source it came from)."""
    if isinstance(source, (list, tuple)):
        return [c for k, item in enumerate(source) for c in _chunks(item, f"{where}[{k}]")]
    kind = (
        "row"
        if type(source).__name__ == "DataFrame"
        else "file"
        if isinstance(source, Path)
        else "text"
        if isinstance(source, str)
        else "record"
    )
    return [_chunk(doc, kind) for doc in normalize_documents(source, where)]


def _chunk(document: Document, kind: str) -> Chunk:
    data = document["data"]
    origin: dict[str, Any] = {"kind": kind}
    if kind == "row":
        origin["row"] = document["id"].removeprefix("row:")
    elif kind == "file":
        origin["file"] = data.get("title", document["id"])
    if "chunk" in data:
        origin["chunk"] = data["chunk"]
    text = _readable(data)
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Chunk(document["id"], data, origin, text, key)


def _renamed(chunk: Chunk, chunk_id: str) -> Chunk:
    if chunk_id == chunk.id:
        return chunk
    return Chunk(chunk_id, chunk.data, chunk.origin, chunk.text, chunk.key)


def _readable(data: dict[str, Any]) -> str:
    """What Embed and Rerank read: a text with its title, or structured data as YAML."""
    if set(data) <= _TEXT_FIELDS and isinstance(data.get("text"), str):
        title = data.get("title")
        return f"{title}\n\n{data['text']}" if title else str(data["text"])
    import yaml  # the corpus extra; only structured data needs it

    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)).strip()


def origin_label(origin: dict[str, Any] | None, doc_id: str = "") -> str:
    """How a person names a chunk: "row 12", "notes/a.md, part 2", or its id."""
    origin = origin or {}
    part = f", part {origin['chunk']}" if origin.get("chunk") is not None else ""
    if origin.get("kind") == "row":
        return f"row {origin.get('row')}"
    if origin.get("kind") == "file":
        return f"{origin.get('file')}{part}"
    return f"{doc_id}{part}" if doc_id else "document"
