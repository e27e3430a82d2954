"""The Chat widget without a browser: what goes over the comm, and the front-end actions.

Every widget here gets a RecordingComm, which keeps each message the kernel would send with its
size on the wire. Replies come from FakeCohere over real sockets. Front-end actions go through
ipywidgets' own message path (``_handle_msg``), as a browser's would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from co_widget import (
    Chat,
    ChatBusyError,
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    GenerationError,
    MissingAPIKeyError,
    ServerError,
    StreamInterruptedError,
    UnauthorizedError,
)
from co_widget.request.messages import validate_messages
from co_widget.testing import Error, FakeCohere, Stream, text_events
from tests.support.comm_recorder import recorder_of

CAPTURED = Path(__file__).parent / "fixtures" / "captured"
SECRET = "sk-SECRET-123"
LONG_TEXT = "Coca-Cola is a carbonated soft drink made by The Coca-Cola Company. " * 8
# Loose bound for "it did not hang": no timing assertion is tighter than this.
SLOW = 5.0


def customs(messages, kind: str | None = None) -> list[dict]:
    """The custom messages' contents; only those of type ``kind`` if given."""
    return [m.custom for m in messages if m.custom is not None and kind in (None, m.custom["type"])]


def commits(messages) -> list[dict]:
    """The changes of the conversation sent to the views: ``commit`` messages (the trait's own
    sync must never carry ``messages`` again, so a turn costs what it adds)."""
    assert not [m for m in messages if m.state is not None and "messages" in m.state]
    return customs(messages, "commit")


def streamed_parts(window) -> dict:
    """What a view received of the last reply in ``window``: its deltas, summed."""
    parts: dict = {"text": "", "thinking": "", "tool_plan": "", "citations": []}
    for delta in customs(window, "delta"):
        for kind, piece in delta.items():
            if kind in parts:
                parts[kind] += piece
    return parts


def applied(messages: list[dict], commit: dict, streamed: dict | None = None) -> list[dict]:
    """What a view's model holds after ``commit``, the parts it names filled from what the
    reply ``streamed`` (js/src/state/commits.js does this in the browser)."""
    added = [dict(m) for m in commit["messages"]]
    for kind in commit["streamed"]:
        last = added[-1]
        if kind in ("tool_plan", "citations"):
            last[kind] = streamed[kind]
        elif isinstance(last["content"], str):
            last["content"] = streamed[kind]
        else:
            last["content"] = [
                {**b, kind: streamed[kind]} if b["type"] == kind else b for b in last["content"]
            ]
    return [*messages[: commit["base"]], *added]


def ui(chat: Chat, **content) -> None:
    """A message from a view, through ipywidgets' comm handler."""
    chat._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def until(condition, timeout: float = SLOW) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def many_deltas(n: int, size: int = 0) -> list[str]:
    """``n`` word deltas (``size`` pads each to that many characters)."""
    return [f" w{i}".ljust(size, ".") for i in range(n)]


def prior_history(n: int) -> list[dict]:
    return [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}: {LONG_TEXT}"}
        for i in range(n)
    ]


STALL_AFTER = 12  # events


def stalled(after: int = STALL_AFTER) -> Stream:
    """A reply that goes silent after a few events (until stopped, or the fake closes)."""
    return Stream(LONG_TEXT, stall_after=after, stall_seconds=30)


# All the text a stalled() reply gets before it goes silent. Tests wait for all of it, not just
# for some: until then the worker may still be adding text while the test reads or stops it.
BEFORE_STALL = "".join(
    event["delta"]["message"]["content"]["text"]
    for event in text_events(LONG_TEXT)[:STALL_AFTER]
    if event["type"] == "content-delta"
)


# --- streaming protocol --------------------------------------------------------------------


