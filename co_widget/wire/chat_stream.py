"""One streamed chat request: send it, retry before the first byte, read events as bytes arrive.

See ``wire/client`` for what the client guarantees; this is the loop that keeps those promises:
connect with retries (honouring the server's wait), then read the body live with urllib3's
``read1``, capped, redacted, and cancellable from any thread (``wire/sockets``).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator

import requests
import urllib3

from .errors import CohereError, CohereTimeoutError, StreamInterruptedError, StreamTooLargeError
from .events import Event, MalformedEvent, MessageEnd, UnknownEvent
from .http_errors import Redactor, reason, status_error, transport_error
from .sockets import TrackedConnection, shutdown, watching
from .stream_parser import StreamParser

__all__ = ["MAX_BODY_BYTES", "ChatStream"]

_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0
# A server asking for a longer pause gets a RateLimitError (with retry_after) instead of a sleep
# that would look like a hang.
_MAX_SERVER_WAIT = 60.0
MAX_BODY_BYTES = 64 * 1024 * 1024
_READ_SIZE = 64 * 1024
# After message-end a server still sends the body's end (the chunked terminator, a [DONE]).
# Reading it lets the connection go back to the pool, so the next turn skips the TCP (and TLS)
# handshake; but the turn must not wait for a slow one, nor read an unbounded tail.
_TAIL_WAIT = 0.025
_TAIL_BYTES = 4096
# Events whose text the server controls and that may reach the widget's state: redacted.
_REDACTED_EVENTS = (MessageEnd, MalformedEvent, UnknownEvent)


class _BearerAuth(requests.auth.AuthBase):
    """The key as a Bearer header. Passing any ``auth`` stops requests from reading
    ``~/.netrc`` or the URL's ``user:pass@`` (either would replace the header with Basic auth)."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.pop("Authorization", None)
        if self._key:
            request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return "<_BearerAuth>"


