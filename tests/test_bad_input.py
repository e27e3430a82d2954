"""Bad input from Python or the view gets a clear ValueError/TypeError at the call, naming the
argument and the fix, and changes nothing: no request, no busy chat, no half-replaced history,
no truncated file."""

from __future__ import annotations

import json
import math
import warnings

import pytest

from co_widget import Chat
from co_widget.session.conversation import write_chat_file
from co_widget.testing import FakeCohere
from tests.support.comm_recorder import recording_comms

SLOW = 5.0
HALF_EMOJI = "\ud83d"


@pytest.fixture
def chat(fake):
    with recording_comms():  # so every trait write is really encoded, as a kernel would
        chat = Chat(base_url=fake.url)
        fake.add("first answer")
        chat.ask("first", timeout=SLOW)
        yield chat


def ui(chat: Chat, **content) -> None:
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def assert_unchanged(chat: Chat, fake: FakeCohere, before: list) -> None:
    assert chat.messages == before and chat.status == "idle"
    assert len(fake.requests) == 1
    fake.add("still fine")
    assert chat.ask("next", timeout=SLOW) == "still fine"


# --- 1. a lone surrogate --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [HALF_EMOJI, f"Cheers {HALF_EMOJI}!", "\udf7e"])
def test_a_lone_surrogate_is_a_value_error_before_anything_changes(chat, fake, text):
    before = chat.messages
    with pytest.raises(ValueError, match="half of a character"):
        chat.send(text)
    with pytest.raises(ValueError, match="half of a character"):
        chat.history = [*chat.history, {"role": "user", "content": text}]
    assert_unchanged(chat, fake, before)


def test_a_lone_surrogate_from_the_view_changes_nothing(chat, fake):
    before = chat.messages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the log line of the failed action
        ui(chat, type="send", text=HALF_EMOJI)
        ui(chat, type="edit", index=0, text=f"x{HALF_EMOJI}")
    assert_unchanged(chat, fake, before)


def test_a_whole_emoji_is_fine(chat, fake):
    fake.add("🍾")
    assert chat.ask("Cheers 🍾", timeout=SLOW) == "🍾"


# --- 9. histories hold JSON values only, and assignment is atomic --------------------------------

ASSISTANT = {"role": "assistant", "content": "ok"}
NOT_JSON = {
    "bytes in a citation": {**ASSISTANT, "citations": [{"start": 0, "text": b"x"}]},
    "a set": {**ASSISTANT, "citations": [{"sources": {1, 2}}]},
    "an object": {**ASSISTANT, "citations": [{"x": object()}]},
    "NaN": {**ASSISTANT, "citations": [{"start": math.nan}]},
    "a non-string key": {**ASSISTANT, "citations": [{1: "x"}]},
}


def deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "bad",
    [*NOT_JSON.values(), {**ASSISTANT, "citations": [{"x": deep(3000)}]}],
    ids=[*NOT_JSON, "3000 levels deep"],
)
def test_non_json_values_are_refused_naming_the_path_and_nothing_changes(chat, fake, bad):
    before = chat.messages
    with pytest.raises(ValueError, match=r"messages\[3\]"):
        chat.history = [*chat.history, {"role": "user", "content": "q"}, bad]
    assert_unchanged(chat, fake, before)


def test_a_failing_sync_leaves_the_history_as_it_was(chat, monkeypatch):
    before = chat.messages

    def broken(*args, **kwargs):
        raise OSError("the comm is gone")

    # A change reaches the views as a commit message (the trait itself is not synced).
    monkeypatch.setattr(chat, "_send_custom", broken)
    with pytest.raises(OSError):
        chat.history = [{"role": "user", "content": "replaced"}]
    assert chat.messages == before


# --- 9. Chat.load: metadata, BOM, newer files -----------------------------------------------------


def saved(chat: Chat, tmp_path, edit=None, *, bom: bool = False):
    path = tmp_path / "chat.json"
    chat.save(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    if edit:
        edit(doc)
    path.write_text(("\ufeff" if bom else "") + json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("meta", "problem"),
    [
        ("yes", "must be a dict"),
        ({"status": "exploded"}, "'status'"),
        ({"usage": {"tokens": {"input_tokens": "many"}}}, "'usage'"),
        ({"usage": ["x"]}, "'usage'"),
        ({"error": "boom"}, "'error'"),
        ({"error": {"message": 3}}, "'error'"),
        ({"warnings": "careful"}, "'warnings'"),
    ],
)
def test_load_refuses_malformed_widget_metadata(chat, tmp_path, meta, problem):
    def edit(doc):
        doc["messages"][-1]["_co"] = meta

    with pytest.raises(ValueError, match=problem):
        Chat.load(saved(chat, tmp_path, edit))


def test_load_accepts_a_bom_and_ignores_unknown_keys_with_a_warning(chat, tmp_path):
    def newer(doc):
        doc["tags"] = ["from", "the", "future"]
        doc["messages"][-1]["_co"]["rating"] = 5  # a newer version's metadata is kept

    with pytest.warns(UserWarning, match=r"unknown keys \['tags'\]"):
        loaded = Chat.load(saved(chat, tmp_path, newer, bom=True))
    assert loaded.history == chat.history
    assert loaded.usage == chat.usage and loaded.to_markdown() == chat.to_markdown()


# --- 10. constructor arguments fail at the call ---------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"api_key": 123}, TypeError, "api_key"),
        ({"api_key": "a b"}, ValueError, "api_key"),
        ({"timeout": math.inf}, ValueError, "timeout"),
        ({"timeout": math.nan}, ValueError, "timeout"),
        ({"model": ""}, ValueError, "model"),
        ({"model": 123}, ValueError, "model"),
        ({"system": 5}, ValueError, "system"),
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"x": {1}}}}]},
            ValueError,
            "tools",
        ),
        ({"documents": [{"data": {"score": math.nan}}]}, ValueError, "documents"),
        (
            {"response_format": {"type": "json_object", "json_schema": {"x": b"y"}}},
            ValueError,
            "response_format",
        ),
    ],
)
def test_bad_constructor_arguments_fail_at_the_call(kwargs, error, names):
    with pytest.raises(error, match=names):
        Chat(**kwargs)


def test_undo_beyond_the_exchanges_is_refused_and_drops_nothing(chat):
    before = chat.messages
    with pytest.raises(ValueError, match="has 1"):
        chat.undo(2)
    assert chat.messages == before
    chat.undo(1)
    assert chat.messages == []


# --- 11. save never truncates an existing file -------------------------------------------------


@pytest.mark.parametrize("doc", [{"x": object()}, {"x": HALF_EMOJI}], ids=["not JSON", "surrogate"])
def test_a_failed_save_leaves_the_old_file_as_it_was(tmp_path, doc):
    path = tmp_path / "chat.json"
    path.write_text('{"old": true}\n', encoding="utf-8")
    with pytest.raises((TypeError, ValueError)):
        write_chat_file(path, doc)
    assert path.read_text(encoding="utf-8") == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["chat.json"]  # no temporary file left