def test_a_reply_streams_as_begin_deltas_one_commit_and_end(comms, fake):
    fake.add("Hello there, how are you doing today?")
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    mark = len(recorder.messages)
    reply = chat.send("hi")
    assert reply.wait(SLOW).status == "complete"

    window = recorder.messages[mark:]
    sent = customs(window)
    assert [m["seq"] for m in sent] == list(range(len(sent)))
    begin, *deltas, commit, end = sent
    assert begin == {"type": "begin", "seq": 0, "reply": 1, "base": 0, "user": chat.history[0]}
    assert {m["type"] for m in deltas} == {"delta"} and end["type"] == "end"
    assert "".join(m.get("text", "") for m in deltas) == reply.text
    assert all(m["reply"] == 1 for m in (begin, *deltas, end))

    # The finished turn arrives as one commit of what it adds, before the end, so a view drops
    # its bubble only once the turn is there.
    # The answer's text, streamed already, is not sent again.
    assert commits(window) == [commit]
    user, answer = chat.messages
    assert commit == {
        "type": "commit",
        "seq": len(sent) - 2,
        "reply": 1,
        "revision": chat.revision,
        "base_revision": chat.revision - 1,
        "base": 0,
        "messages": [user, {**answer, "content": ""}],
        "streamed": ["text"],
    }
    assert applied([], commit, streamed_parts(window)) == chat.messages
    states = [m.state for m in window if m.state is not None]
    # The header's gauges follow the messages: they are the one other update of the commit.
    assert [s for s in states if set(s) != {"_header"}] == [
        {"status": "streaming"},
        {"status": "idle"},
    ]
    assert states[-2:] == [{"_header": chat._header}, {"status": "idle"}]
    assert window.index(next(m for m in window if m.custom == end)) == len(window) - 1
    assert chat.messages[-1]["_co"]["status"] == "complete"


@pytest.mark.parametrize("prior", [0, 500])
def test_a_commit_carries_only_the_new_turn_whatever_the_history(comms, fake, prior):
    chat = Chat(base_url=fake.url)
    chat.history = prior_history(prior)
    recorder = recorder_of(chat, comms)
    before = chat.messages
    mark = len(recorder.messages)
    chat.ask("one more")
    window = recorder.messages[mark:]
    (commit,) = commits(window)
    assert commit["base"] == prior and len(commit["messages"]) == 2
    assert applied(before, commit, streamed_parts(window)) == chat.messages


def test_undo_clear_edit_and_a_new_history_commit_what_changed(comms, fake):
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    for text in ("one", "two", "three"):
        chat.ask(text)
    view = chat.messages  # what a view's model holds, kept up to date by the commits
    mark = len(recorder.messages)
    chat.undo()
    ui(chat, type="edit", index=0, text="uno")  # drops the later exchange, answers again
    until(lambda: chat.status == "idle" and chat.messages[0]["content"] == "uno")
    edited = list(chat.messages)
    chat.history = [*chat.history, {"role": "user", "content": "and?"}]
    chat.clear()
    window = recorder.messages[mark:]
    sent = commits(window)
    shapes = [(c["base"], len(c["messages"])) for c in sent]
    # Undo keeps 4; the edit's reply replaces both; the new history (plain messages, without
    # the reply's metadata) keeps the user message; clear keeps nothing.
    assert shapes == [(4, 0), (0, 2), (1, 2), (0, 0)]
    revisions = [(c["base_revision"], c["revision"]) for c in sent]
    assert revisions == [(r, r + 1) for r in range(sent[0]["base_revision"], chat.revision)]
    for commit in sent:
        view = applied(view, commit, streamed_parts(window))
        if commit["reply"] is not None:
            assert view == edited
    assert view == chat.messages == []


def test_many_fast_deltas_are_coalesced(comms, fake):
    pieces = many_deltas(4000)
    fake.add(text_events(deltas=pieces))
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    mark = len(recorder.messages)
    reply = chat.send("long please").wait(SLOW * 4)
    deltas = customs(recorder.messages[mark:], "delta")
    assert reply.text == "".join(pieces)
    assert "".join(m["text"] for m in deltas) == reply.text
    assert 1 <= len(deltas) < 100


def test_paced_deltas_stay_under_30_messages_per_second(comms, fake):
    # Big deltas: the text pays for many messages, so only the rate cap holds them back.
    fake.add(Stream(text_events(deltas=many_deltas(500, size=60)), delay=0.002))
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    mark = len(recorder.messages)
    started = time.monotonic()
    reply = chat.send("stream slowly").wait(SLOW * 4)
    elapsed = time.monotonic() - started
    deltas = customs(recorder.messages[mark:], "delta")
    assert "".join(m["text"] for m in deltas) == reply.text
    assert len(deltas) <= 30 * elapsed + 2
    assert len(deltas) >= 5  # it streamed progressively, not all at the end


