"""A turn's Python tool calls as the views show them: their cards, and the steps for the history.

:class:`ToolTurn` holds the turn's :class:`~co_widget.turn.tool_loop.ToolLoop` and turns what
happens to a call into its card (see ``_protocol.ToolCard``): when its arguments start streaming,
as they grow (at most every ``ARGUMENT_PACE`` seconds per call), when it waits for approval, runs,
and ends. It sends nothing itself: the engine (``turn/engine``) yields each card as a
``PartPatched`` event and the runner sends it. A snapshot carries all cards, so a view that opens
mid-loop shows them; :meth:`ToolTurn.transcript` gives the archived steps, with their cards, for
the history.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from ..request.boundary import MAX_TOOL_RESULT, preview
from ..request.tool_schema import ToolSet
from ..wire.events import Event, ToolCallDelta, ToolCallEnd, ToolCallStart
from .parts import step_record, with_record
from .tool_loop import Approve, ToolCallRecord, ToolLoop

__all__ = ["ARGUMENT_PACE", "PREVIEW_CHARS", "TOOL_EVENTS", "ToolTurn"]

ARGUMENT_PACE = 0.1  # seconds between two cards of a call whose arguments stream
PREVIEW_CHARS = 600  # a card shows this much of a result; the history keeps all of it
TOOL_EVENTS = (ToolCallStart, ToolCallDelta, ToolCallEnd)


class ToolTurn:
    """One turn's tool loop and its cards."""

    def __init__(
        self,
        tools: ToolSet,
        approve: Approve,
        max_steps: int,
        on_warning: Callable[[str], None],
        max_result: int = MAX_TOOL_RESULT,
    ) -> None:
        self._ask = approve is True
        self.max_steps = max_steps
        self._lock = threading.Lock()
        self._cards: dict[str, dict[str, Any]] = {}  # by call id, in order of arrival
        self._streaming: dict[int, dict[str, Any]] = {}  # by stream index: calls being written
        # A snapshot of a call each time it changes, from any thread (None: only a wake-up);
        # the engine drains it.
        self.updates: queue.SimpleQueue[ToolCallRecord | None] = queue.SimpleQueue()
        self.loop = ToolLoop(
            tools,
            approve,
            max_steps,
            on_update=self.updates.put,
            max_result=max_result,
            on_warning=on_warning,
        )

    def new_model_call(self) -> None:
        with self._lock:
            self._streaming.clear()  # stream indices restart with each model call

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

    def stream_card(self, event: Event) -> dict[str, Any] | None:
        """The card of a call whose arguments stream, when ``event`` changes it enough to show
        (None for other events, and between two paced cards)."""
        if not isinstance(event, TOOL_EVENTS):
            return None
        now = time.monotonic()
        with self._lock:
            call: dict[str, Any] | None
            if isinstance(event, ToolCallStart):
                call = {"id": event.id or "", "name": event.name, "parts": [event.arguments]}
                self._streaming[event.index] = {**call, "sent": now}
            else:
                call = self._streaming.get(event.index)
                if call is None:
                    return None
                if isinstance(event, ToolCallDelta):
                    call["parts"].append(event.arguments)
                    if now - call["sent"] < ARGUMENT_PACE:
                        return None
                call["sent"] = now
            card = {
                "id": call["id"],
                "name": call["name"],
                # A bounded preview: a 6 MB argument must not cost the views 6 MB per card.
                "arguments": preview("".join(call["parts"])),
                "status": "streaming",
            }
        return self.keep(card)

    def record_card(self, record: ToolCallRecord) -> dict[str, Any] | None:
        """The card of a call that changed (a ToolLoop snapshot)."""
        return self.keep(self._card(record))

    def _card(self, record: ToolCallRecord) -> dict[str, Any]:
        card = record.to_json()
        card["result"] = _preview(card["result"])
        card["ask"] = self._ask and record.status == "waiting"
        return card

    def keep(self, card: dict[str, Any]) -> dict[str, Any] | None:
        """Keep ``card`` as its call's current one; None when it is a late stream card, which
        never overwrites the call's real state."""
        with self._lock:
            known = self._cards.get(card["id"])
            if (
                known is not None
                and known["status"] != "streaming"
                and card["status"] == "streaming"
            ):
                return None
            self._cards[card["id"]] = card
        return card


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
