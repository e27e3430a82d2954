"""JSON calls to Cohere's ``/v2/embed`` and ``/v2/rerank``, paced by the server's answers.

Retrieval makes many small calls (a 100,000-row corpus is about 1,000 embed calls), so a 429 is
a normal answer, not a failure: the call waits out ``Retry-After`` (shown through ``on_wait``)
and tries again, up to :data:`MAX_RATE_WAITS` times in a row. There is no built-in throttle, since
limits differ by account and a client cannot tell a trial key from a production one; a user who
knows their limit sets a :class:`Pacer` (``retrieve={"rate_limit": "trial"}`` or a number a
minute). Connection errors and 5xx are retried ``max_retries`` times, like a chat request.

Errors are the chat's own (``wire/http_errors``): the key is never in them, server texts are
redacted. Every wait is cut short by the caller's ``cancel`` event (Stop).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from .._version import __version__
from .chat_stream import _backoff, _BearerAuth
from .client import CohereClient
from .errors import CohereError, RateLimitError
from .http_errors import Redactor, status_error, transport_error

__all__ = ["MAX_RATE_WAITS", "ApiCaller", "Pacer"]

# 429s in a row for one call before giving up (each waited out): a quarter of an hour or so.
MAX_RATE_WAITS = 12
# A longer Retry-After is not slept: the error is raised, with retry_after on it.
MAX_WAIT = 120.0
_BACKOFF_CAP = 60.0
_MAX_RESPONSE = 256 * 1024 * 1024  # 96 vectors of 1536 floats are ~3 MB: this is only a guard


class Pacer:
    """An optional user-set rate: at most ``per_minute`` units (embed inputs, rerank calls) a
    minute, spread evenly. ``None`` paces by the server's answers only."""

    def __init__(self, per_minute: float | None) -> None:
        self.per_minute = per_minute
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, units: int, cancel: threading.Event) -> float:
        """Wait for the slot of ``units``; returns the seconds it waited."""
        if not self.per_minute:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + units * 60.0 / self.per_minute
        cancel.wait(start - now)
        return start - now


class ApiCaller:
    """Posts JSON to the chat's Cohere endpoint (its base URL, key and timeouts)."""

    def __init__(self, client: CohereClient) -> None:
        self._client = client
        self._session = requests.Session()

    def post(
        self,
        path: str,
        body: dict[str, Any],
        *,
        what: str,
        cancel: threading.Event,
        on_wait: Callable[[float], None] | None = None,
    ) -> dict[str, Any] | None:
        """The JSON answer to ``body`` at ``path``, or None when ``cancel`` was set.

        Raises the CohereError that ended it, its message starting with ``what`` ("Embed",
        "Rerank") so the user knows which step failed."""
        base_url, key = self._client.target()
        url = base_url.rstrip("/") + path
        redactor = Redactor(key)
        # Any auth object stops requests from putting ~/.netrc's credentials in its place.
        auth = _BearerAuth(key)
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"co_widget/{__version__} (+python-requests)",
            "X-Client-Name": "co_widget",
        }
        failures = rate_waits = 0
        while not cancel.is_set():
            error, answer = self._attempt(url, data, headers, auth, redactor)
            if error is None:
                return answer
            if cancel.is_set():
                return None
            if isinstance(error, RateLimitError):
                rate_waits += 1
                wait = error.retry_after
                pause = wait if wait is not None else _backoff(rate_waits, _BACKOFF_CAP)
                if rate_waits > MAX_RATE_WAITS or pause > MAX_WAIT:
                    raise _named(error, what)
            elif _retryable(error) and failures < self._client.max_retries:
                failures += 1
                pause = _backoff(failures, _BACKOFF_CAP)
            else:
                raise _named(error, what)
            if on_wait is not None:
                on_wait(pause)
            cancel.wait(pause)
            if on_wait is not None:
                on_wait(0.0)
        return None

    def _attempt(
        self,
        url: str,
        data: bytes,
        headers: dict[str, str],
        auth: _BearerAuth,
        redactor: Redactor,
    ) -> tuple[CohereError | None, dict[str, Any] | None]:
        """One request: ``(None, answer)`` or ``(error, None)``. Errors are built outside the
        ``except`` (requests' exceptions hold the request, and with it the key)."""
        timeout = self._client.timeout
        try:
            response = self._session.post(
                url,
                data=data,
                headers=headers,
                auth=auth,
                timeout=(timeout, timeout),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            failure, _ = transport_error(exc, url, timeout)
            return failure, None
        if not 200 <= response.status_code < 300:
            return status_error(response, redactor)[0], None
        try:
            raw = response.raw.read(_MAX_RESPONSE + 1, decode_content=True)
            answer = json.loads(raw) if len(raw) <= _MAX_RESPONSE else None
        except (ValueError, OSError, requests.RequestException, RecursionError):
            answer = None
        finally:
            response.close()
        if not isinstance(answer, dict):
            failure = CohereError(
                f"{url} did not answer with a JSON object.", hint="Is base_url a Cohere v2 API?"
            )
            return failure, None
        return None, answer


def _retryable(error: CohereError) -> bool:
    status = error.status_code
    return (status is None and "connect" in error.message.lower()) or (
        status is not None and status >= 500
    )


def _named(error: CohereError, what: str) -> CohereError:
    """``error`` with the step named first, and a hint about the retrieval settings where a
    setting is the likely cause (a model name, or a key without access to it)."""
    hint = error.hint
    if error.status_code in (400, 403, 404):
        hint = (
            f"{what} refused the request: check the model name in retrieve= (embed_model, "
            "rerank_model) and that your key may use it. retrieve=None sends no such calls."
        )
    kwargs: dict[str, Any] = {
        "status_code": error.status_code,
        "request_id": error.request_id,
        "hint": hint,
        "body": error.body,
    }
    if isinstance(error, RateLimitError):
        kwargs["retry_after"] = error.retry_after
    return type(error)(f"{what} failed: {error.message}", **kwargs)