def test_a_paused_stream_shows_its_tail_without_waiting_for_the_next_token(comms, fake):
    fake.add(stalled())
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    reply = chat.send("hi")
    until(lambda: reply.text == BEFORE_STALL)

    def shown() -> str:
        return "".join(m.get("text", "") for m in customs(recorder.messages, "delta"))

    until(lambda: shown() == reply.text)  # the flusher sent it while the stream is silent
    assert reply.status == "streaming"
    chat.stop()


@pytest.mark.parametrize("prior", [0, 200])
def test_wire_bytes_stay_within_budget_whatever_the_history(comms, fake, prior):
    pieces = many_deltas(4000)
    fake.add(text_events(deltas=pieces))
    chat = Chat(base_url=fake.url)
    chat.history = prior_history(prior)
    recorder = recorder_of(chat, comms)
    mark = len(recorder.messages)
    reply = chat.send("a long answer please").wait(SLOW * 4)
    window = recorder.messages[mark:]

    reply_bytes = len(reply.text.encode())
    # The whole turn, its commit included, costs what it adds (issue 16's budget), not what
    # the history holds.
    assert len(commits(window)) == 1
    assert sum(m.nbytes for m in window) <= 1.3 * reply_bytes + 4096
    # Each delta's framing is the same, whatever came before: nothing resends the history.
    deltas = [m for m in window if m.custom and m.custom["type"] == "delta"]
    framing = [m.nbytes - len(m.custom["text"].encode()) for m in deltas]
    assert max(framing) <= 100


def test_delta_framing_does_not_grow_with_the_history(comms, fake):
    framing = {}
    for prior in (0, 200):
        fake.add(text_events(deltas=many_deltas(4000)))
        chat = Chat(base_url=fake.url)
        chat.history = prior_history(prior)
        recorder = recorder_of(chat, comms)
        mark = len(recorder.messages)
        chat.send("again").wait(SLOW * 4)
        window = recorder.messages[mark:]
        begin = next(m for m in window if m.custom and m.custom["type"] == "begin")
        first_delta = next(m for m in window if m.custom and m.custom["type"] == "delta")
        framing[prior] = (
            begin.nbytes,
            first_delta.nbytes - len(first_delta.custom["text"].encode()),
        )
    # Only the digits of "base" differ.
    assert abs(framing[200][0] - framing[0][0]) <= 2
    assert framing[200][1] == framing[0][1]


def test_thinking_streams_separately_and_stays_out_of_the_text(comms, fake):
    fake.add(Stream.from_jsonl(CAPTURED / "cohere-reasoning.jsonl"))
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    reply = chat.send("2+2?").wait(SLOW)
    deltas = customs(recorder.messages, "delta")
    assert "".join(m.get("thinking", "") for m in deltas) == reply.thinking
    assert "".join(m.get("text", "") for m in deltas) == reply.text
    assert all(value for m in deltas for value in m.values())  # only non-empty keys
    content = chat.messages[-1]["content"]
    assert [block["type"] for block in content] == ["thinking", "text"]


def test_tool_calls_and_citations_are_committed_in_cohere_shape(fake):
    fake.add(
        Stream.from_jsonl(CAPTURED / "cohere-tool-call.jsonl"),
        Stream.from_jsonl(CAPTURED / "cohere-citations.jsonl"),
    )
    chat = Chat(base_url=fake.url)
    tools = chat.send("weather in SF?").wait(SLOW)
    turn = chat.history[-1]
    assert turn["tool_calls"] == tools.tool_calls and len(turn["tool_calls"]) == 2
    assert json.loads(turn["tool_calls"][0]["function"]["arguments"]) == {
        "location": "San Francisco"
    }
    assert turn["tool_plan"] == tools.tool_plan and "content" not in turn

    tool_results = [
        {"role": "tool", "tool_call_id": call["id"], "content": '{"ok": true}'}
        for call in tools.tool_calls
    ]
    chat.history = [*chat.history, *tool_results]
    cited = chat.regenerate().wait(SLOW)  # continue after the tool results
    assert fake.requests[-1].json["messages"][-1]["role"] == "tool"
    # The history keeps Cohere's objects; reply.citations adds the content block they index.
    assert chat.history[-1]["citations"] == cited.message["citations"]
    assert [{**c, "content_index": 0} for c in cited.message["citations"]] == cited.citations
    assert chat.history[-1]["content"] == cited.text
    validate_messages(chat.history)


