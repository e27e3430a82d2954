"""Files saved by co_widget 0.1.0 keep opening: each chat file in tests/fixtures/saved_0_1_0 loads
with the same history, usage and Markdown that 0.1.0 gave, resumes through ``file=``, and goes on
chatting; the widget state of a notebook saved with 0.1.0 holds conversations this version
accepts as they are. (``make_fixtures.py`` there says how the files were made; they are frozen.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from co_widget import Chat
from co_widget.session.conversation import validate_history

SAVED = Path(__file__).parent / "fixtures" / "saved_0_1_0"
NAMES = sorted(path.name.removesuffix(".chat.json") for path in SAVED.glob("*.chat.json"))
KEY = "test-key-0-1-0"


def expected(name: str) -> dict:
    return json.loads((SAVED / f"{name}.expected.json").read_text("utf-8"))


def saved_messages(name: str) -> list[dict]:
    return json.loads((SAVED / f"{name}.chat.json").read_text("utf-8"))["messages"]


def test_every_kind_of_turn_is_kept():
    assert NAMES == ["failures", "grounded", "images", "json", "text", "tools"]
    statuses = {
        (message.get("_co") or {}).get("status")
        for name in NAMES
        for message in saved_messages(name)
    }
    assert {"complete", "error", "interrupted", "stopped"} <= statuses


@pytest.mark.parametrize("name", NAMES)
def test_load_gives_what_0_1_0_gave(fake, tmp_path, name):
    chat = Chat.load(SAVED / f"{name}.chat.json", base_url=fake.url, api_key=KEY)
    want = expected(name)
    assert chat.history == want["history"]
    assert chat.usage == want["usage"]
    assert chat.to_markdown() == want["markdown"]
    # Saving again writes the conversation exactly as 0.1.0 saved it: metadata (cards,
    # citations, documents, images, statuses) included.
    chat.save(tmp_path / "again.chat.json")
    assert json.loads((tmp_path / "again.chat.json").read_text("utf-8"))["messages"] == (
        saved_messages(name)
    )


@pytest.mark.parametrize("name", NAMES)
def test_file_resumes_and_the_chat_goes_on(fake, tmp_path, name):
    path = tmp_path / f"{name}.chat.json"
    shutil.copy(SAVED / f"{name}.chat.json", path)
    doc = json.loads(path.read_text("utf-8"))
    chat = Chat(base_url=fake.url, api_key=KEY, model=doc["model"], file=path)
    assert chat.history == expected(name)["history"]
    fake.add("Still here.")
    assert chat.ask("Are you still there?") == "Still here."
    resent = fake.requests[-1].json["messages"]
    assert resent[: len(chat.history) - 2] == chat.history[:-2]
    assert json.loads(path.read_text("utf-8"))["messages"][-1]["content"] == "Still here."
    assert KEY not in path.read_text("utf-8")


def test_widget_state_of_a_0_1_0_notebook_is_a_valid_conversation():
    notebook = json.loads((SAVED / "widget_state.ipynb").read_text("utf-8"))
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    conversations = [
        model["state"]["messages"] for model in state.values() if model["model_name"] == "AnyModel"
    ]
    recorded = json.loads((SAVED / "widget_state.messages.json").read_text("utf-8"))
    assert conversations == list(recorded.values())
    for messages in conversations:
        assert validate_history(messages) == messages
