"""FakeCohere over real sockets, seen by plain `requests`, raw HTTP and the official SDK."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from co_widget.testing import Error, FakeCohere, Stream, original_example, text_events

FIXTURES = Path(__file__).parent / "fixtures"
MODEL = "command-a-03-2025"
CHAT = {"stream": True, "model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def load_captured(name: str) -> list[dict]:
    text = (FIXTURES / "captured" / f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n") if line]


CITATION = load_captured("cohere-citations")[5]["delta"]["message"]["citations"]
TOOL_CALLS = [{"name": "get_weather", "arguments": {"location": "Toronto"}}]


def post(fake: FakeCohere, body: dict | None = None, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 10)
    return requests.post(f"{fake.url}/v2/chat", json=CHAT if body is None else body, **kwargs)


def sse_events(body: bytes) -> list[dict]:
    """The JSON of every `data:` line but [DONE] (a deliberately tiny reader for the tests)."""
    lines = body.decode().split("\n")
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


def sse_bytes(events: list[dict]) -> bytes:
    return b"".join(
        b"event: %s\ndata: %s\n\n"
        % (e["type"].encode(), json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode())
        for e in events
    )


def text_of(events: list[dict], kind: str = "text") -> str:
    return "".join(
        e["delta"]["message"]["content"].get(kind, "")
        for e in events
        if e["type"] == "content-delta"
    )


def read_until_error(response: requests.Response) -> tuple[bytes, Exception | None]:
    """The body bytes that arrived, and the exception that ended the read (if any)."""
    received = bytearray()
    try:
        # Byte by byte: urllib3 drops a partial read when a Content-Length body is cut short.
        for piece in response.iter_content(1):
            received += piece
    except requests.RequestException as exc:
        return bytes(received), exc
    return bytes(received), None


def port_of(fake: FakeCohere) -> int:
    return urlsplit(fake.url).port


def raw_exchange(fake: FakeCohere, body: dict) -> tuple[bytes, bytes]:
    """POST over a bare socket and return (head, body) exactly as they were on the wire."""
    payload = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", port_of(fake)), timeout=10) as sock:
        sock.sendall(
            b"POST /v2/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
        )
        wire = b""
        while chunk := sock.recv(65536):
            wire += chunk
    head, _, rest = wire.partition(b"\r\n\r\n")
    return head, rest


def dechunk(wire: bytes) -> list[bytes]:
    """The chunks of a chunked body; asserts the terminating zero chunk is there."""
    chunks = []
    while True:
        size_line, _, wire = wire.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert wire == b"\r\n"
            return chunks
        chunks.append(wire[:size])
        assert wire[size : size + 2] == b"\r\n"
        wire = wire[size + 2 :]


# --- Recording and replies -------------------------------------------------------------------


def test_records_every_request_and_redacts_the_key(fake):
    body = {**CHAT, "temperature": 0.3}
    post(fake, body, headers={"Authorization": "Bearer sk-secret", "X-Client-Name": "demo"})
    requests.get(f"{fake.url}/v1/datasets", timeout=10)

    first, second = fake.requests
    assert (first.method, first.path, first.json) == ("POST", "/v2/chat", body)
    assert json.loads(first.body) == body
    assert first.headers["authorization"] == "Bearer sk-secret"
    assert first.headers["x-client-name"] == "demo"
    assert "sk-secret" not in repr(first)
    assert "<redacted>" in repr(first)
    assert (second.method, second.path, second.json, second.body) == (
        "GET",
        "/v1/datasets",
        None,
        b"",
    )


@pytest.mark.parametrize(
    "content",
    [
        "what is Coca Cola?",
        [{"type": "text", "text": "what is Coca Cola?"}],
        {"type": "text", "text": "what is Coca Cola?"},
    ],
)
def test_echoes_the_last_user_message(fake, content):
    messages = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "how can I help you?"},
        {"role": "user", "content": content},
    ]
    events = sse_events(post(fake, {**CHAT, "messages": messages}).content)
    assert text_of(events) == "what is Coca Cola?"


def test_str_reply_streams_word_sized_deltas_that_join_back():
    text = "Coca-Cola is a carbonated soft drink.\n\nIt was invented in 1886 — in Atlanta! 🎉"
    with FakeCohere([text]) as fake:
        events = sse_events(post(fake).content)
    deltas = [e["delta"]["message"]["content"]["text"] for e in events[2:-2]]
    assert deltas[:5] == ["Coca", "-", "Cola", " is", " a"]
    assert "".join(deltas) == text
    assert [e["type"] for e in events[:2] + events[-2:]] == [
        "message-start",
        "content-start",
        "content-end",
        "message-end",
    ]
    usage = events[-1]["delta"]["usage"]
    assert usage["billed_units"] == {"input_tokens": 1, "output_tokens": len(deltas)}
    assert usage["cached_tokens"] == 0


def test_replies_are_served_in_order_then_the_responder(fake):
    fake.add("one", Stream("two"), text_events("three"))
    fake.responder = lambda request: f"model {request['model']}"
    texts = [text_of(sse_events(post(fake).content)) for _ in range(4)]
    assert texts == ["one", "two", "three", f"model {MODEL}"]


def test_a_failing_responder_answers_500(fake):
    fake.responder = lambda request: 1 / 0
    response = post(fake)
    assert response.status_code == 500
    assert "ZeroDivisionError" in response.json()["message"]


def test_rejects_bad_replies_and_options():
    with pytest.raises(TypeError, match="a reply is a str"):
        FakeCohere([42])
    with pytest.raises(ValueError, match="framing"):
        FakeCohere(framing="json")
    with pytest.raises(ValueError, match="chunk_size"):
        Stream("x", chunk_size=0)
    with pytest.raises(ValueError, match="400-599"):
        Error(200, "fine")
    with pytest.raises(ValueError, match="join"):
        text_events("abc", deltas=["a", "b"])


def test_lifecycle():
    fake = FakeCohere()
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url
    assert fake.start() is fake.start()
    assert fake.url.startswith("http://127.0.0.1:")
    fake.close()
    fake.close()
    assert "not running" in repr(fake)


# --- Event shapes ----------------------------------------------------------------------------


def merge_deltas(events: list[dict]) -> list[dict]:
    """Runs of *-delta events merged into one, so streams that differ only in how the model's
    tokens were split compare equal."""
    merged: list[dict] = []
    for event in events:
        last = merged[-1] if merged else {}
        same_run = event["type"] == last.get("type") and event.get("index") == last.get("index")
        if same_run and event["type"].endswith("-delta"):
            last["delta"] = _concat(last["delta"], event["delta"])
            continue
        merged.append(json.loads(json.dumps(event)))
    return merged


def _concat(a, b):
    return {k: _concat(a[k], b[k]) for k in a} if isinstance(a, dict) else a + b


_THINKING = text_of(load_captured("cohere-reasoning"), "thinking")


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("cohere-text", {"text": "The capital of France is Paris."}),
        ("cohere-max-tokens-cached", {"text": "OK.", "finish_reason": "MAX_TOKENS"}),
        ("cohere-reasoning", {"text": "The answer to 2 + 2 is 4.", "thinking": _THINKING}),
        (
            "cohere-citations",
            {"text": "The key benefits are automation of tasks.", "citations": [CITATION]},
        ),
        (
            "cohere-tool-call",
            {
                "tool_plan": "I will use the weather tool to find the weather in San Francisco "
                "and the cityAttractions tool to find attractions in San Francisco.",
                "tool_calls": [
                    {
                        "id": "weather_e8p4pn45zt0t",
                        "name": "weather",
                        "arguments": {"location": "San Francisco"},
                    },
                    {
                        "id": "cityAttractions_pyxssbwnq9fq",
                        "type": "function",
                        "function": {
                            "name": "cityAttractions",
                            "arguments": '{"city": "San Francisco"}',
                        },
                    },
                ],
            },
        ),
        (
            "cohere-empty-tool-call",
            {
                "tool_plan": "I will use the currentTime tool to find the current time.",
                "tool_calls": [{"id": "currentTime_y46ar19t5gvw", "name": "currentTime"}],
            },
        ),
    ],
)
def test_text_events_reproduce_the_captured_streams(name, kwargs):
    captured = load_captured(name)
    events = text_events(id=captured[0]["id"], usage=captured[-1]["delta"]["usage"], **kwargs)
    assert merge_deltas(events) == merge_deltas(captured)


def test_text_events_split_like_the_api():
    captured = load_captured("cohere-text")
    events = text_events(
        "The capital of France is Paris.",
        id=captured[0]["id"],
        usage=captured[-1]["delta"]["usage"],
    )
    assert events == captured
    arguments = [e for e in load_captured("cohere-tool-call") if e["type"] == "tool-call-delta"]
    ours = text_events(tool_calls=[{"name": "weather", "arguments": {"location": "San Francisco"}}])
    assert [e for e in ours if e["type"] == "tool-call-delta"] == arguments[:7]


def test_in_band_error_ends_with_finish_reason_error(fake):
    fake.add(text_events("The answer is", error="internal error during generation"))
    end = sse_events(post(fake).content)[-1]
    assert end["type"] == "message-end"
    assert end["delta"]["finish_reason"] == "ERROR"
    assert end["delta"]["error"] == "internal error during generation"


def test_non_streaming_request_gets_the_chat_response(fake):
    fake.add(text_events(tool_plan="I will look.", tool_calls=TOOL_CALLS), "Hello!")
    calls = post(fake, {**CHAT, "stream": False}).json()
    assert calls["finish_reason"] == "TOOL_CALL"
    assert calls["message"]["tool_plan"] == "I will look."
    function = calls["message"]["tool_calls"][0]["function"]
    assert function == {"name": "get_weather", "arguments": '{"location": "Toronto"}'}
    text = post(fake, {key: value for key, value in CHAT.items() if key != "stream"}).json()
    assert text["message"] == {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]}
    assert text["usage"]["billed_units"]["output_tokens"] == 2


# --- Framing and transfer --------------------------------------------------------------------

SEED_SSE = (FIXTURES / "seed_sse.txt").read_bytes()
SEED_NDJSON = (FIXTURES / "seed_ndjson.txt").read_bytes()


@pytest.mark.parametrize("transfer", ["chunked", "close", "length"])
@pytest.mark.parametrize(
    ("framing", "expected", "content_type"),
    [("sse", SEED_SSE, "text/event-stream"), ("ndjson", SEED_NDJSON, "application/x-ndjson")],
)
def test_serves_the_recorded_stream_byte_for_byte(fake, framing, expected, content_type, transfer):
    fake.add(Stream.from_jsonl(FIXTURES / "seed_ndjson.txt", framing=framing, transfer=transfer))
    response = post(fake, stream=True)
    assert response.raw.read() == expected
    assert response.headers["Content-Type"] == content_type
    headers = {name.lower() for name in response.headers}
    if transfer == "chunked":
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert "content-length" not in headers
    elif transfer == "length":
        assert response.headers["Content-Length"] == str(len(expected))
    else:
        assert response.headers["Connection"] == "close"
        assert not headers & {"content-length", "transfer-encoding"}


def test_from_jsonl_takes_text_too():
    from_text = Stream.from_jsonl(SEED_NDJSON.decode())
    assert from_text.events == Stream.from_jsonl(FIXTURES / "seed_ndjson.txt").events
    assert len(from_text.events) == 125


def test_original_example_ships_with_the_package(fake):
    # The demo notebooks replay it offline, so it must be the recorded stream, byte for byte.
    fake.add(original_example())
    response = requests.post(f"{fake.url}/v2/chat", json={"stream": True, "messages": []})
    assert response.content == SEED_SSE


def test_each_write_is_one_chunk(fake):
    events = text_events("Hello there, friend.")
    fake.add(Stream(events, chunk_size=7))
    head, wire = raw_exchange(fake, CHAT)
    assert b"Transfer-Encoding: chunked" in head
    chunks = dechunk(wire)
    assert {len(chunk) for chunk in chunks[:-1]} == {7}
    assert b"".join(chunks) == sse_bytes(events) + b"data: [DONE]\n\n"


def test_chunk_size_one_splits_lines_and_multibyte_characters(fake):
    text = "héllo 世界 🎉 done"
    fake.add(Stream(text, chunk_size=1))
    _, wire = raw_exchange(fake, CHAT)
    chunks = dechunk(wire)
    assert {len(chunk) for chunk in chunks} == {1}
    assert text_of(sse_events(b"".join(chunks))) == text


def test_delay_and_no_done_marker_keep_the_bytes(fake):
    events = text_events("a b c")
    fake.add(Stream(events, delay=0.01, done_marker=False))
    assert post(fake).content == sse_bytes(events)


def test_bytes_items_go_on_the_wire_verbatim(fake):
    events = text_events("hi")
    fake.add(Stream([events[0], b": keep-alive\r\n\r\n", *events[1:]]))
    body = post(fake).content
    assert body == sse_bytes(events[:1]) + b": keep-alive\r\n\r\n" + sse_bytes(events[1:]) + (
        b"data: [DONE]\n\n"
    )


def test_connections_are_kept_alive(fake):
    fake.add("first", Error(429, "slow down"))
    conn = http.client.HTTPConnection("127.0.0.1", port_of(fake), timeout=10)
    statuses = []
    sockets = set()
    for _ in range(3):
        conn.request("POST", "/v2/chat", json.dumps(CHAT), {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        sockets.add(id(conn.sock))
    conn.close()
    assert statuses == [200, 429, 200]
    assert len(sockets) == 1


def test_on_write_sees_each_body_write_before_it_is_sent():
    """The hook behind benchmarks/first_paint.py: when the first content-delta left the server."""
    events = text_events("one two")
    writes: list[tuple[float, bytes]] = []
    # The client must read the first write before the second leaves: a stall long enough that
    # a descheduled client thread on a loaded machine cannot miss the window.
    stall = 1.0
    stream = Stream(events, stall_after=2, stall_seconds=stall)

    def on_write(data: bytes) -> None:
        writes.append((time.monotonic(), data))

    with FakeCohere([stream, Error(429, "slow")], on_write=on_write) as fake:
        response = post(fake, stream=True)
        first = response.raw.read1()  # message-start and content-start, before the stall
        received_at = time.monotonic()
        body = first + response.raw.read()
        assert writes[0][0] <= received_at < writes[1][0]
        # Bodies only, unchunked: the writes join to exactly what the client read.
        assert b"".join(data for _, data in writes) == body
        # The write after the stall starts with the first content-delta, a stall later.
        assert writes[0][1] == sse_bytes(events[:2])
        assert writes[1][1].startswith(b"event: content-delta\n")
        assert writes[1][0] - writes[0][0] >= stall
        writes.clear()
        error = post(fake)
        assert [data for _, data in writes] == [error.content]


# --- Faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 422, 429, 500, 503])
def test_error_answers_the_status_with_cohere_body(fake, status):
    fake.add(Error(status, "something went wrong"))
    response = post(fake)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["message"] == "something went wrong"
    assert len(body["id"]) == 36
    assert "Retry-After" not in response.headers


def test_error_headers_and_custom_body(fake):
    fake.add(
        Error(429, "slow down", retry_after=2, headers={"X-RateLimit-Reset": "99"}),
        Error(429, "slow down", retry_after=0.5),
        Error(502, "", body="<html>bad gateway</html>", headers={"Content-Type": "text/html"}),
    )
    first, second, third = post(fake), post(fake), post(fake)
    assert (first.headers["Retry-After"], first.headers["X-RateLimit-Reset"]) == ("2", "99")
    assert second.headers["Retry-After"] == "0.5"
    assert (third.status_code, third.text) == (502, "<html>bad gateway</html>")
    assert third.headers["Content-Type"] == "text/html"


def test_stream_headers_replace_the_defaults(fake):
    fake.add(Stream("hi", headers={"content-type": "text/event-stream; charset=utf-8"}))
    assert post(fake).headers["Content-Type"] == "text/event-stream; charset=utf-8"


def test_flaky_server_recovers_after_n_errors(fake):
    fake.add(*[Error(503, "service unavailable")] * 2, "ok")
    first, second, third = post(fake), post(fake), post(fake)
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json()["id"] != second.json()["id"]
    assert text_of(sse_events(third.content)) == "ok"


def test_unknown_path_and_bad_json(fake):
    missing = requests.post(f"{fake.url}/v1/chat", json=CHAT, timeout=10)
    assert (missing.status_code, missing.json()["message"]) == (404, "404 page not found")
    broken = requests.post(f"{fake.url}/v2/chat", data=b"{not json", timeout=10)
    assert broken.status_code == 400
    assert fake.requests[-1].body == b"{not json"


@pytest.mark.parametrize("transfer", ["chunked", "length"])
def test_drop_cuts_the_connection_mid_stream(fake, transfer):
    events = text_events("one two three four")
    fake.add(Stream(events, drop_after=3, transfer=transfer))
    received, error = read_until_error(post(fake, stream=True))
    assert isinstance(error, requests.exceptions.ChunkedEncodingError)
    assert received == sse_bytes(events[:3])


def test_drop_with_close_transfer_just_ends_the_body_early(fake):
    events = text_events("one two three four")
    fake.add(Stream(events, drop_after=4, transfer="close"))
    assert post(fake).content == sse_bytes(events[:4])


def test_drop_after_the_last_event_loses_only_the_done_marker(fake):
    events = text_events("one two")
    fake.add(Stream(events, drop_after=99))
    received, error = read_until_error(post(fake, stream=True))
    assert error is not None
    assert received == sse_bytes(events)


def test_stall_blocks_the_read(fake):
    events = text_events("one two three")
    fake.add(Stream(events, stall_after=2))
    received, error = read_until_error(post(fake, stream=True, timeout=(5, 0.3)))
    assert isinstance(error, requests.exceptions.ConnectionError)
    assert "timed out" in str(error)
    assert received == sse_bytes(events[:2])


def test_a_short_stall_then_carries_on(fake):
    events = text_events("one two three")
    fake.add(Stream(events, stall_after=2, stall_seconds=0.2))
    assert post(fake).content == sse_bytes(events) + b"data: [DONE]\n\n"


def test_close_does_not_hang_during_a_stall():
    fake = FakeCohere([Stream("one two three", stall_after=2, stall_seconds=60)]).start()
    first_bytes = threading.Event()
    outcome = {}

    def client():
        response = post(fake, stream=True, timeout=(5, 60))
        chunks = response.iter_content(None)
        next(chunks)
        first_bytes.set()
        outcome["rest"] = read_until_error(response)

    thread = threading.Thread(target=client)
    thread.start()
    assert first_bytes.wait(10)
    started = time.monotonic()
    fake.close()
    assert time.monotonic() - started < 5  # did not wait out the 60 s stall
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(outcome["rest"][1], requests.exceptions.ChunkedEncodingError)


def test_malformed_event_is_inserted_before_event_n(fake):
    events = text_events("one two")
    fake.add(Stream(events, malformed_at=2), Stream(events, framing="ndjson", malformed_at=1))
    sse = post(fake).content
    broken = b'event: content-delta\ndata: {"type":"content-delta", broken\n\n'
    assert sse == sse_bytes(events[:2]) + broken + sse_bytes(events[2:]) + b"data: [DONE]\n\n"
    lines = post(fake).content.split(b"\n")
    assert lines[1] == b'{"type":"content-delta", broken'
    assert [json.loads(line) for line in lines[:1] + lines[2:] if line] == events


def test_api_key_is_required_when_set():
    with FakeCohere(["secret reply"], api_key="k-123") as fake:
        missing = post(fake)
        wrong = post(fake, headers={"Authorization": "Bearer nope"})
        scheme_only = post(fake, headers={"Authorization": "k-123"})
        right = post(fake, headers={"Authorization": "bearer k-123"})
    assert (missing.status_code, missing.json()["message"]) == (401, "no api key supplied")
    assert (wrong.status_code, wrong.json()["message"]) == (401, "invalid api token")
    assert scheme_only.status_code == 401
    # The 401s did not use up the queued reply.
    assert text_of(sse_events(right.content)) == "secret reply"
    assert "k-123" not in repr(fake)


# --- Faithfulness: the official SDK consumes FakeCohere --------------------------------------


@pytest.fixture
def sdk():
    return pytest.importorskip("cohere")


def sdk_client(sdk, fake: FakeCohere, api_key: str = "test-key"):
    return sdk.ClientV2(api_key=api_key, base_url=fake.url, timeout=10)


def as_served(event) -> dict:
    return event.model_dump(mode="json", by_alias=True, exclude_unset=True)


REPLIES = {
    "text": text_events("Coca-Cola is a carbonated soft drink, first sold in 1886."),
    "thinking": text_events("2 + 2 = 4.", thinking="The user wants a sum. Easy: 4."),
    "tool call": text_events(
        tool_plan="I will look up the weather in Toronto.",
        tool_calls=[*TOOL_CALLS, {"name": "get_time", "arguments": {}}],
    ),
    "citations": text_events("The key benefits are automation of tasks.", citations=[CITATION]),
}


@pytest.mark.sdk
@pytest.mark.parametrize("kind", REPLIES)
def test_sdk_chat_stream_sees_the_served_events(sdk, kind):
    served = REPLIES[kind]
    with FakeCohere([served]) as fake:
        stream = sdk_client(sdk, fake).chat_stream(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )
        got = list(stream)
    assert [event.type for event in got] == [event["type"] for event in served]
    assert [as_served(event) for event in got] == served


@pytest.mark.sdk
@pytest.mark.parametrize("framing_options", [{"chunk_size": 1}, {"transfer": "close"}])
def test_sdk_reads_split_and_unframed_streams(sdk, framing_options):
    served = text_events("héllo 世界 🎉, split everywhere")
    with FakeCohere([Stream(served, **framing_options)]) as fake:
        got = list(sdk_client(sdk, fake).chat_stream(model=MODEL, messages=CHAT["messages"]))
    assert [as_served(event) for event in got] == served


@pytest.mark.sdk
def test_sdk_reads_past_the_malformed_event(sdk):
    served = text_events("one two three")
    with FakeCohere([Stream(served, malformed_at=3)]) as fake:
        got = [as_served(e) for e in sdk_client(sdk, fake).chat_stream(model=MODEL, messages=[])]
    # The SDK turns the unparsable record into a junk item carrying the raw SSE fields.
    junk = [event for event in got if "data" in event]
    assert [event["data"] for event in junk] == ['{"type":"content-delta", broken']
    assert [event for event in got if event not in junk] == served


@pytest.mark.sdk
def test_sdk_sees_the_in_band_error(sdk):
    with FakeCohere([text_events("partial", error="generation failed")]) as fake:
        end = list(sdk_client(sdk, fake).chat_stream(model=MODEL, messages=CHAT["messages"]))[-1]
    assert (end.delta.finish_reason, end.delta.error) == ("ERROR", "generation failed")


@pytest.mark.sdk
@pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")  # inside the SDK
def test_sdk_chat_non_streaming(sdk):
    with FakeCohere(["Paris is the capital.", REPLIES["tool call"]]) as fake:
        client = sdk_client(sdk, fake)
        text = client.chat(model=MODEL, messages=CHAT["messages"])
        tools = client.chat(model=MODEL, messages=CHAT["messages"])
        sent = fake.requests[0].json
    assert sent["stream"] is False
    assert text.message.content[0].text == "Paris is the capital."
    assert text.finish_reason == "COMPLETE"
    assert text.usage.billed_units.output_tokens == 5
    assert tools.finish_reason == "TOOL_CALL"
    assert tools.message.tool_plan == "I will look up the weather in Toronto."
    assert [json.loads(call.function.arguments) for call in tools.message.tool_calls] == [
        {"location": "Toronto"},
        {},
    ]


@pytest.mark.sdk
@pytest.mark.parametrize(
    ("status", "error_name"),
    [(429, "TooManyRequestsError"), (401, "UnauthorizedError"), (500, "InternalServerError")],
)
def test_sdk_maps_fake_errors(sdk, status, error_name):
    with FakeCohere([Error(status, "nope", retry_after=1)]) as fake:
        stream = sdk_client(sdk, fake).chat_stream(model=MODEL, messages=CHAT["messages"])
        with pytest.raises(getattr(sdk.errors, error_name)) as info:
            list(stream)
    assert info.value.status_code == status
    assert info.value.body["message"] == "nope"


@pytest.mark.sdk
def test_sdk_with_a_wrong_key_is_unauthorized(sdk):
    with FakeCohere(api_key="right") as fake:
        stream = sdk_client(sdk, fake, api_key="wrong").chat_stream(
            model=MODEL, messages=CHAT["messages"]
        )
        with pytest.raises(sdk.errors.UnauthorizedError) as info:
            list(stream)
        assert info.value.body["message"] == "invalid api token"
        assert fake.requests[0].headers["Authorization"] == "Bearer wrong"


def test_serves_the_model_list_apart_from_the_chat_requests(fake):
    answer = requests.get(f"{fake.url}/v1/models?endpoint=chat", timeout=10)
    listed = answer.json()["models"]
    assert answer.status_code == 200 and answer.json()["next_page_token"] == ""
    assert {"name", "context_length", "is_deprecated", "features"} <= set(listed[0])
    assert [m["name"] for m in listed if m["is_deprecated"]] == ["command-r-plus"]
    assert requests.get(f"{fake.url}/v1/models?endpoint=embed", timeout=10).json()["models"] == []
    fake.models = Error(500, "models are down")
    assert requests.get(f"{fake.url}/v1/models", timeout=10).status_code == 500
    assert len(fake.model_requests) == 3 and fake.requests == []


def test_streams_logprobs_only_when_asked(fake):
    asked = requests.post(f"{fake.url}/v2/chat", json={**CHAT, "logprobs": True}, timeout=10)
    plain = requests.post(f"{fake.url}/v2/chat", json=CHAT, timeout=10)
    assert b'"logprobs":{"text":' in asked.content and b"logprobs" not in plain.content
    whole = requests.post(f"{fake.url}/v2/chat", json={**CHAT, "stream": False, "logprobs": True})
    items = whole.json()["logprobs"]
    assert "".join(item["text"] for item in items) == "hi" and items[0]["logprobs"][0] <= 0


@pytest.mark.sdk
def test_sdk_lists_the_models_and_reads_logprobs_and_cached_tokens(sdk, fake):
    client = sdk_client(sdk, fake)
    listed = client.models.list(endpoint="chat").models
    assert "north-mini-code-1-0" in [m.name for m in listed]
    assert [m.name for m in listed if m.is_deprecated] == ["command-r-plus"]
    history = [
        {"role": "user", "content": "hello world"},
        {"role": "assistant", "content": "hello world"},
        {"role": "user", "content": "again"},
    ]
    deltas = [
        event
        for event in client.chat_stream(model=MODEL, messages=history, logprobs=True)
        if event.type == "content-delta"
    ]
    assert [event.logprobs.text for event in deltas] == ["again"]
    whole = client.chat(model=MODEL, messages=history, logprobs=True)
    assert whole.logprobs[0].text == "again" and whole.usage.cached_tokens == 4
