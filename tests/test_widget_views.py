"""The kernel side of what the views need beyond the reply stream: a title, ``file=`` resume and
autosave, rejected actions, the Undo of a view's Clear or edit, and front-end modules loaded on
demand. Replies come from FakeCohere over real sockets; view actions go through ipywidgets' own
message path, as a browser's would."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from co_widget import Chat
from co_widget.session.assets import ASSET_NAMES
from co_widget.testing import Stream

SECRET = "sk-SECRET-456"
SLOW = 5.0
STATIC = Path(__file__).resolve().parents[1] / "co_widget" / "static"
STREAM_KINDS = {"begin", "delta", "commit", "end", "snapshot"}


def ui(chat: Chat, **content) -> None:
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def sent(chat: Chat, comms, kind: str) -> list:
    """The recorded custom messages of ``kind`` from ``chat``, each as (content, buffers)."""
    recorder = next(r for r in comms if r.comm_id == chat.model_id)
    return [
        (m.custom, m.buffers) for m in recorder.messages if (m.custom or {}).get("type") == kind
    ]


def rejected(chat: Chat, comms) -> dict:
    """The one ``rejected`` message the chat sent."""
    [(content, _)] = sent(chat, comms, "rejected")
    return content


def contents(chat: Chat) -> list:
    return [m["content"] for m in chat.messages]


# --- title -----------------------------------------------------------------------------------


def test_title_is_synced_and_checked(fake):
    chat = Chat(base_url=fake.url, title="Pricing ideas")
    assert chat.get_state()["title"] == "Pricing ideas"
    assert Chat(base_url=fake.url).get_state()["title"] is None
    with pytest.raises(TypeError, match="title="):
        Chat(base_url=fake.url, title=3)


# --- file= -----------------------------------------------------------------------------------


def test_file_is_written_after_every_change_and_resumed_by_a_new_chat(fake, tmp_path):
    path = tmp_path / "notes.chat.json"
    fake.add("one", "two")
    chat = Chat(base_url=fake.url, api_key=SECRET, file=path, temperature=0.2)
    assert not path.exists()  # nothing to save yet
    chat.ask("first", timeout=SLOW)
    assert [m["content"] for m in json.loads(path.read_text())["messages"]] == ["first", "one"]
    chat.ask("second", timeout=SLOW)
    chat.undo()
    assert len(json.loads(path.read_text())["messages"]) == 2
    chat.history = [*chat.history, {"role": "user", "content": "set from code"}]
    assert json.loads(path.read_text())["messages"][-1]["content"] == "set from code"
    text = path.read_text()
    assert SECRET not in text and fake.url not in text
    # Same format as save(): Chat.load reads it.
    assert Chat.load(path, base_url=fake.url).history == chat.history

    # A new chat (a restarted kernel) resumes it, with its own settings.
    resumed = Chat(base_url=fake.url, file=path, model="command-r7b-12-2024", system="brief")
    assert resumed.messages == chat.messages
    assert resumed.model == "command-r7b-12-2024" and resumed.system == "brief"
    resumed.clear()
    assert json.loads(path.read_text())["messages"] == []
    assert not [p for p in tmp_path.iterdir() if p.name != path.name]  # no temporary files left


def test_file_errors_name_the_argument(fake, tmp_path):
    with pytest.raises(ValueError, match=r"file=.*does not exist"):
        Chat(base_url=fake.url, file=tmp_path / "missing" / "a.json")
    with pytest.raises(ValueError, match=r"file=.*folder"):
        Chat(base_url=fake.url, file=tmp_path)
    with pytest.raises(TypeError, match="file="):
        Chat(base_url=fake.url, file=3)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"file=.*not a conversation"):
        Chat(base_url=fake.url, file=broken)
    assert broken.read_text(encoding="utf-8") == "{not json"  # never overwritten


def test_a_failed_autosave_does_not_break_the_chat(fake, tmp_path):
    path = tmp_path / "chat.json"
    chat = Chat(base_url=fake.url, file=path)
    path.mkdir()  # the rename onto it fails, for root too
    fake.add("still fine")
    assert chat.ask("hi", timeout=SLOW) == "still fine"
    assert path.is_dir() and [p.name for p in tmp_path.iterdir()] == ["chat.json"]


# --- messages outside the stream ----------------------------------------------------------------


def test_a_rejected_view_action_comes_back_without_a_seq(comms, fake):
    chat = Chat(base_url=fake.url)
    ui(chat, type="send", text="   ")
    ui(chat, type="regenerate")
    ui(chat, type="edit", index=7, text="x")
    rejected = [content for content, _ in sent(chat, comms, "rejected")]
    assert [r["action"] for r in rejected] == ["send", "regenerate", "edit"]
    assert "empty" in rejected[0]["error"] and "regenerate" in rejected[1]["error"]
    assert all("seq" not in r for r in rejected)
    assert fake.requests == []


def test_a_busy_chat_rejects_a_second_send(comms, fake):
    fake.add(Stream("slow " * 40, delay=0.02))
    chat = Chat(base_url=fake.url)
    ui(chat, type="send", text="first")
    ui(chat, type="send", text="second")
    chat.stop()
    assert rejected(chat, comms)["action"] == "send"
    assert "streaming" in rejected(chat, comms)["error"]


def test_a_views_clear_can_be_undone(comms, fake):
    fake.add("one", "two")
    chat = Chat(base_url=fake.url)
    chat.ask("first", timeout=SLOW)
    chat.ask("second", timeout=SLOW)
    before = chat.messages
    ui(chat, type="clear")
    assert chat.messages == []
    [(dropped, _)] = sent(chat, comms, "dropped")
    assert dropped["action"] == "clear" and dropped["count"] == 4 and "seq" not in dropped
    ui(chat, type="restore", token="not-the-token")
    assert chat.messages == []
    assert sent(chat, comms, "rejected")[-1][0]["action"] == "restore"
    ui(chat, type="restore", token=dropped["token"])
    assert chat.messages == before
    ui(chat, type="restore", token=dropped["token"])  # once only
    assert len(sent(chat, comms, "rejected")) == 2


def test_an_edit_that_drops_later_turns_can_be_undone(comms, fake):
    fake.add("one", "two", "edited", "edited again")
    chat = Chat(base_url=fake.url)
    chat.ask("first", timeout=SLOW)
    chat.ask("second", timeout=SLOW)
    before = chat.messages
    # Editing the last user message only replaces its reply: no Undo offered.
    ui(chat, type="edit", index=2, text="second, edited")
    _wait_idle(chat)
    assert sent(chat, comms, "dropped") == []
    assert contents(chat)[2:] == ["second, edited", "edited"]
    # Editing the first drops the later exchange: Undo brings all four messages back.
    ui(chat, type="edit", index=0, text="first, edited")
    _wait_idle(chat)
    [(dropped, _)] = sent(chat, comms, "dropped")
    assert dropped["action"] == "edit" and dropped["count"] == 3
    assert contents(chat) == ["first, edited", "edited again"]
    ui(chat, type="restore", token=dropped["token"])
    assert contents(chat) == ["first", "one", "second, edited", "edited"]
    assert before[:2] == chat.messages[:2]


def _wait_idle(chat: Chat) -> None:
    deadline = time.monotonic() + SLOW
    while chat.status != "idle":
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_front_end_modules_come_from_the_kernel_as_one_buffer(comms, fake):
    chat = Chat(base_url=fake.url)
    for name in ASSET_NAMES:
        ui(chat, type="asset", name=name)
    answers = sent(chat, comms, "asset")
    for (content, buffers), name in zip(answers, ASSET_NAMES, strict=True):
        assert content == {"type": "asset", "name": name}
        assert [bytes(b) for b in buffers] == [(STATIC / f"{name}.js").read_bytes()]
    ui(chat, type="asset", name="../widget")
    assert rejected(chat, comms)["action"] == "asset"
    assert "Unknown front-end asset" in rejected(chat, comms)["error"]


def test_only_stream_messages_use_seq(comms, fake):
    fake.add("one", "two")
    chat = Chat(base_url=fake.url)
    chat.ask("first", timeout=SLOW)
    ui(chat, type="clear")
    ui(chat, type="asset", name="katex")
    ui(chat, type="send", text="")
    ui(chat, type="snapshot")
    recorder = next(r for r in comms if r.comm_id == chat.model_id)
    for message in recorder.messages:
        custom = message.custom
        if custom is not None:
            assert ("seq" in custom) == (custom["type"] in STREAM_KINDS), custom
