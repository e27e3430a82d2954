"""Property tests (hypothesis): whatever the network does to a real stream (any re-chunking) and
whatever garbage a server slips in anywhere, the chat ends idle, ``chat.history`` passes the
package's own validation and encodes as UTF-8 JSON, and the next ``send()`` works."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from co_widget import Chat
from co_widget.request.messages import validate_messages
from co_widget.testing import FakeCohere, Stream, original_example
from co_widget.testing.server import encode_events
from co_widget.wire.stream_parser import StreamParser

CAPTURED = sorted((Path(__file__).parent / "fixtures" / "captured").glob("*.jsonl"))
STREAMS = {path.stem: Stream.from_jsonl(path).events for path in CAPTURED}
STREAMS["original-example"] = original_example().events
SLOW = 10.0

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
event_types = st.sampled_from(
    ["content-delta", "content-start", "citation-start", "tool-call-delta", "message-end", "x-new"]
)
# What a hostile or broken server slips in between records.
garbage = st.one_of(
    st.binary(max_size=40),  # anything at all, line breaks included
    st.builds(lambda b: b"data: " + b + b"\n\n", st.binary(max_size=40)),
    st.builds(lambda v: b"data: " + json.dumps(v).encode() + b"\n\n", json_values),
    st.builds(
        lambda kind, index, payload: (
            b"data: "
            + json.dumps({"type": kind, "index": index, "delta": payload}).encode()
            + b"\n\n"
        ),
        event_types,
        st.integers(-2, 3),
        json_values,
    ),
    st.sampled_from(
        [
            b'data: {"type":"content-delta","index":0,'
            b'"delta":{"message":{"content":{"text":"\\ud83c"}}}}\n\n',
            b'data: {"type":"content-start","index":7,'
            b'"delta":{"message":{"content":{"type":"image"}}}}\n\n',
            b"data: " + b"[" * 5000 + b"\n\n",
            b": keep-alive\r\n",
            b"data: [DONE]\n\n",
        ]
    ),
)


def wire_of(events) -> bytes:
    return b"".join(encode_events(events, "sse"))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@pytest.fixture(scope="module")
def fake():
    with FakeCohere() as server:
        yield server


@pytest.mark.parametrize("name", list(STREAMS))
@given(cuts=st.lists(st.integers(0, 10**6), max_size=40))
@settings(max_examples=60, deadline=None)
def test_any_rechunking_parses_to_the_same_events(name, cuts):
    data = wire_of(STREAMS[name])
    whole = StreamParser()
    expected = whole.feed(data) + whole.close()
    parser = StreamParser()
    events = [event for chunk in split(data, cuts) for event in parser.feed(chunk)]
    assert events + parser.close() == expected


@pytest.mark.parametrize("name", list(STREAMS))
@given(
    cuts=st.lists(st.integers(0, 10**6), max_size=30),
    inserts=st.lists(st.tuples(st.integers(0, 10**6), garbage), max_size=6),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_chat_survives_any_chunking_and_garbage(fake, name, cuts, inserts):
    units = encode_events(STREAMS[name], "sse")
    for at, junk in inserts:
        units.insert(at % (len(units) + 1), junk)
    chunks = split(b"".join(units), cuts)
    fake.add(Stream(chunks, done_marker=False), "the next one")
    chat = Chat(base_url=fake.url, timeout=SLOW, max_retries=0)
    reply = chat.send("hostile?").wait(SLOW * 2)
    assert reply.done and chat.status == "idle"
    validate_messages(chat.history)
    json.dumps(chat.messages, ensure_ascii=False).encode("utf-8")
    assert chat.ask("and now?", timeout=SLOW) == "the next one"
    chat.close()
