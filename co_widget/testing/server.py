"""HTTP plumbing and wire encoding behind :mod:`co_widget.testing` (private).

This module knows bytes, sockets and the shapes of Cohere's responses; the public
``FakeCohere`` decides *what* to answer and calls :meth:`Handler.send_json` or
:meth:`Handler.send_stream` to answer it.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Without pacing the body goes out in pieces this big: few syscalls, so the fake is never the
# bottleneck of a stream-rate benchmark.
_WRITE_SIZE = 64 * 1024

# How long close() waits for handler threads once their sockets are shut (they are daemons,
# so a handler stuck in user code, e.g. a slow responder, cannot hang close()).
_JOIN_TIMEOUT = 2.0

# What a broken record looks like: a JSON object cut short, as a truncated write would leave it.
_MALFORMED = {
    "sse": b'event: content-delta\ndata: {"type":"content-delta", broken\n\n',
    "ndjson": b'{"type":"content-delta", broken\n',
}
_DONE = b"data: [DONE]\n\n"

CONTENT_TYPES = {"sse": "text/event-stream", "ndjson": "application/x-ndjson"}


# Compact JSON as the real API writes it; non-ASCII stays raw (multi-byte) UTF-8. One shared
# encoder: json.dumps() with options builds a new one per call, which dominates a 4,000-event body.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dump_json(obj: Any) -> bytes:
    return _encode_json(obj).encode()


def encode_events(
    events: Sequence[dict[str, Any] | bytes],
    framing: str,
    *,
    done_marker: bool = True,
    malformed_at: int | None = None,
) -> list[bytes]:
    """The wire bytes of each event, plus a last item: the trailer (``data: [DONE]`` or b"").

    ``bytes`` items are raw wire bytes (comments, CRLF variants ...) and pass through verbatim.
    A malformed record is glued in front of event ``malformed_at`` (or of the trailer when the
    index is past the end), so event indices stay those of the caller's list.
    """
    units = [_encode_event(event, framing) for event in events]
    units.append(_DONE if framing == "sse" and done_marker else b"")
    if malformed_at is not None:
        at = min(malformed_at, len(events))
        units[at] = _MALFORMED[framing] + units[at]
    return units


def _encode_event(event: dict[str, Any] | bytes, framing: str) -> bytes:
    if isinstance(event, bytes):
        return event
    data = dump_json(event)
    if framing == "ndjson":
        return data + b"\n"
    if "type" not in event:
        return b"data: " + data + b"\n\n"
    kind: str = event["type"]
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def chat_response(events: Iterable[dict[str, Any] | bytes]) -> dict[str, Any]:
    """The non-streaming response (``stream: false``) that carries the same reply as ``events``."""
    reply: dict[str, Any] = {"id": None, "finish_reason": None, "message": {"role": "assistant"}}
    blocks: dict[int, dict[str, Any]] = {}
    calls: dict[int, dict[str, Any]] = {}
    plan: list[str] = []
    citations: list[dict[str, Any]] = []
    logprobs: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, bytes):
            continue
        kind, index, delta = event.get("type"), event.get("index", 0), event.get("delta", {})
        message = delta.get("message", {})
        if kind == "message-start":
            reply["id"] = event.get("id")
        elif kind == "content-start":
            blocks[index] = dict(message["content"])
        elif kind == "content-delta":
            for key, text in message["content"].items():
                blocks[index][key] = blocks[index].get(key, "") + text
            if "logprobs" in event:  # asked for: the response lists them, in order
                logprobs.append(event["logprobs"])
        elif kind == "tool-plan-delta":
            plan.append(message["tool_plan"])
        elif kind == "tool-call-start":
            call = message["tool_calls"]
            calls[index] = {**call, "function": dict(call["function"])}
        elif kind == "tool-call-delta":
            calls[index]["function"]["arguments"] += message["tool_calls"]["function"]["arguments"]
        elif kind == "citation-start":
            citations.append(message["citations"])
        elif kind == "message-end":
            reply["finish_reason"] = delta.get("finish_reason")
            if "usage" in delta:
                reply["usage"] = delta["usage"]
    # Like the real response: content is always a list; the other keys only when non-empty.
    message = reply["message"]
    message["content"] = [blocks[i] for i in sorted(blocks)]
    if plan:
        message["tool_plan"] = "".join(plan)
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    if citations:
        message["citations"] = citations
    if logprobs:
        reply["logprobs"] = logprobs
    return reply


# --- Reading requests --------------------------------------------------------------------


def auth_problem(header: str | None, api_key: str) -> str | None:
    if not header:
        return "no api key supplied"
    scheme, _, token = header.partition(" ")
    valid = scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), api_key.encode()
    )
    return None if valid else "invalid api token"


def _text(content: Any) -> str:
    """The text of a message's content: a str, a list of blocks, or a single block object."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return ""
    return "\n".join(
        block.get("text", "")
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )


