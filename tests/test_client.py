"""CohereClient / ChatStream over real sockets against FakeCohere: events, framings, faults."""

from __future__ import annotations

import json
import socket
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from co_widget.request.params import build_chat_body
from co_widget.testing import Error, FakeCohere, Stream, text_events
from co_widget.wire.client import DEFAULT_BASE_URL, ChatStream, CohereClient
from co_widget.wire.errors import (
    APIStatusError,
    BadRequestError,
    ClientClosedRequestError,
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    ForbiddenError,
    InvalidTokenError,
    MissingAPIKeyError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UnauthorizedError,
    UnprocessableEntityError,
)
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
from co_widget.wire.http_errors import retry_after
from co_widget.wire.stream_parser import event_from_json
from tests.support.seed import EXPECTED_BODY, seed_parts

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED_TEXT = (FIXTURES / "seed_expected_text.txt").read_bytes()
BODY = build_chat_body("command-a-03-2025", [{"role": "user", "content": "hi"}], None, {})
KEY = "sk-CANARY-0123456789abcdef"
ENV = ("CO_API_KEY", "COHERE_API_KEY", "CO_API_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def client(fake, **kwargs) -> CohereClient:
    kwargs.setdefault("timeout", 10)
    return CohereClient(base_url=fake.url, **kwargs)


def text(events) -> str:
    return "".join(e.text for e in events if isinstance(e, ContentDelta) and e.kind == "text")


def collect(stream: ChatStream) -> tuple[list, CohereError | None]:
    """All events until the end or the error (events yielded before an error are kept)."""
    events = []
    try:
        for event in stream:
            events.append(event)
    except CohereError as error:
        return events, error
    return events, None


# --- the original example, end to end ---------------------------------------------------------


def seed_body() -> dict:
    """The seed request as decided (see tests.support.seed); test_messages_params covers p."""
    model, messages, params = seed_parts()
    del params["p"]
    return build_chat_body(model, messages[1:], messages[0]["content"], params)


@pytest.mark.parametrize(
    ("framing", "transfer", "chunk_size"),
    [
        ("sse", "chunked", None),
        ("sse", "chunked", 1),
        ("sse", "close", None),
        ("sse", "close", 1),
        ("ndjson", "chunked", None),
        ("ndjson", "chunked", 1),
        ("ndjson", "close", 1),
        ("sse", "length", 7),
    ],
)
def test_seed_conversation_end_to_end(fake, framing, transfer, chunk_size):
    wire = (FIXTURES / f"seed_{framing}.txt").read_bytes()
    # The captured bytes go out verbatim (its own [DONE] included), cut into chunk_size writes.
    fake.add(
        Stream([wire], framing=framing, transfer=transfer, chunk_size=chunk_size, done_marker=False)
    )
    events = list(client(fake, api_key=KEY).chat_stream(seed_body()))

    assert text(events).encode() == EXPECTED_TEXT
    assert isinstance(events[-1], MessageEnd) and events[-1].finish_reason == "COMPLETE"
    [request] = fake.requests
    assert request.json == EXPECTED_BODY


def test_request_headers(fake):
    list(client(fake, api_key=KEY).chat_stream(BODY))
    headers = fake.requests[0].headers
    assert fake.requests[0].method == "POST" and fake.requests[0].path == "/v2/chat"
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "text/event-stream"
    assert headers["Accept-Encoding"] == "identity"
    assert headers["X-Client-Name"] == "co_widget"
    assert headers["User-Agent"].startswith("co_widget/")
    assert headers["User-Agent"].endswith(" (+python-requests)")


def test_no_authorization_header_without_a_key_on_another_host(fake):
    list(client(fake).chat_stream(BODY))
    assert "Authorization" not in fake.requests[0].headers


# --- every event type, both framings ---------------------------------------------------------


@pytest.mark.parametrize("framing", ["sse", "ndjson"])
def test_every_event_type(fake, framing):
    citation = {"start": 0, "end": 5, "text": "Sunny", "sources": [], "type": "TEXT_CONTENT"}
    events = text_events(
        "Sunny, 21°C.",
        thinking="Let me check.",
        tool_plan="I will call the tool.",
        tool_calls=[{"name": "weather", "arguments": {"city": "Paris"}, "id": "w1"}],
        citations=[citation],
    )
    extra = [{"type": "debug", "prompt": "raw prompt"}, {"type": "future-event", "x": 1}]
    fake.add(Stream(events[:-1] + extra + events[-1:], framing=framing, chunk_size=5))
    got = list(client(fake).chat_stream(BODY))

    kinds = {type(e) for e in got}
    assert kinds == {
        MessageStart, ContentStart, ContentDelta, ContentEnd, ToolPlanDelta, ToolCallStart,
        ToolCallDelta, ToolCallEnd, CitationStart, CitationEnd, MessageEnd, Debug, UnknownEvent,
    }  # fmt: skip
    assert got == [event_from_json(e) for e in events[:-1] + extra + events[-1:]]
    assert text(got) == "Sunny, 21°C."
    arguments = "".join(e.arguments for e in got if isinstance(e, (ToolCallStart, ToolCallDelta)))
    assert json.loads(arguments) == {"city": "Paris"}
    assert got[-1].finish_reason == "TOOL_CALL"


@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "captured").glob("*.jsonl")), ids=lambda p: p.stem
)
def test_captured_streams_through_the_client(fake, path):
    stream = Stream.from_jsonl(path, chunk_size=3)
    fake.add(stream)
    assert list(client(fake).chat_stream(BODY)) == [event_from_json(e) for e in stream.events]


