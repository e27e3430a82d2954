"""One streamed reply: the handle ``Chat.send`` returns, built up from the stream's events.

A ``Reply`` is the user's handle on one turn: it waits, returns the result, stops the turn, and
shows read-only views of it. It holds no loop state: the turn's :class:`~co_widget.turn.state.
TurnState` does, written only by the engine (``turn/engine``) in the chat's worker thread; the
runner releases the reply (:meth:`Reply._release`) once the chat has committed the turn, so a caller
woken by ``wait()`` already sees the turn in ``chat.history``. Readers, and ``cancel()``, work
from any thread.

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

from ..request.structured import ResponseFormat
from ..wire.errors import ApprovalBlockedError, CohereError
from .citations import Citation
from .logprobs import TokenLogprob
from .state import TurnState

__all__ = ["Reply"]

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
        self._state = TurnState(response_format)  # the turn's output, written by its engine
        self._parsed: Any = _UNPARSED
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()
        # A running future cannot be cancelled: cancelling a task that awaits the reply must not
        # cancel the reply's own completion (``__await__`` stops the stream explicitly instead).
        self._done.set_running_or_notify_cancel()

    def _release(self) -> None:
        """Wake everyone waiting for the reply (the runner, after the chat committed the turn)."""
        self._done.set_result(None)

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
        loop = self._state.loop
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
        error = self._state.error
        if error is not None:
            raise error
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
        if not self._done.done():
            self._state.cancel()

    # --- read-only views ------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._done.done()

    @property
    def stopped(self) -> bool:
        """True if the user stopped the reply (it keeps what arrived; no error)."""
        return self.status == "stopped"

    @property
    def status(self) -> str:
        """ "streaming", "complete", "stopped", "interrupted" or "error"."""
        return self._state.status

    @property
    def error(self) -> CohereError | None:
        """What went wrong (None for a complete or stopped reply)."""
        return self._state.error

    @property
    def finish_reason(self) -> str | None:
        """Cohere's finish_reason (COMPLETE, MAX_TOKENS, TOOL_CALL, ...); None until the end,
        and for a stopped or broken stream."""
        return self._state.finish_reason

    @property
    def usage(self) -> dict[str, Any] | None:
        """Cohere's usage record (billed_units, tokens, ...), once the stream ended; with
        Python tools, the sum over the reply's model calls."""
        return self._state.usage

    @property
    def cost(self) -> float | None:
        """What the reply cost in US dollars (its billed tokens, with the tool loop's model
        calls, at ``co_widget.prices`` or the chat's ``prices=``); None until its usage is
        known, or when no price is known for its model."""
        return self._state.cost

    @property
    def logprobs(self) -> list[TokenLogprob] | None:
        """With ``send(..., logprobs=True)``: one record per streamed chunk of ``text``:
        ``token``, ``logprob`` (natural log; ``probability`` is its exp), ``start``/``end`` in
        ``reply.text``, ``token_ids``. None when not asked for."""
        return self._state.logprobs

    @property
    def calls(self) -> list[Any]:
        """The Python tool calls this reply ran, in order (snapshots, see ``ToolCallRecord``):
        ``id``, ``name``, ``arguments``, ``status`` ("waiting", "running", "done", "error",
        "denied", "stopped"), ``result``, ``error``, ``duration`` and ``step``. Empty without
        Python tools."""
        return self._state.calls

    @property
    def warnings(self) -> list[str]:
        """One line per skipped stream record (malformed or unknown events)."""
        return self._state.warnings

    @property
    def text(self) -> str:
        """The answer so far: the text blocks only (thinking is in ``.thinking``)."""
        return self._state.text

    @property
    def thinking(self) -> str:
        """The model's reasoning (thinking blocks), kept out of ``.text``."""
        return self._state.thinking

    @property
    def tool_plan(self) -> str:
        """The model's plan before its tool calls."""
        return self._state.tool_plan

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """Tool calls as they arrive, in Cohere's shape (``arguments``: the JSON string)."""
        return self._state.tool_calls

    @property
    def citations(self) -> list[Citation]:
        """The citations so far: ``start``/``end`` (Python characters: for a text citation
        ``reply.text[start:end] == text``; thinking ones index ``reply.thinking``), ``text``,
        ``type``, ``content_index`` (the content block) and ``sources`` (documents with their
        data, or tool results with their output)."""
        return self._state.citations

    @property
    def retrieved(self) -> list[dict[str, Any]]:
        """With ``Chat(corpus=...)``: the chunks this turn sent as documents, best first, each
        ``{"id", "score" (rerank relevance), "origin" ({"kind": "row", "row": label} or
        {"kind": "file", "file": path, "chunk": n}, ...), "document" (its data)}``. Empty
        until retrieval is done, and without a corpus."""
        return self._state.retrieved

    @property
    def message(self) -> dict[str, Any]:
        """The assistant message in Cohere v2 shape, ready for ``messages=``.

        ``content`` is a string when there is only text, else a list of thinking and text
        blocks; it is left out when the reply is only tool calls. ``tool_plan``, ``tool_calls``
        and ``citations`` appear when present. Tool calls cut off mid-arguments (a stopped or
        broken stream) are left out, so the message stays valid for the API."""
        return self._state.message

    @property
    def parsed(self) -> Any:
        """The reply as structured data, for a JSON ``response_format``: the validated instance
        of the pydantic model given, or the parsed dict for a JSON schema.

        Waits for the reply like ``result()`` (and raises its CohereError). Raises ValueError
        (pydantic's ValidationError is one) when the text does not match, or when the reply
        was not asked for JSON.
        """
        text = self.result()
        if self._state.format is None:
            raise ValueError(
                "reply.parsed needs response_format=: send(..., response_format=Model) or "
                "Chat(..., response_format=Model)."
            )
        if self._parsed is _UNPARSED:
            self._parsed = self._state.format.parse(text)
        return self._parsed

    def __repr__(self) -> str:
        text = self.text
        if len(text) > _REPR_TEXT_CHARS:
            text = text[:_REPR_TEXT_CHARS] + "…"
        return f"Reply(status={self.status!r}, text={text!r})"
