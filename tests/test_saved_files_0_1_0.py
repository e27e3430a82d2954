"""Files saved by co_widget 0.1.0 (``tests/fixtures/v0_1_0``, made by the script there) keep
opening, with ``Chat.load`` and ``Chat(file=...)``: the same history, the same records (cards,
documents, citations, images, errors), and a transcript."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from co_widget import Chat
from co_widget._conversation import validate_history

FIXTURES = Path(__file__).parent / "fixtures" / "v0_1_0"
NAMES = ["tools", "citations", "image_json_error"]
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_a_0_1_0_file_loads_the_same(name, fake, tmp_path):
    path = FIXTURES / f"{name}.chat.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    saved = doc["messages"]
    chat = Chat.load(path, base_url=fake.url, api_key="k")
    assert chat.history == EXPECTED[name]
    assert validate_history(saved) == saved  # every record passes the checks unchanged
    assert chat.to_markdown().startswith("## User")
    # And as file=, which it then writes back in a form that loads again.
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    resumed = Chat(base_url=fake.url, api_key="k", file=copy, model=doc["model"])
    assert resumed.history == EXPECTED[name]
    fake.add("More.")
    assert resumed.ask("more?", timeout=5.0) == "More."
    resumed.close()
    assert Chat.load(copy).history[: len(EXPECTED[name])] == EXPECTED[name]