def test_snapshot_mid_stream_carries_exactly_the_deltas_so_far(comms, fake):
    fake.add(stalled())
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    reply = chat.send("hi")
    until(lambda: reply.text == BEFORE_STALL)
    ui(chat, type="snapshot")
    sent = customs(recorder.messages)
    snapshot = sent[-1]
    before = sent[:-1]
    assert snapshot["type"] == "snapshot" and snapshot["reply"] == before[0]["reply"]
    assert snapshot["seq"] == before[-1]["seq"] + 1
    assert snapshot["base"] == 0 and snapshot["user"] == {"role": "user", "content": "hi"}
    text = "".join(m.get("text", "") for m in before if m["type"] == "delta")
    empty = {"thinking": "", "tool_plan": "", "citations": [], "spans": []}
    assert snapshot["partial"] == {"text": text, **empty}
    assert text == reply.text  # the stream is silent: everything so far was flushed first
    chat.stop()

    ui(chat, type="snapshot")
    idle = customs(recorder.messages)[-1]
    assert idle["type"] == "snapshot" and idle["reply"] is None
    assert idle["base"] == len(chat.messages) == 2


# --- stop, four ways -------------------------------------------------------------------------


def _interrupt_wait(chat: Chat, reply) -> None:
    """A kernel interrupt (SIGINT) while the main thread waits on the reply.

    Python runs a signal's handler wherever the main thread is, and a KeyboardInterrupt raised
    inside a finalizer that the garbage collector happens to run there is printed and lost. So,
    like a user pressing Interrupt again, it is sent again every 0.5 s until ``wait()`` raised.
    """
    raised = threading.Event()

    def interrupt() -> None:
        while not raised.wait(0.5 if interrupt.sent else 0.1):
            os.kill(os.getpid(), signal.SIGINT)
            interrupt.sent = True

    interrupt.sent = False
    sender = threading.Thread(target=interrupt)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            reply.wait()
    finally:
        raised.set()
        sender.join()


STOPS = {
    "ui": lambda chat, reply: ui(chat, type="stop"),
    "chat.stop": lambda chat, reply: chat.stop(),
    "reply.cancel": lambda chat, reply: reply.cancel(),
    "keyboard-interrupt": _interrupt_wait,
}


@pytest.mark.parametrize("how", STOPS)
def test_stop_ends_the_stream_and_keeps_the_partial(fake, how):
    fake.add(stalled())
    chat = Chat(base_url=fake.url)
    reply = chat.send("tell me everything")
    until(lambda: reply.text == BEFORE_STALL)
    partial = reply.text

    started = time.monotonic()
    STOPS[how](chat, reply)
    assert reply.wait(SLOW).done
    assert time.monotonic() - started < 2.0  # the client promises 0.5 s; this only catches hangs
    assert reply.stopped and reply.error is None and reply.result() == partial
    turn = chat.messages[-1]
    assert turn["content"] == partial and turn["_co"]["status"] == "stopped"
    assert chat.history == [
        {"role": "user", "content": "tell me everything"},
        {"role": "assistant", "content": partial},
    ]
    assert chat.ask("and now?", timeout=SLOW) == "and now?"  # the chat is usable


def test_a_stop_before_any_output_leaves_no_empty_turn_in_the_history(fake):
    fake.add(Stream("never shown", stall_after=0, stall_seconds=30))
    chat = Chat(base_url=fake.url)
    reply = chat.send("hi")
    until(lambda: fake.requests)
    chat.stop()
    assert reply.stopped and reply.text == ""
    assert chat.messages[-1]["_co"]["status"] == "stopped"
    assert chat.history == [{"role": "user", "content": "hi"}]


# --- busy policy -------------------------------------------------------------------------------


def test_one_reply_at_a_time(comms, fake):
    fake.add(stalled())
    chat = Chat(base_url=fake.url)
    recorder = recorder_of(chat, comms)
    reply = chat.send("first")
    until(lambda: fake.requests)
    with pytest.raises(ChatBusyError, match="still streaming") as caught:
        chat.send("second")
    assert isinstance(caught.value, CohereError) and "chat.stop()" in str(caught.value)
    for busy in (chat.regenerate, chat.undo, lambda: setattr(chat, "history", [])):
        with pytest.raises(ChatBusyError):
            busy()

    begins = len(customs(recorder.messages, "begin"))
    ui(chat, type="send", text="from the view")  # a click racing the disabled button
    assert len(customs(recorder.messages, "begin")) == begins
    assert not reply.done

    chat.clear()  # clear always works: it stops first
    assert reply.stopped and chat.messages == []
    assert len(fake.requests) == 1