class ChatStream:
    """One streamed chat request. Iterate it (once) for events; :meth:`cancel` from anywhere."""

    def __init__(
        self,
        session: requests.Session,
        url: str,
        data: bytes,
        headers: dict[str, str],
        *,
        timeout: float,
        max_retries: int,
        secret: str,
    ) -> None:
        self.url = url
        self.attempts = 0  # HTTP attempts made
        self._session = session
        self._data = data
        self._headers = headers
        self._auth = _BearerAuth(secret)
        self._timeout = timeout
        self._max_retries = max_retries
        self._redactor = Redactor(secret)
        self._cancel = threading.Event()
        self._lock = threading.Lock()  # guards _conn against cancel() from another thread
        self._conn: TrackedConnection | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"<ChatStream {self.url} attempts={self.attempts} cancelled={self.cancelled}>"

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop the stream from any thread; the iterator then ends quietly (no exception).

        This shuts the connection's socket down, which wakes a thread blocked on it; the
        iterating thread then closes the response. A back-off sleep waits on the same event,
        so it is interrupted too.
        """
        with self._lock:
            self._cancel.set()
            shutdown(self._conn)

    def __iter__(self) -> Iterator[Event]:
        if self._started:
            raise RuntimeError("A ChatStream can be iterated only once.")
        self._started = True
        return self._run()

    def _run(self) -> Iterator[Event]:
        response = None
        try:
            response = self._connect()
            if response is not None:
                yield from self._read(response)
        finally:
            with self._lock:
                self._conn = None  # the connection may be pooled again: never shut it later
            if response is not None:
                # A socket that cancel() shut down may make closing complain: it is closed anyway.
                with contextlib.suppress(Exception):
                    response.close()

    # --- connecting, with retries before the first byte -------------------------------------

    def _connect(self) -> requests.Response | None:
        """The 2xx response whose body is the stream, or None when cancelled.

        Errors are raised outside the ``except`` blocks, chained to nothing: requests'
        exceptions hold the prepared request, and with it the Authorization header.
        """
        attempt = 0
        while not self.cancelled:
            self.attempts += 1
            error: CohereError | None = None
            wait: float | None = None
            try:
                response = self._post()
            except requests.RequestException as exc:
                if self.cancelled:
                    return None
                error, retryable = transport_error(exc, self.url, self._timeout)
            else:
                if 200 <= response.status_code < 300:
                    return response
                error, wait = status_error(response, self._redactor)
                if self.cancelled:
                    return None
                retryable = response.status_code == 429 or response.status_code >= 500
            if (
                not retryable
                or attempt == self._max_retries
                or (wait is not None and wait > _MAX_SERVER_WAIT)
            ):
                raise error
            with self._lock:
                # That connection went back to the pool, where another stream may reuse it.
                self._conn = None
            self._cancel.wait(wait if wait is not None else _backoff(attempt))
            attempt += 1
        return None

    def _post(self) -> requests.Response:
        with watching(self._watch):
            return self._session.post(
                self.url,
                data=self._data,
                headers=self._headers,
                auth=self._auth,
                stream=True,
                timeout=(self._timeout, self._timeout),
                # A redirect would turn the POST into a GET: report it instead.
                allow_redirects=False,
            )

    def _watch(self, conn: TrackedConnection) -> None:
        """Called by the connection when it gets its socket or sends this stream's request."""
        with self._lock:
            self._conn = conn
            if self._cancel.is_set():
                shutdown(conn)

    # --- reading the body --------------------------------------------------------------------

    def _read(self, response: requests.Response) -> Iterator[Event]:
        parser = StreamParser()
        read1 = response.raw.read1
        redact = self._redact
        seen = 0
        total = 0
        while not self.cancelled:
            failure: CohereError | None = None
            try:
                # One recv per call: returns as soon as any bytes arrive, chunked or not.
                chunk = read1(_READ_SIZE, decode_content=True)
            except Exception as exc:  # urllib3, http.client, ssl, OSError...: never escape raw
                if self.cancelled:
                    return
                if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                    failure = CohereTimeoutError(
                        f"The stream stalled: no data for {self._timeout:g} s."
                    )
                else:
                    failure = self._interrupted(response, seen, reason(exc))
            if failure is not None:
                raise failure
            if not chunk:
                if self.cancelled:
                    return
                yield from parser.close()
                if parser.finished:
                    return
                raise self._interrupted(response, seen, "the response ended")
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise StreamTooLargeError(
                    f"The reply's body passed {MAX_BODY_BYTES // 2**20} MiB; "
                    "the stream was ended there."
                )
            events = parser.feed(chunk)
            seen += len(events)
            for event in events:
                yield redact(event) if isinstance(event, _REDACTED_EVENTS) else event
            if parser.finished:
                self._release_if_ended(response)
                return

    def _release_if_ended(self, response: requests.Response) -> None:
        """Gives the connection back to the pool if the body's end is already there (or comes
        within _TAIL_WAIT); otherwise leaves it to be closed, as any unfinished body is."""
        with self._lock:
            sock = self._conn.sock if self._conn is not None else None
        if sock is None or self.cancelled:
            return
        left = _TAIL_BYTES
        try:
            sock.settimeout(_TAIL_WAIT)
            while chunk := response.raw.read1(left):
                left -= len(chunk)
                if left <= 0:
                    return  # a long tail after message-end: not worth reading
        except Exception:  # a slow or broken tail: the connection is closed, as before
            return
        # The pool sets the next request's own timeouts on this socket.
        response.raw.release_conn()

    def _redact(self, event: Event) -> Event:
        """The server's own texts that may reach the widget: in-band errors, skipped records."""
        text = self._redactor.text
        match event:
            case MessageEnd(error=str(error)):
                event.error = text(error)
            case MalformedEvent():
                event.raw, event.reason = text(event.raw), text(event.reason)
            case UnknownEvent(type=str(kind)):
                event.type = text(kind)
        return event

    @staticmethod
    def _interrupted(response: requests.Response, seen: int, why: str) -> StreamInterruptedError:
        if seen:
            return StreamInterruptedError(
                f"The stream broke after {seen} events, before message-end: {why}."
            )
        content_type = response.headers.get("content-type", "no content type")
        return StreamInterruptedError(
            f"HTTP {response.status_code} ({content_type}) but no chat events before the "
            f"stream ended: {why}. Is base_url a Cohere v2 API?"
        )


def _backoff(attempt: int, cap: float = _BACKOFF_CAP) -> float:
    """Exponential back-off with jitter, so many clients do not retry in lockstep."""
    return min(cap, _BACKOFF_BASE * 2.0**attempt) * random.uniform(0.5, 1.0)