# --- liveness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("transfer", ["chunked", "close"])
def test_first_event_arrives_long_before_the_stream_ends(fake, transfer):
    words = " ".join(f"w{i}" for i in range(30))
    fake.add(Stream(words, transfer=transfer, delay=0.05))  # ~1.6 s in all
    start = time.monotonic()
    first = None
    for event in client(fake).chat_stream(BODY):
        if first is None and isinstance(event, ContentDelta):
            first = time.monotonic() - start
    total = time.monotonic() - start
    assert total > 1.0
    assert first < total / 3, (first, total)


def test_stops_at_message_end_when_the_server_keeps_the_connection_open(fake):
    events = text_events("done")
    # Silence after message-end instead of [DONE]: the client must not wait for it.
    fake.add(Stream(events, stall_after=len(events), stall_seconds=30))
    start = time.monotonic()
    got = list(client(fake, timeout=20).chat_stream(BODY))
    assert time.monotonic() - start < 5
    assert isinstance(got[-1], MessageEnd)


# --- connection reuse ----------------------------------------------------------------------------


@pytest.fixture
def accepted(monkeypatch) -> list:
    """The TCP connections FakeCohere accepts, counted where its handler starts on one."""
    from co_widget.testing import server as _fake_server

    seen: list = []
    setup = _fake_server.Handler.setup

    def counting(handler):
        seen.append(handler.client_address)
        setup(handler)

    monkeypatch.setattr(_fake_server.Handler, "setup", counting)
    return seen


@pytest.mark.parametrize(("framing", "transfer"), [("sse", "chunked"), ("ndjson", "chunked")])
def test_turns_reuse_one_connection(fake, accepted, framing, transfer):
    c = client(fake)
    for word in ("one", "two", "three"):
        fake.add(Stream(word, framing=framing, transfer=transfer))
        assert text(c.chat_stream(BODY)) == word
    assert len(accepted) == 1


def test_a_connection_silent_after_message_end_is_not_reused(fake, accepted):
    events = text_events("done")
    fake.add(Stream(events, stall_after=len(events), stall_seconds=30), "next")
    c = client(fake, timeout=20)
    start = time.monotonic()
    assert text(c.chat_stream(BODY)) == "done"
    assert time.monotonic() - start < 2  # waited at most the short tail wait, not the stall
    assert text(c.chat_stream(BODY)) == "next"
    assert len(accepted) == 2


def test_cancel_reaches_a_reused_connection(fake, accepted):
    c = client(fake, timeout=30)
    fake.add("first", Stream("one two three", stall_after=3, stall_seconds=30))
    assert text(c.chat_stream(BODY)) == "first"
    stream = c.chat_stream(BODY)
    cancel_soon(stream)
    start = time.monotonic()
    events, error = collect(stream)
    assert time.monotonic() - start < 2
    assert error is None and text(events) == "one" and len(accepted) == 1
    fake.add("after")
    assert text(c.chat_stream(BODY)) == "after"


