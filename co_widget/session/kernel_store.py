"""Big data stays in the kernel; the synced ``messages`` trait holds what the views show.

The trait is what every view gets and what a notebook saves, so it must not carry megabytes:

* **images** of user messages: thumbnails there, the full data here (:class:`ImageStore`);
* **a turn's documents** (a user message's ``_co.documents``, a DataFrame of thousands of rows,
  say): the trait keeps only how many there were, ``_co.attached = {"documents": n, "key": k}``;
* **cited sources** (the ``citations`` of an assistant message, which carry their documents'
  data): each source is cut to at most ``SOURCE_BYTES`` of JSON in the trait (its id, title, URL
  and the first fields, long texts ending in "…"), with ``_co.sources = k`` naming the full ones.

``chat.history``, the requests, ``save()``, autosaved files and ``to_markdown()`` get the full
messages back (:meth:`KernelStore.full`). Slimming is idempotent: an already slim message passes
unchanged. A key this kernel does not hold (a trait copied into another kernel) leaves the slim
form in place: still a valid message, with less data.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from ..turn.parts import spans_of, with_record
from .image_store import ImageStore

__all__ = ["SOURCE_BYTES", "KernelStore"]

SOURCE_BYTES = 1024  # JSON bytes of one cited source in the trait
_NAMING = ("id", "title", "url")  # kept first: they name and locate a source

Message = dict[str, Any]


class KernelStore:
    """The full images, turn documents and cited sources of one chat, by key."""

    def __init__(self) -> None:
        self.images = ImageStore()
        self._kept: dict[str, Any] = {}

    def slim(self, messages: list[Message]) -> list[Message]:
        """``messages`` as the trait holds them (see the module docstring)."""
        return [self._slim_message(message) for message in self.images.slim(messages)]

    def full(self, messages: list[Message]) -> list[Message]:
        """A deep copy of ``messages`` with everything kept here put back."""
        result = self.images.full(messages)
        for message in result:
            co = message.get("_co")
            if not isinstance(co, dict):
                continue
            attached = co.get("attached")
            if isinstance(attached, dict) and attached.get("key") in self._kept:
                co["documents"] = copy.deepcopy(self._kept[attached["key"]])
                del co["attached"]
            if co.get("sources") in self._kept:
                message["citations"] = copy.deepcopy(self._kept[co.pop("sources")])
            co.pop("spans", None)  # the views' own: a saved file keeps Cohere's offsets only
            if not co:
                del message["_co"]
        return result

    def keep_only(self, messages: list[Message]) -> None:
        """Forget what no message of ``messages`` refers to (after undo, clear, ...)."""
        self.images.keep_only(messages)
        used = set()
        for message in messages:
            co = message.get("_co")
            if isinstance(co, dict):
                attached = co.get("attached")
                used.add(attached.get("key") if isinstance(attached, dict) else None)
                used.add(co.get("sources"))
        self._kept = {key: value for key, value in self._kept.items() if key in used}

    def _slim_message(self, message: Message) -> Message:
        co = message.get("_co")
        documents = co.get("documents") if isinstance(co, dict) else None
        if message.get("role") == "user" and isinstance(documents, list) and documents:
            key = self._keep(documents)
            slim = {**message, "_co": {k: v for k, v in co.items() if k != "documents"}}  # type: ignore[union-attr]
            return with_record(slim, {"attached": {"documents": len(documents), "key": key}})
        citations = message.get("citations")
        if message.get("role") == "assistant" and isinstance(citations, list) and citations:
            record: dict[str, Any] = {}
            if not isinstance(co, dict) or "spans" not in co:
                # Placed once, here, for the views: a loaded file without them gets them too.
                record["spans"] = spans_of(message)
            bounded = [_bounded_citation(citation) for citation in citations]
            if bounded != citations:
                record["sources"] = self._keep(citations)
            if record:
                return with_record({**message, "citations": bounded}, record)
        return message

    def _keep(self, value: Any) -> str:
        data = json.dumps(value, sort_keys=True, ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
        key = hashlib.sha256(data).hexdigest()[:24]
        self._kept[key] = copy.deepcopy(value)
        return key


def _bounded_citation(citation: Any) -> Any:
    sources = citation.get("sources") if isinstance(citation, dict) else None
    if not isinstance(sources, list):
        return citation
    bounded = [_bounded_source(source) for source in sources]
    return citation if bounded == sources else {**citation, "sources": bounded}


def _bounded_source(source: Any) -> Any:
    """``source`` as it fits in SOURCE_BYTES: its data's naming fields first, then the others
    while they fit; a long text is cut to what fits, ending in "…"."""
    if not isinstance(source, dict) or _size(source) <= SOURCE_BYTES:
        return source
    field = "document" if isinstance(source.get("document"), dict) else "tool_output"
    data = source.get(field)
    if not isinstance(data, dict):
        return {key: source[key] for key in ("type", "id") if key in source}
    shell = {key: value for key, value in source.items() if key != field}
    kept: dict[str, Any] = {}
    order = [key for key in _NAMING if key in data] + [key for key in data if key not in _NAMING]
    for key in order:
        room = SOURCE_BYTES - _size({**shell, field: kept})
        value = data[key]
        if _size({key: value}) <= room:
            kept[key] = value
        elif isinstance(value, str):
            cut = _cut(value, room - _size({key: ""}) - len("…".encode()))
            if cut:
                kept[key] = cut + "…"
    return {**shell, field: kept}


def _cut(text: str, budget: int) -> str:
    """The longest start of ``text`` whose JSON string costs at most ``budget`` bytes."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if _size(text[:mid]) - 2 <= budget:
            low = mid
        else:
            high = mid - 1
    return text[:low]


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
