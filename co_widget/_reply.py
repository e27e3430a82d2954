"""One streamed reply: the handle ``Chat.send`` returns, built up from the stream's events.

Only the chat's worker thread builds the reply: it calls :meth:`Reply._feed` for each event, then
:meth:`Reply._settle` once the stream is over and :meth:`Reply._release` once the chat has committed
the turn, so a caller woken by ``wait()`` already sees the turn in ``chat.history``. Readers, and
``cancel()``, work from any thread under one small lock.

How a reply ends (``reply.status``):

* ``"complete"``: the stream ended normally (any ``finish_reason`` but ERROR/TIMEOUT).
* ``"stopped"``: the user stopped it (Stop button, ``chat.stop()``, ``reply.cancel()``, an
  interrupted ``wait()``). Not an error: ``error`` is None, ``finish_reason`` is None (the API
  never gave one; co_widget does not invent a Cohere value), ``result()`` returns the partial text.
* ``"interrupted"``: a fault after some output arrived (the stream broke, a stall, an in-band
  ``finish_reason`` ERROR/TIMEOUT). The partial output is kept; ``error`` says what went wrong.
* ``"error"``: a fault before any output (HTTP error, no connection, no key...).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Generator
from typing import Any

from ._boundary import MAX_TOOL_RESULT, model_usage
from ._citations import Citation, cited_tools, place_citations, tool_calls_of
from ._errors import ApprovalBlockedError, CohereError, GenerationError
from ._events import ContentDelta, Event, MessageEnd
from ._json_values import repair_surrogates
from ._logprobs import LogprobTrack, TokenLogprob
from ._parts import CoRecord, reply_record
from ._pricing import cost_of
from ._reply_content import ReplyContent, Warnings, repaired
from ._structured import ResponseFormat
from ._usage import add_usage

__all__ = ["Reply"]

# In-band failures: the stream itself ends cleanly, but the generation did not.
_FAILED_FINISH_REASONS = ("ERROR", "TIMEOUT")
_REPR_TEXT_CHARS = 40
_UNPARSED = object()
# How often a blocking wait on a reply that may ask for approval looks for a waiting call.
_APPROVAL_POLL = 0.05


class Reply:
    """A reply streaming from Cohere (returned by ``chat.send``).

    ``wait()`` blocks and never raises for API errors; ``result()`` and ``await reply`` return the
    text or raise the :class:`~co_widget.CohereError`. ``cancel()`` stops the stream and keeps
    what arrived. See the module docstring for the meaning of ``status``.
    """

    def __init__(self, response_format: ResponseFormat | None = None) -> None:
        self._format = response_format
        self._parsed: Any = _UNPARSED
        self._lock = threading.Lock()
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # A running future cannot be cancelled: cancelling a task that awaits the reply must not
        # cancel the reply's own completion (``__await__`` stops the stream explicitly instead).
        self._done.set_running_or_notify_cancel()
        self._warnings = Warnings()
        self._call_ids: set[str] = set()  # tool call ids of every step: each unique
        self._content = ReplyContent(self._warnings, self._call_ids)  # the current model call
        self._max_arguments = MAX_TOOL_RESULT  # the chat's max_tool_result
        self._history_calls: dict[str, dict[str, Any]] = {}  # tool calls a citation may cite
        self._finish_reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self._error: CohereError | None = None
        self._ended = False  # message-end seen: the API finished the reply on its own
        self._status = "streaming"
        self._cancel_requested = False
        self._stream: Any = None  # the ChatStream, once the worker has it
        # With Python tools: the turn's ToolLoop (its calls), and the usage of earlier model calls.
        self._loop: Any = None
        self._usage_before: dict[str, Any] | None = None
        self._plan_break = False  # the next plan text shown starts a new line (a later step)
        # Set by the chat that starts the reply: what ``cost`` prices, with the chat's own
        # price table; and, for ``send(..., logprobs=True)``, the logprobs of the text.
        self._model: str | None = None
        self._prices: dict[str, Any] | None = None
        self._logprobs: LogprobTrack | None = None
        self._retrieved: Any = None  # the turn's Retrieval, with Chat(corpus=...)

    # --- the worker's side ------------------------------------------------------------------

    def _attach(self, stream: Any) -> None:
        """Give the reply its stream, so cancel() can close it (at once if already asked)."""
        with self._lock:
            self._stream = stream
            cancel = self._cancel_requested
        if cancel:
            stream.cancel()

    def _set_history(self, messages: list[dict[str, Any]]) -> None:
        """The history the reply answers: its tool calls name the tool results cited."""
        self._history_calls = tool_calls_of(messages)

    def _feed(self, event: Event) -> tuple[str, Any] | None:
        """Apply one event; return ``(kind, piece)`` when it adds something visible, for the
        browser: ``kind`` "text", "thinking" or "tool_plan" with a string, or "citations" with
        one citation object.
        """
        with self._lock:
            if self._status != "streaming":
                return None  # settled (a stop the stream was slow to obey): later events are late
            if type(event) is MessageEnd:
                self._ended = True
                self._finish_reason = repaired(event.finish_reason)
                self._usage = model_usage(event.usage)
                if event.finish_reason in _FAILED_FINISH_REASONS:
                    self._error = GenerationError(
                        repair_surrogates(event.error or "")
                        or f"Generation ended with {event.finish_reason}."
                    )
                return None
            if (
                self._logprobs is not None
                and type(event) is ContentDelta
                and event.kind == "text"
                and not self._logprobs.add(event.text, event.logprobs)
            ):
                self._warnings.once("Skipped malformed logprobs.")
            piece = self._content.feed(event)
            if piece is not None and piece[0] == "tool_plan" and self._plan_break:
                # A later step's plan starts on its own line in the live bubble.
                self._plan_break = False
                piece = ("tool_plan", "\n" + piece[1])
            return piece

    def _settle(self, error: CohereError | None, *, force: bool = False) -> None:
        """Fix the final status once the stream is over (``error``: what the stream raised).

        The first call decides; ``force`` records a failure found afterwards (while committing,
        when none of the output could be kept) as the reply's error.
        """
        with self._lock:
            if force:
                self._error, self._status = error, "error"
                return
            if self._status != "streaming":
                return
            self._content.close()
            if not self._ended and self._cancel_requested:
                # The user asked for it; a socket error from the cancelled stream is no fault.
                self._status = "stopped"
                return
            if error is not None and self._error is None:
                self._error = error
            if self._error is None:
                self._status = "complete"
            else:
                self._status = "interrupted" if self._content.has_output() else "error"

    def _next_step(self) -> None:
        """Start the next model call of a tool loop: the last one's message is archived by the
        loop, so the reply forgets it (its usage is kept in the totals)."""
        with self._lock:
            self._usage_before = add_usage(self._usage_before, self._usage)
            self._plan_break = self._plan_break or bool(self._content.tool_plan.parts)
            self._content = ReplyContent(self._warnings, self._call_ids)
            if self._logprobs is not None:  # reply.text is the last call's: so are these
                self._logprobs = LogprobTrack()
            self._finish_reason = self._usage = self._stream = None
            self._ended = False

    def _note(self, text: str) -> None:
        """A warning from outside the stream (a shrunk image, the tool loop's step cap), from
        any thread."""
        with self._lock:
            self._warnings.add(text)

    def _release(self) -> None:
        """Wake everyone waiting for the reply (after the chat committed the turn)."""
        self._done.set_result(None)

    def _metadata(self) -> CoRecord:
        """The turn's ``_co`` record in the chat's ``messages`` (plain JSON, no secrets)."""
        extra: dict[str, Any] = {}
        with self._lock:
            usage = add_usage(self._usage_before, self._usage)
            # What the footer and the header gauges show (see ``_pricing``).
            if self._model is not None:
                extra["model"] = self._model
                extra["cost"] = cost_of(usage, self._model, self._prices)
            context = _context_of(self._usage)
            if context is not None:
                extra["context"] = context
            if self._logprobs is not None:
                extra["logprobs"] = self._logprobs.compact()
            tools = cited_tools(self._content.citations, self._history_calls)
            status, finish_reason, error = self._status, self._finish_reason, self._error
            warnings = self._warnings.lines()
        if tools:  # so the bubble names the tool of a cited result without the history
            extra["tools"] = tools
        if self._format is not None and self._format.is_json:
            extra["format"] = "json"  # the views show the text as highlighted JSON
        if self._retrieved is not None:  # the bubble's chip: "8 of 4,310 rows retrieved"
            extra["retrieved"] = self._retrieved.metadata()
        return reply_record(
            status=status,
            finish_reason=finish_reason,
            usage=usage,
            error=error.to_dict() if error else None,
            warnings=warnings,
            **extra,
        )

    # --- waiting --------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> Reply:
        """Block until the reply is done or ``timeout`` seconds pass; never raises API errors.

        A KeyboardInterrupt (a kernel interrupt) stops the stream, keeping the partial reply,
        and is re-raised. With ``approve=True``, a tool call waiting for the widget's answer
        raises ApprovalBlockedError at once on the kernel's main thread (see ``_await_done``).
        """
        try:
            self._await_done(timeout)
        except KeyboardInterrupt:
            self.cancel()
            raise
        return self

    def _await_done(self, timeout: float | None) -> None:
        loop = self._loop
        on_main = threading.current_thread() is threading.main_thread()
        if loop is None or not loop.asks or not on_main:
            concurrent.futures.wait([self._done], timeout)
            return
        # The widget's Approve/Deny is handled by the kernel's main thread, between cells or
        # while a cell awaits: blocking it while a call waits for that answer would hang.
        # So look for such a call every _APPROVAL_POLL seconds, and say what to do instead.
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done.done():
            names = loop.asking()
            if names:
                raise ApprovalBlockedError(names)
            left = _APPROVAL_POLL if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return
            concurrent.futures.wait([self._done], min(left, _APPROVAL_POLL))

    def result(self, timeout: float | None = None) -> str:
        """The reply's text, once done. Raises its CohereError if it failed, or TimeoutError if
        it is still streaming after ``timeout`` seconds (it keeps streaming: ``cancel()`` it).

        A stopped reply is not an error: its partial text is returned.
        """
        self.wait(timeout)
        if not self.done:
            raise TimeoutError(
                f"The reply is still streaming after {timeout:g} s; "
                "wait longer, or stop it with reply.cancel() / chat.stop()."
            )
        if self._error is not None:
            raise self._error
        return self.text

    def __await__(self) -> Generator[Any, None, str]:
        """``await reply``: like ``result()``, but the event loop stays free meanwhile, so with
        ipykernel >= 7.4 the widget's Stop button still works while a cell awaits. Cancelling the
        awaiting task stops the stream."""
        return self._result_async().__await__()

    async def _result_async(self) -> str:
        try:
            await asyncio.wrap_future(self._done)
        except asyncio.CancelledError:
            self.cancel()
            raise
        return self.result()

    def cancel(self) -> None:
        """Stop the stream (thread-safe, idempotent, returns at once); what arrived is kept and
        the reply ends with status "stopped" (normally within 0.5 s: ``wait()`` for it)."""
        with self._lock:
            if self._done.done():
                return
            self._cancel_requested = True
            stream = self._stream
        if stream is not None:
            stream.cancel()
        if self._loop is not None:
            self._loop.stop()

    # --- state ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._done.done()

    @property
    def status(self) -> str:
        """ "streaming", "complete", "stopped", "interrupted" or "error"."""
        with self._lock:
            return self._status

    @property
    def stopped(self) -> bool:
        """True if the user stopped the reply (it keeps what arrived; no error)."""
        return self.status == "stopped"

    @property
    def error(self) -> CohereError | None:
        with self._lock:
            return self._error

    @property
    def finish_reason(self) -> str | None:
        """Cohere's finish_reason (COMPLETE, MAX_TOKENS, TOOL_CALL, ...); None until the end,
        and for a stopped or broken stream."""
        with self._lock:
            return self._finish_reason

    @property
    def usage(self) -> dict[str, Any] | None:
        """Cohere's usage record (billed_units, tokens, ...), once the stream ended; with
        Python tools, the sum over the reply's model calls."""
        with self._lock:
            return add_usage(self._usage_before, self._usage)

    @property
    def cost(self) -> float | None:
        """What the reply cost in US dollars (its billed tokens, with the tool loop's model
        calls, at ``co_widget.prices`` or the chat's ``prices=``); None until its usage is
        known, or when no price is known for its model."""
        with self._lock:
            usage = add_usage(self._usage_before, self._usage)
        return cost_of(usage, self._model, self._prices)

    @property
    def logprobs(self) -> list[TokenLogprob] | None:
        """With ``send(..., logprobs=True)``: one record per streamed chunk of ``text``:
        ``token``, ``logprob`` (natural log; ``probability`` is its exp), ``start``/``end`` in
        ``reply.text``, ``token_ids``. None when not asked for."""
        with self._lock:
            return None if self._logprobs is None else list(self._logprobs.tokens)

    @property
    def calls(self) -> list[Any]:
        """The Python tool calls this reply ran, in order (snapshots, see ``ToolCallRecord``):
        ``id``, ``name``, ``arguments``, ``status`` ("waiting", "running", "done", "error",
        "denied", "stopped"), ``result``, ``error``, ``duration`` and ``step``. Empty without
        Python tools."""
        return self._loop.calls if self._loop is not None else []

    @property
    def warnings(self) -> list[str]:
        """One line per skipped stream record (malformed or unknown events)."""
        with self._lock:
            return self._warnings.lines()

    @property
    def text(self) -> str:
        """The answer so far: the text blocks only (thinking is in ``.thinking``)."""
        with self._lock:
            return self._content.joined("text")

    @property
    def thinking(self) -> str:
        """The model's reasoning (thinking blocks), kept out of ``.text``."""
        with self._lock:
            return self._content.joined("thinking")

    @property
    def parsed(self) -> Any:
        """The reply as structured data, for a JSON ``response_format``: the validated instance
        of the pydantic model given, or the parsed dict for a JSON schema.

        Waits for the reply like ``result()`` (and raises its CohereError). Raises ValueError
        (pydantic's ValidationError is one) when the text does not match, or when the reply
        was not asked for JSON.
        """
        text = self.result()
        if self._format is None:
            raise ValueError(
                "reply.parsed needs response_format=: send(..., response_format=Model) or "
                "Chat(..., response_format=Model)."
            )
        if self._parsed is _UNPARSED:
            self._parsed = self._format.parse(text)
        return self._parsed

    @property
    def tool_plan(self) -> str:
        with self._lock:
            return "".join(self._content.tool_plan.parts)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """Tool calls as they arrive, in Cohere's shape (``arguments``: the JSON string)."""
        with self._lock:
            return [call.as_cohere() for _, call in sorted(self._content.tool_calls.items())]

    @property
    def citations(self) -> list[Citation]:
        """The citations so far: ``start``/``end`` (Python characters: for a text citation
        ``reply.text[start:end] == text``; thinking ones index ``reply.thinking``), ``text``,
        ``type``, ``content_index`` (the content block) and ``sources`` (documents with their
        data, or tool results with their output)."""
        with self._lock:
            blocks = [
                (index, block.kind, "".join(block.parts))
                for index, block in sorted(self._content.blocks.items())
            ]
            return place_citations(self._content.citations, blocks, self._history_calls)

    @property
    def retrieved(self) -> list[dict[str, Any]]:
        """With ``Chat(corpus=...)``: the chunks this turn sent as documents, best first, each
        ``{"id", "score" (rerank relevance), "origin" ({"kind": "row", "row": label} or
        {"kind": "file", "file": path, "chunk": n}, ...), "document" (its data)}``. Empty
        until retrieval is done, and without a corpus."""
        retrieved = self._retrieved
        return [] if retrieved is None else retrieved.for_reply()

    @property
    def message(self) -> dict[str, Any]:
        """The assistant message in Cohere v2 shape, ready for ``messages=``.

        ``content`` is a string when there is only text, else a list of thinking and text
        blocks; it is left out when the reply is only tool calls. ``tool_plan``, ``tool_calls``
        and ``citations`` appear when present. Tool calls cut off mid-arguments (a stopped or
        broken stream) are left out, so the message stays valid for the API.
        """
        with self._lock:
            return self._content.message(self._ended, self._max_arguments)

    def __repr__(self) -> str:
        text = self.text
        if len(text) > _REPR_TEXT_CHARS:
            text = text[:_REPR_TEXT_CHARS] + "…"
        return f"Reply(status={self.status!r}, text={text!r})"


def _context_of(usage: dict[str, Any] | None) -> int | None:
    """The tokens the last model call put in the context: its input (as Cohere counted it,
    template included) and its output, which the next request carries as history."""
    tokens = usage.get("tokens") if isinstance(usage, dict) else None
    if not isinstance(tokens, dict):
        return None
    counts = [tokens.get("input_tokens"), tokens.get("output_tokens")]
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in counts):
        return None
    return int(sum(counts))  # type: ignore[arg-type]