# --- HTTP errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (402, PaymentRequiredError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (498, InvalidTokenError),
        (499, ClientClosedRequestError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_errors_map_to_their_class(fake, status, cls):
    fake.add(Error(status, f"cohere says {status}", request_id="req-123"))
    stream = client(fake, max_retries=0).chat_stream(BODY)
    events, error = collect(stream)
    assert events == [] and type(error) is cls and isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.message == f"cohere says {status}"
    assert error.request_id == "req-123"
    assert error.body == {"id": "req-123", "message": f"cohere says {status}"}
    assert error.hint == cls(error.message).hint and error.hint
    assert stream.attempts == 1


def test_client_errors_are_not_retried(fake):
    fake.add(Error(400, "invalid request"), "never sent")
    stream = client(fake, max_retries=3).chat_stream(BODY)
    assert isinstance(collect(stream)[1], BadRequestError)
    assert stream.attempts == 1 and len(fake.requests) == 1


def test_non_json_error_body_and_request_id_header(fake):
    fake.add(Error(502, "", body="<html> Bad   gateway </html>", headers={"X-Request-Id": "h-1"}))
    error = collect(client(fake, max_retries=0).chat_stream(BODY))[1]
    assert isinstance(error, ServerError) and error.status_code == 502
    assert error.message == "<html> Bad gateway </html>"
    assert error.request_id == "h-1"


def test_401_from_a_server_that_wants_a_key(fake):
    with FakeCohere(api_key="right-key") as guarded:
        error = collect(client(guarded, api_key="wrong-key").chat_stream(BODY))[1]
        assert isinstance(error, UnauthorizedError) and error.message == "invalid api token"
        assert "CO_API_KEY" in error.hint
        assert text(client(guarded, api_key="right-key").chat_stream(BODY)) == "hi"


# --- retries ----------------------------------------------------------------------------------


def test_flaky_server_recovers_after_retries(fake):
    fake.add(Error(503, "overloaded"), Error(500, "oops"), "recovered")
    stream = client(fake, max_retries=2).chat_stream(BODY)
    assert text(stream) == "recovered"
    assert stream.attempts == 3 and len(fake.requests) == 3


def test_retries_are_capped(fake):
    fake.add(*[Error(503, "overloaded")] * 3, "too late")
    stream = client(fake, max_retries=1).chat_stream(BODY)
    error = collect(stream)[1]
    assert isinstance(error, ServerError) and error.message == "overloaded"
    assert stream.attempts == 2 and len(fake.requests) == 2


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "0.6"}, {"retry-after-ms": "600", "Retry-After": "50"}]
)
def test_429_honours_the_servers_wait(fake, headers):
    fake.add(Error(429, "slow down", headers=headers), "ok")
    stream = client(fake, max_retries=1).chat_stream(BODY)
    start = time.monotonic()
    assert text(stream) == "ok"
    assert stream.attempts == 2
    assert time.monotonic() - start >= 0.5  # waited as asked (no upper bound asserted)


def test_a_wait_beyond_60_s_is_reported_not_slept(fake):
    fake.add(Error(429, "slow down", retry_after=120), "never")
    stream = client(fake, max_retries=3).chat_stream(BODY)
    start = time.monotonic()
    error = collect(stream)[1]
    assert time.monotonic() - start < 5
    assert isinstance(error, RateLimitError) and error.retry_after == pytest.approx(120)
    assert "120" in error.hint and stream.attempts == 1


