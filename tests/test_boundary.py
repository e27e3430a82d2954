"""The one input boundary (``co_widget/request/boundary.py``): issue 15's bugs A to M, each
reproduced the way an attacker found it (a hostile tool, model stream or file over real sockets and
real files), and the caps and rules that close the class.

Every test ends the way the issue asks: the chat idle, its history accepted by its own
validator and JSON-serialisable, the saved file loadable, and the next ``send()`` working."""

from __future__ import annotations

import io
import json
import os
import stat
import threading
import time
import warnings

import pytest

from co_widget import Chat
from co_widget.session.conversation import validate_history
from co_widget.testing import FakeCohere, Stream, text_events, tool_results
from tests.support.comm_recorder import recorder_of

SLOW = 5.0  # "it did not hang": never a timing assertion


@pytest.fixture
def strict():
    with FakeCohere(strict=True) as server:
        yield server


def until(condition, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def tool_turn(*calls: dict, plan: str = "Let me check.") -> list[dict]:
    """A model turn calling tools, each call's arguments in one delta (fast for huge ones)."""
    events = text_events(tool_plan=plan, tool_calls=[{**call, "arguments": "{}"} for call in calls])
    out = [event for event in events if event["type"] != "tool-call-delta"]
    for index, call in enumerate(calls):
        arguments = call["arguments"]
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        delta = {"tool_calls": {"function": {"arguments": arguments}}}
        start = next(
            k for k, e in enumerate(out) if e["type"] == "tool-call-start" and e["index"] == index
        )
        out.insert(
            start + 1, {"type": "tool-call-delta", "index": index, "delta": {"message": delta}}
        )
    return out


def answer_from_results(request) -> str:
    return "; ".join(f"{r['name']}: {r['text'] or r['documents']}" for r in tool_results(request))


def assert_healthy(chat: Chat, fake: FakeCohere, tmp_path) -> None:
    """The end state every hostile input must leave."""
    assert chat.status == "idle"
    validate_history(chat.messages)  # the chat's own validator
    json.dumps(chat.messages, allow_nan=False, ensure_ascii=False).encode("utf-8")  # as synced
    path = tmp_path / f"end-{time.monotonic_ns()}.json"
    chat.save(path)
    assert Chat.load(path, base_url=fake.url, api_key="k").history == chat.history
    fake.add("Next answer.")
    assert chat.ask("And now?", timeout=SLOW) == "Next answer."


def run_tool_returning(value, strict, **options):
    """A chat whose one tool returns ``value`` (or ``value()``): the chat and its reply."""

    def tool() -> object:
        """Returns a hostile value."""
        return value() if callable(value) else value

    chat = Chat(base_url=strict.url, api_key="k", tools=[tool], **options)
    strict.add(tool_turn({"name": "tool", "arguments": {}}), answer_from_results)
    reply = chat.send("go")
    assert reply.wait(SLOW).done, "the reply never ended (a stuck chat)"
    return chat, reply


def tool_texts(chat: Chat) -> list[str]:
    return [
        "".join(block.get("text", "") for block in message["content"])
        for message in chat.history
        if message["role"] == "tool"
    ]


# --- A. stuck forever -----------------------------------------------------------------------------


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    __repr__ = __str__


def _self_containing() -> dict:
    loop: dict = {"text": "loop"}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(
    "value, said",
    [
        (b"\x89PNG\r\n", "binary data"),
        (_self_containing, "contains itself"),
        (_Unprintable(), "cannot be sent as JSON"),
    ],
    ids=["binary-bytes", "self-containing-dict", "str-raises"],
)
def test_a_hostile_tool_result_never_leaves_the_chat_busy(strict, tmp_path, value, said):
    chat, reply = run_tool_returning(value, strict)
    assert reply.status == "complete"
    [call] = reply.calls
    assert call.status == "error" and said in call.error
    [text] = tool_texts(chat)
    assert text.startswith("Error: the result was refused") and said in text
    assert_healthy(chat, strict, tmp_path)


def test_an_exception_whose_str_raises_is_an_error_result(strict, tmp_path):
    class Nasty(Exception):
        def __str__(self) -> str:
            raise RuntimeError("nope")

    def explode() -> None:
        raise Nasty()

    chat, reply = run_tool_returning(explode, strict)
    assert reply.calls[0].status == "error" and reply.calls[0].error.startswith("Nasty")
    assert_healthy(chat, strict, tmp_path)


# --- B. lone surrogates in tool arguments ---------------------------------------------------------


def test_tool_arguments_with_a_lone_surrogate_keep_the_view_and_the_file_working(
    strict, tmp_path, comms
):
    def echo(text: str) -> str:
        """Echo."""
        return text

    path = tmp_path / "chat.json"
    chat = Chat(base_url=strict.url, api_key="k", tools=[echo], file=path)
    strict.add(
        tool_turn({"name": "echo", "arguments": '{"text": "half \\ud83d"}'}), answer_from_results
    )
    reply = chat.send("go")
    assert reply.wait(SLOW).done and reply.status == "complete"
    assert reply.calls[0].arguments == {"text": "half \ufffd"}
    # The committed turn reached the views, and the file holds it.
    recorder = recorder_of(chat, comms)
    assert any((m.custom or {}).get("type") == "end" for m in recorder.messages)
    assert json.loads(path.read_text(encoding="utf-8"))["messages"] == chat.messages
    assert_healthy(chat, strict, tmp_path)


# --- C. poisoned histories from tool results ------------------------------------------------------


def _deep(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels):
        value = {"down": value}
    return value


def test_nan_and_lone_surrogates_in_a_result_are_repaired(strict, tmp_path):
    chat, reply = run_tool_returning({"mean": float("nan"), "name": "half \ud83d"}, strict)
    assert reply.calls[0].status == "done"
    [tool_message] = [m for m in chat.history if m["role"] == "tool"]
    assert tool_message["content"][0]["document"]["data"] == {"mean": None, "name": "half \ufffd"}
    assert_healthy(chat, strict, tmp_path)


def test_a_result_nested_deeper_than_64_is_refused_naming_the_path(strict, tmp_path):
    chat, reply = run_tool_returning(_deep(70), strict)
    assert reply.calls[0].status == "error"
    assert "result['down']['down']" in reply.calls[0].error and "64" in reply.calls[0].error
    assert_healthy(chat, strict, tmp_path)


# --- D, F. deep tool arguments --------------------------------------------------------------------


def _deep_arguments(levels: int) -> str:
    return '{"x": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize("levels", [80, 100_000])
def test_deep_tool_arguments_get_an_error_result_and_a_file_that_reopens(strict, tmp_path, levels):
    def lookup(x: dict) -> str:
        """Look up."""
        return "never"

    path = tmp_path / "chat.json"
    chat = Chat(base_url=strict.url, api_key="k", tools=[lookup], file=path)
    strict.add(
        tool_turn({"name": "lookup", "arguments": _deep_arguments(levels)}), answer_from_results
    )
    reply = chat.send("go")
    assert reply.wait(SLOW).done
    [call] = reply.calls
    assert call.status == "error" and "nested more than 64" in call.error
    # Every call has its tool message (the strict server would answer 400 otherwise) ...
    assert_healthy(chat, strict, tmp_path)
    chat.close()
    # ... and Chat(file=...) after a restart opens the conversation.
    assert Chat(base_url=strict.url, api_key="k", file=path).history == chat.history


# --- E. one bad citation --------------------------------------------------------------------------


def test_a_citation_of_a_bad_shape_is_skipped_and_the_answer_kept(fake, tmp_path):
    good = {"start": 4, "end": 10, "text": "answer", "sources": [{"type": "document", "id": "d"}]}
    bad = {"start": 0, "end": 3, "text": "The", "sources": "abc"}
    fake.add(text_events("The answer.", citations=[bad, good]))
    chat = Chat(base_url=fake.url, api_key="k")
    reply = chat.send("cite")
    assert reply.result(SLOW) == "The answer."
    assert chat.history[-1]["content"] == "The answer."
    assert chat.history[-1]["citations"] == [good]
    assert any("Skipped a citation" in w and "'sources'" in w for w in reply.warnings)
    assert_healthy(chat, fake, tmp_path)


def _file(tmp_path, messages, name="bad.json", **extra):
    path = tmp_path / name
    doc = {"format": "co_widget.chat", "version": 1, "model": "m", "messages": messages, **extra}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_citation_of_a_bad_shape_in_a_history_or_file_is_a_value_error(fake, tmp_path):
    history = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a", "citations": [{"start": 0, "sources": "abc"}]},
    ]
    chat = Chat(base_url=fake.url, api_key="k")
    with pytest.raises(ValueError, match=r"messages\[1\]\['citations'\]\[0\]: 'sources'"):
        chat.history = history
    with pytest.raises(ValueError, match=r"messages\[1\]\['citations'\]\[0\]"):
        Chat.load(_file(tmp_path, history))


