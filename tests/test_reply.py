"""Reply: the state built from stream events, its end states, and waiting on it.

Events come from the captured Cohere streams (tests/fixtures/captured) through the real parser's
``event_from_json``; the engine's side (the turn state's ``feed`` and ``settle``, the runner's
``_release``) is driven directly.
End-to-end streaming through the widget is in test_widget.py.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from co_widget import CohereConnectionError, GenerationError, Reply
from co_widget.request.messages import validate_messages
from co_widget.wire.stream_parser import event_from_json

CAPTURED = Path(__file__).parent / "fixtures" / "captured"


def captured(name: str) -> list[dict]:
    lines = (CAPTURED / f"{name}.jsonl").read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def feed(reply: Reply, events: list[dict]) -> list[tuple[str, str]]:
    """Feed event dicts; return the visible pieces the reply handed on."""
    pieces = [reply._state.feed(event_from_json(event)) for event in events]
    return [piece for piece in pieces if piece is not None]


def finished(events: list[dict], error=None) -> Reply:
    reply = Reply()
    feed(reply, events)
    reply._state.settle(error)
    reply._release()
    return reply


def deltas(*texts: str, kind: str = "text", index: int = 0) -> list[dict]:
    return [
        {"type": "content-delta", "index": index, "delta": {"message": {"content": {kind: t}}}}
        for t in texts
    ]


def start(kind: str = "text", index: int = 0) -> dict:
    return {
        "type": "content-start",
        "index": index,
        "delta": {"message": {"content": {"type": kind, kind: ""}}},
    }


def end(finish_reason: str = "COMPLETE", **delta) -> dict:
    return {"type": "message-end", "delta": {"finish_reason": finish_reason, **delta}}


class StubStream:
    """Stands in for the ChatStream handed to the reply: only cancel() matters here."""

    def __init__(self) -> None:
        self.cancels = 0

    def cancel(self) -> None:
        self.cancels += 1


def test_text_reply_from_a_captured_stream():
    events = captured("cohere-text")
    reply = Reply()
    pieces = feed(reply, events)
    assert not reply.done and reply.status == "streaming"
    reply._state.settle(None)
    reply._release()

    assert reply.done and reply.status == "complete" and reply.error is None
    assert reply.text == "".join(text for kind, text in pieces)
    assert {kind for kind, _ in pieces} == {"text"}
    assert reply.finish_reason == "COMPLETE"
    assert reply.usage == events[-1]["delta"]["usage"]
    assert reply.message == {"role": "assistant", "content": reply.text}
    assert reply.result() == reply.text
    assert reply.wait() is reply


def test_thinking_is_kept_out_of_the_text():
    reply = finished(captured("cohere-reasoning"))
    assert reply.thinking.startswith("The user is asking for the sum of 2 and 2")
    assert reply.text and reply.text not in reply.thinking
    assert "user is asking" not in reply.text
    # Cohere's shape: a list of blocks in stream order, thinking first.
    assert reply.message["content"] == [
        {"type": "thinking", "thinking": reply.thinking},
        {"type": "text", "text": reply.text},
    ]
    validate_messages([{"role": "user", "content": "2+2?"}, reply.message])


def test_tool_calls_keep_cohere_shape_with_arguments_joined():
    reply = finished(captured("cohere-tool-call"))
    assert reply.finish_reason == "TOOL_CALL"
    assert reply.tool_plan.startswith("I will use the weather tool")
    calls = reply.tool_calls
    assert [call["function"]["name"] for call in calls] == ["weather", "cityAttractions"]
    assert calls[0]["id"] == "weather_e8p4pn45zt0t" and calls[0]["type"] == "function"
    assert json.loads(calls[0]["function"]["arguments"]) == {"location": "San Francisco"}
    message = reply.message
    assert "content" not in message  # a tool-call turn with no text carries no content
    assert message["tool_plan"] == reply.tool_plan and message["tool_calls"] == calls
    validate_messages([{"role": "user", "content": "weather?"}, message])


def test_a_tool_call_without_argument_deltas_has_empty_arguments():
    reply = finished(captured("cohere-empty-tool-call"))
    assert reply.tool_calls == [
        {
            "id": "currentTime_y46ar19t5gvw",
            "type": "function",
            "function": {"name": "currentTime", "arguments": ""},
        }
    ]


def test_citations_are_kept_as_cohere_sent_them():
    events = captured("cohere-citations")
    reply = finished(events)
    sent = [e["delta"]["message"]["citations"] for e in events if e["type"] == "citation-start"]
    assert reply.message["citations"] == sent and sent
    # reply.citations names the content block each one indexes (the one text block here).
    assert reply.citations == [{**citation, "content_index": 0} for citation in sent]
    assert reply.text[sent[0]["start"] : sent[0]["end"]].lower() == sent[0]["text"].lower()


def test_max_tokens_is_a_complete_reply():
    reply = finished(captured("cohere-max-tokens-cached"))
    assert reply.status == "complete" and reply.finish_reason == "MAX_TOKENS"
    assert reply.usage["cached_tokens"] == 448


@pytest.mark.parametrize("reason", ["ERROR", "TIMEOUT"])
def test_in_band_failure_after_output_is_interrupted(reason):
    reply = finished([start(), *deltas("Half an ans"), end(reason, error="model overloaded")])
    assert isinstance(reply.error, GenerationError)
    assert reply.error.message == "model overloaded"
    assert reply.status == "interrupted" and reply.finish_reason == reason
    assert reply.text == "Half an ans"  # the partial reply is kept
    with pytest.raises(GenerationError, match="model overloaded"):
        reply.result()


def test_in_band_failure_without_text_says_so():
    reply = finished([start(), end("ERROR")])
    assert reply.status == "error"
    assert "ERROR" in reply.error.message
    assert reply.message == {"role": "assistant", "content": ""}


def test_a_stream_error_lands_on_the_reply_and_result_raises_it():
    error = CohereConnectionError("Could not connect")
    reply = finished([], error)
    assert reply.status == "error" and reply.error is error
    assert reply.wait(0) is reply  # wait never raises API errors
    with pytest.raises(CohereConnectionError):
        reply.result()
    interrupted = finished([start(), *deltas("Some")], error)
    assert interrupted.status == "interrupted" and interrupted.text == "Some"


def test_malformed_and_unknown_events_become_warnings():
    reply = Reply()
    feed(reply, [start(), *deltas("Hello")])
    reply._state.feed(event_from_json({"type": "content-delta", "index": "x", "delta": 3}))
    for _ in range(3):
        reply._state.feed(event_from_json({"type": "brand-new-event", "delta": {}}))
    feed(reply, [*deltas(" world"), end()])
    reply._state.settle(None)
    assert reply.text == "Hello world" and reply.status == "complete"
    assert len(reply.warnings) == 2  # one per malformed record, one per unknown type
    assert "malformed" in reply.warnings[0] and "brand-new-event" in reply.warnings[1]
    assert reply._state.metadata()["warnings"] == reply.warnings


def test_cancel_before_and_after_the_stream_is_attached():
    reply = Reply()
    reply.cancel()
    stream = StubStream()
    reply._state.attach(stream)
    assert stream.cancels == 1  # a stop that came first still reaches the stream

    reply = Reply()
    stream = StubStream()
    reply._state.attach(stream)
    reply.cancel()
    reply.cancel()
    assert stream.cancels == 2  # idempotent on the stream's side


def test_a_stopped_reply_keeps_its_partial_and_is_no_error():
    reply = Reply()
    reply._state.attach(StubStream())
    feed(reply, [start(), *deltas("Coca-Cola is a")])
    reply.cancel()
    # The cancelled socket may surface as an error: the user asked for it, so it is not one.
    reply._state.settle(CohereConnectionError("connection reset"))
    reply._release()
    assert reply.stopped and reply.status == "stopped"
    assert reply.error is None and reply.finish_reason is None
    assert reply.result() == "Coca-Cola is a"
    assert reply._state.metadata() == {
        "status": "stopped",
        "finish_reason": None,
        "usage": None,
        "error": None,
        "warnings": [],
    }


def test_a_tool_call_cut_off_mid_arguments_stays_out_of_the_message():
    events = captured("cohere-tool-call")
    cut = next(i for i, e in enumerate(events) if e["type"] == "tool-call-end") + 3
    reply = Reply()
    reply._state.attach(StubStream())
    feed(reply, events[:cut])
    reply.cancel()
    reply._state.settle(None)
    assert len(reply.tool_calls) == 2  # what arrived...
    assert len(reply.message["tool_calls"]) == 1  # ...but only the finished call is kept
    validate_messages([{"role": "user", "content": "weather?"}, reply.message])


def test_result_times_out_with_a_builtin_timeout_error():
    reply = Reply()
    with pytest.raises(TimeoutError, match=r"still streaming after 0\.05 s"):
        reply.result(timeout=0.05)
    assert reply.wait(0.01) is reply and not reply.done


def test_wait_returns_when_the_worker_releases_the_reply():
    reply = Reply()
    feed(reply, [start(), *deltas("done")])

    def worker() -> None:
        reply._state.settle(None)
        reply._release()

    threading.Timer(0.05, worker).start()
    assert reply.wait(5).done
    assert reply.result() == "done"


def test_await_returns_the_text_or_raises():
    async def main() -> tuple[str, Exception]:
        ok, failed = Reply(), Reply()
        feed(ok, [start(), *deltas("fine")])
        loop = asyncio.get_running_loop()
        for reply, error in ((ok, None), (failed, CohereConnectionError("down"))):
            reply._state.settle(error)
            loop.call_later(0.02, reply._release)
        text = await ok
        with pytest.raises(CohereConnectionError) as caught:
            await failed
        return text, caught.value

    text, error = asyncio.run(main())
    assert text == "fine" and str(error).startswith("down")


def test_cancelling_an_awaiting_task_stops_the_stream():
    reply = Reply()
    stream = StubStream()
    reply._state.attach(stream)

    async def main() -> None:
        task = asyncio.ensure_future(reply._result_async())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert stream.cancels == 1
    reply._state.settle(None)
    reply._release()  # the reply itself was not cancelled: it still completes
    assert reply.stopped and reply.done


def test_repr_is_short_and_shows_no_internals():
    reply = Reply()
    feed(reply, [start(), *deltas("word " * 50)])
    text = repr(reply)
    assert text.startswith("Reply(status='streaming', text='word word")
    assert len(text) < 90 and "0x" not in text