def test_retry_after_parsing():
    assert retry_after({}) is None
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after": "-3"}) == 0.0
    assert retry_after({"retry-after-ms": "1500"}) == 1.5
    assert retry_after({"retry-after-ms": "junk", "retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({"retry-after": "inf"}) is None
    date = formatdate(time.time() + 30, usegmt=True)
    assert 25 < retry_after({"retry-after": date}) <= 31
    assert retry_after({"retry-after": formatdate(time.time() - 30, usegmt=True)}) == 0.0


# --- transport faults --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_retried_then_reported():
    stream = CohereClient(base_url=f"http://127.0.0.1:{free_port()}", max_retries=1).chat_stream(
        BODY
    )
    error = collect(stream)[1]
    assert type(error) is CohereConnectionError and error.status_code is None
    assert "127.0.0.1" in error.message and "CO_API_URL" in error.hint
    assert stream.attempts == 2


@pytest.mark.parametrize("transfer", ["chunked", "close", "length"])
def test_drop_mid_stream_keeps_the_partial_events(fake, transfer):
    fake.add(Stream("one two three four five six", transfer=transfer, drop_after=4))
    events, error = collect(client(fake).chat_stream(BODY))
    assert isinstance(error, StreamInterruptedError) and error.status_code is None
    assert text(events) == "one two"  # message-start, content-start, 2 deltas
    assert "4 events" in error.message


@pytest.mark.parametrize("transfer", ["chunked", "close"])
def test_stall_times_out(fake, transfer):
    fake.add(Stream("one two three", transfer=transfer, stall_after=3))
    start = time.monotonic()
    events, error = collect(client(fake, timeout=0.5).chat_stream(BODY))
    assert isinstance(error, CohereTimeoutError) and isinstance(error, TimeoutError)
    assert text(events) == "one"
    assert time.monotonic() - start < 5


def test_no_response_headers_times_out(fake):
    release = threading.Event()
    fake.responder = lambda request: (release.wait(10), "late")[1]
    try:
        error = collect(client(fake, timeout=0.5, max_retries=2).chat_stream(BODY))[1]
        assert isinstance(error, CohereTimeoutError)
        assert len(fake.requests) == 1  # the server may be working on it: no retry
    finally:
        release.set()


def test_malformed_event_is_yielded_and_the_stream_continues(fake):
    fake.add(Stream("one two three", malformed_at=3))
    events = list(client(fake).chat_stream(BODY))
    [bad] = [e for e in events if isinstance(e, MalformedEvent)]
    assert "invalid JSON" in bad.reason
    assert text(events) == "one two three" and isinstance(events[-1], MessageEnd)


def test_in_band_error_is_a_message_end_not_an_exception(fake):
    fake.add(Stream(text_events("partial", error="internal failure")))
    events, error = collect(client(fake).chat_stream(BODY))
    assert error is None and text(events) == "partial"
    assert events[-1] == MessageEnd(
        finish_reason="ERROR", usage=events[-1].usage, error="internal failure"
    )


# --- cancel ------------------------------------------------------------------------------------


def cancel_soon(stream: ChatStream, after: float = 0.3) -> None:
    threading.Timer(after, stream.cancel).start()


@pytest.mark.parametrize("transfer", ["chunked", "close"])
def test_cancel_during_a_stall_ends_quietly_and_fast(fake, transfer):
    fake.add(Stream("one two three", transfer=transfer, stall_after=3, stall_seconds=30))
    stream = client(fake, timeout=30).chat_stream(BODY)
    cancel_soon(stream)
    start = time.monotonic()
    events, error = collect(stream)
    assert time.monotonic() - start < 2
    assert error is None and text(events) == "one" and stream.cancelled


def test_cancel_while_waiting_for_the_response_headers(fake):
    release = threading.Event()
    fake.responder = lambda request: (release.wait(10), "late")[1]
    stream = client(fake, timeout=30).chat_stream(BODY)
    cancel_soon(stream)
    start = time.monotonic()
    try:
        assert collect(stream) == ([], None)
        assert time.monotonic() - start < 2
    finally:
        release.set()


def test_cancel_during_a_retry_back_off(fake):
    fake.add(Error(429, "slow down", retry_after=30), "never")
    stream = client(fake, max_retries=2).chat_stream(BODY)
    cancel_soon(stream)
    start = time.monotonic()
    assert collect(stream) == ([], None)
    assert time.monotonic() - start < 2
    assert stream.attempts == 1


def test_cancel_before_iterating_sends_nothing(fake):
    stream = client(fake).chat_stream(BODY)
    stream.cancel()
    stream.cancel()  # idempotent
    assert list(stream) == [] and fake.requests == []


def test_cancel_after_the_end_is_harmless_and_the_client_is_reusable(fake):
    c = client(fake)
    stream = c.chat_stream(BODY)
    assert text(stream) == "hi"
    stream.cancel()
    assert text(c.chat_stream(BODY)) == "hi"


def test_a_stream_iterates_once(fake):
    stream = client(fake).chat_stream(BODY)
    list(stream)
    with pytest.raises(RuntimeError, match="only once"):
        iter(stream)


# --- configuration: environment, key, parameters ----------------------------------------------


def test_environment_is_read_at_call_time(fake, monkeypatch):
    with FakeCohere(api_key="key-b") as other:
        c = CohereClient()  # nothing set yet
        monkeypatch.setenv("CO_API_URL", fake.url)
        monkeypatch.setenv("COHERE_API_KEY", "key-a")
        list(c.chat_stream(BODY))
        assert fake.requests[-1].headers["Authorization"] == "Bearer key-a"

        monkeypatch.setenv("CO_API_KEY", "key-b")  # CO_API_KEY wins over COHERE_API_KEY
        monkeypatch.setenv("CO_API_URL", other.url + "/")
        assert text(c.chat_stream(BODY)) == "hi"
        assert other.requests[-1].path == "/v2/chat"


def test_explicit_arguments_beat_the_environment(fake, monkeypatch):
    monkeypatch.setenv("CO_API_KEY", "from-env")
    monkeypatch.setenv("CO_API_URL", "http://127.0.0.1:9")
    list(CohereClient(api_key="explicit", base_url=fake.url).chat_stream(BODY))
    assert fake.requests[-1].headers["Authorization"] == "Bearer explicit"


@pytest.mark.parametrize("base_url", [None, DEFAULT_BASE_URL, "https://api.cohere.ai/"])
def test_missing_key_for_cohere_is_raised_before_any_request(base_url):
    with pytest.raises(MissingAPIKeyError) as info:
        CohereClient(base_url=base_url).chat_stream(BODY)
    assert "CO_API_KEY" in info.value.hint and "FakeCohere" in info.value.hint


@pytest.mark.parametrize("params", [{"p": 0}, {"temperature": 2}, {"bogus": 1}])
def test_invalid_parameters_fail_before_any_request(fake, params):
    c = client(fake)
    with pytest.raises(ValueError):
        c.chat_stream(
            build_chat_body("command-a-03-2025", [{"role": "user", "content": "hi"}], None, params)
        )
    with pytest.raises(ValueError):
        c.chat_stream(
            build_chat_body("command-a-03-2025", [{"role": "user", "content": ""}], None, {})
        )
    assert fake.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"base_url": "api.cohere.com"}, "http"),
    ],
)
def test_bad_client_arguments(kwargs, error):
    with pytest.raises(ValueError, match=error):
        CohereClient(**kwargs)


