"""Citations in the Markdown transcript: a ``[^n]`` after each cited span, and one footnote per
source (numbered once per transcript, so a document cited in several replies keeps its number)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..request.boundary import safe_link
from .citations import footnoted, place_citations

__all__ = ["Footnotes", "source_snippet"]

_SNIPPET_CHARS = 200
# Fields that name or locate a document rather than say what it holds.
_LABEL_FIELDS = ("id", "title", "url", "chunk")


def source_snippet(data: dict[str, Any]) -> str:
    """The first text-like fields of a document's data, shortened: what the card shows too."""
    texts = [
        " ".join(value.split())
        for key, value in data.items()
        if key not in _LABEL_FIELDS and isinstance(value, str) and value.strip()
    ]
    snippet = " ".join(texts)
    return snippet if len(snippet) <= _SNIPPET_CHARS else snippet[: _SNIPPET_CHARS - 1] + "…"


class Footnotes:
    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str], int] = {}

    def number(self, source: dict[str, Any]) -> int:
        key = (str(source.get("type")), str(source.get("id")))
        return self._numbers.setdefault(key, len(self._numbers) + 1)

    def cited_content(self, message: dict[str, Any], render: Callable[..., list[str]]) -> list[str]:
        """The parts of an assistant message with citations: its thinking (by ``render``), its
        text with footnote references, and the footnotes of sources first cited here."""
        content = message.get("content") or ""
        blocks = (
            [(0, "text", content)]
            if isinstance(content, str)
            else [
                (i, block.get("type"), block.get(block.get("type"), ""))
                for i, block in enumerate(content)
            ]
        )
        citations = place_citations(message["citations"], blocks)
        known = len(self._numbers)
        text = footnoted(
            "".join(t for _, kind, t in blocks if kind == "text"), citations, self.number
        )
        thinking = (
            [block for block in content if block.get("type") == "thinking"]
            if (isinstance(content, list))
            else []
        )
        new: dict[int, Any] = {}
        for citation in citations:
            for source in citation["sources"]:
                n = self.number(source)
                if n > known:
                    new.setdefault(n, source)
        notes = [f"[^{n}]: {_describe(source)}" for n, source in sorted(new.items())]
        return [*render(thinking, as_code=False), text, "\n".join(notes)]


def _name(data: dict[str, Any]) -> str:
    """The file (or titled text) a document is, with its part when it is one chunk of several:
    "notes/a.md, part 2". A DataFrame row has no title: its id, ``row:12``, names it."""
    if not data.get("title"):
        return ""
    part = f", part {data['chunk']}" if data.get("chunk") is not None else ""
    return f"{data['title']}{part}"


def _describe(source: dict[str, Any]) -> str:
    if source.get("type") == "tool":
        output = json.dumps(source.get("tool_output"), ensure_ascii=False)
        if len(output) > _SNIPPET_CHARS:
            output = output[: _SNIPPET_CHARS - 1] + "…"
        return f"Tool result `{source.get('id')}`: `{output}`"
    data = source.get("document") or {}
    name = _name(data)
    parts = [f"**{name}**" if name else "", f"`{source.get('id')}`"]
    url = safe_link(data.get("url"))
    if url:
        parts.append(f"<{url}>")
    snippet = source_snippet(data)
    if snippet:
        parts.append(f"“{snippet}”")
    return " ".join(part for part in parts if part)
