"""A turn with Python tools: the :class:`~co_widget._tool_loop.ToolLoop` wired to a reply.

The reply lifecycle hands a turn with tools to :meth:`ToolTurn.run` instead of streaming one
model call. Each model call streams into the same :class:`Reply` (so ``reply.text`` is the final
answer and Stop reaches every phase); an assistant turn with tool calls is archived by the loop,
and the reply starts afresh for the next call.

The views follow the calls as cards: a ``tool`` message carries one call's card (see
``_protocol.ToolCard``) each time it changes: when its arguments start streaming, as they grow
(at most every ``ARGUMENT_PACE`` seconds per call), when it waits for approval, runs, and ends.
A snapshot carries all cards, so a view that opens mid-loop shows them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from ._boundary import MAX_TOOL_RESULT, preview
from ._errors import CohereError
from ._events import Event, ToolCallDelta, ToolCallEnd, ToolCallStart
from ._parts import step_record, with_record
from ._reply import Reply
from ._tool_loop import Approve, StepOutcome, ToolCallRecord, ToolLoop
from ._tool_schema import ToolSet

__all__ = ["ARGUMENT_PACE", "PREVIEW_CHARS", "TOOL_EVENTS", "ToolTurn"]

ARGUMENT_PACE = 0.1  # seconds between two cards of a call whose arguments stream
PREVIEW_CHARS = 600  # a card shows this much of a result; the history keeps all of it
TOOL_EVENTS = (ToolCallStart, ToolCallDelta, ToolCallEnd)

StreamBody = Callable[[Any, dict[str, Any], Callable[[Event], None]], CohereError | None]


class ToolTurn:
    """One turn's tool loop, its cards, and the glue to the reply lifecycle."""

    def __init__(
        self,
        tools: ToolSet,
        approve: Approve,
        max_steps: int,
        reply: Reply,
        send_card: Callable[[dict[str, Any]], None],
        max_result: int = MAX_TOOL_RESULT,
    ) -> None:
        self._send_card = send_card
        self._ask = approve is True
        self._max_steps = max_steps
        self._lock = threading.Lock()
        self._cards: dict[str, dict[str, Any]] = {}  # by call id, in order of arrival
        self._streaming: dict[int, dict[str, Any]] = {}  # by stream index: calls being written
        # An archived step leaves the reply: it starts afresh for the next model call.
        self.loop = ToolLoop(
            tools,
            approve,
            max_steps,
            on_update=self._on_record,
            on_archive=lambda message: reply._next_step(),
            max_result=max_result,
            on_warning=reply._note,
        )
        reply._loop = self.loop  # reply.calls, and Stop reaches the loop

    def run(self, turn: Any, stream_body: StreamBody) -> CohereError | None:
        """Run the loop for ``turn`` (in its worker thread); return the error that ended it."""
        reply = turn.reply
        messages = turn.body["messages"]
        system = messages[:1] if messages and messages[0].get("role") == "system" else []
        error: CohereError | None = None
        body = turn.body

        def step(history: list[dict[str, Any]]) -> StepOutcome:
            nonlocal error, body
            with self._lock:
                self._streaming.clear()  # stream indices restart with each model call
            reply._set_history(history)  # the tool results a citation of this answer may name
            error = stream_body(turn, {**body, "messages": [*system, *history]}, self.on_event)
            # tool_choice="REQUIRED" forces tool calls in the first call only, so that the loop
            # can end with an answer; "NONE" stays on every call.
            if body.get("tool_choice") == "REQUIRED":
                body = {key: value for key, value in body.items() if key != "tool_choice"}
            ok = error is None and reply.error is None and reply.finish_reason is not None
            return StepOutcome(reply.message, reply.finish_reason, ok)

        end = self.loop.run(messages[len(system) :], step)
        if end.capped:
            reply._note(
                f"Stopped after max_steps={self._max_steps} model calls while the model was "
                "still calling tools. Send another message to go on, or raise max_steps."
            )
        return error

    def transcript(self) -> list[dict[str, Any]]:
        """The turn's tool steps for the history, each marked as the widget's (``_co``), so
        ``regenerate()`` drops them with the reply. An assistant step keeps its calls' cards in
        ``_co.calls``: the committed message shows them, in a saved notebook too."""
        cards = {record.id: self._card(record) for record in self.loop.calls}
        steps = []
        for message in self.loop.transcript():
            calls: list[Any] | None = None
            if message["role"] == "assistant":
                calls = [cards[call["id"]] for call in message["tool_calls"]]
            steps.append(with_record(message, step_record(calls)))
        return steps

    def cards(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._cards.values())

    # --- cards ------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        """A tool-call stream event: the card shows the call while its arguments stream."""
        if not isinstance(event, TOOL_EVENTS):
            return
        now = time.monotonic()
        with self._lock:
            call: dict[str, Any] | None
            if isinstance(event, ToolCallStart):
                call = {"id": event.id or "", "name": event.name, "parts": [event.arguments]}
                self._streaming[event.index] = {**call, "sent": now}
            else:
                call = self._streaming.get(event.index)
                if call is None:
                    return
                if isinstance(event, ToolCallDelta):
                    call["parts"].append(event.arguments)
                    if now - call["sent"] < ARGUMENT_PACE:
                        return
                call["sent"] = now
            card = {
                "id": call["id"],
                "name": call["name"],
                # A bounded preview: a 6 MB argument must not cost the views 6 MB per card.
                "arguments": preview("".join(call["parts"])),
                "status": "streaming",
            }
        self._publish(card)

    def _on_record(self, record: ToolCallRecord) -> None:
        self._publish(self._card(record))

    def _card(self, record: ToolCallRecord) -> dict[str, Any]:
        card = record.to_json()
        card["result"] = _preview(card["result"])
        card["ask"] = self._ask and record.status == "waiting"
        return card

    def _publish(self, card: dict[str, Any]) -> None:
        with self._lock:
            known = self._cards.get(card["id"])
            if (
                known is not None
                and known["status"] != "streaming"
                and card["status"] == ("streaming")
            ):
                return  # a late stream card never overwrites the call's real state
            self._cards[card["id"]] = card
        self._send_card(card)


def _preview(content: list[dict[str, Any]] | None) -> str | None:
    """A short text of a tool's result for its card."""
    if content is None:
        return None
    pieces = [
        block["text"]
        if block["type"] == "text"
        else json.dumps(block["document"]["data"], ensure_ascii=False)
        for block in content
    ]
    text = "\n".join(pieces)
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"
