"""Tool loops in FakeCohere (private; the public names are re-exported by ``co_widget.testing``).

* :func:`tool_results` reads what a request carries back from the tools: a script function
  given to ``FakeCohere`` calls tools when there is nothing yet, and answers from the results
  on the next request.
* :func:`tool_history_problem` is the check of ``FakeCohere(strict=True)``: Cohere answers 400
  to a history whose tool calls are not each answered by a tool message, and so does the fake.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["tool_history_problem", "tool_results"]


def _messages(request_json: Any) -> list[dict[str, Any]]:
    messages = request_json.get("messages") if isinstance(request_json, dict) else None
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def _calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = message.get("tool_calls") if message.get("role") == "assistant" else None
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def tool_results(request_json: Any) -> list[dict[str, Any]]:
    """The tool results at the end of a request's history (after the last tool calls), in order.

    Each is ``{"id", "name", "arguments", "documents", "text"}``: the tool call's id and name,
    its arguments decoded from JSON (``{}`` when empty or not JSON), the ``data`` of each document
    block, and the text blocks (or the string content) joined. Empty when the request does not
    end with tool results, e.g. on the first request of a turn. A script for a tool loop::

        def script(request):
            results = tool_results(request)
            if not results:
                return text_events(tool_calls=[{"name": "get_weather",
                                                "arguments": {"city": "Paris"}}])
            return f"It is {results[0]['documents'][0]['temp_c']} °C in Paris."

        with FakeCohere(responder=script) as fake: ...
    """
    messages = _messages(request_json)
    end = len(messages)
    start = end
    while start and messages[start - 1].get("role") == "tool":
        start -= 1
    if start == end or not start:
        return []
    calls = {call.get("id"): call for call in _calls(messages[start - 1])}
    results = []
    for message in messages[start:end]:
        call = calls.get(message.get("tool_call_id")) or {}
        function = call.get("function") or {}
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        text = content if isinstance(content, str) else ""
        results.append(
            {
                "id": message.get("tool_call_id"),
                "name": function.get("name"),
                "arguments": _decode(function.get("arguments")),
                "documents": [
                    (block.get("document") or {}).get("data")
                    for block in blocks
                    if isinstance(block, dict) and block.get("type") == "document"
                ],
                "text": text
                + "".join(
                    block.get("text", "")
                    for block in blocks
                    if isinstance(block, dict) and block.get("type") == "text"
                ),
            }
        )
    return results


def _decode(arguments: Any) -> Any:
    try:
        decoded = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        return {}
    return {} if decoded is None else decoded


def tool_history_problem(request_json: Any) -> str | None:
    """Cohere's 400 message for a history that breaks the tool-call rules, else None.

    Every tool call must be answered by a tool message before the next user or assistant turn;
    a tool message must answer a tool call of the assistant turn before it; ids are unique.
    """
    open_calls: list[str] = []
    seen: set[str] = set()
    for message in _messages(request_json):
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                return "invalid request: tool call id must be provided with tool message"
            if call_id not in open_calls:
                return "invalid request: tool call id not found in previous tool calls"
            open_calls.remove(call_id)
            continue
        if open_calls:
            return _unanswered(open_calls)
        for call in _calls(message):
            call_id = str(call.get("id"))
            if call_id in seen:
                return "invalid request: cannot have duplicate tool ids"
            seen.add(call_id)
            open_calls.append(call_id)
    return _unanswered(open_calls) if open_calls else None


def _unanswered(call_ids: list[str]) -> str:
    return (
        "invalid request: every tool call needs a tool message with its result; "
        f"missing for tool call id(s) {', '.join(call_ids)}"
    )
