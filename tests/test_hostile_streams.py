"""Hostile servers cannot brick a chat: every stream ends with the chat idle, the turn recorded,
a valid history, and a next ``send()`` that works. Each test is one failure found by trying the
package as an attacker would (issue "Never stuck, never leaking")."""

from __future__ import annotations

import gc
import gzip
import json
import weakref

import pytest

from co_widget import Chat, StreamTooLargeError
from co_widget.request.messages import validate_messages
from co_widget.testing import FakeCohere, Stream, text_events
from co_widget.turn.reply_content import MAX_WARNINGS
from co_widget.turn.state import TurnState
from co_widget.wire.stream_parser import MAX_RECORD_BYTES
from tests.support.comm_recorder import recorder_of
from tests.support.hostile_servers import hanging_connect, silent_tls

SLOW = 5.0  # "it did not hang": far above any real figure, far below the timeouts set here


def raw(event: dict) -> bytes:
    """One SSE record, JSON-escaped as ASCII (so lone surrogates travel as ``\\ud83c``)."""
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def delta(text: str, index: int = 0) -> dict:
    return {
        "type": "content-delta",
        "index": index,
        "delta": {"message": {"content": {"text": text}}},
    }


def message(*events: dict | bytes) -> list[dict | bytes]:
    """A whole reply around ``events``: start, text block 0, ..., end."""
    start = text_events("x")[0]
    end = text_events("x")[-1]
    block = {
        "type": "content-start",
        "index": 0,
        "delta": {"message": {"content": {"type": "text"}}},
    }
    return [start, block, *events, {"type": "content-end", "index": 0}, end]


def assert_usable(chat: Chat, fake: FakeCohere) -> None:
    """Idle, a history the package itself accepts, a file save() can write, a next send that
    works."""
    assert chat.status == "idle"
    validate_messages(chat.history)
    json.dumps(chat.messages, ensure_ascii=False).encode("utf-8")  # what sync and save need
    fake.add("next one works")
    assert chat.ask("again", timeout=SLOW) == "next one works"


# --- 2. any exception between "busy" and the end of the worker ----------------------------------


def test_a_citation_nested_600_levels_is_skipped_and_the_chat_goes_on(fake):
    deep: dict = {}
    for _ in range(600):
        deep = {"a": deep}
    citation = {"start": 0, "end": 1, "text": "x", "sources": [deep]}
    fake.add(
        Stream(
            message(
                delta("x"),
                {
                    "type": "citation-start",
                    "index": 0,
                    "delta": {"message": {"citations": citation}},
                },
            )
        )
    )
    chat = Chat(base_url=fake.url)
    reply = chat.send("cite").wait(SLOW)
    assert reply.status == "complete" and reply.text == "x"
    assert any("nested more than" in w for w in reply.warnings)
    assert_usable(chat, fake)


def test_a_failure_while_committing_ends_the_turn_as_an_error(fake, comms, monkeypatch):
    fake.add("fine")
    chat = Chat(base_url=fake.url)

    def broken(self):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(TurnState, "message", property(broken))  # what the runner commits
    reply = chat.send("hello").wait(SLOW)
    monkeypatch.undo()
    assert reply.done and reply.status == "error"
    assert "RecursionError" in str(reply.error)
    turn = chat.messages[-1]
    assert turn["_co"]["status"] == "error" and "RecursionError" in turn["_co"]["error"]["message"]
    assert chat.history == [{"role": "user", "content": "hello"}]
    kinds = [m.custom["type"] for m in recorder_of(chat, comms).messages if m.custom]
    assert kinds[-1] == "end"
    assert_usable(chat, fake)


# --- 3. Stop in every phase, even where no socket can be interrupted ----------------------------


@pytest.mark.parametrize("server", [hanging_connect, silent_tls], ids=["tcp-connect", "tls"])
@pytest.mark.parametrize("how", ["stop", "clear"])
def test_stop_and_clear_end_a_reply_stuck_connecting(server, how):
    with server() as (url, stuck):
        chat = Chat(base_url=url, timeout=60, max_retries=0)
        reply = chat.send("hello?")
        stuck()  # the worker is blocked where no socket can be reached from another thread
        getattr(chat, how)()  # returns once the reply has ended
        assert reply.done and reply.status == "stopped"
        assert chat.status == "idle"
        assert chat.history == ([] if how == "clear" else [{"role": "user", "content": "hello?"}])
        with FakeCohere(["back"]) as fake:
            chat._client.base_url = fake.url  # the same chat, now with a server that answers
            assert chat.ask("again", timeout=SLOW) == "back"


# --- 4. a surrogate pair split across two JSON-escaped deltas -----------------------------------


