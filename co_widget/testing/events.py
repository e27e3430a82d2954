"""The events of one scripted reply, shaped exactly like Cohere's v2 stream (for FakeCohere)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["text_events"]

# A word with its leading space, or a run of punctuation: close to the real API's token deltas,
# and the pieces always join back to the exact text.
_PIECES = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")

# usage.tokens.input_tokens counts Cohere's prompt template too; billed_units does not.
_PROMPT_TEMPLATE_TOKENS = 500
_DEFAULT_INPUT_TOKENS = 10


def _pieces(text: str) -> list[str]:
    return _PIECES.findall(text)


def text_events(
    text: str = "",
    *,
    deltas: Sequence[str] | None = None,
    thinking: str | None = None,
    tool_plan: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    citations: Sequence[Mapping[str, Any]] | None = None,
    finish_reason: str | None = None,
    usage: Mapping[str, Any] | None = None,
    error: str | None = None,
    id: str | None = None,
    input_tokens: int | None = None,
    cached_tokens: int = 0,
) -> list[dict[str, Any]]:
    """The event dicts of one assistant reply, shaped exactly like the real API's.

    Order: message-start, a thinking block (index 0) if ``thinking``, tool-plan-delta events if
    ``tool_plan``, the text block (omitted when ``text`` is empty and there are ``tool_calls``,
    as in real tool-call turns), citation-start/-end pairs (index = citation number), then per
    tool call tool-call-start / tool-call-delta (the JSON arguments in fragments) /
    tool-call-end, and message-end.

    Args:
        text: the reply text, split into word-sized deltas.
        deltas: the exact text deltas instead (they must join to ``text`` if both are given).
        thinking: reasoning text, streamed in a ``thinking`` content block before the text.
        tool_plan: the plan text that precedes tool calls.
        tool_calls: ``{"name", "arguments", "id"?}`` or Cohere's own
            ``{"id", "type": "function", "function": {"name", "arguments"}}``; ``arguments``
            is a JSON string or any JSON value (encoded here); ``id`` defaults to
            ``<name>_<random>``.
        citations: Cohere citation objects (``start``, ``end``, ``text``, ``sources``, ``type``),
            sent as given.
        finish_reason: default ERROR when ``error`` is given, TOOL_CALL with ``tool_calls``,
            else COMPLETE.
        usage: message-end's usage as given; by default computed: output tokens = number of
            deltas, input tokens = ``input_tokens`` (FakeCohere passes the request's word count).
        error: an in-band failure message, put in message-end's ``delta.error``.
        id: the reply id in message-start (default: a fresh uuid4).
        input_tokens: the billed input tokens of the computed usage.
        cached_tokens: the computed usage's ``cached_tokens`` (input served from the cache).
    """
    if deltas is None:
        deltas = _pieces(text)
    elif text and "".join(deltas) != text:
        raise ValueError("deltas must join to exactly `text` (or leave `text` empty)")

    events: list[dict[str, Any]] = [
        {
            "id": id or str(uuid.uuid4()),
            "type": "message-start",
            "delta": {
                "message": {
                    "role": "assistant",
                    "content": [],
                    "tool_plan": "",
                    "tool_calls": [],
                    "citations": [],
                }
            },
        }
    ]
    if thinking:
        events += _content_block(0, "thinking", _pieces(thinking))
    for piece in _pieces(tool_plan or ""):
        events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}})
    if deltas or not tool_calls:
        events += _content_block(1 if thinking else 0, "text", deltas)
    for index, citation in enumerate(citations or ()):
        events.append(
            {
                "type": "citation-start",
                "index": index,
                "delta": {"message": {"citations": citation}},
            }
        )
        events.append({"type": "citation-end", "index": index})
    for index, call in enumerate(tool_calls or ()):
        events += _tool_call_events(index, call)

    if usage is None:
        output = sum(event["type"].endswith("-delta") for event in events)
        billed_input = _DEFAULT_INPUT_TOKENS if input_tokens is None else input_tokens
        usage = {
            "billed_units": {"input_tokens": billed_input, "output_tokens": output},
            "tokens": {
                "input_tokens": billed_input + _PROMPT_TEMPLATE_TOKENS,
                "output_tokens": output,
            },
            "cached_tokens": cached_tokens,
        }
    if finish_reason is None:
        finish_reason = "ERROR" if error is not None else "TOOL_CALL" if tool_calls else "COMPLETE"
    end: dict[str, Any] = {} if error is None else {"error": error}
    end |= {"finish_reason": finish_reason, "usage": dict(usage)}
    events.append({"type": "message-end", "delta": end})
    return events


def _content_block(index: int, kind: str, pieces: Sequence[str]) -> list[dict[str, Any]]:
    start = {"type": kind, kind: ""}
    return [
        {"type": "content-start", "index": index, "delta": {"message": {"content": start}}},
        *(
            {"type": "content-delta", "index": index, "delta": {"message": {"content": {kind: p}}}}
            for p in pieces
        ),
        {"type": "content-end", "index": index},
    ]


def _tool_call_events(index: int, call: Mapping[str, Any]) -> list[dict[str, Any]]:
    function = call.get("function", call)
    name = function["name"]
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        # json.dumps' default ", " / ": " spacing is what the model writes.
        arguments = json.dumps(arguments, ensure_ascii=False)
    start = {
        "id": call.get("id") or f"{name}_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }
    return [
        {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": start}}},
        *(
            {
                "type": "tool-call-delta",
                "index": index,
                "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}},
            }
            for piece in _pieces(arguments)
        ),
        {"type": "tool-call-end", "index": index},
    ]