def test_bad_environment_url(monkeypatch):
    monkeypatch.setenv("CO_API_URL", "localhost:8000")
    with pytest.raises(ValueError, match="CO_API_URL"):
        CohereClient(api_key="k").chat_stream(BODY)


# --- the key never leaks ------------------------------------------------------------------------


def leak_free(error: BaseException) -> None:
    seen = 0
    while error is not None and seen < 20:
        assert KEY not in str(error) and KEY not in repr(error)
        if isinstance(error, CohereError):
            assert KEY not in json.dumps(error.to_dict()) and KEY not in str(error.body)
        error = error.__cause__ or error.__context__
        seen += 1


def test_the_key_never_appears_in_errors_or_reprs(fake):
    echo = {"message": f"invalid api token {KEY}", "id": "x"}  # a server that echoes the key
    faults = [
        Error(401, "invalid api token"),
        Error(400, "", body=echo),
        Error(429, "slow", retry_after=100),
        Error(503, "overloaded"),
        Stream("a b c", drop_after=2),
        Stream("a b c", stall_after=2),
    ]
    errors = []
    c = client(fake, api_key=KEY, timeout=0.5, max_retries=0)
    assert KEY not in repr(c)
    for fault in faults:
        fake.add(fault)
        stream = c.chat_stream(BODY)
        assert KEY not in repr(stream)
        errors.append(collect(stream)[1])
    refused = CohereClient(api_key=KEY, base_url=f"http://127.0.0.1:{free_port()}", max_retries=0)
    errors.append(collect(refused.chat_stream(BODY))[1])
    for bad_key in (KEY + "\n\x00", KEY + " é"):
        with pytest.raises(ValueError) as info:
            CohereClient(api_key=bad_key, base_url=fake.url).chat_stream(BODY)
        errors.append(info.value)
    assert len(errors) == 9 and all(errors)
    for error in errors:
        leak_free(error)
    assert "<redacted>" in errors[1].message
