"""HTTP client for Cohere's streamed ``POST /v2/chat``, on requests.

:class:`CohereClient` builds the request; :class:`ChatStream` sends it and yields typed events as
bytes arrive. What it guarantees:

* Live streaming for chunked bodies and for bodies delimited by closing the connection: each read
  is urllib3's ``read1`` (one ``recv``), never a read-to-EOF.
* Errors are :class:`~co_widget.wire.errors.CohereError` subclasses only: the HTTP status family,
  CohereConnectionError, CohereTimeoutError (silence for ``timeout`` seconds), and
  StreamInterruptedError (EOF or reset before ``message-end``). In-band ``finish_reason: ERROR``
  is not raised: it arrives as a MessageEnd event.
* Retries happen only before the first byte of a stream body (connection errors, 429, 5xx),
  so a reply is never sent twice (``wire/chat_stream``).
* :meth:`ChatStream.cancel` works from any thread, whatever the stream is blocked on
  (``wire/sockets``).
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

import ipaddress
import json
import math
import os
import re
import warnings
import weakref
from typing import Any
from urllib.parse import urlsplit

import requests

from .._version import __version__
from .chat_stream import ChatStream
from .errors import MissingAPIKeyError
from .sockets import TrackingAdapter

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "CohereClient",
    "InsecureKeyWarning",
]

DEFAULT_BASE_URL = "https://api.cohere.com"
DEFAULT_TIMEOUT = 120.0
_COHERE_HOSTS = frozenset({"api.cohere.com", "api.cohere.ai"})
# Visible ASCII only: anything else would make requests raise an error that quotes the header.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


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
        pool_size: int = 10,
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
        # pool_size: connections kept for reuse per host (chat.map runs many requests at once).
        adapter = TrackingAdapter(pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # A finished stream leaves its connection in the pool for the next turn: a client that
        # is dropped without close() closes them when it is collected, not the GC one by one.
        weakref.finalize(self, self._session.close)

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
        base_url, key = self.target()
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

    def target(self) -> tuple[str, str]:
        """The base URL and the key a request uses now (the environment is read at call time).

        Raises MissingAPIKeyError when no key is set and the base URL is Cohere's, and
        ValueError for an unusable key or base URL."""
        base_url, key = self.endpoint()
        if not key and urlsplit(base_url).hostname in _COHERE_HOSTS:
            raise MissingAPIKeyError(f"No Cohere API key set for {base_url}.")
        self._check_transport(base_url, key)
        return base_url, key

    def endpoint(self) -> tuple[str, str]:
        """The base URL and the key ("" when none) a request would use now, unchecked."""
        base_url = self.base_url
        if base_url is None:
            base_url = os.environ.get("CO_API_URL") or DEFAULT_BASE_URL
            _check_base_url(base_url, "CO_API_URL")
        key = self._api_key
        if key is None:
            key = os.environ.get("CO_API_KEY") or os.environ.get("COHERE_API_KEY") or ""
            _check_key(key, "CO_API_KEY")
        return base_url, key.strip()

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
