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
* :meth:`ChatStream.cancel` works from any thread, whatever the stream is blocked on
  (``_sockets``).
* Memory is bounded: one record at most ``MAX_RECORD_BYTES`` (the parser), the decoded body of
  one reply at most ``MAX_BODY_BYTES``, each read at most ``_READ_SIZE`` bytes before and after
  decompression (a hostile gzip body cannot inflate in one go). Past a cap the stream ends with
  StreamTooLargeError; what arrived is kept.
* The API key never appears in an exception (nor on its ``__cause__``/``__context__`` chain: no
  requests object that holds the headers is kept), a repr or a log line, and every text the
  server controls is redacted (``_http_errors.Redactor``). It is sent as a Bearer header that
  neither ``~/.netrc`` nor ``user:pass@`` in the URL can replace.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import os
import random
import re
import threading
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from ._errors import (
    CohereError,
    CohereTimeoutError,
    MissingAPIKeyError,
    StreamInterruptedError,
    StreamTooLargeError,
)
from ._events import Event, MalformedEvent, MessageEnd, UnknownEvent
from ._http_errors import Redactor, reason, status_error, transport_error
from ._sockets import TrackedConnection, TrackingAdapter, shutdown, watching
from ._stream_parser import StreamParser
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "ChatStream",
    "CohereClient",
    "InsecureKeyWarning",
]

DEFAULT_BASE_URL = "https://api.cohere.com"
DEFAULT_TIMEOUT = 120.0
_COHERE_HOSTS = frozenset({"api.cohere.com", "api.cohere.ai"})
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0
# A server asking for a longer pause gets a RateLimitError (with retry_after) instead of a sleep
# that would look like a hang.
_MAX_SERVER_WAIT = 60.0
MAX_BODY_BYTES = 64 * 1024 * 1024
_READ_SIZE = 64 * 1024
# Visible ASCII only: anything else would make requests raise an error that quotes the header.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
# Events whose text the server controls and that may reach the widget's state: redacted.
_REDACTED_EVENTS = (MessageEnd, MalformedEvent, UnknownEvent)


class InsecureKeyWarning(UserWarning):
    """The API key is about to go over plain http:// to a host that is not this machine."""


class CohereClient:
    """Sends streamed chat requests. Key and base URL default to the environment, read at call
    time: ``CO_API_KEY`` (then ``COHERE_API_KEY``) and ``CO_API_URL``.

    Arguments are checked here, so a wrong one fails at ``Chat(...)``, not at the first send.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
    ) -> None:
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 < timeout < math.inf
        ):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}.")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}.")
        if api_key is not None:
            _check_key(api_key, "api_key")
        if base_url is not None:
            _check_base_url(base_url, "base_url")
        self._api_key = api_key
        self.base_url = base_url
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self._warned_insecure = False
        self._check_transport(base_url or os.environ.get("CO_API_URL"), api_key)
        self._session = requests.Session()
        adapter = TrackingAdapter()
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
            key = os.environ.get("CO_API_KEY") or os.environ.get("COHERE_API_KEY") or ""
            _check_key(key, "CO_API_KEY")
        key = key.strip()
        if not key and urlsplit(base_url).hostname in _COHERE_HOSTS:
            raise MissingAPIKeyError(f"No Cohere API key set for {base_url}.")
        self._check_transport(base_url, key)
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
        return ChatStream(
            self._session,
            base_url.rstrip("/") + "/v2/chat",
            data,
            headers,
            timeout=self.timeout,
            max_retries=self.max_retries,
            secret=key,
        )

    def _check_transport(self, base_url: str | None, key: str | None) -> None:
        """Warn once if the key would travel over plain http:// to another machine. Checked at
        construction, so the warning shows in the cell that made the chat, and again per
        request in case the environment changed since."""
        if key is None:
            key = os.environ.get("CO_API_KEY") or os.environ.get("COHERE_API_KEY")
        if self._warned_insecure or not key or not base_url:
            return
        host = urlsplit(base_url).hostname
        if urlsplit(base_url).scheme != "http" or _is_loopback(host):
            return
        self._warned_insecure = True
        warnings.warn(
            f"co_widget sends your API key over plain http:// to {host}, where anyone on the "
            "network path can read it; use an https:// base_url.",
            InsecureKeyWarning,
            stacklevel=4,
        )


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
                return

    def _redact(self, event: Event) -> Event:
        """The server's own texts that may reach the widget: in-band errors, skipped records."""
        text = self._redactor.text
        match event:
            case MessageEnd(error=str()):
                event.error = text(event.error)
            case MalformedEvent():
                event.raw, event.reason = text(event.raw), text(event.reason)
            case UnknownEvent(type=str()):
                event.type = text(event.type)
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


# --- helpers -----------------------------------------------------------------------------------


def _user_agent() -> str:
    return f"co_widget/{__version__} (+python-requests)"


def _check_key(key: Any, name: str) -> None:
    if not isinstance(key, str):
        raise TypeError(f"{name} must be a string (your Cohere API key), got {type(key).__name__}.")
    if key.strip() and not _HEADER_SAFE.fullmatch(key.strip()):
        raise ValueError(
            f"The API key in {name} contains spaces or non-ASCII characters; check it for a "
            "stray quote, space or newline."
        )


def _check_base_url(url: Any, name: str) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"{name} must be an http:// or https:// URL, got {url!r}.")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{name} must not hold 'user:password@' (it would replace the API key): "
            "pass the key as api_key= or CO_API_KEY."
        )
    if not parts.hostname:
        raise ValueError(f"{name} has no host: {url!r}.")


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _backoff(attempt: int) -> float:
    """Exponential back-off with jitter, so many clients do not retry in lockstep."""
    return min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt) * random.uniform(0.5, 1.0)