# --- G. a tool call without an id -----------------------------------------------------------------


def test_a_tool_call_without_an_id_gets_one(strict, tmp_path):
    def ping() -> str:
        """Ping."""
        return "pong"

    events = tool_turn({"name": "ping", "arguments": {}})
    for event in events:
        if event["type"] == "tool-call-start":
            del event["delta"]["message"]["tool_calls"]["id"]
    strict.add(events, answer_from_results)
    chat = Chat(base_url=strict.url, api_key="k", tools=[ping])
    assert chat.ask("go", timeout=SLOW) == "ping: pong"
    [call] = chat.history[1]["tool_calls"]
    assert call["id"] and chat.history[2]["tool_call_id"] == call["id"]
    assert_healthy(chat, strict, tmp_path)


# --- H. file= on a symlink ------------------------------------------------------------------------


def test_autosave_writes_through_a_symlink(fake, tmp_path):
    target = tmp_path / "real" / "chat.json"
    target.parent.mkdir()
    link = tmp_path / "chat.json"
    link.symlink_to(target)
    chat = Chat(base_url=fake.url, api_key="k", file=link)
    fake.add("one", "two")
    chat.ask("first", timeout=SLOW)
    chat.ask("second", timeout=SLOW)
    assert link.is_symlink()
    assert len(json.loads(target.read_text(encoding="utf-8"))["messages"]) == 4


