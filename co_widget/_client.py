"""HTTP client for Cohere's streamed ``POST /v2/chat``, on requests.

:class:`CohereClient` builds the request; :class:`ChatStream` sends it and yields typed events as
bytes arrive. What it guarantees:

* Live streaming for chunked bodies and for bodies delimited by closing the connection: each read
  is urllib3's ``read1`` (one ``recv``), never a read-to-EOF.
* Errors are :class:`~co_widget._errors.CohereError` subclasses only: the HTTP status family,
  CohereConnectionError, CohereTimeoutError (silence for ``timeout`` seconds), and
  StreamInterruptedError (EOF or reset before ``message-end``). In-band ``finish_reason: ERROR``
  is not raised: it arrives as a MessageEnd event.
* Retries happen only before the first byte of a stream body (connection errors, 429, 5xx),
  so a reply is never sent twice.
* :meth:`ChatStream.cancel` works from any thread, whatever the stream is blocked on.
* The API key never appears in an exception, a repr or a log line.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.client
import json
import math
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timezone
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ._errors import (
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    MissingAPIKeyError,
    RateLimitError,
    StreamInterruptedError,
    error_class_for_status,
)
from ._events import Event
from ._stream_parser import StreamParser
from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "ChatStream", "CohereClient"]

DEFAULT_BASE_URL = "https://api.cohere.com"
DEFAULT_TIMEOUT = 120.0
_COHERE_HOSTS = frozenset({"api.cohere.com", "api.cohere.ai"})
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0
# A server asking for a longer pause gets a RateLimitError (with retry_after) instead of a sleep
# that would look like a hang.
_MAX_SERVER_WAIT = 60.0
_MAX_ERROR_BODY = 64 * 1024
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-cohere-request-id")
# Visible ASCII only: anything else would make requests raise an error that quotes the header.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


class CohereClient:
    """Sends streamed chat requests. Key and base URL default to the environment, read at call
    time: ``CO_API_KEY`` (then ``COHERE_API_KEY``) and ``CO_API_URL``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}.")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}.")
        if base_url is not None:
            _check_base_url(base_url, "base_url")
        self._api_key = api_key
        self.base_url = base_url
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self._session = requests.Session()
        adapter = _TrackingAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return (
            f"CohereClient(base_url={self.base_url!r}, timeout={self.timeout:g}, "
            f"max_retries={self.max_retries})"
        )

    def close(self) -> None:
        """Close pooled connections (streams in flight are not affected)."""
        self._session.close()

    def chat_stream(self, body: dict[str, Any]) -> ChatStream:
        """Prepare a streamed chat request; nothing is sent until the stream is iterated.

        Raises MissingAPIKeyError at once when no key is set and the base URL is Cohere's (with
        any other base URL, such as FakeCohere or a proxy, no Authorization header is sent), and
        ValueError for an unusable key, base URL or body.
        """
        base_url = self.base_url
        if base_url is None:
            base_url = os.environ.get("CO_API_URL") or DEFAULT_BASE_URL
            _check_base_url(base_url, "CO_API_URL")
        key = self._api_key
        if key is None:
            key = os.environ.get("CO_API_KEY") or os.environ.get("COHERE_API_KEY")
        key = (key or "").strip()
        if not key and urlsplit(base_url).hostname in _COHERE_HOSTS:
            raise MissingAPIKeyError(f"No Cohere API key set for {base_url}.")
        if key and not _HEADER_SAFE.fullmatch(key):
            raise ValueError(
                "The API key contains spaces or non-ASCII characters; check CO_API_KEY "
                "(or api_key=) for a stray quote or newline."
            )
        try:
            data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"The request body is not valid JSON: {exc}") from None
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            # A compressed stream may be buffered by proxies and decoders: ask for none.
            "Accept-Encoding": "identity",
            "User-Agent": _user_agent(),
            "X-Client-Name": "co_widget",
        }
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return ChatStream(
            self._session,
            base_url.rstrip("/") + "/v2/chat",
            data,
            headers,
            timeout=self.timeout,
            max_retries=self.max_retries,
            secret=key,
        )


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
        self._timeout = timeout
        self._max_retries = max_retries
        self._secret = secret  # only to scrub it from echoed error bodies
        self._cancel = threading.Event()
        self._lock = threading.Lock()  # guards _conn against cancel() from another thread
        self._conn: _TrackedConnection | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"<ChatStream {self.url} attempts={self.attempts} cancelled={self.cancelled}>"

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop the stream from any thread; the iterator then ends quietly (no exception).

        Closing a socket does not wake a thread blocked in ``recv`` on Linux, but shutting it
        down does, so this shuts the connection's socket down; the iterating thread then closes
        the response. A back-off sleep waits on the same event, so it is interrupted too.
        """
        with self._lock:
            self._cancel.set()
            _shutdown(self._conn)

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
        """The 2xx response whose body is the stream, or None when cancelled."""
        attempt = 0
        while not self.cancelled:
            self.attempts += 1
            cause: Exception | None = None
            error: CohereError
            try:
                response = self._post()
            except requests.RequestException as exc:
                if self.cancelled:
                    return None
                error, retryable = self._transport_error(exc)
                if not retryable:
                    raise error from exc
                cause, wait = exc, None
            else:
                if 200 <= response.status_code < 300:
                    return response
                error, wait = self._status_error(response)
                if self.cancelled:
                    return None
                if response.status_code != 429 and response.status_code < 500:
                    raise error
            if attempt == self._max_retries or (wait is not None and wait > _MAX_SERVER_WAIT):
                raise error from cause
            with self._lock:
                # That connection went back to the pool, where another stream may reuse it.
                self._conn = None
            delay = wait if wait is not None else _backoff(attempt)
            self._cancel.wait(delay)
            attempt += 1
        return None

    def _post(self) -> requests.Response:
        _current.stream = self  # lets the connection class register with this stream
        try:
            return self._session.post(
                self.url,
                data=self._data,
                headers=self._headers,
                stream=True,
                timeout=(self._timeout, self._timeout),
                # A redirect would turn the POST into a GET: report it instead.
                allow_redirects=False,
            )
        finally:
            _current.stream = None

    def _transport_error(self, exc: requests.RequestException) -> tuple[CohereError, bool]:
        """Map a failure before any response; the flag says whether a retry may help."""
        if isinstance(exc, requests.exceptions.ConnectionError):  # also a connect timeout
            error = CohereConnectionError(f"Could not connect to {self.url}: {_reason(exc)}")
            # A certificate problem does not heal by retrying.
            return error, not isinstance(exc, requests.exceptions.SSLError)
        if isinstance(exc, requests.exceptions.Timeout):
            # The server may be working on the request: a retry could run it twice.
            message = f"No response from {self.url} within {self._timeout:g} s."
            return CohereTimeoutError(message), False
        message = f"Could not send the request to {self.url}: {_reason(exc)}"
        return CohereConnectionError(message), False

    def _watch(self, conn: _TrackedConnection) -> None:
        """Called by the connection when it connects or sends this stream's request."""
        with self._lock:
            self._conn = conn
            if self._cancel.is_set():
                _shutdown(conn)

    def _status_error(self, response: requests.Response) -> tuple[CohereError, float | None]:
        """Turn a non-2xx response into its error (reading and closing the body)."""
        status = response.status_code
        try:
            raw = response.raw.read(_MAX_ERROR_BODY, decode_content=True) or b""
        except Exception:  # the status alone still makes a useful error
            raw = b""
        finally:
            response.close()
        text = raw.decode("utf-8", "replace")
        if self._secret:
            text = text.replace(self._secret, "<redacted>")
        body: Any = text
        message = request_id = None
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):  # Cohere's error body: {"id": ..., "message": ...}
            body = parsed
            message = parsed.get("message") if isinstance(parsed.get("message"), str) else None
            request_id = parsed.get("id") if isinstance(parsed.get("id"), str) else None
        if not message:
            message = " ".join(text.split())[:300] or response.reason or "no message"
        if request_id is None:
            request_id = next(
                (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None
            )
        retry_after = _retry_after(response.headers)
        kwargs: dict[str, Any] = {"status_code": status, "request_id": request_id, "body": body}
        cls = error_class_for_status(status)
        if cls is RateLimitError:
            kwargs["retry_after"] = retry_after
        elif 300 <= status < 400:
            message = f"The API redirected to {response.headers.get('location')!r}."
            kwargs["hint"] = "Set base_url (or CO_API_URL) to the address it redirects to."
        return cls(message, **kwargs), retry_after

    # --- reading the body --------------------------------------------------------------------

    def _read(self, response: requests.Response) -> Iterator[Event]:
        parser = StreamParser()
        read1 = response.raw.read1
        seen = 0
        while not self.cancelled:
            try:
                # One recv per call: returns as soon as any bytes arrive, chunked or not.
                chunk = read1(decode_content=True)
            except Exception as exc:  # urllib3, http.client, ssl, OSError...: never escape raw
                if self.cancelled:
                    return
                if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
                    raise CohereTimeoutError(
                        f"The stream stalled: no data for {self._timeout:g} s."
                    ) from exc
                raise self._interrupted(response, seen, _reason(exc)) from exc
            if not chunk:
                if self.cancelled:
                    return
                yield from parser.close()
                if parser.finished:
                    return
                raise self._interrupted(response, seen, "the response ended")
            events = parser.feed(chunk)
            seen += len(events)
            yield from events
            if parser.finished:
                return

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


# --- cancellable connections -------------------------------------------------------------------
# requests exposes no socket before the response exists, yet a stream must be cancellable while
# it connects or waits for the headers. So the pools use a connection class that registers itself
# with the ChatStream whose request the current thread is making.

_current = threading.local()


class _TrackedConnection(urllib3.connection.HTTPConnection):
    # http.client drops ``.sock`` when a close-delimited response takes the socket over; this
    # keeps a handle so cancel() can still shut it down.
    _co_sock: socket.socket | None = None

    # Both register: request() covers a pooled connection reused without connect(); connect()
    # registers again once the socket exists, so a cancel() made while connecting shuts it.
    def connect(self) -> None:
        super().connect()
        self._co_sock = self.sock
        _register(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _TrackedHTTPSConnection(_TrackedConnection, urllib3.connection.HTTPSConnection):
    pass


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


_TRACKED_POOLS = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}


class _TrackingAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _TRACKED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # HTTP(S) proxies use the default pools; SOCKS proxies have their own: leave those.
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = _TRACKED_POOLS
        return manager


def _register(conn: _TrackedConnection) -> None:
    stream = getattr(_current, "stream", None)
    if stream is not None:
        stream._watch(conn)


def _shutdown(conn: _TrackedConnection | None) -> None:
    sock = conn._co_sock if conn is not None else None
    if sock is not None:
        # An OSError means already closed or never connected: nothing left to wake.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# --- helpers -----------------------------------------------------------------------------------


def _user_agent() -> str:
    return f"co_widget/{__version__} (+python-requests)"


def _check_base_url(url: Any, name: str) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{name} must be an http:// or https:// URL, got {url!r}.")
    if not urlsplit(url).hostname:
        raise ValueError(f"{name} has no host: {url!r}.")


def _backoff(attempt: int) -> float:
    """Exponential back-off with jitter, so many clients do not retry in lockstep."""
    return min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt) * random.uniform(0.5, 1.0)


def _retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or
    an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            seconds = float(value) / 1000
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds):
            return max(0.0, seconds)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _reason(exc: BaseException) -> str:
    """The innermost, most specific cause of a requests/urllib3 error, e.g. "Connection refused"
    rather than a paragraph about connection pools."""
    seen: set[int] = set()
    current: BaseException | None = exc
    innermost = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        innermost = current
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        if isinstance(reason, BaseException):
            current = reason
        elif current.__cause__ is not None:
            current = current.__cause__
        else:
            # Implicit __context__ is not followed: it is often an incidental, internal error.
            current = first if isinstance(first, BaseException) else None
    if isinstance(innermost, OSError) and innermost.strerror:
        return innermost.strerror
    if isinstance(innermost, http.client.IncompleteRead):
        return "the connection closed in the middle of the body"
    return str(innermost) or type(innermost).__name__
