"""Validation of a Cohere v2 chat history (the ``messages`` of a request, without the system turn).

Everything is checked before a request is sent, so a malformed history fails with a ValueError
that names the message index and says what to do, instead of an HTTP 400 after a round trip.
Shapes follow the v2 reference (``UserMessageV2``, ``AssistantMessageV2``, ``ToolMessageV2``):

* user: ``content`` is a non-empty string or a list of ``text`` / ``image_url`` blocks;
* assistant: optional ``content`` (string or list of ``text`` / ``thinking`` blocks),
  ``tool_plan``, ``tool_calls`` and ``citations``;
* tool: ``tool_call_id`` of an earlier assistant tool call, and ``content`` (string or list of
  ``text`` / ``document`` blocks).

A single block object as ``content`` (as in the original example request,
``{"type": "text", "text": "hello"}``) is not a documented form; it is normalised to a
one-element list. The system prompt is not part of the history: it lives in ``chat.system``.
"""

from __future__ import annotations

import copy
from typing import Any

from ..wire.json_values import check_json
from .boundary import check_citations

__all__ = ["MESSAGE_KEYS", "validate_messages"]

# "_co" is the widget's per-turn metadata; it is kept here and stripped before sending.
MESSAGE_KEYS = {
    "user": {"role", "content", "_co"},
    "assistant": {"role", "content", "tool_plan", "tool_calls", "citations", "_co"},
    "tool": {"role", "tool_call_id", "content", "_co"},
}
_BLOCK_TYPES = {
    "user": ("text", "image_url"),
    "assistant": ("text", "thinking"),
    "tool": ("text", "document"),
}
_IMAGE_DETAIL = ("auto", "low", "high")


def validate_messages(messages: Any) -> list[dict[str, Any]]:
    """Check a history and return a normalised deep copy (the input is never mutated).

    Raises ValueError naming the offending index and the fix.
    """
    if not isinstance(messages, (list, tuple)):
        raise ValueError(
            f"messages must be a list of message dicts, got {type(messages).__name__}."
        )
    # Plain JSON first (and bounded depth), so the copy below and every later send, sync and save
    # of these messages cannot fail.
    for i, message in enumerate(messages):
        check_json(message, f"messages[{i}]")
    result = copy.deepcopy(list(messages))
    tool_call_ids: set[str] = set()
    for i, message in enumerate(result):
        _check_message(i, message, tool_call_ids)
    return result


def _fail(i: int, problem: str) -> ValueError:
    return ValueError(f"messages[{i}]: {problem}")


def _check_message(i: int, message: Any, tool_call_ids: set[str]) -> None:
    if not isinstance(message, dict):
        raise _fail(i, f"must be a dict with 'role' and 'content', got {type(message).__name__}.")
    role = message.get("role")
    if role == "system":
        raise _fail(
            i,
            "a system message does not belong in the history; set chat.system "
            "(or pass system=...) instead.",
        )
    if not isinstance(role, str) or role not in MESSAGE_KEYS:
        raise _fail(i, f"role must be 'user', 'assistant' or 'tool', got {role!r}.")
    unknown = sorted(set(message) - MESSAGE_KEYS[role])
    if unknown:
        raise _fail(
            i,
            f"unknown key(s) {unknown} for a {role} message; allowed: "
            f"{sorted(MESSAGE_KEYS[role] - {'_co'})}.",
        )

    if role == "user":
        if "content" not in message:
            raise _fail(i, "a user message needs 'content' (a non-empty string).")
        _check_content(i, message, role)
        if not _has_user_input(message["content"]):
            raise _fail(i, "the user message is empty; write some text (or add an image).")
    elif role == "assistant":
        if "content" in message:
            _check_content(i, message, role)
        if "tool_plan" in message and not isinstance(message["tool_plan"], str):
            raise _fail(i, "'tool_plan' must be a string.")
        tool_call_ids.update(_check_tool_calls(i, message.get("tool_calls", [])))
        # The views, the transcript and reply.citations read their fields: shapes checked.
        check_citations(message.get("citations", []), f"messages[{i}]")
    else:
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise _fail(i, "a tool message needs 'tool_call_id' (the id of the tool call).")
        if call_id not in tool_call_ids:
            raise _fail(
                i,
                f"tool_call_id {call_id!r} matches no tool call of an earlier assistant "
                "message; put the assistant turn with that tool call before its results.",
            )
        if "content" not in message:
            raise _fail(i, "a tool message needs 'content' (the tool's result).")
        _check_content(i, message, role)


def _check_content(i: int, message: dict[str, Any], role: str) -> None:
    content = message["content"]
    if isinstance(content, dict):
        # The original example sends one block object; the API documents a string or a list.
        content = message["content"] = [content]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _fail(i, f"'content' must be a string or a list of blocks, got {content!r}.")
    allowed = _BLOCK_TYPES[role]
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in allowed:
            raise _fail(
                i,
                f"content[{j}] must be a block with 'type' in {list(allowed)} for a {role} "
                f"message, got {block!r}.",
            )
        _check_block(i, j, kind, block)


def _check_block(i: int, j: int, kind: str, block: dict[str, Any]) -> None:
    if kind in ("text", "thinking"):
        if not isinstance(block.get(kind), str):
            raise _fail(i, f"content[{j}] ({kind} block) needs a string '{kind}'.")
    elif kind == "image_url":
        image = block.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            raise _fail(
                i,
                f"content[{j}] needs 'image_url': {{'url': 'https://...' or a data: URL}}.",
            )
        if image.get("detail", "auto") not in _IMAGE_DETAIL:
            raise _fail(i, f"content[{j}] image_url 'detail' must be one of {_IMAGE_DETAIL}.")
    else:  # document
        document = block.get("document")
        if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
            raise _fail(i, f"content[{j}] needs 'document': {{'data': {{...}}, 'id'?: str}}.")


def _has_user_input(content: str | list[dict[str, Any]]) -> bool:
    """Runs after _check_content, so every block is a valid ``text`` or ``image_url`` one."""
    if isinstance(content, str):
        return bool(content.strip())
    return any(block["type"] == "image_url" or block["text"].strip() for block in content)


def _check_tool_calls(i: int, calls: Any) -> list[str]:
    shape = "{'id': str, 'type': 'function', 'function': {'name': str, 'arguments': str}}"
    if not isinstance(calls, list):
        raise _fail(i, f"'tool_calls' must be a list of {shape}.")
    ids = []
    for j, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if (
            not isinstance(function, dict)
            or not isinstance(call.get("id"), str)
            or call.get("type", "function") != "function"
            or not isinstance(function.get("name"), str)
        ):
            raise _fail(i, f"tool_calls[{j}] must look like {shape}.")
        if not isinstance(function.get("arguments", ""), str):
            raise _fail(
                i,
                f"tool_calls[{j}].function.arguments must be a JSON string; "
                "encode it with json.dumps(...).",
            )
        ids.append(call["id"])
    return ids
