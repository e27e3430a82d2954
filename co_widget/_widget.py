"""``Chat``: the widget and its public API. It wires the parts: the synced traits, the client,
the :class:`~co_widget._lifecycle.ReplyRunner` that runs one reply at a time, and the front-end
actions (declared in ``_protocol``).

Synced state is small: ``model``, ``system``, ``status`` and ``messages`` (the conversation, with
per-turn ``_co`` metadata, see ``_conversation``). ``messages`` is written once per reply, when it
ends; while it streams, the text goes to the views as numbered custom messages (``_lifecycle``).
The worker thread never prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ._client import DEFAULT_TIMEOUT, CohereClient
from ._conversation import (
    dump_chat,
    history_view,
    load_chat,
    read_chat_file,
    regenerate_base,
    undo_exchanges,
    usage_totals,
    validate_history,
    write_chat_file,
)
from ._documents import normalize_documents, with_turn_documents
from ._errors import ChatBusyError
from ._json_values import check_text
from ._lifecycle import STOP_GRACE, ReplyRunner
from ._params import build_chat_body, check_model, check_system, validate_params
from ._reply import Reply
from ._transcript import to_markdown

__all__ = ["DEFAULT_MODEL", "Chat"]

DEFAULT_MODEL = "command-a-03-2025"
_STATIC = Path(__file__).parent / "static"


def _asset(name: str) -> str | Path:
    # anywidget watches a Path for hot reload and keeps every widget that uses one alive for it,
    # so a closed chat would never be freed. Its own switch, ANYWIDGET_HMR=1, brings it back.
    path = _STATIC / name
    return path if os.environ.get("ANYWIDGET_HMR") == "1" else path.read_text(encoding="utf-8")


Messages = list[dict[str, Any]]


class Chat(anywidget.AnyWidget):
    """A chat with a Cohere model, streamed into a notebook widget.

    ``Chat(model=..., system=..., api_key=..., base_url=..., timeout=..., max_retries=...,
    **params)``: ``params`` are the v2 generation parameters (temperature, p, k, max_tokens,
    stop_sequences, seed, thinking, tools, documents, citation_options, ...), checked here,
    before any request. ``documents`` (str, dict, pathlib.Path, pandas DataFrame, or a list of
    them) ground every reply; ``citation_options={"mode": "FAST" | "ACCURATE" | "OFF"}``.
    The API key defaults to $CO_API_KEY (then $COHERE_API_KEY) and stays in the kernel: it is
    never synced, saved, shown or sent to the browser.

    One reply streams at a time: ``send()``, ``regenerate()``, ``undo()`` and setting
    ``history`` raise :class:`ChatBusyError` while a reply streams (the widget disables its
    buttons meanwhile); ``stop()`` and ``clear()`` always work.
    """

    _esm = _asset("widget.js")
    _css = _asset("widget.css")

    model = traitlets.Unicode(DEFAULT_MODEL).tag(sync=True)
    system = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    # The conversation (Cohere v2 messages plus "_co" metadata). Use ``history`` to read or set
    # it from code: that copy is checked and ready for the API.
    messages = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Enum(("idle", "streaming"), "idle").tag(sync=True)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        system: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        **params: Any,
    ) -> None:
        check_model(model)
        check_system(system)
        self._params = validate_params(params)
        self._client = CohereClient(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._runner = ReplyRunner(self, self._client)
        super().__init__(model=model, system=system)
        self.on_msg(self._on_frontend_msg)

    def __repr__(self) -> str:
        # Stable (no address, no key): notebooks compare it, and it is the widget's text/plain.
        return f"Chat(model={self.model!r}, messages={len(self.messages)})"

    # --- asking -----------------------------------------------------------------------------

    def send(  # type: ignore[override]  # Widget.send: see _send_custom
        self, text: str, documents: Any = None
    ) -> Reply:
        """Send a user message; return its :class:`Reply` at once while it streams.

        ``documents`` (str, dict, pathlib.Path, pandas DataFrame, or a list of them) ground this
        turn only, on top of the chat's own ``documents``; they are kept with the user message,
        so ``regenerate()``, editing the message and ``save()``/``load()`` send them again.

        Raises ValueError for an empty message or an invalid history, and ChatBusyError while
        another reply streams (wait for it, or ``chat.stop()`` it, first). API errors do not
        raise here: they land on the reply (``reply.error``) and on the turn in the widget.
        """
        user = _user_message(text)
        turn_documents = normalize_documents(documents)
        if turn_documents:
            user["_co"] = {"documents": turn_documents}
        return self._start(lambda messages: messages, user)

    def ask(self, text: str, timeout: float | None = None) -> str:
        """``send(text).result(timeout)``: the reply's text, or its CohereError raised."""
        return self.send(text).result(timeout)

    def regenerate(self) -> Reply:
        """Drop the last reply (or failed turn) and ask again for the same history.

        After appending tool results to ``history``, this asks the model to continue.
        """
        return self._start(regenerate_base, None)

    def stop(self) -> None:
        """Stop the streaming reply, if any, keeping what arrived (status "stopped").

        Returns once the reply has ended (normally within 0.5 s), so ``send`` works next.
        """
        reply = self._runner.cancel()
        if reply is not None:
            # The runner ends a stopped reply within STOP_GRACE, whatever the stream is doing.
            reply.wait(STOP_GRACE + 1.0)

    def _edit(self, index: int, text: str) -> Reply:
        """Replace the user message ``messages[index]``, drop all after it, and ask again."""
        user = _user_message(text)

        def base_of(messages: Messages) -> Messages:
            if not (
                isinstance(index, int)
                and 0 <= index < len(messages)
                and messages[index].get("role") == "user"
            ):
                raise ValueError(f"messages[{index!r}] is not a user message to edit.")
            kept = (messages[index].get("_co") or {}).get("documents")
            if kept:  # the edited message keeps the documents it was sent with
                user["_co"] = {"documents": kept}
            return messages[:index]

        return self._start(base_of, user)

    def _start(self, base_of: Callable[[Messages], Messages], user: dict | None) -> Reply:
        def build_body(messages: Messages) -> dict[str, Any]:
            return build_chat_body(
                self.model,
                history_view(messages),
                self.system or None,
                with_turn_documents(self._params, messages),  # the chat's and the turn's
            )

        return self._runner.start(base_of, user, build_body)

    # --- the conversation ---------------------------------------------------------------

    @property
    def history(self) -> Messages:
        """The conversation as Cohere v2 messages (a deep copy), valid for
        ``cohere.ClientV2().chat(messages=chat.history)``: widget metadata stripped, turns that
        failed before any output left out. The system message is ``chat.system``, not here.

        Assigning checks the messages (ValueError naming the index and the fix). A reply that
        is streaming joins the history when it ends.
        """
        return history_view(self.messages)

    @history.setter
    def history(self, messages: Messages) -> None:
        checked = validate_history(messages)
        self._rewrite(lambda _: checked)

    def undo(self, n: int = 1) -> None:
        """Drop the last ``n`` exchanges (each a user message and everything after it).

        Raises ValueError if the chat has fewer than ``n`` exchanges (nothing is dropped)."""
        self._rewrite(lambda messages: undo_exchanges(messages, n))

    def clear(self) -> None:
        """Stop any streaming reply and forget the whole conversation."""
        self.stop()
        self._rewrite(lambda _: [])

    def _rewrite(self, change: Callable[[Messages], Messages]) -> None:
        """Replace ``messages`` atomically: if the change or the sync fails, nothing changed."""
        with self._runner.lock:
            self._runner.check_idle()
            before = self.messages
            after = change(before)
            try:
                self.messages = after
            except BaseException:
                with self.hold_trait_notifications():
                    self.set_trait("messages", before)
                raise

    @property
    def usage(self) -> dict[str, dict[str, int | float]]:
        """Token totals of the replies in the conversation: ``billed_units`` (what Cohere
        bills) and ``tokens`` (with its prompt template), each ``input_tokens`` and
        ``output_tokens``."""
        return usage_totals(self.messages)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save model, system, parameters and messages (with metadata) as JSON; never the key
        or connection settings. Open it again with ``Chat.load``."""
        write_chat_file(path, dump_chat(self.model, self.system, self._params, self.messages))

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> Chat:
        """A chat from a file written by ``save``; ``overrides`` (api_key, base_url, model,
        temperature, ...) replace the saved settings. Raises ValueError for an invalid file."""
        model, system, params, messages = load_chat(read_chat_file(path))
        chat = cls(**{"model": model, "system": system, **params, **overrides})
        chat.messages = messages
        return chat

    def to_markdown(self) -> str:
        """The conversation as a Markdown transcript."""
        return to_markdown(self.system, self.messages)

    # --- the front end ----------------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any]) -> None:
        """ipywidgets' ``Widget.send`` (``Chat.send`` is the public "send a user message")."""
        super().send(content)

    def _on_frontend_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Front-end actions. Never raises: a failure would only reach the kernel's log."""
        try:
            match content:
                case {"type": "send", "text": text}:
                    self.send(text)
                case {"type": "stop"}:
                    self._runner.cancel()
                case {"type": "regenerate"}:
                    self.regenerate()
                case {"type": "edit", "index": index, "text": text}:
                    self._edit(index, text)
                case {"type": "clear"}:
                    self.clear()
                case {"type": "snapshot"}:
                    self._runner.answer_snapshot()
                case _:
                    self.log.warning("co_widget: ignored an unknown front-end message.")
        except ChatBusyError:
            pass  # a click racing the view's own busy state: the streaming reply goes on
        except Exception:
            self.log.warning("co_widget: a front-end action failed.", exc_info=True)


def _user_message(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        raise ValueError(f"The message must be a string, got {type(text).__name__}.")
    if not text.strip():
        raise ValueError("The message is empty: write some text to send.")
    check_text(text, "The message")
    return {"role": "user", "content": text}
