"""FakeCohere: a local server that speaks Cohere's v2 chat stream, for offline demos and CI.

It is a real HTTP server on 127.0.0.1, so every client works against it unchanged: co_widget,
``requests``, and the official SDK (``cohere.ClientV2(api_key="x", base_url=fake.url)``)::

    from co_widget import Chat
    from co_widget.testing import Error, FakeCohere, Stream, text_events

    with FakeCohere(["Hello there!"]) as fake:
        chat = Chat(base_url=fake.url)
        chat.ask("hi")                          # -> "Hello there!"
        fake.requests[-1].json["messages"]      # what the client sent

Each request to ``POST /v2/chat`` takes the next queued reply (``FakeCohere(replies)``,
``fake.add(...)``). A reply is one of

- a ``str``: a text reply, streamed in word-sized deltas ("Coca", "-", "Cola", " is", ...);
- a list of event dicts, streamed as given (build them with :func:`text_events`, or load a
  recorded stream with :meth:`Stream.from_jsonl`);
- a :class:`Stream`: events plus framing, pacing and faults (drop, stall, malformed event);
- an :class:`Error`: an HTTP error status with Cohere's error body;
- a function ``reply(request_json)`` returning one of those: the reply depends on the request.

With the queue empty, ``responder(request_json)`` makes the reply if given; else a request with
``documents`` is answered by quoting them, with citations (in the request's citation mode), one
with images by describing them (count, formats, pixel sizes), and any other by echoing its last
user message. A flaky server that fails twice, then recovers::

    fake.add(*[Error(503, "service unavailable")] * 2, "ok")

A tool loop, offline: call a tool on the first request, answer from its result on the next
(:func:`tool_results` reads the results a request carries back)::

    def script(request):
        results = tool_results(request)
        if not results:
            return text_events(tool_plan="I will look up the weather.",
                               tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}])
        return f"It is {results[0]['documents'][0]['temp_c']} °C in Paris."

    with FakeCohere(responder=script, strict=True) as fake: ...

``strict=True`` answers 400, as Cohere does, to a history with a tool call but no tool message.

Requests with ``"stream": false`` get the non-streaming JSON response carrying the same reply.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from co_widget._fake_grounded import grounded_reply
from co_widget._fake_images import describe_images
from co_widget._fake_server import (
    CONTENT_TYPES,
    FakeServer,
    Handler,
    auth_problem,
    chat_response,
    count_words,
    dump_json,
    encode_events,
    last_user_text,
)
from co_widget._fake_tools import tool_history_problem, tool_results

__all__ = [
    "Error",
    "FakeCohere",
    "RecordedRequest",
    "Stream",
    "original_example",
    "text_events",
    "tool_results",
]

_FRAMINGS = ("sse", "ndjson")
_TRANSFERS = ("chunked", "close", "length")

# A word with its leading space, or a run of punctuation: close to the real API's token deltas,
# and the pieces always join back to the exact text.
_PIECES = re.compile(r"\s*\w+|\s*[^\w\s]+|\s+")

# usage.tokens.input_tokens counts Cohere's prompt template too; billed_units does not.
_PROMPT_TEMPLATE_TOKENS = 500
_DEFAULT_INPUT_TOKENS = 10
_DEMO_DATA = Path(__file__).parent / "demo_data"


def _pieces(text: str) -> list[str]:
    return _PIECES.findall(text)


# --- Events ----------------------------------------------------------------------------------


def text_events(
    text: str = "",
    *,
    deltas: Sequence[str] | None = None,
    thinking: str | None = None,
    tool_plan: str | None = None,
    tool_calls: Sequence[Mapping[str, Any]] | None = None,
    citations: Sequence[Mapping[str, Any]] | None = None,
    finish_reason: str | None = None,
    usage: Mapping[str, Any] | None = None,
    error: str | None = None,
    id: str | None = None,
    input_tokens: int | None = None,
) -> list[dict[str, Any]]:
    """The event dicts of one assistant reply, shaped exactly like the real API's.

    Order: message-start, a thinking block (index 0) if ``thinking``, tool-plan-delta events if
    ``tool_plan``, the text block (omitted when ``text`` is empty and there are ``tool_calls``,
    as in real tool-call turns), citation-start/-end pairs (index = citation number), then per
    tool call tool-call-start / tool-call-delta (the JSON arguments in fragments) /
    tool-call-end, and message-end.

    Args:
        text: the reply text, split into word-sized deltas.
        deltas: the exact text deltas instead (they must join to ``text`` if both are given).
        thinking: reasoning text, streamed in a ``thinking`` content block before the text.
        tool_plan: the plan text that precedes tool calls.
        tool_calls: ``{"name", "arguments", "id"?}`` or Cohere's own
            ``{"id", "type": "function", "function": {"name", "arguments"}}``; ``arguments``
            is a JSON string or any JSON value (encoded here); ``id`` defaults to
            ``<name>_<random>``.
        citations: Cohere citation objects (``start``, ``end``, ``text``, ``sources``, ``type``),
            sent as given.
        finish_reason: default ERROR when ``error`` is given, TOOL_CALL with ``tool_calls``,
            else COMPLETE.
        usage: message-end's usage as given; by default computed: output tokens = number of
            deltas, input tokens = ``input_tokens`` (FakeCohere passes the request's word count).
        error: an in-band failure message, put in message-end's ``delta.error``.
        id: the reply id in message-start (default: a fresh uuid4).
    """
    if deltas is None:
        deltas = _pieces(text)
    elif text and "".join(deltas) != text:
        raise ValueError("deltas must join to exactly `text` (or leave `text` empty)")

    events: list[dict[str, Any]] = [
        {
            "id": id or str(uuid.uuid4()),
            "type": "message-start",
            "delta": {
                "message": {
                    "role": "assistant",
                    "content": [],
                    "tool_plan": "",
                    "tool_calls": [],
                    "citations": [],
                }
            },
        }
    ]
    if thinking:
        events += _content_block(0, "thinking", _pieces(thinking))
    for piece in _pieces(tool_plan or ""):
        events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}})
    if deltas or not tool_calls:
        events += _content_block(1 if thinking else 0, "text", deltas)
    for index, citation in enumerate(citations or ()):
        events.append(
            {
                "type": "citation-start",
                "index": index,
                "delta": {"message": {"citations": citation}},
            }
        )
        events.append({"type": "citation-end", "index": index})
    for index, call in enumerate(tool_calls or ()):
        events += _tool_call_events(index, call)

    if usage is None:
        output = sum(event["type"].endswith("-delta") for event in events)
        billed_input = _DEFAULT_INPUT_TOKENS if input_tokens is None else input_tokens
        usage = {
            "billed_units": {"input_tokens": billed_input, "output_tokens": output},
            "tokens": {
                "input_tokens": billed_input + _PROMPT_TEMPLATE_TOKENS,
                "output_tokens": output,
            },
            "cached_tokens": 0,
        }
    if finish_reason is None:
        finish_reason = "ERROR" if error is not None else "TOOL_CALL" if tool_calls else "COMPLETE"
    end = {} if error is None else {"error": error}
    end |= {"finish_reason": finish_reason, "usage": dict(usage)}
    events.append({"type": "message-end", "delta": end})
    return events


def _content_block(index: int, kind: str, pieces: Sequence[str]) -> list[dict[str, Any]]:
    start = {"type": kind, kind: ""}
    return [
        {"type": "content-start", "index": index, "delta": {"message": {"content": start}}},
        *(
            {"type": "content-delta", "index": index, "delta": {"message": {"content": {kind: p}}}}
            for p in pieces
        ),
        {"type": "content-end", "index": index},
    ]


def _tool_call_events(index: int, call: Mapping[str, Any]) -> list[dict[str, Any]]:
    function = call.get("function", call)
    name = function["name"]
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        # json.dumps' default ", " / ": " spacing is what the model writes.
        arguments = json.dumps(arguments, ensure_ascii=False)
    start = {
        "id": call.get("id") or f"{name}_{uuid.uuid4().hex[:12]}",
        "type": "function",
        "function": {"name": name, "arguments": ""},
    }
    return [
        {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": start}}},
        *(
            {
                "type": "tool-call-delta",
                "index": index,
                "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}},
            }
            for piece in _pieces(arguments)
        ),
        {"type": "tool-call-end", "index": index},
    ]


# --- Replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """One scripted streamed response: its events, how they travel, and which fault to inject.

    ``events`` is a text (streamed like a ``str`` reply) or a list of event dicts; a ``bytes``
    item in the list goes on the wire verbatim (an SSE comment, CRLF line endings ...). Options
    left ``None`` take the FakeCohere's defaults. Fault indices count the items of ``events``;
    one past the end means "just before ``data: [DONE]``".

    Args:
        framing: ``"sse"`` (``event:``/``data:`` records, then ``data: [DONE]``) or
            ``"ndjson"`` (one JSON object per line, no terminator).
        transfer: ``"chunked"`` (each write is one HTTP chunk), ``"close"`` (no length; the body
            ends when the connection closes) or ``"length"`` (Content-Length).
        chunk_size: bytes per write (1 splits every line and every multi-byte character).
        delay: seconds between events.
        drop_after: send this many events, then cut the connection (no message-end; with
            chunked transfer, no terminating chunk).
        stall_after: send this many events, then go silent for ``stall_seconds`` (or until the
            server closes), then carry on.
        malformed_at: insert a truncated, invalid JSON record before event ``malformed_at``.
        done_marker: end an SSE stream with ``data: [DONE]`` as the real API does.
        headers: extra response headers.
    """

    events: str | Sequence[dict[str, Any] | bytes] = field(repr=False)
    _: KW_ONLY
    framing: str | None = None
    transfer: str | None = None
    chunk_size: int | None = None
    delay: float | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 30.0
    malformed_at: int | None = None
    done_marker: bool = True
    headers: Mapping[str, str] | None = None
    _wire_cache: dict[str, list[bytes]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _check_options(self.framing, self.transfer, self.chunk_size, self.delay)
        for name in ("drop_after", "stall_after", "malformed_at"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not isinstance(self.events, str):
            # A tuple: a Stream is immutable, so one instance can be queued several times.
            object.__setattr__(self, "events", tuple(self.events))

    @classmethod
    def from_jsonl(cls, source: str | os.PathLike[str], **options: Any) -> Stream:
        """A recorded stream: one event JSON per line, blank lines skipped.

        ``source`` is a file path, or the JSONL text itself (text is recognised by a newline
        or a leading ``{``). ``options`` are the other :class:`Stream` arguments.
        """
        if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
            text = source
        else:
            text = Path(source).read_text(encoding="utf-8")
        # split("\n"), not splitlines(): U+2028 and friends are legal inside JSON strings.
        return cls([json.loads(line) for line in text.split("\n") if line.strip()], **options)

    def _events(self, request_json: dict[str, Any]) -> Sequence[dict[str, Any] | bytes]:
        if isinstance(self.events, str):
            # Rendered per request, so that its usage counts the request's words.
            return text_events(self.events, input_tokens=count_words(request_json))
        return self.events

    def _wire(self, framing: str, request_json: dict[str, Any]) -> list[bytes]:
        """The encoded events and trailer. Fixed events are encoded once per framing, so a
        benchmark serving the same Stream again and again does not pay for it each time."""
        if isinstance(self.events, str):
            return self._encode(self._events(request_json), framing)
        if framing not in self._wire_cache:
            self._wire_cache[framing] = self._encode(self.events, framing)
        return self._wire_cache[framing]

    def _encode(self, events: Sequence[dict[str, Any] | bytes], framing: str) -> list[bytes]:
        return encode_events(
            events, framing, done_marker=self.done_marker, malformed_at=self.malformed_at
        )


def original_example(**options: Any) -> Stream:
    """The reply of the original example ("what is Coca Cola?"), as Cohere streamed it.

    Handy for offline demos: ``FakeCohere([original_example(delay=0.02)])`` answers its first
    request with it. ``options`` are the other :class:`Stream` arguments.
    """
    return Stream.from_jsonl(_DEMO_DATA / "coca_cola.jsonl", **options)


@dataclass(frozen=True)
class Error:
    """An HTTP error reply with Cohere's body ``{"id": "<uuid>", "message": ...}``.

    Immutable, so one instance may be queued several times: ``fake.add(*[err] * 2, "ok")``
    fails twice, then answers "ok" (a flaky server for retry tests).

    Args:
        status: 400-599, e.g. 400 bad request, 401, 429 rate limit, 500, 503.
        message: Cohere's ``message`` text.
        retry_after: seconds (or an HTTP date string) for the ``Retry-After`` header.
        headers: extra response headers.
        body: the whole body instead (a dict is sent as JSON, ``str``/``bytes`` verbatim).
        request_id: the body's ``id`` (default: a fresh uuid4 per response).
    """

    status: int
    message: str
    _: KW_ONLY
    retry_after: float | str | None = None
    headers: Mapping[str, str] | None = None
    body: Mapping[str, Any] | str | bytes | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"an Error's status is 400-599, not {self.status}")

    def _response(self) -> tuple[bytes, dict[str, str]]:
        if self.body is None:
            body = dump_json({"id": self.request_id or str(uuid.uuid4()), "message": self.message})
        elif isinstance(self.body, str):
            body = self.body.encode()
        elif isinstance(self.body, bytes):
            body = self.body
        else:
            body = dump_json(self.body)
        headers = {}
        if self.retry_after is not None:
            retry = self.retry_after
            headers["Retry-After"] = retry if isinstance(retry, str) else f"{retry:g}"
        headers.update(self.headers or {})
        return body, headers


Reply = str | Sequence[Mapping[str, Any]] | Stream | Error
# A queued reply may also be a function of the request that returns one of those.
Script = Callable[[dict[str, Any]], Reply]


def _default_reply(request_json: dict[str, Any]) -> Reply:
    """With no script and no responder: quote the request's documents with citations, if it
    has any; else describe its images, if any; else echo the last user message."""
    grounded = grounded_reply(request_json, text_events)
    if grounded is not None:
        return grounded
    return describe_images(request_json) or last_user_text(request_json)


def _check_reply(reply: object, *, scripted: bool = True) -> None:
    if scripted and callable(reply) and not isinstance(reply, (Stream, Error)):
        return
    if not isinstance(reply, (str, list, tuple, Stream, Error)):
        raise TypeError(
            "a reply is a str, a list of event dicts, a Stream, an Error"
            f"{', or a function of the request returning one' if scripted else ''}, "
            f"not {type(reply).__name__}"
        )


def _check_options(
    framing: str | None, transfer: str | None, chunk_size: int | None, delay: float | None
) -> None:
    if framing not in (None, *_FRAMINGS):
        raise ValueError(f"framing must be one of {_FRAMINGS}, not {framing!r}")
    if transfer not in (None, *_TRANSFERS):
        raise ValueError(f"transfer must be one of {_TRANSFERS}, not {transfer!r}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be >= 1 (or None for large writes)")
    if delay is not None and delay < 0:
        raise ValueError("delay must be >= 0")


# --- The server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request FakeCohere received. ``repr`` hides the Authorization header."""

    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive: headers["authorization"] works
    json: Any  # the parsed body, None when it is not JSON
    body: bytes

    def __repr__(self) -> str:
        headers = {
            name: "<redacted>" if name.lower() == "authorization" else value
            for name, value in self.headers.items()
        }
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, "
            f"headers={headers!r}, json={self.json!r})"
        )


class FakeCohere:
    """A local HTTP server that answers ``POST /v2/chat`` like Cohere's v2 Chat API.

    Use it as a context manager (``with FakeCohere() as fake:``), or call :meth:`start` and
    :meth:`close`. Point a client at :attr:`url`. See the module docstring for replies.

    Args:
        replies: replies to queue, served in order (see :meth:`add`).
        api_key: if given, requests need ``Authorization: Bearer <api_key>``; others get
            Cohere's 401 ("no api key supplied" / "invalid api token").
        responder: ``responder(request_json) -> reply`` for requests when the queue is empty
            (default: echo the last user message). With :func:`tool_results` it scripts a tool
            loop: call tools on the first request, answer from their results on the next.
        strict: reject, with Cohere's HTTP 400, a request whose history breaks the tool-call
            rules (a tool call without its tool message, a tool message without its call).
        on_write: ``on_write(data)`` is called in the request's thread with the body bytes of
            each socket write (without HTTP chunk framing), just before they are sent: take
            ``time.time()`` there to know when a reply's first token left the server, or log
            the wire. An exception it raises cuts that connection.
        framing, transfer, chunk_size, delay: defaults for every streamed reply
            (see :class:`Stream`).
        host, port: where to listen (port 0 picks a free port).
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        api_key: str | None = None,
        responder: Script | None = None,
        strict: bool = False,
        on_write: Callable[[bytes], None] | None = None,
        framing: str = "sse",
        transfer: str = "chunked",
        chunk_size: int | None = None,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        _check_options(framing, transfer, chunk_size, delay)
        self._api_key = api_key
        self.responder = responder
        self.strict = strict
        self.on_write = on_write
        self.framing = framing
        self.transfer = transfer
        self.chunk_size = chunk_size
        self.delay = delay
        self._address = (host, port)
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply | Script] = deque()
        self._lock = threading.Lock()
        self._server: FakeServer | None = None
        self._thread: threading.Thread | None = None
        self.add(*replies)

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT``: pass it as ``base_url``."""
        if self._server is None:
            raise RuntimeError("FakeCohere is not running: use `with FakeCohere() as fake:`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, *replies: Reply | Script) -> None:
        """Queue replies for the next requests, first in first out. A reply may be a function
        ``reply(request_json)`` that returns one, to answer from what the request holds."""
        for reply in replies:
            _check_reply(reply)
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> FakeCohere:
        """Start listening (idempotent); returns self."""
        if self._server is None:
            self._server = FakeServer(self._address, self._answer)
            # A short poll interval keeps close() fast: shutdown() waits for one poll.
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FakeCohere {self.url}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the server and cut open connections, even a stalled stream (idempotent)."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.close()
            thread.join()

    def __enter__(self) -> FakeCohere:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not running"
        return f"<FakeCohere {where}, {len(self.requests)} requests, {len(self._queue)} queued>"

    # Runs in a handler thread, once per request.
    def _answer(self, handler: Handler) -> None:
        raw = handler.read_body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        request = RecordedRequest(
            handler.command, handler.path, CaseInsensitiveDict(handler.headers.items()), body, raw
        )
        with self._lock:
            self.requests.append(request)

        reply = self._reply_to(request)
        if isinstance(reply, Error):
            handler.send_json(reply.status, *reply._response(), self.on_write)
            return
        if not request.json.get("stream"):
            body = dump_json(chat_response(reply._events(request.json)))
            handler.send_json(200, body, {}, self.on_write)
            return
        framing = reply.framing or self.framing
        handler.send_stream(
            reply._wire(framing, request.json),
            content_type=CONTENT_TYPES[framing],
            transfer=reply.transfer or self.transfer,
            chunk_size=reply.chunk_size or self.chunk_size,
            delay=self.delay if reply.delay is None else reply.delay,
            drop_after=reply.drop_after,
            stall_after=reply.stall_after,
            stall_seconds=reply.stall_seconds,
            headers=reply.headers or {},
            on_write=self.on_write,
        )

    def _reply_to(self, request: RecordedRequest) -> Stream | Error:
        """Route and authenticate like the real API, then take the next reply."""
        if request.method != "POST" or urlsplit(request.path).path != "/v2/chat":
            return Error(404, "404 page not found")
        if self._api_key is not None:
            problem = auth_problem(request.headers.get("Authorization"), self._api_key)
            if problem:
                return Error(401, problem)
        if not isinstance(request.json, dict):
            return Error(400, "invalid request: the body must be a JSON object")
        problem = tool_history_problem(request.json) if self.strict else None
        if problem:
            return Error(400, problem)
        with self._lock:
            reply = self._queue.popleft() if self._queue else None
        if reply is None:
            reply = self.responder or _default_reply
        if callable(reply) and not isinstance(reply, (Stream, Error)):
            try:
                reply = reply(request.json)
                _check_reply(reply, scripted=False)
            except Exception as exc:
                # A broken script fails that request visibly, not the whole connection.
                return Error(500, f"FakeCohere responder failed: {exc!r}")
        return reply if isinstance(reply, (Stream, Error)) else Stream(reply)
