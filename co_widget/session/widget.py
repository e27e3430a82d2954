"""``Chat``: the widget and its public API. It wires the parts: the synced traits, the client,
the :class:`~co_widget.session.runner.ReplyRunner` that runs one reply at a time, and the front-end
actions (declared in ``session/protocol``).

Synced state is small: ``model``, ``system``, ``status`` and ``messages`` (the conversation, with
per-turn ``_co`` metadata, see ``session/conversation``) at its ``revision``. ``messages`` changes
once per reply, when it ends, and with undo, clear, edits and a new history; the views then get what
changed as a ``commit`` message, never the whole trait again (``ReplyRunner.commit``). While a
reply streams, the text goes to the views as numbered custom messages (``session/runner``). The
worker thread never prints.

What the views ask of the kernel, and the answers outside the stream, are ``session/view_actions``.
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..request.boundary import MAX_TOOL_RESULT, check_max_tool_result
from ..request.boundary import documents as checked_documents
from ..request.documents import with_turn_documents
from ..request.images import image_blocks
from ..request.model_rules import capabilities, check_request
from ..request.params import build_chat_body, check_model, check_system, validate_params
from ..request.pricing import check_prices
from ..request.structured import ResponseFormat, resolve_response_format
from ..request.tool_schema import build_toolset
from ..retrieval.corpus import Corpus
from ..retrieval.corpus_turn import ChatRetrieval, documents_size_note
from ..turn.logprobs import LogprobTrack
from ..turn.parts import check_trait, user_record, with_record
from ..turn.reply import Reply
from ..turn.state import TurnState
from ..turn.tool_loop import check_approve, check_max_steps
from ..turn.tool_turn import ToolTurn
from ..wire.client import DEFAULT_TIMEOUT, CohereClient
from ..wire.json_values import check_text
from .autosave import (
    AUTOSAVE_WAIT,
    Autosaver,
    check_file,
    claim_file,
    read_messages,
    release_file,
)
from .conversation import (
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
from .header import Header, chat_cost, context_used
from .kernel_store import KernelStore
from .runner import STOP_GRACE, ReplyRunner
from .shared_copy import SharedCopy, display_with_copy, shared_copy_html
from .transcript import to_markdown
from .view_actions import ViewActions

__all__ = ["DEFAULT_MODEL", "Chat"]

DEFAULT_MODEL = "command-a-03-2025"
_STATIC = Path(__file__).parent.parent / "static"


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
    stop_sequences, seed, thinking, documents, ...), checked here, before any request.
    ``tools`` takes Python functions (run by the chat, see ``turn/tool_turn``) and raw v2 tool
    dicts; ``approve`` (False, True for the widget's buttons, or ``fn(name, arguments) -> bool``)
    says which calls run; ``max_steps`` caps the model calls of one reply. ``prices``
    (``{model: {"input": usd, "output": usd}}`` per million billed tokens) wins over
    ``co_widget.prices`` for ``cost`` (see ``request/pricing``); ``logprobs=True`` keeps them for
    every reply. ``shared_copy=False``: no static HTML copy of the conversation under the widget
    (it shows where no kernel runs, see ``session/shared_copy``).
    The API key defaults to $CO_API_KEY (then $COHERE_API_KEY) and stays in the kernel: it is
    never synced, saved, shown or sent to the browser.

    One reply streams at a time: ``send()``, ``regenerate()``, ``undo()`` and setting
    ``history`` raise :class:`ChatBusyError` while a reply streams (the widget disables its
    buttons meanwhile); ``stop()`` and ``clear()`` always work.
    """

    _esm = _asset("widget.js")
    _css = _asset("widget.css")

    model = traitlets.Unicode(DEFAULT_MODEL).tag(sync=True)
    # The header's title (the views show the model when it is None).
    title = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    system = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    # The conversation (Cohere v2 messages plus "_co" metadata). Use ``history`` to read or set
    # it from code: that copy is checked and ready for the API.
    messages = traitlets.List(traitlets.Dict()).tag(sync=True)
    # One more with each change of messages: a view's model applies a commit only on top of the
    # revision it was made from (see _protocol.CommitMsg).
    revision = traitlets.Int(0).tag(sync=True)
    status = traitlets.Enum(("idle", "streaming"), "idle").tag(sync=True)
    # False for a model known to take no images: the composer then offers no attachments, so a
    # pasted image is not silently refused by the kernel.
    _accepts_images = traitlets.Bool(True).tag(sync=True)
    # The header's model picker and gauges (see ``session/header``).
    _models = traitlets.List(traitlets.Dict()).tag(sync=True)
    _header = traitlets.Dict().tag(sync=True)
    # file=: the last autosave failure ("Could not save PATH: reason"), None after a good save.
    # The widget shows it as a notice.
    autosave_error = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        system: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        tools: Any = None,
        approve: Any = False,
        max_steps: int = 10,
        title: str | None = None,
        file: str | os.PathLike[str] | None = None,
        prices: dict[str, dict[str, float]] | None = None,
        corpus: Any = None,
        retrieve: Any = None,
        max_tool_result: int = MAX_TOOL_RESULT,
        shared_copy: bool = True,
        **params: Any,
    ) -> None:
        check_model(model)
        self._max_tool_result = check_max_tool_result(max_tool_result)
        check_system(system)
        self._toolset = build_toolset(tools)
        self._approve = check_approve(approve)
        self._max_steps = check_max_steps(max_steps)
        if self._toolset.specs:
            params = {**params, "tools": self._toolset.specs}
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title= must be a string or None, got {type(title).__name__}.")
        # A pydantic model class becomes its JSON schema here; the class stays for reply.parsed.
        self._format = resolve_response_format(params.pop("response_format", None))
        if self._format is not None:
            params["response_format"] = self._format.body
        self._params = validate_params(params)
        check_request({"model": model, **self._params})
        self._store = KernelStore()  # full images and documents; the trait holds less
        self._file = None if file is None else check_file(file)
        if self._file is not None:
            claim_file(self._file, self)  # first: an older chat of the file writes its last
        saved = [] if self._file is None else read_messages(self._file)
        self._client = CohereClient(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._runner = ReplyRunner(self, self._client)
        self._maps: dict[str, Any] = {}  # the running chat.map calls, by run id (their Stop)
        self._quiet: set[str] = set()  # traits not to sync (see quiet)
        self._prices = {} if prices is None else check_prices(prices)
        self._header_ctl = Header(self, self._client.endpoint)
        self._header_ctl.warn_if_deprecated(model)
        # corpus= / retrieve=: each turn retrieves its documents (see _corpus_turn).
        self._retrieval: ChatRetrieval | None = None
        if corpus is not None or retrieve is not None:
            self._retrieval = ChatRetrieval(corpus, retrieve, self._client, self._publish)
        _warn_documents(self._params.get("documents", []))
        super().__init__(model=model, system=system, title=title, messages=self._store.slim(saved))
        self._model_changed({"new": model})
        self._autosaver: Autosaver | None = None
        if self._file is not None:
            self._autosaver = Autosaver(self._file, self._saved_form, self._autosaved)
            # A reply is released once its turn is on disk (or after AUTOSAVE_WAIT), outside the
            # chat's lock: a slow disk never blocks send().
            self._runner.after_commit = lambda: self._autosaver_flush(AUTOSAVE_WAIT)
            self.observe(self._autosave, names="messages")
        self._view_actions = ViewActions(self)
        self.on_msg(self._view_actions.handle)
        # shared_copy=: the conversation as static HTML beside the widget, for notebooks opened
        # where no kernel runs (see _shared_copy).
        self._shared_copy: SharedCopy | None = None
        if shared_copy:
            self._shared_copy = SharedCopy(
                lambda: shared_copy_html(self.messages, self.title or self.model)
            )
            self.observe(self._update_shared_copy, ["messages", "title", "model"])

    def _update_shared_copy(self, _change: Any = None) -> None:
        # Runs inside a turn's commit: a failure here must never undo the turn.
        if self._shared_copy is not None:
            try:
                self._shared_copy.update()
            except Exception as exc:
                self.log.warning("co_widget: the shared copy was not updated: %s", exc)

    def _ipython_display_(self) -> None:
        # The widget's own output, as ipywidgets shows it; then the shared copy's output.
        display_with_copy(self._repr_mimebundle_(), self._shared_copy)

    @traitlets.observe("model")
    def _model_changed(self, change: dict[str, Any]) -> None:
        caps = capabilities(change["new"])
        self._accepts_images = caps is None or caps.vision
        if hasattr(self, "_header_ctl"):  # not yet while traitlets builds the widget
            self._header_ctl.update(self)

    def __repr__(self) -> str:
        # Stable (no address, no key): notebooks compare it, and it is the widget's text/plain.
        return f"Chat(model={self.model!r}, messages={len(self.messages)})"

    # --- asking -----------------------------------------------------------------------------

    def send(  # overrides Widget.send: that one is _send_custom here
        self,
        text: str,
        documents: Any = None,
        images: list[Any] | None = None,
        detail: str | None = None,
        response_format: Any = None,
        logprobs: bool | None = None,
        corpus: Any = None,
    ) -> Reply:
        """Send a user message; return its :class:`Reply` at once while it streams.

        ``documents`` (str, dict, pathlib.Path, pandas DataFrame, or a list of them) ground this
        turn only, on top of the chat's own ``documents``; they are kept with the user message,
        so ``regenerate()``, editing the message and ``save()``/``load()`` send them again.
        ``images``: paths, bytes, PIL images, matplotlib Figures or http(s) URLs, sent after
        the text (see ``co_widget.request.images``); an image too big for Cohere's limits is shrunk,
        with a warning. ``detail``: "auto", "low" or "high" for these images.
        ``response_format``: for this message only, a pydantic model class or a JSON schema
        (then ``reply.parsed`` gives the data). ``logprobs=True``: keep the log probability of
        each streamed piece of text on ``reply.logprobs`` (the bubble can shade them).
        ``corpus``: sources retrieved from for this message only, with the chat's corpus.

        Raises ValueError for an empty message, more than 20 images, a combination Cohere
        rejects or an invalid history, and ChatBusyError while another reply streams (wait for
        it, or ``chat.stop()`` it, first). Nothing changes when it raises. API errors do not
        raise here: they land on the reply (``reply.error``) and on the turn in the widget.
        """
        self._runner.check_idle()
        fmt = self._format
        params = self._params
        if response_format is not None:
            fmt = resolve_response_format(response_format)
            if fmt is not None:
                params = validate_params({**params, "response_format": fmt.body})
        if logprobs is not None:
            params = validate_params({**params, "logprobs": logprobs})
        user, notes = _user_turn(self.model, text, images, detail, documents, lambda: self.history)
        _warn_documents(user.get("_co", {}).get("documents", []))
        if corpus is not None and self._retrieval is None:
            self._retrieval = ChatRetrieval(None, None, self._client, self._publish)
        prepare = None if self._retrieval is None else self._retrieval.prepare(corpus)
        reply = self._start(lambda messages: messages, user, params, fmt, notes, prepare)
        for note in notes:
            warnings.warn(note, UserWarning, stacklevel=2)
        return reply

    def ask(self, text: str, timeout: float | None = None) -> str:
        """``send(text).result(timeout)``: the reply's text, or its CohereError raised."""
        return self.send(text).result(timeout)

    def map(
        self,
        rows: Any,
        template: Any,
        response_format: Any = None,
        concurrency: int = 8,
        file: str | os.PathLike[str] | None = None,
        executor: Any = None,
        wait: bool = True,
        dry_run: bool = False,
        *,
        rate_limit: Any = None,
        priority: int = 999,
        progress: bool = True,
    ) -> Any:
        """Ask the same prompt for many rows, each its own conversation; see ``batch/map``.

        ``rows``: a pandas DataFrame, a list of dicts or a list of strings. ``template``: a
        ``str.format`` template over a row's fields (``"{}"``/``"{text}"`` for a string), or a
        function ``row -> str | dict`` (a dict holds ``text`` and any of ``documents``,
        ``history`` (``[]``: no chat history), ``images``, ``response_format`` and parameters).
        Each row starts from the chat's system, history, documents, tools and parameters.

        Returns the results aligned with the input (a DataFrame for a DataFrame, else a list of
        dicts): ``status`` ("done", "failed", "stopped"), ``text``, ``parsed``, ``error``,
        ``usage``, ``cost`` and ``citations``. A row that fails is recorded, never raised.
        ``concurrency`` rows run at once (``executor``: any concurrent.futures Executor; default
        a thread pool); the pace adapts to the server's 429s, or ``rate_limit`` ("trial",
        "production", or requests a minute). ``file``: finished rows are appended there as JSON
        lines, and a re-run skips them. ``wait=False`` returns a handle (``progress``,
        ``results()``, ``await``, ``stop()``). ``dry_run=True`` sends nothing and says what
        would be sent. Requests go with ``priority`` 999 (served after interactive chat).
        """
        from ..batch.map import start_map

        return start_map(
            self,
            rows,
            template,
            response_format=response_format,
            concurrency=concurrency,
            file=file,
            executor=executor,
            wait=wait,
            dry_run=dry_run,
            rate_limit=rate_limit,
            priority=priority,
            progress=progress,
        )

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
        """Replace the text of the user message ``messages[index]`` (keeping its images), drop
        all after it, and ask again."""
        with self._runner.lock:  # reentrant: start takes it again, so nothing changes between
            messages = self.messages
            if not (
                isinstance(index, int)
                and 0 <= index < len(messages)
                and messages[index].get("role") == "user"
            ):
                raise ValueError(f"messages[{index!r}] is not a user message to edit.")
            edited = self._store.full([messages[index]])[0]
            content = edited["content"]
            images = (
                [b for b in content if b["type"] == "image_url"] if type(content) is list else []
            )
            user = _user_message(text, images)
            kept = (edited.get("_co") or {}).get("documents")
            if kept:  # the edited message keeps the documents it was sent with
                user = with_record(user, user_record(kept))
            return self._start(lambda messages: messages[:index], user)

    def _start(
        self,
        base_of: Callable[[Messages], Messages],
        user: dict[str, Any] | None,
        params: dict[str, Any] | None = None,
        fmt: ResponseFormat | None = None,
        notes: Sequence[str] = (),
        prepare: Any = None,
    ) -> Reply:
        """Begin a reply to ``base_of(messages)`` plus ``user``. The request carries the full
        images; the trait and the views get the user message with thumbnails."""

        def build_body(messages: Messages) -> dict[str, Any]:
            full = self._store.full(messages)
            body = build_chat_body(
                self.model,
                history_view(full),
                self.system or None,
                # The chat's documents and the turn's (kept with its user message).
                with_turn_documents(self._params if params is None else params, full),
            )
            check_request(body)
            return body

        if user is not None:
            user = self._store.slim([user])[0]
        reply = Reply(self._format if params is None else fmt)
        state = reply._state  # what the turn's record prices and shows
        state.max_arguments = self._max_tool_result
        state.model, state.prices = self.model, self._prices
        if (self._params if params is None else params).get("logprobs"):
            state.logprobs_track = LogprobTrack()
        for note in notes:  # shrunk images: said under the reply too, for the widget's users
            state.note(note)
        tools = None
        if self._toolset.functions:

            def tools(state: TurnState) -> ToolTurn:
                return ToolTurn(
                    self._toolset,
                    self._approve,
                    self._max_steps,
                    state.note,
                    self._max_tool_result,
                )

        if prepare is None and self._retrieval is not None:  # regenerate, edit: retrieve again
            prepare = self._retrieval.prepare()
        return self._runner.start(base_of, user, build_body, reply, tools, prepare)

    @property
    def corpus(self) -> Corpus:
        """The chunks each turn retrieves from (``Chat(corpus=...)``): ``add(...)``,
        ``remove(...)``, ``len()``, ``embed()``. Adding to a chat made without one turns
        retrieval on, with the default ``retrieve=`` settings."""
        if self._retrieval is None:
            self._retrieval = ChatRetrieval(None, None, self._client, self._publish)
        return self._retrieval.corpus

    def _publish(self, message: dict[str, Any]) -> None:
        """A message to the views outside the stream (retrieval's progress and choice)."""
        with self._runner.lock:
            self._send_custom(message)

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tool list sent with every request (a copy): Cohere v2 tool dicts, the schemas of
        your Python functions as pydantic built them, and any raw dicts you passed."""
        return copy.deepcopy(self._params.get("tools", []))

    # --- the conversation ---------------------------------------------------------------

    @property
    def history(self) -> Messages:
        """The conversation as Cohere v2 messages (a deep copy), valid for
        ``cohere.ClientV2().chat(messages=chat.history)``: widget metadata stripped, turns that
        failed before any output left out. The system message is ``chat.system``, not here.

        Assigning checks the messages (ValueError naming the index and the fix). A reply that
        is streaming joins the history when it ends.
        """
        return history_view(self._store.full(self.messages))

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
            self._runner.commit(change(self.messages))
        self._autosaver_flush()  # the change is on disk when undo(), clear()... return

    @traitlets.validate("messages")
    def _check_messages(self, proposal: dict[str, Any]) -> Messages:
        # Every write, from code or a view, holds messages the views and the transcript can
        # read (the parts model's checks; the messages kept from before are not checked again).
        return check_trait(proposal["value"], self._trait_values.get("messages"))

    @traitlets.observe("messages")
    def _forget_unused(self, change: dict[str, Any]) -> None:
        # Every write (a commit, undo, clear, a new history) drops the full images and
        # documents it no longer refers to.
        self._store.keep_only(change["new"])

    def _slim(self, messages: Messages) -> Messages:
        """``messages`` as the trait holds them: big data stays in the kernel."""
        return self._store.slim(messages)

    @property
    def usage(self) -> dict[str, dict[str, int | float]]:
        """Token totals of the replies in the conversation: ``billed_units`` (what Cohere
        bills) and ``tokens`` (with its prompt template), each ``input_tokens`` and
        ``output_tokens``."""
        return usage_totals(self.messages)

    @property
    def cost(self) -> float | None:
        """What the conversation's replies cost, in US dollars (billed tokens at
        ``co_widget.prices``, or this chat's ``prices=``); None when a reply's model has no
        known price. See ``reply.cost`` for one reply."""
        return chat_cost(self.messages, self.model, self._prices)

    @property
    def context_used(self) -> int:
        """Tokens of context the next request starts with: the last request's input tokens as
        Cohere counted them (history, documents, tools, its template) plus the reply, plus an
        estimate (4 characters a token) for messages added since."""
        return context_used(self)

    @traitlets.observe("messages")
    def _messages_changed(self, _change: dict[str, Any]) -> None:
        if hasattr(self, "_header_ctl"):
            self._header_ctl.update(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Save model, system, parameters and messages (with metadata) as JSON; never the key
        or connection settings. Open it again with ``Chat.load``."""
        write_chat_file(path, self._saved_form())

    def _saved_form(self) -> dict[str, Any]:
        # Under the chat's lock: the autosaver's thread must not read messages while a commit
        # swaps them and drops the kernel-kept data the old ones refer to.
        with self._runner.lock:
            messages = self._store.full(self.messages)
            return dump_chat(self.model, self.system, self._params, messages)

    def _autosave(self, _change: Any = None) -> None:
        """``file=``: save after every change, in the autosaver's thread (see
        ``session/autosave``)."""
        if self._autosaver is not None:
            self._autosaver.schedule()

    def _autosaver_flush(self, timeout: float | None = None) -> None:
        autosaver: Autosaver | None = getattr(self, "_autosaver", None)
        if autosaver is not None:
            autosaver.flush(timeout)

    def _autosaved(self, error: str | None) -> None:
        """A write's outcome: a failure (full disk, read-only folder, locked file) must not break
        the chat; it is kept on ``autosave_error`` and shown in the widget until a good save."""
        problem = None if error is None else f"Could not save {self._file}: {error}"
        if problem is not None:
            self.log.warning("co_widget: %s", problem)
        self.set_trait("autosave_error", problem)

    def _detach_file(self, why: str) -> None:
        """Another chat took ``file=`` over: write what is pending, then save no more."""
        autosaver, self._autosaver = self._autosaver, None
        if autosaver is not None:
            autosaver.flush(AUTOSAVE_WAIT)
        self._runner.after_commit = None
        self.set_trait("autosave_error", why)

    def close(self) -> None:
        """Close the widget (its views go away); its ``file=`` is free for another chat."""
        self._closed = True
        file = getattr(self, "_file", None)  # close() also runs for a chat whose __init__ failed
        if file is not None:
            self._autosaver_flush(AUTOSAVE_WAIT)
            release_file(file, self)
        super().close()

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> Chat:
        """A chat from a file written by ``save``; ``overrides`` (api_key, base_url, model,
        temperature, ...) replace the saved settings. Raises ValueError for an invalid file."""
        model, system, params, messages = load_chat(read_chat_file(path))
        chat = cls(**{"model": model, "system": system, **params, **overrides})
        chat._rewrite(lambda _: messages)
        return chat

    def to_markdown(self) -> str:
        """The conversation as a Markdown transcript."""
        return to_markdown(self.system, self._store.full(self.messages))

    # --- the front end ----------------------------------------------------------------------

    def _send_custom(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """ipywidgets' ``Widget.send`` (``Chat.send`` is the public "send a user message")."""
        super().send(content, buffers)

    @contextmanager
    def quiet(self, *names: str) -> Iterator[None]:
        """Traits ``names`` change inside without ipywidgets syncing them: the caller tells the
        views itself (a ``commit``). A new view or page still gets their values."""
        self._quiet.update(names)
        try:
            yield
        finally:
            self._quiet.difference_update(names)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        # The views change the conversation only by actions the kernel checks (send, edit,
        # clear...). A view's model holds the commits it applied as unsynced changes, which a
        # front end may echo back with some other change: never take the conversation from there.
        kept = {key: value for key, value in sync_data.items() if key not in _KERNEL_OWNED}
        super().set_state(kept)

    def _should_send_property(self, key: str, value: Any) -> bool:
        # ipywidgets asks this before it syncs a changed trait.
        return key not in self._quiet and super()._should_send_property(key, value)


# Traits only the kernel writes: see set_state.
_KERNEL_OWNED = frozenset({"messages", "revision", "status"})


def _warn_documents(documents: list[dict[str, Any]]) -> None:
    note = documents_size_note(documents)
    if note is not None:
        warnings.warn(note, UserWarning, stacklevel=3)


def _user_turn(
    model: str,
    text: Any,
    images: Any,
    detail: str | None,
    documents: Any,
    history: Callable[[], Messages],
) -> tuple[dict[str, Any], list[str]]:
    """A turn's user message, with its images (shrunk to fit Cohere's limits, given the
    ``history`` they join) and its documents; and the notes on the images that were shrunk."""
    notes: list[str] = []
    blocks: list[dict[str, Any]] = []
    if images is not None:
        caps = capabilities(model)
        blocks, notes = image_blocks(
            images,
            detail=detail,
            history=history(),
            max_side=caps.max_image_side if caps else None,
        )
    user = _user_message(text, blocks)
    turn_documents = checked_documents(documents)
    if turn_documents:
        user = with_record(user, user_record(turn_documents))
    return user, notes


def _user_message(text: Any, images: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """A user message: the text, then the image blocks (Cohere's documented order)."""
    if not isinstance(text, str):
        raise ValueError(f"The message must be a string, got {type(text).__name__}.")
    if not images:
        if not text.strip():
            raise ValueError("The message is empty: write some text to send.")
        check_text(text, "The message")
        return {"role": "user", "content": text}
    check_text(text, "The message")
    return {
        "role": "user",
        "content": [*([{"type": "text", "text": text}] if text.strip() else []), *images],
    }
