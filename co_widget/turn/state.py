"""The state of one turn while it runs: what the stream and the tool loop have produced so far.

The engine (``turn/engine``) is the only writer: it feeds the stream's events
(:meth:`TurnState.feed`), starts each next model call of a tool loop (:meth:`next_step`), and the
runner settles it once (:meth:`settle`) and reads its ``_co`` record (:meth:`metadata`). The
:class:`~co_widget.Reply` the user holds reads it through its properties (read-only views, under
one small lock), and asks it to stop (:meth:`cancel`). The chat sets what the record prices and
shows (``model``, ``prices``, ``logprobs_track``, ``format``, ``max_arguments``) before the turn
starts; retrieval sets ``retrieval``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..request.boundary import MAX_TOOL_RESULT, model_usage
from ..request.pricing import cost_of
from ..request.structured import ResponseFormat
from ..wire.errors import CohereError, GenerationError
from ..wire.events import ContentDelta, Event, MessageEnd
from ..wire.json_values import repair_surrogates
from .citations import Citation, cited_tools, place_citations, tool_calls_of
from .logprobs import LogprobTrack, TokenLogprob
from .parts import CoRecord, NoticePart, PlacedSpan, reply_record
from .reply_content import ReplyContent, Warnings, repaired
from .usage import add_usage

__all__ = ["TurnState"]

# In-band failures: the stream itself ends cleanly, but the generation did not.
_FAILED_FINISH_REASONS = ("ERROR", "TIMEOUT")


class TurnState:
    """One turn's output and status so far (see the module docstring)."""

    def __init__(self, response_format: ResponseFormat | None = None) -> None:
        self.format = response_format
        self._lock = threading.Lock()
        self._warnings = Warnings()
        self._notices: list[NoticePart] = []  # notes for the reader (_co.notices)
        self._call_ids: set[str] = set()  # tool call ids of every step: each unique
        self.content = ReplyContent(self._warnings, self._call_ids)  # the current model call
        self.max_arguments = MAX_TOOL_RESULT  # the chat's max_tool_result
        self.history_calls: dict[str, dict[str, Any]] = {}  # tool calls a citation may cite
        self._finish_reason: str | None = None
        self._usage: dict[str, Any] | None = None
        self._error: CohereError | None = None
        self._ended = False  # message-end seen: the API finished the reply on its own
        self._status = "streaming"
        self._cancel_requested = False
        self.stream: Any = None  # the ChatStream, once the worker has it
        # With Python tools: the turn's ToolLoop (its calls), and the usage of earlier model calls.
        self.loop: Any = None
        self._usage_before: dict[str, Any] | None = None
        self._plan_break = False  # the next plan text shown starts a new line (a later step)
        # Set by the chat that starts the reply: what ``cost`` prices, with the chat's own
        # price table; and, for ``send(..., logprobs=True)``, the logprobs of the text.
        self.model: str | None = None
        self.prices: dict[str, Any] | None = None
        self.logprobs_track: LogprobTrack | None = None
        self.retrieval: Any = None  # the turn's Retrieval, with Chat(corpus=...)

    # --- the engine's side ------------------------------------------------------------------

    def attach(self, stream: Any) -> None:
        """Give the reply its stream, so cancel() can close it (at once if already asked)."""
        with self._lock:
            self.stream = stream
            cancel = self._cancel_requested
        if cancel:
            stream.cancel()

    def set_history(self, messages: list[dict[str, Any]]) -> None:
        """The history the reply answers: its tool calls name the tool results cited."""
        self.history_calls = tool_calls_of(messages)

    def feed(self, event: Event) -> tuple[str, Any] | None:
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
                self.logprobs_track is not None
                and type(event) is ContentDelta
                and event.kind == "text"
                and not self.logprobs_track.add(event.text, event.logprobs)
            ):
                self._warnings.once("Skipped malformed logprobs.")
            piece = self.content.feed(event)
            if piece is not None and piece[0] == "tool_plan" and self._plan_break:
                # A later step's plan starts on its own line in the live bubble.
                self._plan_break = False
                piece = ("tool_plan", "\n" + piece[1])
            return piece

    def placed_citation(self) -> PlacedSpan:
        """The citation that arrived last, placed on the text so far: the view highlights its
        span with these offsets as they are."""
        with self._lock:
            return self.content.placed(len(self.content.citations) - 1)

    def settle(self, error: CohereError | None, *, force: bool = False) -> None:
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
            self.content.close()
            if not self._ended and self._cancel_requested:
                # The user asked for it; a socket error from the cancelled stream is no fault.
                self._status = "stopped"
                return
            if error is not None and self._error is None:
                self._error = error
            if self._error is None:
                self._status = "complete"
            else:
                self._status = "interrupted" if self.content.has_output() else "error"

    def next_step(self) -> None:
        """Start the next model call of a tool loop: the last one's message is archived by the
        loop, so the reply forgets it (its usage is kept in the totals)."""
        with self._lock:
            self._usage_before = add_usage(self._usage_before, self._usage)
            self._plan_break = self._plan_break or bool(self.content.tool_plan.parts)
            self.content = ReplyContent(self._warnings, self._call_ids)
            if self.logprobs_track is not None:  # reply.text is the last call's: so are these
                self.logprobs_track = LogprobTrack()
            self._finish_reason = self._usage = self.stream = None
            self._ended = False

    def note(self, text: str) -> None:
        """A warning from outside the stream (a shrunk image, the tool loop's step cap), from
        any thread."""
        with self._lock:
            self._warnings.add(text)

    def notice(self, text: str) -> None:
        """A note for the reader that is no problem (the corpus had nothing to search): the
        bubble shows it, and the turn keeps it in ``_co.notices`` (any thread)."""
        with self._lock:
            self._notices.append(NoticePart(kind="notice", level="info", text=text))

    def metadata(self) -> CoRecord:
        """The turn's ``_co`` record in the chat's ``messages`` (plain JSON, no secrets)."""
        extra: dict[str, Any] = {}
        with self._lock:
            usage = add_usage(self._usage_before, self._usage)
            # What the footer and the header gauges show (see ``request/pricing``).
            if self.model is not None:
                extra["model"] = self.model
                extra["cost"] = cost_of(usage, self.model, self.prices)
            context = _context_of(self._usage)
            if context is not None:
                extra["context"] = context
            if self.logprobs_track is not None:
                extra["logprobs"] = self.logprobs_track.compact()
            tools = cited_tools(self.content.citations, self.history_calls)
            status, finish_reason, error = self._status, self._finish_reason, self._error
            warnings = self._warnings.lines()
            if self._notices:
                extra["notices"] = list(self._notices)
        if tools:  # so the bubble names the tool of a cited result without the history
            extra["tools"] = tools
        if self.format is not None and self.format.is_json:
            extra["format"] = "json"  # the views show the text as highlighted JSON
        if self.retrieval is not None:  # the bubble's chip: "8 of 4,310 rows retrieved"
            extra["retrieved"] = self.retrieval.metadata()
        return reply_record(
            status=status,
            finish_reason=finish_reason,
            usage=usage,
            error=error.to_dict() if error else None,
            warnings=warnings,
            **extra,
        )

    def cancel(self) -> None:
        """Stop the stream and the tool loop (thread-safe, idempotent, returns at once)."""
        with self._lock:
            self._cancel_requested = True
            stream = self.stream
        if stream is not None:
            stream.cancel()
        if self.loop is not None:
            self.loop.stop()

    # --- read-only views (the Reply's properties) -----------------------------------------

    @property
    def status(self) -> str:
        """ "streaming", "complete", "stopped", "interrupted" or "error"."""
        with self._lock:
            return self._status

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
        return cost_of(usage, self.model, self.prices)

    @property
    def logprobs(self) -> list[TokenLogprob] | None:
        """With ``send(..., logprobs=True)``: one record per streamed chunk of ``text``:
        ``token``, ``logprob`` (natural log; ``probability`` is its exp), ``start``/``end`` in
        ``reply.text``, ``token_ids``. None when not asked for."""
        with self._lock:
            return None if self.logprobs_track is None else list(self.logprobs_track.tokens)

    @property
    def calls(self) -> list[Any]:
        """The Python tool calls this reply ran, in order (snapshots, see ``ToolCallRecord``):
        ``id``, ``name``, ``arguments``, ``status`` ("waiting", "running", "done", "error",
        "denied", "stopped"), ``result``, ``error``, ``duration`` and ``step``. Empty without
        Python tools."""
        return self.loop.calls if self.loop is not None else []

    @property
    def warnings(self) -> list[str]:
        """One line per skipped stream record (malformed or unknown events)."""
        with self._lock:
            return self._warnings.lines()

    @property
    def text(self) -> str:
        """The answer so far: the text blocks only (thinking is in ``.thinking``)."""
        with self._lock:
            return self.content.joined("text")

    @property
    def thinking(self) -> str:
        """The model's reasoning (thinking blocks), kept out of ``.text``."""
        with self._lock:
            return self.content.joined("thinking")

    @property
    def tool_plan(self) -> str:
        with self._lock:
            return "".join(self.content.tool_plan.parts)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """Tool calls as they arrive, in Cohere's shape (``arguments``: the JSON string)."""
        with self._lock:
            return [call.as_cohere() for _, call in sorted(self.content.tool_calls.items())]

    @property
    def citations(self) -> list[Citation]:
        """The citations so far: ``start``/``end`` (Python characters: for a text citation
        ``reply.text[start:end] == text``; thinking ones index ``reply.thinking``), ``text``,
        ``type``, ``content_index`` (the content block) and ``sources`` (documents with their
        data, or tool results with their output)."""
        with self._lock:
            blocks = [
                (index, block.kind, "".join(block.parts))
                for index, block in sorted(self.content.blocks.items())
            ]
            return place_citations(self.content.citations, blocks, self.history_calls)

    @property
    def retrieved(self) -> list[dict[str, Any]]:
        """With ``Chat(corpus=...)``: the chunks this turn sent as documents, best first, each
        ``{"id", "score" (rerank relevance), "origin" ({"kind": "row", "row": label} or
        {"kind": "file", "file": path, "chunk": n}, ...), "document" (its data)}``. Empty
        until retrieval is done, and without a corpus."""
        retrieval = self.retrieval
        return [] if retrieval is None else retrieval.for_reply()

    @property
    def message(self) -> dict[str, Any]:
        """The assistant message in Cohere v2 shape, ready for ``messages=``.

        ``content`` is a string when there is only text, else a list of thinking and text
        blocks; it is left out when the reply is only tool calls. ``tool_plan``, ``tool_calls``
        and ``citations`` appear when present. Tool calls cut off mid-arguments (a stopped or
        broken stream) are left out, so the message stays valid for the API.
        """
        with self._lock:
            return self.content.message(self._ended, self.max_arguments)


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