# --- faults ----------------------------------------------------------------------------------

FAULTS = {
    # name: (reply to queue, Chat options, error class, turn status)
    "http-500": (Error(500, "internal server error"), {"max_retries": 0}, ServerError, "error"),
    "http-401": (Error(401, "invalid api token"), {}, UnauthorizedError, "error"),
    "dropped": (Stream(LONG_TEXT, drop_after=8), {}, StreamInterruptedError, "interrupted"),
    "stalled": (stalled(after=8), {"timeout": 0.5}, CohereTimeoutError, "interrupted"),
    "in-band-error": (
        text_events("Half an answer", error="internal failure"),
        {},
        GenerationError,
        "interrupted",
    ),
    "in-band-error-no-text": (text_events("", error="boom"), {}, GenerationError, "error"),
}


@pytest.mark.parametrize("name", FAULTS)
def test_a_fault_lands_on_its_turn_and_the_chat_goes_on(fake, name):
    queued, options, error_class, status = FAULTS[name]
    fake.add(queued)
    chat = Chat(base_url=fake.url, **options)
    reply = chat.send("question").wait(SLOW * 2)

    assert isinstance(reply.error, error_class) and reply.status == status
    with pytest.raises(error_class):
        reply.result()
    turn = chat.messages[-1]
    assert turn["_co"]["status"] == status
    assert turn["_co"]["error"] == reply.error.to_dict()
    assert turn["_co"]["error"]["type"] == error_class.__name__
    history = chat.history
    validate_messages(history)
    assert history[0] == {"role": "user", "content": "question"}  # the user message stays
    if status == "interrupted":
        assert history[-1] == {"role": "assistant", "content": reply.text} and reply.text
    else:
        assert history == [{"role": "user", "content": "question"}]
    assert chat.ask("again", timeout=SLOW) == "again"


def test_no_connection_is_an_error_on_the_turn():
    with FakeCohere() as closed:
        url = closed.url  # a port nobody listens on once the fake is closed
    chat = Chat(base_url=url, max_retries=0)
    reply = chat.send("anyone?").wait(SLOW)
    assert isinstance(reply.error, CohereConnectionError)
    assert chat.messages[-1]["_co"]["status"] == "error"


def test_a_missing_key_says_how_to_set_one(monkeypatch):
    for name in ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    chat = Chat()
    reply = chat.send("hi").wait(SLOW)
    assert isinstance(reply.error, MissingAPIKeyError)
    message = str(reply.error)
    assert "CO_API_KEY" in message and "co_widget.testing.FakeCohere" in message
    assert chat.messages[-1]["_co"]["error"]["type"] == "MissingAPIKeyError"


def test_a_malformed_event_is_skipped_with_one_warning(fake):
    fake.add(Stream(LONG_TEXT, malformed_at=5))
    chat = Chat(base_url=fake.url)
    reply = chat.send("hi").wait(SLOW)
    assert reply.status == "complete" and reply.text == LONG_TEXT
    assert len(reply.warnings) == 1
    assert chat.messages[-1]["_co"]["warnings"] == reply.warnings


# --- asyncio -----------------------------------------------------------------------------------


def test_await_reply_leaves_the_loop_free_for_the_stop_button(fake):
    fake.add(stalled(), "second answer")
    chat = Chat(base_url=fake.url)

    async def main():
        reply = chat.send("hi")
        ticks = 0

        async def view_clicks_stop() -> None:
            nonlocal ticks
            while not reply.text:
                ticks += 1
                await asyncio.sleep(0.01)
            ui(chat, type="stop")

        clicker = asyncio.ensure_future(view_clicks_stop())
        text = await reply
        await clicker
        return reply, text, ticks, await chat.send("next")

    reply, text, ticks, second = asyncio.run(main())
    assert ticks > 0 and reply.stopped and text == reply.text
    assert second == "second answer"


# --- front-end actions ------------------------------------------------------------------------