# --- I. failed autosaves are shown ----------------------------------------------------------------


def test_a_failed_autosave_is_kept_and_cleared_by_the_next_good_save(fake, tmp_path):
    path = tmp_path / "chat.json"
    chat = Chat(base_url=fake.url, api_key="k", file=path)
    path.mkdir()  # the rename onto it fails, for root too
    fake.add("kept", "saved")
    assert chat.ask("hi", timeout=SLOW) == "kept"
    assert chat.autosave_error is not None
    assert str(path) in chat.autosave_error and "Is a directory" in chat.autosave_error
    path.rmdir()
    assert chat.ask("again", timeout=SLOW) == "saved"
    assert chat.autosave_error is None
    assert len(json.loads(path.read_text(encoding="utf-8"))["messages"]) == 4


# --- J. hostile _co records and bad files ---------------------------------------------------------


def _with_meta(meta: dict) -> list[dict]:
    return [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "_co": meta}]


@pytest.mark.parametrize(
    "messages, where",
    [
        (_with_meta({"calls": "xx"}), r"messages\[1\]\['_co'\].*'calls'"),
        (_with_meta({"calls": [{"id": 1}]}), r"messages\[1\]\['_co'\].*'calls'\[0\]"),
        (_with_meta({"documents": "doc"}), r"messages\[1\]\['_co'\].*'documents'"),
        (_with_meta({"tools": []}), r"messages\[1\]\['_co'\].*'tools'"),
        (_with_meta({"usage": {"tokens": "many"}}), r"messages\[1\]\['_co'\].*'usage'"),
        ([{"role": ["user"], "content": "q"}], r"messages\[0\]: role"),
        ([{"role": "user", "content": [7]}], r"messages\[0\]: content\[0\]"),
    ],
)
def test_a_hostile_file_is_a_value_error_naming_the_path(tmp_path, messages, where):
    path = _file(tmp_path, messages)
    with pytest.raises(ValueError, match=where):
        Chat.load(path)


