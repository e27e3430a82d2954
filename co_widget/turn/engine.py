"""The engine of one turn: model call, tool calls, next model call, as one generator of events.

:meth:`Engine.events` is the whole turn, run in the chat's worker thread: the step that runs
before the first model call (retrieval), each model call streaming into the turn's
:class:`~co_widget.turn.state.TurnState`, and with Python tools the calls the model asked for
and the next model call, until the answer, a Stop, a failure or ``max_steps``. It owns the loop;
the runner (``session/runner``) only consumes what it yields:

* :class:`PartAppended`: a streamed piece of a part (``kind`` "text", "thinking" or "tool_plan"
  with its text, "citations" with one citation object, then "spans" with that citation placed
  on the text: ``_parts.PlacedSpan``): the coalescer's input;
* :class:`PartPatched`: a tool call's card changed (its arguments streamed, it waits for
  approval, runs, ends);
* :class:`StepArchived`: a model call that asked for tools is done; its message joined the
  turn's steps, and the state starts afresh for the next call;
* :class:`Ended`: the last event, with the error that ended the turn (None when it did not fail).

Tool calls run in threads of their own (``turn/tool_loop``); what happens to them comes back through
the tool turn's queue, which the engine drains while it waits, so every event reaches the runner
from this one generator. Nothing here calls back into the Reply: it is the user's handle, and
reads the state.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Generator, Iterator
from typing import Any, NamedTuple

from ..wire.client import CohereClient
from ..wire.errors import CohereError
from .state import TurnState
from .tool_loop import StepOutcome, ToolCallRecord
from .tool_turn import ToolTurn

__all__ = ["Ended", "Engine", "PartAppended", "PartPatched", "StepArchived", "TurnEvent"]

# How long the engine waits for news of running tool calls before it looks again (a safety net:
# every change of a call, its end and a Stop all wake it at once).
_CALLS_POLL = 0.5


class PartAppended(NamedTuple):
    kind: str  # "text", "thinking", "tool_plan", "citations" or "spans"
    piece: Any  # the text appended, one citation object, or its placed span


class PartPatched(NamedTuple):
    card: dict[str, Any]  # a tool call's card (``_protocol.ToolCard``)


class StepArchived(NamedTuple):
    message: dict[str, Any]  # the assistant message of a model call that asked for tools


class Ended(NamedTuple):
    error: CohereError | None


TurnEvent = PartAppended | PartPatched | StepArchived | Ended
# The state's ``(kind, piece)`` as the event, without unpacking it again (once per delta).
_appended = tuple.__new__
Step = Generator[TurnEvent, None, CohereError | None]


class Engine:
    """One turn's loop (see the module docstring). ``prepare()`` runs before the first model
    call and may change ``body`` (retrieval adds documents); ``tools``: the turn's tool calls,
    when the chat has Python tools."""

    def __init__(
        self,
        client: CohereClient,
        state: TurnState,
        body: dict[str, Any],
        tools: ToolTurn | None = None,
        prepare: Callable[[], CohereError | None] | None = None,
    ) -> None:
        self.client = client
        self.state = state
        self.body = body
        self.tools = tools
        self.prepare = prepare
        if tools is not None:
            state.loop = tools.loop  # reply.calls reads it, and Stop reaches it

    def events(self) -> Iterator[TurnEvent]:
        error = self.prepare() if self.prepare is not None else None
        if error is None:
            if self.tools is None:
                error = yield from self._model_call(self.body)
            else:
                error = yield from self._tool_steps(self.tools)
        yield Ended(error)

    def _model_call(self, body: dict[str, Any]) -> Step:
        """Stream one model call into the state; return the error that ended it (errors belong
        to the turn, where the user sees them, not to a thread)."""
        tools = self.tools
        try:
            stream = self.client.chat_stream(body)
            self.state.attach(stream)
            feed = self.state.feed
            for event in stream:
                piece = feed(event)
                if piece is not None:
                    yield _appended(PartAppended, piece)
                    if piece[0] == "citations":  # placed once, here, for the view
                        yield PartAppended("spans", self.state.placed_citation())
                if tools is not None:
                    card = tools.stream_card(event)  # the card follows the streaming call
                    if card is not None:
                        yield PartPatched(card)
        except CohereError as error:
            return error
        return None

    def _tool_steps(self, tools: ToolTurn) -> Step:
        state, loop = self.state, tools.loop
        body = self.body
        messages = body["messages"]
        system = messages[:1] if messages and messages[0].get("role") == "system" else []
        asked = messages[len(system) :]
        error: CohereError | None = None
        for step in range(tools.max_steps):
            history = [*asked, *loop.transcript()]
            tools.new_model_call()
            state.set_history(history)  # the tool results a citation of this answer may name
            error = yield from self._model_call({**body, "messages": [*system, *history]})
            # tool_choice="REQUIRED" forces tool calls in the first call only, so that the loop
            # can end with an answer; "NONE" stays on every call.
            if body.get("tool_choice") == "REQUIRED":
                body = {key: value for key, value in body.items() if key != "tool_choice"}
            ok = error is None and state.error is None and state.finish_reason is not None
            message = state.message
            end, records = loop.after_step(StepOutcome(message, state.finish_reason, ok), step)
            if records:  # archived: the state starts afresh for the next model call
                state.next_step()
                yield StepArchived(message)
            yield from self._cards(tools)
            if end is not None:
                return error
            yield from self._run_calls(tools, records)
            if loop.stopping:
                return error
        state.note(
            f"Stopped after max_steps={tools.max_steps} model calls while the model was "
            "still calling tools. Send another message to go on, or raise max_steps."
        )
        return error

    def _run_calls(self, tools: ToolTurn, records: list[ToolCallRecord]) -> Iterator[TurnEvent]:
        """Run one step's calls; their cards are yielded as they change, until all ended or
        Stop."""
        futures = tools.loop.start_calls(records)
        for future in futures:
            future.add_done_callback(lambda _: tools.updates.put(None))
        while not (tools.loop.stopping or all(future.done() for future in futures)):
            try:
                record = tools.updates.get(timeout=_CALLS_POLL)
            except queue.Empty:
                continue
            if record is not None:
                card = tools.record_card(record)
                if card is not None:
                    yield PartPatched(card)
        yield from self._cards(tools)

    def _cards(self, tools: ToolTurn) -> Iterator[TurnEvent]:
        """The cards of the changes waiting in the queue."""
        while True:
            try:
                record = tools.updates.get_nowait()
            except queue.Empty:
                return
            card = None if record is None else tools.record_card(record)
            if card is not None:
                yield PartPatched(card)