def test_a_surrogate_pair_split_across_deltas_is_joined(fake, comms):
    fake.add(Stream(message(raw(delta("Cheers ")), raw(delta("\ud83c")), raw(delta("\udf7e!")))))
    chat = Chat(base_url=fake.url)
    reply = chat.send("toast").wait(SLOW)
    assert reply.status == "complete" and reply.text == "Cheers 🍾!"
    assert reply.warnings == []
    shown = "".join(m.custom.get("text", "") for m in recorder_of(chat, comms).messages if m.custom)
    assert shown == "Cheers 🍾!"
    assert_usable(chat, fake)


def test_a_surrogate_never_completed_becomes_a_replacement_character(fake, tmp_path):
    fake.add(Stream(message(raw(delta("a\ud83c")), raw(delta("b")), raw(delta("c\ud83d")))))
    chat = Chat(base_url=fake.url)
    reply = chat.send("x").wait(SLOW)
    assert reply.text == "a\ufffdbc\ufffd"
    assert any("U+FFFD" in w for w in reply.warnings)
    chat.save(tmp_path / "chat.json")
    assert Chat.load(tmp_path / "chat.json").history == chat.history
    assert_usable(chat, fake)


# --- 5. content blocks and events of unknown types ----------------------------------------------


def test_unknown_block_and_event_types_are_skipped_with_one_warning_each(fake):
    image = {
        "type": "content-start",
        "index": 1,
        "delta": {"message": {"content": {"type": "image", "image": {"url": "x"}}}},
    }
    image_delta = {
        "type": "content-delta",
        "index": 1,
        "delta": {"message": {"content": {"image": {"url": "y"}}}},
    }
    hologram = {"type": "hologram-delta", "delta": {}}
    fake.add(Stream(message(delta("Here: "), image, image_delta, image_delta, hologram, hologram)))
    chat = Chat(base_url=fake.url)
    reply = chat.send("draw").wait(SLOW)
    assert reply.status == "complete" and reply.text == "Here: "
    assert len(reply.warnings) == 2
    assert "'image'" in reply.warnings[0] and "'hologram-delta'" in reply.warnings[1]
    assert reply.message["content"] == "Here: "
    assert_usable(chat, fake)


# --- 6. a record too deep to decode ---------------------------------------------------------------


def test_a_100k_deep_record_is_skipped_like_any_malformed_record(fake):
    bomb = b"data: " + b"[" * 100_000 + b"]" * 100_000 + b"\n\n"
    fake.add(Stream(message(delta("before "), bomb, delta("after"))))
    chat = Chat(base_url=fake.url)
    reply = chat.send("x").wait(SLOW)
    assert reply.status == "complete" and reply.text == "before after"
    assert any("malformed" in w for w in reply.warnings)
    assert_usable(chat, fake)


# --- 7. memory bounds ---------------------------------------------------------------------


def test_an_endless_line_ends_the_reply_at_the_record_cap_keeping_the_text(fake):
    endless = b"data: " + b"x" * (MAX_RECORD_BYTES + 1024)  # and no newline, ever
    fake.add(Stream(message(delta("kept"), endless), chunk_size=256 * 1024))
    chat = Chat(base_url=fake.url)
    reply = chat.send("x").wait(SLOW * 4)
    assert reply.status == "interrupted" and reply.text == "kept"
    assert isinstance(reply.error, StreamTooLargeError)
    assert_usable(chat, fake)


def test_a_gzip_bomb_is_cut_at_the_body_cap(fake):
    # 70 MiB of keep-alive comments, 70 KB on the wire: inflating it whole is what is refused.
    body = b"".join(Stream(message(delta("kept")))._wire("sse", {})[:3])
    body += b": keep-alive\n" * (70 * 2**20 // 13)
    fake.add(
        Stream(
            [gzip.compress(body, compresslevel=9)],
            headers={"Content-Encoding": "gzip"},
            done_marker=False,
        )
    )
    chat = Chat(base_url=fake.url)
    reply = chat.send("x").wait(SLOW * 4)
    assert reply.text == "kept"
    assert isinstance(reply.error, StreamTooLargeError) and "64 MiB" in str(reply.error)
    assert_usable(chat, fake)


def test_warnings_are_capped_with_a_count_of_the_rest(fake):
    junk = [b"data: {not json\n\n"] * 400
    fake.add(Stream(message(delta("ok"), *junk)))
    chat = Chat(base_url=fake.url)
    reply = chat.send("x").wait(SLOW)
    assert reply.text == "ok" and len(reply.warnings) == MAX_WARNINGS + 1
    assert reply.warnings[-1] == "… and 300 more warnings."
    assert chat.messages[-1]["_co"]["warnings"] == reply.warnings
    assert_usable(chat, fake)


# --- 12. a closed chat is freed ----------------------------------------------------------------


def test_a_closed_chat_is_collectable(fake):
    fake.add("bye")
    chat = Chat(base_url=fake.url)
    chat.ask("hi", timeout=SLOW)
    ref = weakref.ref(chat)
    chat.close()
    del chat
    gc.collect()
    assert ref() is None
