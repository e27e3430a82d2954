"""What a change of the conversation sends to the views: the ``commit`` message
(``session/protocol``).

The kernel's ``messages`` trait changes in place without its own sync, which would send every
message again; the views get only what changed, so a turn costs what it adds, whatever the
history holds:

* ``base``: how many leading messages stay as they were (the same objects, or equal ones);
  ``messages``: the ones after them.
* ``streamed``: parts of the last message that the reply's stream already delivered to the views
  (its text, thinking, tool plan or citations, each exactly as streamed) are sent empty, and
  named here: a view fills them from what it received. A long answer thus crosses the wire once.
"""

from __future__ import annotations

import copy
from typing import Any

from .protocol import Partial

__all__ = ["commit_fields", "shared_prefix"]

Message = dict[str, Any]
_CONTENT_KINDS = ("text", "thinking")


def shared_prefix(before: list[Message], after: list[Message]) -> int:
    """How many leading messages ``after`` keeps from ``before``."""
    for i, (old, new) in enumerate(zip(before, after, strict=False)):
        if old is not new and old != new:
            return i
    return min(len(before), len(after))


def commit_fields(
    before: list[Message], after: list[Message], streamed: Partial | None = None
) -> dict[str, Any]:
    """The ``base``, ``messages`` and ``streamed`` of the commit from ``before`` to ``after``;
    ``streamed``: what the reply whose final message ends ``after`` streamed to the views."""
    base = shared_prefix(before, after)
    added = after[base:]
    if not added or streamed is None:
        return {"base": base, "messages": added, "streamed": []}
    last, omitted = _without_streamed(added[-1], streamed)
    return {"base": base, "messages": [*added[:-1], last], "streamed": omitted}


def _without_streamed(message: Message, streamed: Partial) -> tuple[Message, list[str]]:
    """``message`` with each part that equals what was streamed emptied, and their names. A
    content kind counts only when one block (or the string content) holds all of it, so the
    view knows where to put it back."""
    omitted: list[str] = []
    slim = dict(message)
    content = message.get("content")
    for kind in _CONTENT_KINDS:
        text = streamed[kind]  # type: ignore[literal-required]
        if not text:
            continue
        if isinstance(content, str):
            if kind == "text" and content == text:
                slim["content"] = content = ""
                omitted.append(kind)
        elif isinstance(content, list):
            blocks = [i for i, block in enumerate(content) if block.get("type") == kind]
            if len(blocks) == 1 and content[blocks[0]].get(kind) == text:
                content = copy.copy(content)
                content[blocks[0]] = {**content[blocks[0]], kind: ""}
                slim["content"] = content
                omitted.append(kind)
    if streamed["tool_plan"] and message.get("tool_plan") == streamed["tool_plan"]:
        slim["tool_plan"] = ""
        omitted.append("tool_plan")
    if streamed["citations"] and message.get("citations") == streamed["citations"]:
        slim["citations"] = []
        omitted.append("citations")
    return slim, omitted
