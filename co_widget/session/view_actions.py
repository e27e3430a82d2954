"""What the views ask of the kernel (declared in ``session/protocol``), and the answers that are not
part of the stream: ``rejected`` when an action raised, ``dropped`` after a Clear or an edit that
dropped later turns (``restore`` undoes it), and ``asset``, a front-end module (``session/assets``).

Actions arrive only while the kernel is idle (so ``send`` returns at once and the reply streams
in its worker thread). The handler never raises: a failure would only reach the kernel's log, so
what the user can fix (an empty message, a busy chat) goes back to the views.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..wire.errors import ChatBusyError
from .assets import asset_code

if TYPE_CHECKING:
    from .widget import Chat

__all__ = ["ViewActions"]

Messages = list[dict[str, Any]]


class ViewActions:
    """Handles one chat's front-end messages; keeps what the last Clear or edit dropped."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self._dropped: tuple[str, Messages] | None = None  # (token, messages) Undo can restore

    def handle(self, _widget: Any, content: Any, buffers: Any) -> None:
        chat = self.chat
        action = content.get("type") if isinstance(content, dict) else None
        try:
            match content:
                case {"type": "send", "text": text}:
                    # Pasted or dropped images come as the message's binary buffers.
                    chat.send(text, images=[bytes(buffer) for buffer in buffers] or None)
                case {"type": "stop"}:
                    chat._runner.cancel()
                case {"type": "regenerate"}:
                    chat.regenerate()
                case {"type": "edit", "index": index, "text": text}:
                    self._keep_for_undo("edit", lambda: chat._edit(index, text), index)
                case {"type": "clear"}:
                    self._keep_for_undo("clear", chat.clear)
                case {"type": "restore", "token": token}:
                    self._restore(token)
                case {"type": "hello"}:  # a view rendered or lost its kernel: it waits for this
                    chat._send_custom({"type": "ready"})
                case {"type": "snapshot"}:  # also: a view rendered
                    chat._runner.answer_snapshot(full=content.get("full") is True)
                    chat._header_ctl.view_opened()
                case {"type": "settings"}:
                    chat._header_ctl.apply(chat, content)
                case {"type": "asset", "name": name}:
                    chat._send_custom({"type": "asset", "name": name}, [asset_code(name)])
                case {"type": "approve", "call": str(call), "approved": bool(approved)}:
                    turn = chat._runner.active
                    tools = turn.engine.tools if turn is not None else None
                    if tools is not None:
                        tools.loop.decide(call, approved)
                case {"type": "map_stop", "run": str(run)} if run in chat._maps:
                    chat._maps[run].stop()
                case _:
                    chat.log.warning("co_widget: ignored an unknown front-end message.")
        except (ValueError, TypeError, ChatBusyError) as error:
            chat._send_custom({"type": "rejected", "action": action, "error": str(error)})
        except Exception:
            chat.log.warning("co_widget: a front-end action failed.", exc_info=True)

    def _keep_for_undo(self, action: str, run: Callable[[], Any], index: int = -1) -> None:
        """Run a view's Clear or edit; if it dropped messages, tell the views how to undo it.

        An edit of the last user message only replaces its own reply: nothing to undo there.
        The kept copy holds its images in full: the chat forgets those no message refers to."""
        chat = self.chat
        before = chat._store.full(chat.messages)
        run()
        later = before[index + 1 :]
        if action == "edit" and not any(m.get("role") == "user" for m in later):
            return
        if later:
            token = secrets.token_hex(8)
            self._dropped = (token, before)
            chat._send_custom(
                {"type": "dropped", "action": action, "count": len(later), "token": token}
            )

    def _restore(self, token: Any) -> None:
        """Undo of a view's Clear or edit: stop the edit's reply, put the messages back."""
        if self._dropped is None or self._dropped[0] != token:
            raise ValueError(
                "Nothing to undo: it was undone already, or a newer Clear or edit replaced it."
            )
        messages = self._dropped[1]
        self._dropped = None
        self.chat.stop()
        self.chat._rewrite(lambda _: messages)