def test_front_end_actions_send_edit_regenerate_clear(fake):
    fake.add("one", "two", "two again", "edited answer")
    chat = Chat(base_url=fake.url)
    ui(chat, type="send", text="first")
    until(lambda: chat.status == "idle" and len(chat.messages) == 2)
    chat.ask("second", timeout=SLOW)
    ui(chat, type="regenerate")
    until(lambda: chat.status == "idle" and chat.messages[-1]["content"] == "two again")
    assert [m["content"] for m in chat.history] == ["first", "one", "second", "two again"]

    ui(chat, type="edit", index=0, text="first, edited")
    until(lambda: chat.status == "idle" and len(chat.messages) == 2)
    assert chat.history == [
        {"role": "user", "content": "first, edited"},
        {"role": "assistant", "content": "edited answer"},
    ]
    assert fake.requests[-1].json["messages"] == [{"role": "user", "content": "first, edited"}]

    ui(chat, type="clear")
    assert chat.messages == []


def test_bad_front_end_messages_never_raise(fake):
    chat = Chat(base_url=fake.url)
    for content in (
        None,
        "text",
        {"type": "nonsense"},
        {"type": "send"},
        {"type": "send", "text": "   "},
        {"type": "send", "text": 42},
        {"type": "edit", "index": 5, "text": "x"},
        {"type": "edit", "index": "0", "text": "x"},
        {"type": "regenerate"},  # nothing to regenerate
    ):
        chat._view_actions.handle(chat, content, [])  # the handler itself: nothing may escape
    assert chat.messages == [] and fake.requests == []


# --- display and secrets --------------------------------------------------------------------


def test_repr_is_stable_and_the_widget_still_displays(fake):
    fake.add("hello")
    chat = Chat(base_url=fake.url)
    chat.ask("hi", timeout=SLOW)
    assert repr(chat) == "Chat(model='command-a-03-2025', messages=2)"
    bundle, _ = chat._repr_mimebundle_()
    assert bundle["text/plain"] == repr(chat)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == chat.model_id


def test_the_api_key_never_leaves_the_kernel(comms, tmp_path):
    wrong = "sk-SECRET-999"
    with FakeCohere(api_key=SECRET) as fake:
        fake.add("fine", Stream(LONG_TEXT, drop_after=8))
        chat = Chat(base_url=fake.url, api_key=SECRET, system="be brief")
        chat.ask("hi", timeout=SLOW)
        broken = chat.send("and?").wait(SLOW)
        chat.save(tmp_path / "chat.json")
        refused = Chat(base_url=fake.url, api_key=wrong)
        denied = refused.send("hi").wait(SLOW)
    assert fake.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert isinstance(denied.error, UnauthorizedError)

    seen = [
        json.dumps(chat.get_state(), default=str),
        json.dumps(refused.get_state(), default=str),
        (tmp_path / "chat.json").read_text(encoding="utf-8"),
        repr(chat),
        repr(refused),
        repr(broken),
        str(broken.error),
        str(denied.error),
        json.dumps(denied.error.to_dict()),
        chat.to_markdown(),
        refused.to_markdown(),
    ]
    seen += [json.dumps(m.data, default=str) for c in comms for m in c.messages]
    seen += [bytes(b).decode("latin-1") for c in comms for m in c.messages for b in m.buffers]
    for text in seen:
        assert SECRET not in text and wrong not in text
        assert "SECRET" not in text


def test_parameters_are_checked_at_construction(fake):
    for bad in ({"temperature": 2}, {"p": 0}, {"k": 501}, {"top_p": 0.5}):
        with pytest.raises(ValueError):
            Chat(base_url=fake.url, **bad)
    chat = Chat(base_url=fake.url, temperature=0.3, max_tokens=50, seed=7)
    chat.ask("hi", timeout=SLOW)
    body = fake.requests[-1].json
    assert body["temperature"] == 0.3 and body["max_tokens"] == 50 and body["seed"] == 7
    assert body["stream"] is True and body["model"] == "command-a-03-2025"


def test_a_view_cannot_write_the_conversation_through_the_trait(fake):
    chat = Chat(base_url=fake.url)
    chat.ask("hi")
    before, revision = chat.messages, chat.revision
    forged = [{"role": "user", "content": "\ud800 not checked"}]
    state = {"messages": forged, "revision": 99, "status": "streaming", "title": "Renamed"}
    chat._handle_msg({"content": {"data": {"method": "update", "state": state}}, "buffers": []})
    assert (chat.messages, chat.revision, chat.status) == (before, revision, "idle")
    assert chat.title == "Renamed"  # the traits a view may set still work
