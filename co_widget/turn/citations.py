"""Citations of a grounded reply: Cohere's citation objects, placed on the reply's own strings.

Cohere gives each citation ``start``/``end`` in characters (code points) of one content block
(``content_index``; on reasoning models the thinking is block 0 and the answer block 1), a
``type`` (TEXT_CONTENT, THINKING_CONTENT or PLAN) and its ``sources``: documents
(``{"type": "document", "id", "document": {...data}}``) or tool results
(``{"type": "tool", "id", "tool_output": {...}}``).

``reply.citations`` gives them on the reply's joined strings, so that for a text citation
``reply.text[start:end] == text`` (Python strings count code points too); thinking citations are
placed on ``reply.thinking`` and plan citations on ``reply.tool_plan``. The message kept in the
history holds Cohere's objects unchanged, so it can be sent back as it came.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

__all__ = [
    "Citation",
    "cited_tools",
    "code_ranges",
    "footnoted",
    "place_citations",
    "tool_calls_of",
]

_KIND_OF_TYPE = {"TEXT_CONTENT": "text", "THINKING_CONTENT": "thinking"}


class Citation(TypedDict):
    start: int
    end: int
    text: str
    type: str  # TEXT_CONTENT, THINKING_CONTENT or PLAN
    content_index: int | None
    sources: list[dict[str, Any]]


def tool_calls_of(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The tool calls of a history by id: ``{"name", "arguments"}``."""
    return {
        call["id"]: {
            "name": call.get("function", {}).get("name"),
            "arguments": call.get("function", {}).get("arguments"),
        }
        for message in messages
        for call in message.get("tool_calls") or []
        if isinstance(call, dict) and isinstance(call.get("id"), str)
    }


def _tool_call(source_id: Any, calls: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    # Cohere names a tool result "<tool call id>:<n>" (the n-th output of that call).
    source_id = str(source_id)
    return calls.get(source_id) or calls.get(source_id.rpartition(":")[0])


def cited_tools(
    citations: list[dict[str, Any]], calls: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """For each cited tool result, by source id, the tool call that made it."""
    found = {}
    for citation in citations:
        for source in citation.get("sources") or []:
            call = _tool_call(source.get("id"), calls) if source.get("type") == "tool" else None
            if call is not None:
                found[str(source["id"])] = call
    return found


def place_citations(
    citations: list[dict[str, Any]],
    blocks: list[tuple[int, str, str]],
    calls: dict[str, dict[str, Any]] | None = None,
) -> list[Citation]:
    """Cohere's ``citations`` with offsets into the joined text (or thinking) of ``blocks``:
    ``(content_index, kind, text)`` in order. A tool result's source gets the ``tool_call``
    (name, arguments) found in ``calls`` (see :func:`tool_calls_of`)."""
    tools = cited_tools(citations, calls or {})
    placed = []
    for raw in citations:
        kind_type = str(raw.get("type") or "TEXT_CONTENT").upper()
        kind = _KIND_OF_TYPE.get(kind_type)
        index = raw.get("content_index")
        if kind is not None and index is None:
            # Cohere leaves content_index out when the reply has a single block of that kind.
            index = next((i for i, k, _ in blocks if k == kind), None)
        shift = sum(
            len(text) for i, k, text in blocks if k == kind and index is not None and i < index
        )
        start, end = _offset(raw.get("start")), _offset(raw.get("end"))
        placed.append(
            Citation(
                start=start + shift,
                end=end + shift,
                text=str(raw.get("text") or ""),
                type=kind_type,
                content_index=index,
                sources=[
                    {**copy.deepcopy(source), "tool_call": tools[str(source["id"])]}
                    if str(source.get("id")) in tools and source.get("type") == "tool"
                    else copy.deepcopy(source)
                    for source in raw.get("sources") or []
                ],
            )
        )
    return placed


def _offset(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")


def code_ranges(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of the fenced code blocks in markdown ``text`` (an unclosed
    fence runs to the end)."""
    ranges, fence, opened, pos = [], "", 0, 0
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if not fence and match:
            fence, opened = match.group(1), pos
        elif fence and match and match.group(1).startswith(fence) and not line.strip(" \t`~"):
            ranges.append((opened, pos + len(line)))
            fence = ""
        pos += len(line) + 1
    if fence:
        ranges.append((opened, len(text)))
    return ranges


def footnoted(text: str, citations: Sequence[Mapping[str, Any]], number_of: Any) -> str:
    """``text`` with a ``[^n]`` footnote reference after each cited span (n = ``number_of(source)``
    for each of its sources), except inside fenced code, where it would show as code."""
    code = code_ranges(text)
    inserts: dict[int, list[str]] = {}
    for citation in citations:
        end = citation["end"]
        if citation["type"] != "TEXT_CONTENT" or not 0 < end <= len(text):
            continue
        if any(a <= end < b for a, b in code):
            continue
        labels = inserts.setdefault(end, [])
        for source in citation["sources"]:
            label = f"[^{number_of(source)}]"
            if label not in labels:
                labels.append(label)
    out, last = [], 0
    for end in sorted(inserts):
        out += [text[last:end], *inserts[end]]
        last = end
    return "".join([*out, text[last:]])
