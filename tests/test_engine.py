"""The engine (co_widget/turn/engine.py) on its own, against FakeCohere: one turn's model call, tool
calls and next model call come out of one generator as typed events, in order, and the turn
state it writes is what the Reply shows."""

from __future__ import annotations

from co_widget.request.params import build_chat_body
from co_widget.request.tool_schema import build_toolset
from co_widget.testing import Error, text_events
from co_widget.turn.engine import Ended, Engine, PartAppended, PartPatched, StepArchived
from co_widget.turn.state import TurnState
from co_widget.turn.tool_turn import ToolTurn
from co_widget.wire.client import CohereClient

MESSAGES = [{"role": "user", "content": "What is 2 + 3?"}]


def add(a: int, b: int) -> int:
    """a + b."""
    return a + b


def engine_for(fake, tools=None, **options) -> tuple[Engine, TurnState]:
    client = CohereClient(base_url=fake.url, api_key="k")
    state = TurnState()
    tool_turn = None
    if tools is not None:
        tool_turn = ToolTurn(build_toolset(tools), False, 10, state.note, **options)
    body = build_chat_body("command-a-03-2025", MESSAGES, None, {})
    if tools is not None:
        body["tools"] = build_toolset(tools).specs
    return Engine(client, state, body, tool_turn), state


def test_a_plain_turn_is_appended_parts_then_the_end(fake):
    fake.add("Five.")
    engine, state = engine_for(fake)
    events = list(engine.events())
    assert events[-1] == Ended(None)
    appended = [event for event in events if type(event) is PartAppended]
    assert appended and len(appended) == len(events) - 1
    assert "".join(event.piece for event in appended if event.kind == "text") == "Five."
    state.settle(None)
    assert state.status == "complete" and state.text == "Five."


def test_a_tool_turn_is_one_generator_model_call_calls_model_call(fake):
    fake.add(
        text_events(
            tool_plan="I will add.", tool_calls=[{"name": "add", "arguments": '{"a": 2, "b": 3}'}]
        ),
        "It is 5.",
    )
    engine, state = engine_for(fake, tools=[add])
    events = list(engine.events())
    kinds = [type(event).__name__ for event in events]
    archived = kinds.index("StepArchived")
    # The plan streams and the call's card follows its arguments, before the step is archived;
    # then the call's cards (running, done), then the answer streams, then the end.
    assert "PartAppended" in kinds[:archived] and "PartPatched" in kinds[:archived]
    cards = [event.card for event in events[archived:] if type(event) is PartPatched]
    assert [card["status"] for card in cards][-1] == "done"
    assert cards[-1]["result"] == "5"
    step = events[archived]
    assert type(step) is StepArchived and step.message["tool_calls"][0]["function"]["name"] == "add"
    answer = [e.piece for e in events[archived:] if type(e) is PartAppended and e.kind == "text"]
    assert "".join(answer) == "It is 5."
    assert events[-1] == Ended(None)
    state.settle(None)
    assert state.text == "It is 5." and [call.result for call in state.calls] == [5]
    # The second model call carried the tool's result.
    assert fake.requests[-1].json["messages"][-1]["role"] == "tool"


def test_the_engine_ends_with_the_error_of_a_failed_call(fake):
    fake.add(Error(400, "bad request"))
    engine, _ = engine_for(fake)
    events = list(engine.events())
    assert type(events[-1]) is Ended and "bad request" in str(events[-1].error)
    assert events[:-1] == []
