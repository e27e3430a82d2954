"""FakeCohere's default answer to a request that carries ``documents``: it quotes them, with
citations, so grounded answers show real highlights offline.

The answer lists up to three documents (those sharing most words with the question), each with
the first sentence of its text (or, for a data row, its first fields) quoted and cited. Citation
events follow ``citation_options.mode`` like the API: after the text in ACCURATE mode (the
default), interleaved right after the delta that completes each span in FAST mode, none when OFF.
"""

from __future__ import annotations

import re
from typing import Any

from .events import text_events
from .server import last_user_text

__all__ = ["grounded_reply"]

_MAX_DOCUMENTS = 3
_MAX_WORDS = 30
_TEXT_FIELDS = ("text", "snippet", "content", "body", "description")
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def grounded_reply(request_json: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The events answering ``request_json`` from its documents, or None if it has none."""
    given = [_document(i, doc) for i, doc in enumerate(request_json.get("documents") or [])]
    documents = [doc for doc in given if doc is not None]
    if not documents:
        return None
    question = set(_WORD.findall(last_user_text(request_json).lower()))
    ranked = sorted(documents, key=lambda doc: -len(question & _words(doc[1])))
    text = "Here is what the documents say:\n"
    citations = []
    for doc_id, data in ranked[:_MAX_DOCUMENTS]:
        title = data.get("title")
        text += f"\n- **{title}**: " if title else "\n- "
        quote = _quote(data)
        citations.append(
            {
                "start": len(text),
                "end": len(text) + len(quote),
                "text": quote,
                "sources": [{"type": "document", "id": doc_id, "document": {"id": doc_id, **data}}],
                "type": "TEXT_CONTENT",
            }
        )
        text += quote
    mode = str((request_json.get("citation_options") or {}).get("mode") or "ACCURATE").upper()
    if mode in ("OFF", "DISABLED"):
        citations = []
    events = text_events(text, citations=citations)
    return _interleave(events) if mode == "FAST" else events


def _document(i: int, doc: Any) -> tuple[str, dict[str, Any]] | None:
    if isinstance(doc, str):
        return f"doc:{i}", {"text": doc}  # the API names documents without an id like this
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        return str(doc.get("id") or f"doc:{i}"), doc["data"]
    return None


def _words(data: dict[str, Any]) -> set[str]:
    return set(_WORD.findall(" ".join(str(value) for value in data.values()).lower()))


def _quote(data: dict[str, Any]) -> str:
    """The first sentence of the document's text (at most ``_MAX_WORDS`` words), or a row's
    first fields as ``name: value`` pairs."""
    text = next((data[key] for key in _TEXT_FIELDS if isinstance(data.get(key), str)), None)
    if text is None:
        pairs = [f"{key}: {value}" for key, value in data.items() if key != "title"]
        return ", ".join(pairs[:4])
    # Markdown headings name the text rather than say anything: skip them.
    prose = " ".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    sentence = _SENTENCE_END.split(" ".join(prose.split()), maxsplit=1)[0]
    words = sentence.split(" ")
    return " ".join(words[:_MAX_WORDS]) + ("…" if len(words) > _MAX_WORDS else "")


def _interleave(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FAST mode: each citation's start/end pair right after the delta that completes its span."""
    pairs = [
        (event, events[i + 1])
        for i, event in enumerate(events)
        if event["type"] == "citation-start"
    ]
    rest = [event for event in events if not event["type"].startswith("citation-")]
    result, length = [], 0
    for event in rest:
        result.append(event)
        if event["type"] == "content-delta":
            length += len(event["delta"]["message"]["content"].get("text", ""))
            while pairs and pairs[0][0]["delta"]["message"]["citations"]["end"] <= length:
                result += pairs.pop(0)
    return result