def _messages(request_json: dict[str, Any]) -> list[dict[str, Any]]:
    messages = request_json.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def last_user_text(request_json: dict[str, Any]) -> str:
    users = [m for m in _messages(request_json) if m.get("role") == "user"]
    return _text(users[-1].get("content")) if users else ""


def count_words(request_json: dict[str, Any]) -> int:
    """A plausible billed input token count: the words of every message."""
    return sum(len(_text(m.get("content")).split()) for m in _messages(request_json))


# --- Serving ------------------------------------------------------------------------------


class FakeServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server that can always be closed promptly.

    Every handler's socket is tracked, so :meth:`close` can shut them down: that wakes handlers
    blocked on a keep-alive read, and ``stopping`` wakes those sleeping in a stall or a delay.
    """

    daemon_threads = True
    block_on_close = False  # close() joins the handler threads itself, with a bound.
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections (chat.map
    # opens 16 at once), and the client then waits a whole second to try again.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Callable[[Handler], None]) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._active: dict[socket.socket, threading.Thread] = {}

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._active[conn] = threading.current_thread()
        if self.stopping.is_set():  # accepted just before close(): do not let it linger
            _shut(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._active.pop(conn, None)

    def close(self) -> None:
        self.stopping.set()
        self.shutdown()  # stop accepting (serve_forever returns)
        with self._lock:
            active = dict(self._active)
        for conn in active:
            _shut(conn)
        self.server_close()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for thread in active.values():
            thread.join(max(0.0, deadline - time.monotonic()))


def _shut(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer or by the handler
        conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Reads one request after another on a keep-alive connection; the server's ``app`` answers."""

    protocol_version = "HTTP/1.1"  # keep-alive, so requests' and httpx's pools reuse connections
    server: FakeServer

    def setup(self) -> None:
        super().setup()
        # Tiny paced writes (chunk_size=1) must leave at once, not wait for Nagle's algorithm.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        super().finish()

    def handle(self) -> None:
        # The client hung up, or close() shut the socket: nothing worth reporting.
        with contextlib.suppress(OSError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test server that logs every request buries the test output."""

    def _dispatch(self) -> None:
        self.server.app(self)

    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _dispatch

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_json(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str],
        on_write: Callable[[bytes], None] | None = None,
    ) -> None:
        self.send_response(status)
        self._send_headers({"Content-Type": "application/json"}, headers)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if on_write is not None:
            on_write(body)
        self.wfile.write(body)

    def send_stream(
        self,
        units: list[bytes],
        *,
        content_type: str,
        transfer: str,
        chunk_size: int | None,
        delay: float,
        drop_after: int | None,
        stall_after: int | None,
        stall_seconds: float,
        headers: Mapping[str, str],
        on_write: Callable[[bytes], None] | None = None,
    ) -> None:
        """Send ``units`` (events, then the trailer) as a 200 streamed response.

        Bytes are buffered between pauses (delays, the stall, the drop) and flushed just before
        each, so an unpaced stream goes out in a few large writes. ``on_write(data)`` sees the
        body bytes of each write just before it is sent, without the chunk framing.
        """
        self.send_response(200)
        self._send_headers({"Content-Type": content_type}, headers)
        if transfer == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        elif transfer == "length":
            # Everything is encoded up front, so the length is known even for a paced stream;
            # after a drop the client sees fewer bytes than announced, as with a real cut.
            self.send_header("Content-Length", str(sum(map(len, units))))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

        chunked = transfer == "chunked"
        trailer = len(units) - 1
        # Faults past the last event act just before the trailer (message-end was already sent).
        drop = None if drop_after is None else min(drop_after, trailer)
        stall = None if stall_after is None else min(stall_after, trailer)
        pending: list[bytes] = []
        for i, unit in enumerate(units):
            if i in (drop, stall) or (delay and 0 < i < trailer):
                self._write(b"".join(pending), chunked, chunk_size, on_write)
                pending.clear()
                if i == drop or self.server.stopping.wait(stall_seconds if i == stall else delay):
                    self._abort()
                    return
            pending.append(unit)
        self._write(b"".join(pending), chunked, chunk_size, on_write)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _send_headers(self, defaults: Mapping[str, str], extra: Mapping[str, str]) -> None:
        """Send ``defaults`` updated by ``extra``; names compare case-insensitively, so a
        caller's ``content-type`` replaces the default instead of doubling it."""
        merged = {name.lower(): (name, value) for name, value in defaults.items()}
        merged.update((name.lower(), (name, value)) for name, value in extra.items())
        for name, value in merged.values():
            self.send_header(name, value)

    def _write(
        self,
        data: bytes,
        chunked: bool,
        chunk_size: int | None,
        on_write: Callable[[bytes], None] | None,
    ) -> None:
        size = chunk_size or _WRITE_SIZE
        for start in range(0, len(data), size):
            piece = data[start : start + size]
            if on_write is not None:
                on_write(piece)
            # wfile is unbuffered: each piece is one send(), and with chunked transfer one chunk.
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)

    def _abort(self) -> None:
        """Cut the connection mid-response: no terminating chunk, no further requests."""
        self.close_connection = True
        _shut(self.connection)
