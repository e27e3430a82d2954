"""Issue 19: Cohere's model list merged with the built-in table, deprecations, the header's
state and settings, prices and cost, the context fill, logprobs, and tool_choice across a tool
loop. Everything runs against FakeCohere over real sockets; nothing calls Cohere."""

from __future__ import annotations

import json
import math
import os
import re
import time
import warnings
from pathlib import Path

import pytest

import co_widget
from co_widget import Chat, DeprecatedModelWarning
from co_widget.request import models as models_module
from co_widget.request.models import CACHE_SECONDS, catalog, markdown_table
from co_widget.request.pricing import estimate_tokens
from co_widget.testing import Error, FakeCohere, text_events, tool_results

SECRET = "sk-MODELS-789"
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def fresh_kernel(monkeypatch, tmp_path):
    """Each test is a new kernel (no list read yet) with its own disk cache."""
    monkeypatch.setattr(models_module, "_listed", {})
    monkeypatch.setattr(models_module, "_started", set())
    monkeypatch.setenv("CO_WIDGET_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def names(chat: Chat) -> list[str]:
    return [choice["name"] for choice in chat._models]


def ui(chat: Chat, **content) -> None:
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


# --- the model list ----------------------------------------------------------------------------


def test_the_list_is_read_once_in_the_background_and_merged(fake, fresh_kernel):
    chat = Chat(base_url=fake.url, api_key=SECRET)
    assert fake.model_requests == []  # Chat(...) itself never asks
    ui(chat, type="snapshot")  # a view rendered: the picker needs the list
    wait_for(
        lambda: (
            "north-mini-code-1-0" in catalog(fake.url)
            and catalog(fake.url)["north-mini-code-1-0"].source == "both"
        )
    )
    ui(Chat(base_url=fake.url), type="snapshot")  # another chat of the endpoint: no new read
    assert len(fake.model_requests) == 1 and fake.requests == []
    request = fake.model_requests[0]
    assert request.path.startswith("/v1/models?") and "endpoint=chat" in request.path
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    merged = catalog(fake.url)
    # Cohere's context length wins; the table's rules stay (vision, the replacement).
    assert merged["north-mini-code-1-0"].context_length == 64_000
    assert merged["command-a-plus-05-2026"].vision and merged["command-a-plus-05-2026"].reasoning
    assert merged["command-a-vision-07-2025"].source == "both"  # matched by its prefix rule
    plus = merged["command-r-plus"]
    assert plus.deprecated and plus.replacement == "command-r-plus-08-2024"
    # The picker offers the merged chat models, never a deprecated one the chat does not use.
    wait_for(lambda: "command-a-reasoning-08-2025" in names(chat))
    assert "command-r-plus" not in names(chat) and names(chat) == sorted(names(chat))
    # Cached on disk, without the key, written atomically (no temporary file left).
    [cached] = list(fresh_kernel.iterdir())
    assert SECRET not in cached.read_text() and json.loads(cached.read_text())["models"]


def test_a_new_kernel_reads_the_day_old_cache_and_a_stale_one_is_read_again(fake, fresh_kernel):
    co_widget.models(base_url=fake.url)
    assert len(fake.model_requests) == 1
    models_module._listed.clear()
    models_module._started.clear()
    Chat(base_url=fake.url)  # the cache is fresh: no request, the list is there at once
    assert len(fake.model_requests) == 1 and "north-mini-code-1-0" in catalog(fake.url)
    [cached] = list(fresh_kernel.iterdir())
    old = time.time() - CACHE_SECONDS - 60
    os.utime(cached, (old, old))
    models_module._listed.clear()
    models_module._started.clear()
    co_widget.models(base_url=fake.url)
    assert len(fake.model_requests) == 2


@pytest.mark.parametrize("failure", ["offline", "error", "garbage"])
def test_without_the_list_everything_works_from_the_table_silently(failure, fake):
    if failure == "error":
        fake.models = Error(503, "busy")
    elif failure == "garbage":
        fake.models = Error(200 + 300, "x", body="<html>proxy</html>")
    url = "http://127.0.0.1:9" if failure == "offline" else fake.url
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing shown
        records = co_widget.models(base_url=url)
        chat = Chat(base_url=fake.url if failure != "offline" else url)
        ui(chat, type="snapshot")
        time.sleep(0.2)
    assert {r["name"] for r in records} >= {"command-a-03-2025", "command-a-plus-05-2026"}
    assert all(r["source"] == "built-in" for r in records)
    assert "command-a-03-2025" in names(chat) and chat._header["context_length"] == 256_000
    if failure != "offline":
        assert chat.ask("still fine") == "still fine"


def test_a_deprecated_model_warns_names_its_replacement_and_still_works(fake):
    with pytest.warns(DeprecatedModelWarning, match="2025-09-15.*'command-r-08-2024'") as caught:
        chat = Chat(model="command-r", base_url=fake.url)
    assert caught[0].filename == __file__  # points at the user's line
    assert "command-r-08-2024" in chat._header["notice"]
    assert "command-r" in names(chat)  # the current model stays selectable
    assert chat.ask("hello") == "hello"
    assert fake.requests[-1].json["model"] == "command-r"


def test_a_model_only_cohere_deprecates_warns_from_the_cached_list(fake):
    fake.models = [
        *fake.models,
        {"name": "old-model", "endpoints": ["chat"], "is_deprecated": True},
    ]
    co_widget.models(base_url=fake.url)  # read and cached
    models_module._listed.clear()
    models_module._started.clear()  # a new kernel: Chat(...) reads the cache, no network
    with pytest.warns(DeprecatedModelWarning, match="'old-model' was deprecated by Cohere"):
        chat = Chat(model="old-model", base_url=fake.url)
    assert len(fake.model_requests) == 1 and "old-model" in chat._header["notice"]


def test_an_unknown_model_passes_through(fake):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chat = Chat(model="my-finetune-v3", base_url=fake.url)
    assert names(chat)[0] == "my-finetune-v3" and chat._header["context_length"] is None
    assert chat._header["notice"] is None and chat.cost is None
    assert chat.ask("hi") == "hi"


def test_models_records_have_every_field(fake):
    records = co_widget.models(base_url=fake.url)
    assert set(records[0]) == {
        "name",
        "context_length",
        "vision",
        "reasoning",
        "deprecated",
        "deprecated_on",
        "replacement",
        "features",
        "source",
    }
    json.dumps(records)  # plain data


def test_the_readme_table_is_generated_from_the_rules_table():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- models-table:start -->\n(.*?)\n<!-- models-table:end -->", text, re.S)
    assert found is not None, "README lost its models table markers"
    assert found.group(1) == markdown_table(), (
        "regenerate: python -c 'from co_widget.request.models \
import markdown_table; print(markdown_table())'"
    )


# --- header settings from the view --------------------------------------------------------------


def test_the_picker_changes_the_model_from_the_next_turn(comms, fake):
    fake.add(__import__("co_widget.testing", fromlist=["Stream"]).Stream("slow one", delay=0.05))
    chat = Chat(base_url=fake.url)
    reply = chat.send("first")
    ui(chat, type="settings", model="command-a-plus-05-2026")
    assert chat.model == "command-a-plus-05-2026"
    reply.wait()
    assert fake.requests[0].json["model"] == "command-a-03-2025"  # the running turn kept its own
    chat.ask("second")
    assert fake.requests[1].json["model"] == "command-a-plus-05-2026"
    assert chat._header["reasoning"] and chat._header["context_length"] == 128_000


def test_the_thinking_toggle_sets_the_next_requests_thinking(comms, fake):
    chat = Chat(model="command-a-plus-05-2026", base_url=fake.url)
    ui(chat, type="settings", thinking={"type": "enabled", "token_budget": 2048})
    chat.ask("a")
    assert fake.requests[-1].json["thinking"] == {"type": "enabled", "token_budget": 2048}
    assert chat._header["thinking"] == {"type": "enabled", "token_budget": 2048}
    ui(chat, type="settings", thinking={"type": "disabled"})
    chat.ask("b")
    assert fake.requests[-1].json["thinking"] == {"type": "disabled"}
    ui(chat, type="settings", thinking=None)  # back to the model's default
    chat.ask("c")
    assert "thinking" not in fake.requests[-1].json


def test_bad_settings_are_rejected_and_change_nothing(comms, fake):
    chat = Chat(base_url=fake.url)
    ui(chat, type="settings", thinking={"type": "sometimes"})
    ui(chat, type="settings", model="")
    recorder = next(r for r in comms if r.comm_id == chat.model_id)
    errors = [m.custom for m in recorder.messages if (m.custom or {}).get("type") == "rejected"]
    assert [e["action"] for e in errors] == ["settings", "settings"]
    assert chat.model == "command-a-03-2025" and "thinking" not in chat._params


# --- cost and context ---------------------------------------------------------------------------


def test_cost_is_billed_tokens_at_the_price_table(fake, monkeypatch):
    chat = Chat(base_url=fake.url)
    reply = chat.send("one two three")
    reply.wait()
    billed = reply.usage["billed_units"]
    expected = (billed["input_tokens"] * 2.5 + billed["output_tokens"] * 10.0) / 1e6
    assert math.isclose(reply.cost, expected)
    assert chat.messages[-1]["_co"]["cost"] == reply.cost  # the footer's figure
    second = chat.send("four")
    second.wait()
    assert math.isclose(chat.cost, reply.cost + second.cost)
    assert math.isclose(chat._header["cost"], chat.cost)
    # The user's override of the package table applies at once.
    monkeypatch.setitem(co_widget.prices, "command-a-03-2025", {"input": 0.0, "output": 1.0})
    assert math.isclose(reply.cost, billed["output_tokens"] / 1e6)


def test_a_chats_prices_win_and_no_price_means_no_cost(fake):
    chat = Chat(model="north-mini-code-1-0", base_url=fake.url)
    reply = chat.send("hi")
    reply.wait()
    assert reply.cost is None and chat.cost is None and reply.usage is not None
    assert chat.messages[-1]["_co"]["cost"] is None  # the footer shows tokens only
    priced = Chat(
        model="north-mini-code-1-0",
        base_url=fake.url,
        prices={"north-mini-code-1-0": {"input": 1, "output": 2}},
    )
    reply = priced.send("hi")
    reply.wait()
    billed = reply.usage["billed_units"]
    assert reply.cost == (billed["input_tokens"] + 2 * billed["output_tokens"]) / 1e6
    assert Reply_without_chat_cost() is None


def Reply_without_chat_cost():
    return co_widget.Reply().cost  # a plain property: any Reply answers, even an empty one


@pytest.mark.parametrize(
    "prices", ["cheap", {"m": {"input": 1}}, {"m": {"input": -1, "output": 1}}, {1: {}}]
)
def test_bad_prices_are_refused_at_chat(prices, fake):
    with pytest.raises(ValueError, match="prices"):
        Chat(base_url=fake.url, prices=prices)


def test_context_used_is_the_last_count_plus_an_estimate_of_what_came_after(fake):
    chat = Chat(base_url=fake.url, system="Be brief.")
    assert chat.context_used == estimate_tokens("Be brief.")
    reply = chat.send("how full is it")
    reply.wait()
    tokens = reply.usage["tokens"]
    assert chat.context_used == tokens["input_tokens"] + tokens["output_tokens"]
    assert chat._header["context_used"] == chat.context_used
    extra = [{"role": "user", "content": "x" * 40}, {"role": "assistant", "content": "y" * 8}]
    messages = chat.messages
    chat.messages = [*messages, *extra]  # as a commit would add them: the count stays
    assert chat.context_used == tokens["input_tokens"] + tokens["output_tokens"] + 10 + 2
    # A history set from code carries no counts: all of it is estimated.
    chat.history = chat.history
    texts = ["Be brief.", "how full is it", "how full is it", "x" * 40, "y" * 8]
    assert chat.context_used == sum(estimate_tokens(t) for t in texts)


def test_fake_cohere_reports_cached_tokens_for_later_turns(fake):
    chat = Chat(base_url=fake.url)
    first = chat.send("alpha beta")
    first.wait()
    second = chat.send("gamma")
    second.wait()
    assert first.usage["cached_tokens"] == 0
    assert second.usage["cached_tokens"] == 4  # "alpha beta" asked and echoed back


def test_a_chat_with_cached_tokens_saves_and_loads(fake, tmp_path):
    chat = Chat(base_url=fake.url, logprobs=True)
    chat.ask("alpha beta")
    chat.ask("gamma")
    chat.save(tmp_path / "chat.json")
    again = Chat.load(tmp_path / "chat.json", base_url=fake.url)
    assert again.messages[-1]["_co"]["usage"]["cached_tokens"] == 4
    assert again.cost == chat.cost and again.context_used == chat.context_used


# --- logprobs -----------------------------------------------------------------------------------


def test_logprobs_are_kept_with_offsets_into_the_text(fake):
    chat = Chat(base_url=fake.url)
    reply = chat.send("Héllo wörld, 🙂 twice!", logprobs=True)
    reply.wait()
    assert fake.requests[-1].json["logprobs"] is True
    pieces = reply.logprobs
    assert pieces and "".join(p.token for p in pieces) == reply.text
    for piece in pieces:
        assert reply.text[piece.start : piece.end] == piece.token
        assert piece.logprob <= 0 and 0 < piece.probability <= 1 and piece.token_ids
    compact = chat.messages[-1]["_co"]["logprobs"]
    assert [c[:2] for c in compact] == [[p.start, p.end] for p in pieces]
    # Not asked for: none kept, none sent.
    plain = chat.send("again")
    plain.wait()
    assert plain.logprobs is None and "logprobs" not in chat.messages[-1]["_co"]
    assert "logprobs" not in fake.requests[-1].json


def test_malformed_logprobs_are_skipped_with_a_warning(fake):
    events = text_events("ab", deltas=["a", "b"])
    events[2] = {**events[2], "logprobs": {"text": "a", "token_ids": [1], "logprobs": ["x"]}}
    events[3] = {**events[3], "logprobs": {"text": "b", "token_ids": [2], "logprobs": [-0.5]}}
    fake.add(events)
    reply = Chat(base_url=fake.url).send("x", logprobs=True)
    reply.wait()
    assert [(p.token, p.start, p.logprob) for p in reply.logprobs] == [("b", 1, -0.5)]
    assert any("logprobs" in w for w in reply.warnings)


# --- tool_choice --------------------------------------------------------------------------------


def get_time(city: str) -> str:
    """The time in a city.

    Args:
        city: The city.
    """
    return "12:00"


def _tool_model(request):
    if not tool_results(request):
        return text_events(tool_calls=[{"name": "get_time", "arguments": {"city": "Oslo"}}])
    return "It is noon."


@pytest.mark.parametrize("choice", ["REQUIRED", "NONE"])
def test_tool_choice_required_applies_to_the_first_call_only(choice):
    with FakeCohere(responder=_tool_model) as fake:
        chat = Chat(base_url=fake.url, tools=[get_time], tool_choice=choice)
        chat.ask("What time is it in Oslo?")
    sent = [request.json.get("tool_choice") for request in fake.requests]
    assert len(sent) == 2
    assert sent == (["REQUIRED", None] if choice == "REQUIRED" else ["NONE", "NONE"])


# --- secrets ------------------------------------------------------------------------------------


def test_the_key_stays_out_of_the_header_state_and_the_cache(fresh_kernel):
    with FakeCohere(api_key=SECRET) as fake:
        chat = Chat(base_url=fake.url, api_key=SECRET)
        ui(chat, type="snapshot")
        wait_for(lambda: "command-a-reasoning-08-2025" in names(chat))
        assert SECRET not in repr(fake.model_requests)
    state = json.dumps([chat._models, chat._header])
    assert SECRET not in state
    assert all(SECRET not in p.read_text() for p in fresh_kernel.iterdir())
