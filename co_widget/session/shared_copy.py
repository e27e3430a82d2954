"""The shared copy: the conversation as static HTML, for wherever no kernel runs.

A notebook saved with JupyterLab's defaults holds no widget state, so GitHub, nbviewer and
``jupyter nbconvert --to html`` cannot draw the widget: they fall back to the output's other
mimetypes. ``Chat`` therefore shows, right after its widget output, a second output holding
this HTML (``display_chat``), and keeps it current with ``update_display`` on its own display
id when the conversation changes (a turn's commit, undo, clear, a new history): never while a
reply streams.

The widget's own output is never updated: JupyterLab would re-render it ("Loading widget..."
and a new view). A live page hides the copy with one CSS rule of the widget (``widget.css``:
an output right after a rendered chat view); where the view does not render, the copy shows.

The HTML is bounded (``MAX_SHARED_COPY`` bytes: the latest messages that fit, and how many
earlier ones are not shown) and built from escaped text only: no script, no style sheet, no
image fetched, and links only to http(s) and mailto sources. It is built from the synced
``messages`` (what the widget shows), which never hold the API key.
"""

from __future__ import annotations

import html
import json
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ..request.boundary import safe_link
from ..turn.footnotes import source_snippet

__all__ = ["MAX_SHARED_COPY", "SharedCopy", "display_with_copy", "shared_copy_html"]

# Bytes of HTML at most: the last few long replies, or a dozen short turns. It crosses the wire
# once per commit and is saved in the notebook, so it must not grow with the conversation.
MAX_SHARED_COPY = 16 * 1024
# A single message is cut to this share of the whole, so the copy always shows a few turns.
_MESSAGE_SHARE = 2
_TOOL_CHARS = 600  # characters of a tool call's arguments or a tool result
_FENCE = re.compile(r"^```[^\n`]*\n(.*?)(?:^```[ \t]*$|\Z)", re.S | re.M)
_ROLES = {"user": "User", "assistant": "Assistant", "tool": "Tool result", "system": "System"}
_STATUS = {
    "stopped": "Stopped by the user; the reply is partial.",
    "interrupted": "Interrupted; the reply is partial.",
}
_BOX = "border:1px solid #8884;border-radius:6px;padding:4px 10px;margin:6px 0"
_CLASS = "co-shared-copy"

Message = dict[str, Any]


