"""A chat as a readable Markdown transcript (``chat.to_markdown()``).

Headings per turn; the model's thinking as a quote; tool calls and tool results as fenced JSON;
images as links (a transcript should not fetch remote images when it is rendered).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..request.boundary import safe_link, safe_markdown_links
from ..turn.footnotes import Footnotes

__all__ = ["to_markdown"]

_STATUS_NOTES = {
    "stopped": "*(stopped by the user)*",
    "interrupted": "*(interrupted; the reply is partial)*",
}


def to_markdown(system: str | None, messages: list[dict[str, Any]]) -> str:
    sections = [f"## System\n\n{system}"] if system else []
    footnotes = Footnotes()
    sections += [_message(message, footnotes) for message in messages]
    # Model output and tool results are untrusted: no javascript: (or other non-web) links.
    return safe_markdown_links("\n\n".join(sections) + "\n")


def _message(message: dict[str, Any], footnotes: Footnotes) -> str:
    role = message.get("role")
    if role == "tool":
        parts = [f"## Tool result (`{message.get('tool_call_id')}`)"]
    else:
        parts = [f"## {str(role).capitalize()}"]
    if message.get("tool_plan"):
        parts.append(f"*Tool plan:* {message['tool_plan']}")
    if message.get("citations"):
        parts += footnotes.cited_content(message, _content)
    else:
        parts += _content(message.get("content"), as_code=role == "tool")
    statuses = {
        card.get("id"): card.get("status") for card in (message.get("_co") or {}).get("calls", [])
    }
    parts += [
        _tool_call(call, statuses.get(call.get("id"))) for call in message.get("tool_calls", [])
    ]
    parts += _status(message.get("_co") or {})
    return "\n\n".join(parts)


def _content(content: Any, *, as_code: bool) -> list[str]:
    if isinstance(content, str):
        return [_code(content) if as_code else content] if content else []
    if isinstance(content, dict):
        content = [content]
    parts = []
    for block in content or []:
        kind = block.get("type")
        if kind == "thinking":
            parts.append(_quote(f"**Thinking**\n\n{block['thinking']}"))
        elif kind == "text":
            parts.append(_code(block["text"]) if as_code else block["text"])
        elif kind == "image_url":
            url = safe_link(block["image_url"]["url"])
            parts.append(f"[image]({url})" if url else "*[image]*")
        else:  # a tool's document
            parts.append(_code(json.dumps(block.get("document"), indent=2, ensure_ascii=False)))
    return parts


def _tool_call(call: dict[str, Any], status: str | None = None) -> str:
    """A call; ``status`` is set for calls co_widget ran (done, error, denied, stopped)."""
    function = call.get("function", {})
    ran = f" *({status})*" if status else ""
    return f"**Tool call** `{function.get('name')}` (`{call.get('id')}`){ran}\n\n" + _code(
        function.get("arguments") or "{}"
    )


def _status(meta: dict[str, Any]) -> list[str]:
    error = meta.get("error")
    if error:
        return [f"> **{error.get('type')}**: {error.get('message')}"]
    note = _STATUS_NOTES.get(str(meta.get("status")))
    return [note] if note else []


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def _code(text: str) -> str:
    """A fenced block, pretty JSON when it parses; the fence outgrows any backtick run inside."""
    try:
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        language = "json"
    except ValueError:
        language = ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