def test_a_file_nested_too_deep_for_the_parser_is_a_value_error(fake, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValueError, match="nested too deeply"):
        Chat.load(path)
    with pytest.raises(ValueError, match=r"file=.*not a conversation"):
        Chat(base_url=fake.url, api_key="k", file=path)


def test_a_loaded_file_writes_a_transcript(tmp_path):
    good = _with_meta({"calls": [{"id": "c", "name": "f", "status": "done"}]})
    assert "## Assistant" in Chat.load(_file(tmp_path, good)).to_markdown()


# --- K. generators --------------------------------------------------------------------------------


def test_a_generator_result_is_read_once_for_the_model_and_the_card(strict, tmp_path):
    chat, reply = run_tool_returning(lambda: (n * n for n in range(4)), strict)
    assert reply.calls[0].status == "done" and reply.calls[0].result == [0, 1, 4, 9]
    assert tool_texts(chat) == ["[0, 1, 4, 9]"]
    card = chat.messages[1]["_co"]["calls"][0]
    assert card["result"] == "[0, 1, 4, 9]"
    assert_healthy(chat, strict, tmp_path)


# --- L. EXIF orientation --------------------------------------------------------------------------


def test_a_shrunk_photo_keeps_its_exif_orientation():
    pil = pytest.importorskip("PIL.Image")
    from co_widget.request.images import decode_data_url, image_blocks

    stored = pil.new("RGB", (400, 200), "white")  # landscape as stored ...
    exif = pil.Exif()
    exif[0x0112] = 6  # ... and "rotate 90° clockwise to view": a portrait photo
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        [block], _notes = image_blocks([buffer.getvalue()], max_side=100)
    _, data = decode_data_url(block["image_url"]["url"])
    width, height = pil.open(io.BytesIO(data)).size
    assert height > width  # upright: as the user sees the photo


# --- M. deep JSON replies -------------------------------------------------------------------------


def test_parsed_on_a_deeply_nested_json_reply_is_a_value_error(fake):
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fake.add(text_events("[" * 100_000 + "]" * 100_000))
    chat = Chat(base_url=fake.url, api_key="k")
    reply = chat.send("json please", response_format=schema)
    reply.wait(SLOW)
    with pytest.raises(ValueError, match="nested too deeply"):
        _ = reply.parsed


# --- the caps and rules ---------------------------------------------------------------------------


def test_a_large_result_is_truncated_with_a_note(strict, tmp_path):
    chat, _ = run_tool_returning("x" * (3 << 20), strict)
    [text] = tool_texts(chat)
    assert len(text.encode()) <= 1 << 20 and "truncated by co_widget" in text
    chat2, _ = run_tool_returning("y" * 10_000, strict, max_tool_result=4096)
    [text2] = tool_texts(chat2)
    assert len(text2.encode()) <= 4096 and "over the cap of 4096 bytes" in text2
    with pytest.raises(ValueError, match="max_tool_result"):
        Chat(base_url=strict.url, api_key="k", max_tool_result="big")
    assert_healthy(chat, strict, tmp_path)