def shared_copy_html(messages: list[Message], title: str, limit: int = MAX_SHARED_COPY) -> str:
    """The latest ``messages`` that fit in ``limit`` bytes, as escaped HTML, under ``title``."""
    head = (
        f'<div class="{_CLASS}" data-co-shared-copy="1">'
        f"<p><strong>{_esc(title)}</strong> · saved copy of the chat"
        f" ({len(messages)} message{'' if len(messages) == 1 else 's'})</p>"
    )
    tail = "</div>"
    room = limit - len(head.encode()) - len(tail.encode()) - 120  # 120: the "not shown" line
    kept: list[str] = []
    for message in reversed(messages):
        part = _message(message, room if kept else room // _MESSAGE_SHARE)
        # The latest message always shows, cut further if its escaped bytes do not fit.
        budget = room // _MESSAGE_SHARE
        while not kept and len(part.encode()) > room and budget > 64:
            budget //= 2
            part = _message(message, budget)
        size = len(part.encode())
        if size > room:
            break
        kept.append(part)
        room -= size
    hidden = len(messages) - len(kept)
    note = (
        f"<p><em>{hidden} earlier message{'' if hidden == 1 else 's'} not shown.</em></p>"
        if hidden
        else ""
    )
    return head + note + "".join(reversed(kept)) + tail


def _message(message: Message, budget: int) -> str:
    """One message as HTML, its text cut so that it stays near ``budget`` bytes."""
    role = str(message.get("role"))
    co = message.get("_co") or {}
    label = _ROLES.get(role, role.capitalize())
    if role == "tool":
        label += f" ({message.get('tool_call_id')})"
    parts = [f"<p><strong>{_esc(label)}</strong></p>"]
    if message.get("tool_plan"):
        parts.append(f"<p><em>Tool plan: {_esc(_cut(str(message['tool_plan']), 2000))}</em></p>")
    text, images = _texts(message.get("content"))
    if role == "tool":
        parts.append(_pre(_cut(text, _TOOL_CHARS)))
    elif text:
        parts.append(_rich(_cut(text, budget)))
    if images:
        parts.append(f"<p><em>[{images} image{'' if images == 1 else 's'}]</em></p>")
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        args = _cut(str(function.get("arguments", "")), _TOOL_CHARS)
        parts.append(f"<p>Called <code>{_esc(str(function.get('name')))}</code></p>{_pre(args)}")
    parts += _sources(message.get("citations") or [])
    error = co.get("error")
    if isinstance(error, dict) and error.get("message"):
        parts.append(f"<p><strong>Error:</strong> {_esc(_cut(str(error['message']), 500))}</p>")
    if co.get("status") in _STATUS:
        parts.append(f"<p><em>{_STATUS[co['status']]}</em></p>")
    return f'<div style="{_BOX}">{"".join(parts)}</div>'


def _texts(content: Any) -> tuple[str, int]:
    """The text of a message's content (thinking left out) and how many images it holds."""
    if isinstance(content, str):
        return content, 0
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return (json.dumps(content, ensure_ascii=False) if content is not None else ""), 0
    texts = [
        str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
    ]
    images = sum(1 for b in content if isinstance(b, dict) and b.get("type") == "image_url")
    if not texts and not images and content:  # a tool result's documents: show them as data
        return json.dumps(content, ensure_ascii=False), 0
    return "\n\n".join(texts), images


def _rich(text: str) -> str:
    """Markdown-ish text: fenced code as ``<pre>``, the rest as paragraphs with line breaks.
    Everything escaped: the model's and the user's text is never markup here."""
    parts: list[str] = []
    at = 0
    for match in _FENCE.finditer(text):
        parts.append(_prose(text[at : match.start()]))
        parts.append(_pre(match[1].rstrip("\n")))
        at = match.end()
    parts.append(_prose(text[at:]))
    return "".join(parts)


def _prose(text: str) -> str:
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{_esc(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _sources(citations: list[Any]) -> list[str]:
    """The cited sources, once each: name, id, link (http(s)/mailto only) and a snippet."""
    seen: dict[tuple[str, str], str] = {}
    for citation in citations:
        for source in (citation or {}).get("sources") or []:
            key = (str(source.get("type")), str(source.get("id")))
            if key not in seen:
                seen[key] = _source(source)
    if not seen:
        return []
    items = "".join(f"<li>{item}</li>" for item in seen.values())
    return [f"<p>Sources:</p><ol>{items}</ol>"]


def _source(source: dict[str, Any]) -> str:
    if source.get("type") == "tool":
        output = _cut(json.dumps(source.get("tool_output"), ensure_ascii=False), 200)
        return f"Tool result <code>{_esc(str(source.get('id')))}</code>: {_esc(output)}"
    data = source.get("document") or {}
    name = str(data.get("title") or "")
    parts = [f"<strong>{_esc(name)}</strong>"] if name else []
    parts.append(f"<code>{_esc(str(source.get('id')))}</code>")
    url = safe_link(data.get("url"))
    if url:
        parts.append(f'<a href="{_esc(url.strip())}" rel="nofollow noopener">{_esc(url)}</a>')
    snippet = source_snippet(data) if isinstance(data, dict) else ""
    if snippet:
        parts.append(f"“{_esc(snippet)}”")
    return " ".join(parts)


def _pre(text: str) -> str:
    return f"<pre><code>{_esc(text)}</code></pre>"


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "… (shortened)"


def _esc(text: str) -> str:
    # A lone surrogate (a broken paste in a tool's result) cannot be sent as UTF-8: a "?" then.
    return html.escape(text.encode("utf-8", "replace").decode("utf-8"), quote=True)


class SharedCopy:
    """One chat's shared copy: shown once per display of the chat, then kept current.

    ``render`` gives the current HTML; ``publish(data, display_id, update)`` is IPython's
    display publisher (a seam for the benchmarks, which count its bytes)."""

    def __init__(
        self,
        render: Callable[[], str],
        publish: Callable[[dict[str, Any], str, bool], None] | None = None,
    ) -> None:
        self.render = render
        self.publish = publish or _ipython_publish
        self.display_id = f"co-shared-copy-{uuid.uuid4().hex}"
        self.shown = False  # displayed at least once: updates have an output to go to
        self.last = ""  # the HTML last sent
        # A display (the caller's thread) and a commit (the reply's worker) may race: each
        # renders and sends under it, so an older page never lands after a newer one.
        self.lock = threading.Lock()

    def display(self) -> None:
        """A new output for the copy, right under the chat's. It starts empty (no mimetype: no
        host draws it) and the HTML comes as its update, the one way the copy ever changes."""
        with self.lock:
            self.publish({}, self.display_id, False)
            self.shown = True
            self.last = ""
        self.update()

    def update(self) -> None:
        """Send the current HTML to every output of the copy, if it changed."""
        with self.lock:
            if not self.shown:
                return
            page = self.render()
            if page != self.last:
                self.publish({"text/html": page}, self.display_id, True)
                self.last = page


def _ipython_publish(data: dict[str, Any], display_id: str, update: bool) -> None:
    from IPython.display import display

    display(data, raw=True, display_id=display_id, update=update)  # type: ignore[no-untyped-call]


def display_with_copy(
    bundle: tuple[dict[str, Any], dict[str, Any]] | None, copy: SharedCopy | None
) -> None:
    """A chat's display: its widget output (anywidget's ``(data, metadata)`` bundle), then, right
    under it, the output of its shared copy."""
    from IPython.display import display

    if bundle is not None:
        data, metadata = bundle
        display(data, metadata=metadata, raw=True)  # type: ignore[no-untyped-call]
    if copy is not None:
        copy.display()
