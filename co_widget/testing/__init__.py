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
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from co_widget.testing.events import text_events
from co_widget.testing.grounded import grounded_reply
from co_widget.testing.images import describe_images
from co_widget.testing.models import FAKE_MODELS, models_body
from co_widget.testing.replies import (
    Error,
    Reply,
    Script,
    Stream,
    check_options,
    check_reply,
    original_example,
)
from co_widget.testing.retrieval import RETRIEVAL_PATHS, RequestProblem, retrieval_answer
from co_widget.testing.server import (
    CONTENT_TYPES,
    FakeServer,
    Handler,
    auth_problem,
    chat_response,
    dump_json,
    last_user_text,
)
from co_widget.testing.tools import tool_history_problem, tool_results

__all__ = [
    "Error",
    "FakeCohere",
    "RecordedRequest",
    "Stream",
    "original_example",
    "text_events",
    "tool_results",
]


def _default_reply(request_json: dict[str, Any]) -> Reply:
    """With no script and no responder: quote the request's documents with citations, if it
    has any; else describe its images, if any; else echo the last user message."""
    grounded = grounded_reply(request_json)
    if grounded is not None:
        return grounded
    return describe_images(request_json) or last_user_text(request_json)


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
        latency: seconds every request waits before its answer (its status line), as a real
            server takes to start a reply; requests wait side by side, not in turn.
        host, port: where to listen (port 0 picks a free port).

    ``GET /v1/models`` answers with :attr:`models` (a small realistic list, one model of it
    deprecated; assign a list of model dicts, or an :class:`Error` to make it fail). Those reads
    are recorded in :attr:`model_requests`, not in :attr:`requests`, since a ``Chat`` makes
    one in the background.
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
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        check_options(framing, transfer, chunk_size, delay)
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self.latency = latency
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
        self.model_requests: list[RecordedRequest] = []
        self.models: list[dict[str, Any]] | Error = [dict(m) for m in FAKE_MODELS]
        self._queue: deque[Reply | Script] = deque()
        # Faults for /v2/embed and /v2/rerank, whose answers are otherwise computed.
        self._faults: dict[str, deque[Error]] = {path: deque() for path in RETRIEVAL_PATHS}
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
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def add(self, *replies: Reply | Script, endpoint: str = "chat") -> None:
        """Queue replies for the next requests, first in first out. A reply may be a function
        ``reply(request_json)`` that returns one, to answer from what the request holds.

        ``endpoint="embed"`` or ``"rerank"`` queues ``Error`` faults for the next calls of
        ``/v2/embed`` or ``/v2/rerank`` (a 429 with ``retry_after``, a 404 model...); with none
        queued they answer with a hashed bag-of-words embedding and a term-overlap rerank."""
        if endpoint != "chat":
            path = f"/v2/{endpoint}"
            if path not in self._faults or not all(isinstance(r, Error) for r in replies):
                raise ValueError('endpoint="embed" or "rerank" takes Error(...) faults only.')
            with self._lock:
                self._faults[path].extend(replies)  # type: ignore[arg-type]
            return
        for reply in replies:
            check_reply(reply)
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
        if thread is not None:
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
        if request.method == "GET" and urlsplit(request.path).path == "/v1/models":
            self._answer_models(handler, request)
            return
        with self._lock:
            self.requests.append(request)

        path = urlsplit(request.path).path
        if request.method == "POST" and path in RETRIEVAL_PATHS:
            self._answer_retrieval(handler, request, path)
            return
        reply = self._reply_to(request)
        if self.latency and handler.server.stopping.wait(self.latency):
            return  # closing
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

    def _answer_models(self, handler: Handler, request: RecordedRequest) -> None:
        with self._lock:
            self.model_requests.append(request)
        answer = self.models
        if self._api_key is not None:
            problem = auth_problem(request.headers.get("Authorization"), self._api_key)
            answer = Error(401, problem) if problem else answer
        if isinstance(answer, Error):
            handler.send_json(answer.status, *answer._response(), self.on_write)
        else:
            handler.send_json(200, dump_json(models_body(answer, request.path)), {}, self.on_write)

    def _answer_retrieval(self, handler: Handler, request: RecordedRequest, path: str) -> None:
        """``/v2/embed`` and ``/v2/rerank``: a queued fault, or the computed answer."""
        problem = self._api_key and auth_problem(
            request.headers.get("Authorization"), self._api_key
        )
        with self._lock:
            fault = self._faults[path].popleft() if self._faults[path] else None
        if problem:
            fault = Error(401, problem)
        if fault is None:
            try:
                answer = retrieval_answer(path, request.json)
            except RequestProblem as refused:
                fault = Error(refused.status, refused.message)
            else:
                handler.send_json(200, dump_json(answer), {}, self.on_write)
                return
        handler.send_json(fault.status, *fault._response(), self.on_write)

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
                check_reply(reply, scripted=False)
            except Exception as exc:
                # A broken script fails that request visibly, not the whole connection.
                return Error(500, f"FakeCohere responder failed: {exc!r}")
        if isinstance(reply, (Stream, Error)):
            return reply
        return Stream(reply if isinstance(reply, str) else [dict(event) for event in reply])
