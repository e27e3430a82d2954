"""Tool call ids stay unique across a conversation: Cohere (and a strict FakeCohere) answer 400
"cannot have duplicate tool ids" to a history that repeats one. ``text_events`` makes a fresh id
for each call it is not given one for, and demo 04's scripted model numbers its ids by turn, so
asking its question twice works."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from co_widget import Chat
from co_widget.testing import FakeCohere, text_events, tool_results

DEMO_04 = Path(__file__).resolve().parent.parent / "notebooks" / "04_tools.ipynb"
SLOW = 30.0  # "it did not hang": never a timing assertion


def ids_of(events: list[dict]) -> list[str]:
    return [
        event["delta"]["message"]["tool_calls"]["id"]
        for event in events
        if event["type"] == "tool-call-start"
    ]


def test_text_events_makes_a_fresh_id_for_every_call():
    calls = [{"name": "get_weather", "arguments": {"city": city}} for city in ("Paris", "Tokyo")]
    ids = [call_id for _ in range(50) for call_id in ids_of(text_events(tool_calls=calls))]
    assert len(ids) == 100
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"get_weather_[0-9a-f]{12}", call_id) for call_id in ids)
    # An id given is kept as it is.
    given = text_events(tool_calls=[{"id": "mine", "name": "f", "arguments": {}}])
    assert ids_of(given) == ["mine"]


def test_a_scripted_model_without_ids_can_be_asked_again():
    def get_weather(city: str) -> str:
        """The weather."""
        return f"sunny in {city}"

    def model(request: dict) -> object:
        results = tool_results(request)
        if not results:
            return text_events(tool_calls=[{"name": "get_weather", "arguments": {"city": "Oslo"}}])
        return results[0]["text"]

    with FakeCohere(responder=model, strict=True) as fake:
        chat = Chat(base_url=fake.url, api_key="k", tools=[get_weather])
        assert chat.ask("Weather?", timeout=SLOW) == chat.ask("Weather?", timeout=SLOW)
        ids = [call["id"] for m in chat.history for call in m.get("tool_calls", [])]
        assert len(ids) == 2 and len(set(ids)) == 2


def demo_04_setup() -> dict:
    """Run demo 04's code up to its scripted model and the chat (read, never changed)."""
    namespace: dict = {}
    notebook = nbformat.read(DEMO_04, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(DEMO_04), "exec"), namespace)
        if "chat" in namespace:
            return namespace
    pytest.fail("demo 04 no longer makes `chat` the way this test expects")


def test_demo_04s_question_asked_twice():
    demo = demo_04_setup()
    chat, fake = demo["chat"], demo["fake"]
    try:
        question = "Is it warmer in Paris or Tokyo?"
        first = chat.ask(question, timeout=SLOW)
        second = chat.ask(question, timeout=SLOW)  # was: Error 400, duplicate tool ids
        assert first == second
        assert "'city': 'Paris'" in first and "'city': 'Tokyo'" in first
        ids = [call["id"] for m in chat.history for call in m.get("tool_calls", [])]
        assert len(ids) == 4 and len(set(ids)) == 4
        # A question the script does not know is answered, not a server error.
        assert chat.ask("Hello?", timeout=SLOW).startswith("I am a script: ask me one of")
    finally:
        fake.close()
