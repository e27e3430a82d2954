"""StreamParser: bytes of Cohere's v2 stream (SSE or JSON lines) -> typed events."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from co_widget.wire.events import (
    CitationEnd,
    CitationStart,
    ContentDelta,
    ContentEnd,
    ContentStart,
    Debug,
    MalformedEvent,
    MessageEnd,
    MessageStart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolPlanDelta,
    UnknownEvent,
)
from co_widget.wire.stream_parser import StreamParser, event_from_json

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURED = sorted((FIXTURES / "captured").glob("*.jsonl"))
EXPECTED_TEXT = (FIXTURES / "seed_expected_text.txt").read_bytes()


def parse(data: bytes, chunks: int | list[int] | None = None) -> list:
    """Feed ``data`` whole (None), in pieces of ``chunks`` bytes, or at the given cut points."""
    parser = StreamParser()
    if chunks is None:
        cuts = []
    elif isinstance(chunks, int):
        cuts = list(range(chunks, len(data), chunks))
    else:
        cuts = chunks
    events = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        events += parser.feed(data[start:end])
    return events + parser.close()


def random_cuts(data: bytes, seed: int) -> list[int]:
    rng = random.Random(seed)
    return sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, len(data) // 7)))


def text(events: list, kind: str = "text") -> str:
    return "".join(e.text for e in events if isinstance(e, ContentDelta) and e.kind == kind)


def sse(*objects: dict, done: bool = True, eol: bytes = b"\n") -> bytes:
    """Frame event dicts as Cohere does: event: line, data: line, blank line; then [DONE]."""
    out = b""
    for obj in objects:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        out += b"event: " + obj["type"].encode() + eol + b"data: " + data + eol + eol
    return out + (b"data: [DONE]" + eol + eol if done else b"")


def ndjson(*objects: dict) -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n" for o in objects)


def delta(text: str, index: int = 0, key: str = "text") -> dict:
    return {"type": "content-delta", "index": index, "delta": {"message": {"content": {key: text}}}}


END = {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": {}}}


# --- the original example, both framings ------------------------------------------------------


@pytest.mark.parametrize("name", ["seed_sse.txt", "seed_ndjson.txt"])
@pytest.mark.parametrize("chunking", ["whole", "1-byte", 1, 2, 3])
def test_seed_stream_gives_exactly_the_expected_text(name, chunking):
    data = (FIXTURES / name).read_bytes()
    # An int is the seed of a random chunking.
    chunks = {"whole": None, "1-byte": 1}.get(chunking) or random_cuts(data, chunking)
    events = parse(data, chunks)
    # The expected file has no trailing newline; the reply's last delta is "?", so the text
    # must match the file byte for byte, with nothing stripped on either side.
    assert not EXPECTED_TEXT.endswith(b"\n")
    assert text(events).encode() == EXPECTED_TEXT
    assert isinstance(events[0], MessageStart)
    assert events[0].id == "146f3a92-6b5d-46df-b369-59001cca307d"
    assert events[-1] == MessageEnd(
        finish_reason="COMPLETE",
        usage={
            "billed_units": {"input_tokens": 21, "output_tokens": 124},
            "tokens": {"input_tokens": 186, "output_tokens": 124},
        },
    )
    assert not any(isinstance(e, (MalformedEvent, UnknownEvent)) for e in events)


def test_framing_is_told_from_the_bytes():
    for name, framing in [("seed_sse.txt", "sse"), ("seed_ndjson.txt", "ndjson")]:
        parser = StreamParser()
        parser.feed((FIXTURES / name).read_bytes())
        assert parser.framing == framing
        assert parser.finished


# --- captured streams of the real API ---------------------------------------------------------


def captured(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: p.stem)
@pytest.mark.parametrize("chunks", [None, 1, 13])
def test_captured_streams_parse_to_one_typed_event_per_record(path, chunks):
    objects = captured(path)
    events = parse(sse(*objects), chunks)
    assert events == [event_from_json(obj) for obj in objects]
    assert not any(isinstance(e, (MalformedEvent, UnknownEvent)) for e in events)
    assert isinstance(events[0], MessageStart) and isinstance(events[-1], MessageEnd)


def load(stem: str) -> list:
    return parse(sse(*captured(FIXTURES / "captured" / f"{stem}.jsonl")))


def test_reasoning_stream_has_a_thinking_block_then_a_text_block():
    events = load("cohere-reasoning")
    starts = [e for e in events if isinstance(e, ContentStart)]
    assert starts == [ContentStart(0, "thinking"), ContentStart(1, "text")]
    assert {e.index for e in events if isinstance(e, ContentDelta) and e.kind == "thinking"} == {0}
    assert {e.index for e in events if isinstance(e, ContentDelta) and e.kind == "text"} == {1}
    assert text(events, "thinking").startswith("The user is asking for the sum of 2 and 2.")
    assert text(events)


def test_citations_point_into_the_text():
    events = load("cohere-citations")
    reply = text(events)
    [citation] = [e for e in events if isinstance(e, CitationStart)]
    assert citation.index == 0
    span = citation.citation
    assert reply[span["start"] : span["end"]] == span["text"] == "automation of tasks"
    assert span["sources"][0]["id"] == "doc:0"
    assert CitationEnd(0) in events


def test_tool_call_fragments_concatenate_to_valid_json():
    events = load("cohere-tool-call")
    plan = "".join(e.text for e in events if isinstance(e, ToolPlanDelta))
    assert plan.startswith("I will use the weather tool")
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [s.index for s in starts] == [0, 1]
    assert starts[0].id == "weather_e8p4pn45zt0t" and starts[0].name == "weather"
    for start in starts:
        fragments = [
            e.arguments for e in events if isinstance(e, ToolCallDelta) and e.index == start.index
        ]
        assert isinstance(json.loads(start.arguments + "".join(fragments)), dict)
        assert ToolCallEnd(start.index) in events
    assert events[-1].finish_reason == "TOOL_CALL"


def test_empty_tool_call_has_no_argument_deltas():
    events = load("cohere-empty-tool-call")
    [start] = [e for e in events if isinstance(e, ToolCallStart)]
    assert (start.name, start.arguments) == ("currentTime", "")
    assert not any(isinstance(e, ToolCallDelta) for e in events)
    assert ToolCallEnd(0) in events
    assert events[-1].finish_reason == "TOOL_CALL"


def test_max_tokens_and_cached_usage():
    events = load("cohere-max-tokens-cached")
    assert text(events) == "OK."
    assert events[-1].finish_reason == "MAX_TOKENS"
    assert events[-1].usage["cached_tokens"] == 448


# --- framing details ---------------------------------------------------------------------------

EVENTS = [captured(FIXTURES / "captured" / "cohere-text.jsonl")[i] for i in (0, 1, 2, 3)] + [END]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("chunks", [None, 1, 2, 5])
def test_every_line_ending_gives_the_same_events(eol, chunks):
    expected = parse(sse(*EVENTS))
    assert parse(sse(*EVENTS, eol=eol), chunks) == expected


def test_crlf_split_between_chunks_is_one_line_end():
    # Cut between CR and LF, the LF must not count as an extra (blank, dispatching) line.
    data = sse(delta("a"), delta("b"), END, eol=b"\r\n")
    for cut in range(1, len(data)):
        assert text(parse(data, [cut])) == "ab"


def test_lone_cr_dispatches_without_waiting_for_the_next_chunk():
    parser = StreamParser()
    events = parser.feed(b"data: " + json.dumps(delta("live")).encode() + b"\r\r")
    assert text(events) == "live"


def test_comments_and_other_fields_are_ignored():
    data = (
        b": keep-alive\n\n"
        b"id: 7\nretry: 1000\nevent: nonsense-name\n: a comment inside an event\n"
        b"data: " + json.dumps(delta("x")).encode() + b"\n\n"
        b":\n\n" + sse(END)
    )
    assert parse(data) == [ContentDelta(0, "text", "x"), event_from_json(END)]


def test_sse_event_name_is_not_trusted():
    data = b"event: message-end\ndata: " + json.dumps(delta("x")).encode() + b"\n\n"
    assert parse(data) == [ContentDelta(0, "text", "x")]


def test_data_without_space_after_colon():
    assert parse(b"data:" + json.dumps(delta("x")).encode() + b"\n\n") == [
        ContentDelta(0, "text", "x")
    ]


def test_multi_line_data_is_joined_with_newlines():
    data = (
        b'data: {"type": "content-delta", "index": 0,\n'
        b'data:  "delta": {"message": {"content": {"text": "joined"}}}}\n\n'
    )
    assert parse(data, 3) == [ContentDelta(0, "text", "joined")]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
@pytest.mark.parametrize("framing", [sse, ndjson])
def test_unicode_line_separators_inside_json_do_not_split_lines(separator, framing):
    body = f"line one{separator}line two"
    data = framing(delta(body), END)
    assert separator.encode() in data  # raw in the JSON string, not escaped
    for chunks in (None, 1):
        events = parse(data, chunks)
        assert text(events) == body
        assert not any(isinstance(e, MalformedEvent) for e in events)


@pytest.mark.parametrize("framing", [sse, ndjson])
def test_multibyte_characters_split_at_every_byte_survive(framing):
    pieces = ["可口可乐", "🥤🇺🇸", "é", "👩‍💻 done"]
    data = framing(*[delta(p) for p in pieces], END)
    for cut in range(1, len(data)):
        assert text(parse(data, [cut])) == "".join(pieces)
    assert text(parse(data, 1)) == "".join(pieces)


def test_invalid_utf8_becomes_replacement_characters_not_a_lost_event():
    data = json.dumps(delta("L?s")).replace("?", "\udcff").encode("utf-8", "surrogateescape")
    assert b"L\xffs" in data
    data = b"data: " + data + b"\n\n"
    assert parse(data) == [ContentDelta(0, "text", "L\ufffds")]


def test_last_json_line_without_newline_at_eof():
    data = ndjson(delta("a"), END).rstrip(b"\n")
    parser = StreamParser()
    assert text(parser.feed(data)) == "a"  # the last line is not complete yet
    assert parser.close() == [event_from_json(END)]
    assert parser.finished


def test_last_sse_event_without_blank_line_at_eof():
    data = sse(delta("a"), done=False) + b"data: " + json.dumps(END).encode()
    events = parse(data, 4)
    assert events == [ContentDelta(0, "text", "a"), event_from_json(END)]


def test_stops_at_message_end_without_done():
    parser = StreamParser()
    events = parser.feed(ndjson(delta("a"), END, delta("after the end")))
    assert events == [ContentDelta(0, "text", "a"), event_from_json(END)]
    assert parser.finished
    assert parser.feed(sse(delta("more"))) == [] and parser.close() == []


def test_done_ends_the_stream_even_without_message_end():
    parser = StreamParser()
    assert parser.feed(b"data: [DONE]\n\n" + sse(delta("late"))) == []
    assert parser.finished


def test_empty_data_is_skipped():
    assert parse(b"data:\n\ndata: \n\n" + sse(END)) == [event_from_json(END)]


def test_blank_lines_between_json_lines_are_harmless():
    assert text(parse(b"\n\n" + ndjson(delta("a")) + b"\r\n\n" + ndjson(delta("b"), END))) == "ab"


# --- bad records: MalformedEvent / UnknownEvent, and the stream goes on ----------------------


def test_malformed_json_is_reported_and_the_stream_continues():
    data = sse(delta("a"), done=False)
    data += b'event: content-delta\ndata: {"type":"content-delta", broken\n\n'
    data += sse(delta("b"), END)
    for chunks in (None, 1):
        events = parse(data, chunks)
        assert text(events) == "ab"
        [bad] = [e for e in events if isinstance(e, MalformedEvent)]
        assert bad.reason.startswith("invalid JSON")
        assert bad.raw == '{"type":"content-delta", broken'
        assert isinstance(events[-1], MessageEnd)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ([1, 2], "an event must be a JSON object"),
        ({"index": 0}, "no string 'type' field"),
        ({"type": "content-delta", "index": 0}, "content-delta event: missing 'delta'"),
        ({"type": "content-delta", "index": "0", "delta": delta("x")["delta"]}, "'index'"),
        ({"type": "content-delta", "index": 0, "delta": {"message": {"content": {}}}}, "missing"),
        ({"type": "content-delta", "index": 0, "delta": {"message": "x"}}, "content-delta"),
        (delta(7), "'text' must be a string"),
        (
            {"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": []}}},
            "tool-call-start event",
        ),
        (
            {"type": "citation-start", "index": 0, "delta": {"message": {"citations": [1]}}},
            "citation-start event: 'citations' must be an object",
        ),
        ({"type": "message-end", "delta": {"finish_reason": 3}}, "'finish_reason'"),
        ({"type": "message-end", "delta": []}, "'delta' must be a dict"),
    ],
)
def test_wrong_shapes_become_malformed_events(record, reason):
    [event] = parse(b"data: " + json.dumps(record).encode() + b"\n\n")
    assert isinstance(event, MalformedEvent)
    assert reason in event.reason
    assert json.loads(event.raw) == record


def test_malformed_raw_is_truncated():
    [event] = parse(b'{"type": "content-delta", "x": "' + b"y" * 5000 + b'"\n')
    assert isinstance(event, MalformedEvent) and len(event.raw) <= 1001


def test_unknown_type_is_kept_as_unknown_event():
    record = {"type": "brand-new-event", "delta": {"x": 1}}
    assert parse(ndjson(record)) == [UnknownEvent(type="brand-new-event", data=record)]


# --- event_from_json: every event type -------------------------------------------------------


def test_event_from_json_every_type():
    message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}
    citation = {"start": 0, "end": 2, "text": "hi", "sources": []}
    logprobs = {"text": "hi", "token_ids": [1], "logprobs": [-0.1]}
    cases = [
        ({"id": "r1", "type": "message-start", "delta": {"message": message}},
         MessageStart("r1", message)),
        ({"type": "content-start", "index": 0,
          "delta": {"message": {"content": {"type": "thinking", "thinking": ""}}}},
         ContentStart(0, "thinking")),
        ({**delta("hi"), "logprobs": logprobs}, ContentDelta(0, "text", "hi", logprobs)),
        (delta("hmm", 1, "thinking"), ContentDelta(1, "thinking", "hmm")),
        ({"type": "content-end", "index": 2}, ContentEnd(2)),
        ({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": "I will"}}},
         ToolPlanDelta("I will")),
        ({"type": "tool-call-start", "index": 1, "delta": {"message": {"tool_calls": {
            "id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}}}}},
         ToolCallStart(1, "c1", "f", "")),
        ({"type": "tool-call-delta", "index": 1,
          "delta": {"message": {"tool_calls": {"function": {"arguments": '{"a"'}}}}},
         ToolCallDelta(1, '{"a"')),
        ({"type": "tool-call-end", "index": 1}, ToolCallEnd(1)),
        ({"type": "citation-start", "index": 0, "delta": {"message": {"citations": citation}}},
         CitationStart(0, citation)),
        ({"type": "citation-end", "index": 0}, CitationEnd(0)),
        ({"type": "message-end", "id": "r1",
          "delta": {"finish_reason": "ERROR", "error": "internal failure", "usage": {"a": 1}}},
         MessageEnd("ERROR", {"a": 1}, "internal failure", "r1")),
        ({"type": "message-end"}, MessageEnd(None)),
        ({"type": "debug", "prompt": "the raw prompt"}, Debug("the raw prompt")),
    ]  # fmt: skip
    for obj, expected in cases:
        assert event_from_json(obj) == expected


def test_message_start_of_the_spec_shape():
    obj = {"id": "x", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
    assert event_from_json(obj) == MessageStart("x", {"role": "assistant"})


def test_content_start_without_type_is_inferred_from_its_key():
    obj = {"type": "content-start", "index": 0, "delta": {"message": {"content": {"text": ""}}}}
    assert event_from_json(obj) == ContentStart(0, "text")