def test_arguments_over_the_cap_are_refused_and_not_kept(strict, tmp_path):
    def store(text: str) -> str:
        """Store."""
        return "stored"

    chat = Chat(base_url=strict.url, api_key="k", tools=[store], max_tool_result=4096)
    strict.add(tool_turn({"name": "store", "arguments": {"text": "z" * 10_000}}), "Done.")
    reply = chat.send("go")
    reply.wait(SLOW)
    assert reply.calls[0].status == "error" and "over the cap of 4096" in reply.calls[0].error
    assert len(json.dumps(chat.messages)) < 4096
    assert_healthy(chat, strict, tmp_path)


def test_the_widget_gets_bounded_previews_of_large_arguments(strict, comms):
    def store(text: str) -> str:
        """Store."""
        return "stored"

    size = 400_000
    chat = Chat(base_url=strict.url, api_key="k", tools=[store])
    events = tool_turn({"name": "store", "arguments": {"text": "z" * size}})
    strict.add(events, "Done.")
    assert chat.ask("go", timeout=SLOW) == "Done."
    recorder = recorder_of(chat, comms)
    cards = [m.custom["call"] for m in recorder.messages if (m.custom or {}).get("type") == "tool"]
    assert cards and all(len(json.dumps(card["arguments"])) < 2_100 for card in cards)
    # Bounded traffic: the committed history holds the arguments once; cards add little.
    sent = sum(m.nbytes for m in recorder.messages)
    assert sent < 2 * size


def test_an_image_with_too_many_pixels_is_refused_before_decoding():
    pil = pytest.importorskip("PIL.Image")
    from co_widget.request.images import image_blocks

    buffer = io.BytesIO()
    pil.new("1", (12_000, 12_000)).save(buffer, format="PNG")  # 144 megapixels, a few KB
    with pytest.raises(ValueError, match="decompression bomb"):
        image_blocks([buffer.getvalue()])


def test_an_approver_must_return_a_real_bool(strict, tmp_path):
    ran = []

    def launch() -> str:
        """Launch."""
        ran.append(1)
        return "launched"

    chat = Chat(base_url=strict.url, api_key="k", tools=[launch], approve=lambda n, a: "no")
    strict.add(tool_turn({"name": "launch", "arguments": {}}), answer_from_results)
    reply = chat.send("go")
    reply.wait(SLOW)
    assert not ran and reply.calls[0].status == "denied"
    assert any("approve returned a str, not a bool" in w for w in reply.warnings)
    assert_healthy(chat, strict, tmp_path)


def test_two_chats_of_one_file_never_overwrite_each_other(fake, tmp_path):
    path = tmp_path / "chat.json"
    first = Chat(base_url=fake.url, api_key="k", file=path)
    fake.add("one", "two", Stream("a slow answer", stall_after=1, stall_seconds=SLOW))
    first.ask("hi", timeout=SLOW)
    # Running the cell again: the new chat takes the file over, the old one says it stopped.
    second = Chat(base_url=fake.url, api_key="k", file=path)
    assert second.history == first.history
    assert "now belongs to a newer chat" in first.autosave_error
    first.ask("only in memory", timeout=SLOW)
    assert len(json.loads(path.read_text(encoding="utf-8"))["messages"]) == 2
    # While a chat of the file streams, another one is refused.
    reply = second.send("slow")
    with pytest.raises(ValueError, match="streaming a reply"):
        Chat(base_url=fake.url, api_key="k", file=path)
    second.stop()
    assert reply.status == "stopped"
    second.close()
    third = Chat(base_url=fake.url, api_key="k", file=path)
    assert third.history == second.history


