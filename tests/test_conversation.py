"""The conversation: history rules, undo/regenerate/clear, usage, save/load and the transcript."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from co_widget import Chat
from co_widget.request.messages import validate_messages
from co_widget.session.conversation import (
    history_view,
    regenerate_base,
    undo_exchanges,
    usage_totals,
)
from co_widget.testing import Error, Stream, text_events

CAPTURED = Path(__file__).parent / "fixtures" / "captured"
SLOW = 5.0


def co(status: str = "complete") -> dict:
    return {"status": status, "finish_reason": None, "usage": None, "error": None, "warnings": []}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str, **meta) -> dict:
    return {"role": "assistant", "content": text, **({"_co": co(**meta)} if meta else {})}


# --- the rules, as pure functions ------------------------------------------------------------


def test_history_strips_metadata_and_drops_empty_widget_turns():
    messages = [
        user("a"),
        assistant("", status="error"),  # failed before any output
        user("b"),
        assistant("partial", status="interrupted"),
        user("c"),
        assistant("", status="stopped"),
        {"role": "assistant", "content": ""},  # set by the user: theirs to keep
    ]
    assert history_view(messages) == [
        user("a"),
        user("b"),
        assistant("partial"),
        user("c"),
        {"role": "assistant", "content": ""},
    ]
    view = history_view(messages)
    view[0]["content"] = "changed"
    assert messages[0]["content"] == "a"  # a deep copy


def test_undo_drops_whole_exchanges():
    tool_turn = {
        "role": "assistant",
        "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "f", "arguments": ""}}
        ],
    }
    messages = [
        user("a"),
        assistant("1"),
        user("b"),
        tool_turn,
        {"role": "tool", "tool_call_id": "t1", "content": "{}"},
        assistant("2"),
    ]
    assert undo_exchanges(messages, 1) == messages[:2]
    assert undo_exchanges(messages, 2) == []
    for n, have in ((3, 2), (5, 2)):
        with pytest.raises(ValueError, match=f"Cannot undo {n} exchanges: the chat has {have}"):
            undo_exchanges(messages, n)
    with pytest.raises(ValueError, match="has 0"):
        undo_exchanges([], 1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="n must be"):
            undo_exchanges(messages, bad)


def test_regenerate_base_drops_the_trailing_reply():
    assert regenerate_base([user("a"), assistant("1"), user("b"), assistant("2")]) == [
        user("a"),
        assistant("1"),
        user("b"),
    ]
    assert regenerate_base([user("a")]) == [user("a")]  # after a failed turn dropped from view
    with pytest.raises(ValueError, match="Nothing to regenerate"):
        regenerate_base([assistant("hello")])


def test_usage_totals_sum_the_replies():
    usage = {
        "billed_units": {"input_tokens": 5, "output_tokens": 7},
        "tokens": {"input_tokens": 505},
    }
    replies = [assistant("x", status="complete") for _ in range(2)]
    for reply in replies:
        reply["_co"]["usage"] = usage
    messages = [user("a"), replies[0], user("b"), replies[1], assistant("", status="error")]
    assert usage_totals(messages) == {
        "billed_units": {"input_tokens": 10, "output_tokens": 14},
        "tokens": {"input_tokens": 1010, "output_tokens": 0},
    }


# --- through the Chat --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([{"role": "system", "content": "be nice"}], "chat.system"),
        ([{"role": "bot", "content": "hi"}], "role must be"),
        ([user("   ")], "empty"),
        ([{"role": "user"}], "content"),
        ([{"role": "tool", "tool_call_id": "nope", "content": "{}"}], "tool call"),
        ("not a list", "list"),
        ([{"role": "user", "content": "x", "_co": 5}], "_co"),
    ],
)
def test_setting_a_bad_history_raises_before_any_request(fake, bad, match):
    chat = Chat(base_url=fake.url)
    with pytest.raises(ValueError, match=match):
        chat.history = bad
    assert chat.messages == [] and fake.requests == []


def test_empty_messages_raise_before_any_request(fake):
    chat = Chat(base_url=fake.url)
    for text in ("", "  \n", None):
        with pytest.raises(ValueError):
            chat.send(text)
    assert fake.requests == []


def test_history_is_a_copy_and_the_request_carries_it(fake):
    chat = Chat(base_url=fake.url, system="Answer in one word.")
    chat.history = [user("hi"), {"role": "assistant", "content": {"type": "text", "text": "Hey"}}]
    # A single block object is normalised to a list: content is a string or a list.
    assert chat.history[1]["content"] == [{"type": "text", "text": "Hey"}]
    chat.history[0]["content"] = "mutated"
    assert chat.history[0]["content"] == "hi"
    chat.ask("Colour of the sky?", timeout=SLOW)
    assert fake.requests[-1].json["messages"] == [
        {"role": "system", "content": "Answer in one word."},
        user("hi"),
        {"role": "assistant", "content": [{"type": "text", "text": "Hey"}]},
        user("Colour of the sky?"),
    ]


def test_undo_regenerate_and_clear(fake):
    fake.add("one", "two", "two, again")
    chat = Chat(base_url=fake.url)
    chat.ask("a", timeout=SLOW)
    chat.ask("b", timeout=SLOW)
    assert chat.regenerate().result(SLOW) == "two, again"
    assert fake.requests[-1].json["messages"] == [user("a"), assistant("one"), user("b")]
    assert chat.history == [user("a"), assistant("one"), user("b"), assistant("two, again")]

    chat.undo()
    assert chat.history == [user("a"), assistant("one")]
    with pytest.raises(ValueError):
        chat.undo(5)
    chat.undo(1)
    assert chat.history == []
    chat.ask("c", timeout=SLOW)
    chat.clear()
    assert chat.messages == [] and chat.history == []


def test_regenerate_retries_a_failed_turn(fake):
    fake.add(Error(503, "overloaded"), "recovered")
    chat = Chat(base_url=fake.url, max_retries=0)
    assert chat.send("q").wait(SLOW).status == "error"
    assert len(chat.messages) == 2 and chat.history == [user("q")]
    assert chat.regenerate().result(SLOW) == "recovered"
    assert chat.history == [user("q"), assistant("recovered")]
    assert [m.get("_co", {}).get("status") for m in chat.messages] == [None, "complete"]


def test_a_new_message_after_a_failed_turn_keeps_both_user_messages(fake):
    fake.add(Error(400, "bad request"))
    chat = Chat(base_url=fake.url)
    chat.send("first").wait(SLOW)
    assert chat.ask("second", timeout=SLOW) == "second"
    assert chat.history == [user("first"), user("second"), assistant("second")]
    assert chat.messages[1]["_co"]["error"]["type"] == "BadRequestError"  # still shown


def test_chat_usage_counts_the_replies_in_the_conversation(fake):
    usage = {"billed_units": {"input_tokens": 3, "output_tokens": 4}, "tokens": {"input_tokens": 9}}
    fake.add(text_events("x", usage=usage), text_events("y", usage=usage))
    chat = Chat(base_url=fake.url)
    assert chat.usage["billed_units"] == {"input_tokens": 0, "output_tokens": 0}
    chat.ask("a", timeout=SLOW)
    chat.ask("b", timeout=SLOW)
    assert chat.usage == {
        "billed_units": {"input_tokens": 6, "output_tokens": 8},
        "tokens": {"input_tokens": 18, "output_tokens": 0},
    }


# --- save / load -------------------------------------------------------------------------------


def test_save_and_load_round_trip(fake, tmp_path):
    fake.add("fine", Stream("broken mid-way through", drop_after=5))
    chat = Chat(base_url=fake.url, system="Be brief.", api_key="sk-SECRET-123", temperature=0.2)
    chat.ask("hi", timeout=SLOW)
    chat.send("more").wait(SLOW)
    path = tmp_path / "chat.json"
    chat.save(path)

    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "co_widget.chat" and doc["version"] == 1
    assert doc["params"] == {"temperature": 0.2}
    assert "SECRET" not in path.read_text(encoding="utf-8")
    assert "base_url" not in doc and "api_key" not in doc

    loaded = Chat.load(path, base_url=fake.url)
    assert loaded.model == chat.model and loaded.system == "Be brief."
    assert loaded.messages == chat.messages  # metadata included
    assert loaded.history == chat.history
    assert loaded.messages[-1]["_co"]["status"] == "interrupted"
    loaded.ask("again", timeout=SLOW)
    assert fake.requests[-1].json["temperature"] == 0.2

    unset = Chat.load(path, base_url=fake.url, temperature=None, model="command-r7b-12-2024")
    unset.ask("x", timeout=SLOW)
    assert "temperature" not in fake.requests[-1].json
    assert fake.requests[-1].json["model"] == "command-r7b-12-2024"


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"messages": []}, "Not a saved co_widget chat"),
        ({"format": "co_widget.chat", "version": 99, "model": "m"}, "Upgrade"),
        ({"format": "co_widget.chat", "version": 1}, "model"),
        (
            {"format": "co_widget.chat", "version": 1, "model": "m", "messages": [user("")]},
            "empty",
        ),
        (
            {
                "format": "co_widget.chat",
                "version": 1,
                "model": "m",
                "messages": [{"role": "system", "content": "x"}],
            },
            "chat.system",
        ),
        (
            {"format": "co_widget.chat", "version": 1, "model": "m", "params": {"p": 0}},
            "p must be",
        ),
    ],
)
def test_loading_an_invalid_file_raises_value_error(tmp_path, doc, match):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        Chat.load(path)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("base_url", "https://elsewhere.example"), ("api_key", "sk-theirs"), ("timeout", 1)],
)
def test_a_saved_file_cannot_carry_connection_settings(tmp_path, setting, value):
    # Saved params become Chat() keywords: a base_url there would send the reader's key away.
    doc = {"format": "co_widget.chat", "version": 1, "model": "m", "params": {setting: value}}
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match=f"Unknown parameter '{setting}'"):
        Chat.load(path)


# --- transcript --------------------------------------------------------------------------------


def test_markdown_transcript(fake):
    fake.add(
        Stream.from_jsonl(CAPTURED / "cohere-reasoning.jsonl"),
        Stream.from_jsonl(CAPTURED / "cohere-tool-call.jsonl"),
        Error(500, "server on fire"),
    )
    chat = Chat(base_url=fake.url, system="You are terse.", max_retries=0)
    reasoned = chat.send("2+2?").wait(SLOW)
    chat.send("weather?").wait(SLOW)
    chat.send("and now?").wait(SLOW)
    text = chat.to_markdown()

    assert text.startswith("## System\n\nYou are terse.\n\n## User\n\n2+2?\n\n## Assistant\n\n")
    assert "> **Thinking**\n>\n> The user is asking" in text
    assert reasoned.text in text
    assert "**Tool call** `weather` (`weather_e8p4pn45zt0t`)\n\n```json\n{\n" in text
    assert '"location": "San Francisco"' in text
    assert "*Tool plan:* I will use the weather tool" in text
    assert "> **ServerError**: server on fire" in text
    validate_messages(chat.history)