def test_autosave_keeps_permission_bits_and_removes_stale_temporaries(fake, tmp_path):
    path = tmp_path / "chat.json"
    chat = Chat(base_url=fake.url, api_key="k", file=path)
    fake.add("one", "two")
    chat.ask("first", timeout=SLOW)
    os.chmod(path, 0o600)
    stale = tmp_path / ".chat.json.killed.tmp"  # what a save killed mid-write leaves
    stale.write_text("{", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    chat.ask("second", timeout=SLOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.json"]


def test_a_slow_disk_does_not_block_send(fake, tmp_path, monkeypatch):
    import co_widget.session.autosave as autosave

    disk = threading.Event()
    real_write = autosave.write_chat_file

    def slow_write(path, doc):
        disk.wait(SLOW)
        real_write(path, doc)

    monkeypatch.setattr(autosave, "write_chat_file", slow_write)
    chat = Chat(base_url=fake.url, api_key="k", file=tmp_path / "chat.json")
    fake.add("one", "two")
    chat.send("first")
    until(lambda: chat.status == "idle" and len(chat.messages) == 2)  # committed, not on disk
    sent = []
    sender = threading.Thread(target=lambda: sent.append(chat.send("second")), daemon=True)
    sender.start()
    sender.join(SLOW / 2)
    assert sent, "send() waited for the disk"
    disk.set()
    assert sent[0].result(SLOW) == "two"


def test_to_markdown_writes_no_unsafe_links(fake):
    chat = Chat(base_url=fake.url, api_key="k")
    chat.history = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "javascript:x"}}]},
        {
            "role": "assistant",
            "content": "[click](javascript:alert(1)) <a href='vbscript:x'>a</a> [ok](https://a.b)"
            " [mail](mailto:a@b.c) [e](jav&#97;script:alert(2))",
        },
    ]
    text = chat.to_markdown()
    for scheme in ("javascript", "vbscript", "jav&#97;script"):
        assert f"{scheme}:" not in text.lower()
    assert "[ok](https://a.b)" in text and "[mail](mailto:a@b.c)" in text


def test_unknown_message_keys_in_a_file_are_ignored_with_a_warning(tmp_path):
    messages = [{"role": "user", "content": "q", "future": {"x": 1}}]
    with pytest.warns(UserWarning, match=r"unknown message keys \['future'\]"):
        chat = Chat.load(_file(tmp_path, messages))
    assert chat.history == [{"role": "user", "content": "q"}]


@pytest.mark.parametrize(
    "documents, said",
    [
        ([_self_containing()], "contains itself"),
        ({"text": "deep", "nest": _deep(70)}, "nested more than 64"),
        ([{"text": "x", "score": float("nan")}], r"documents\[0\]\['data'\]\['score'\]"),
    ],
    ids=["self-containing", "deep", "nan"],
)
def test_hostile_documents_are_a_value_error_and_change_nothing(fake, documents, said):
    chat = Chat(base_url=fake.url, api_key="k")
    with pytest.raises(ValueError, match=said):
        chat.send("q", documents=documents)
    with pytest.raises(ValueError, match=said):
        Chat(base_url=fake.url, api_key="k", documents=documents)
    assert chat.messages == [] and chat.status == "idle"


def test_a_hostile_usage_record_keeps_the_reply(fake, tmp_path):
    usage = {
        "billed_units": {"input_tokens": float("nan"), "output_tokens": 3, "note": "x"},
        "tokens": "many",
        "cached_tokens": float("inf"),
        "future": 2,
    }
    fake.add(text_events("Fine.", usage=usage))
    chat = Chat(base_url=fake.url, api_key="k")
    reply = chat.send("q")
    assert reply.result(SLOW) == "Fine." and reply.status == "complete"
    assert chat.messages[-1]["_co"]["usage"] == {
        "billed_units": {"output_tokens": 3},
        "future": 2,
    }
    assert_healthy(chat, fake, tmp_path)


def test_a_failure_while_building_the_transcript_still_ends_the_turn(strict, tmp_path, monkeypatch):
    """Bug A's root cause: the runner built the tool steps outside its guard."""
    from co_widget.turn.tool_turn import ToolTurn

    def broken(self):
        raise RuntimeError("transcript failed")

    monkeypatch.setattr(ToolTurn, "transcript", broken)
    chat, reply = run_tool_returning("fine", strict)
    assert reply.status == "error" and "transcript failed" in str(reply.error)
    monkeypatch.undo()
    assert_healthy(chat, strict, tmp_path)
