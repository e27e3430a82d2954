"""What went wrong with a request, as a :class:`~co_widget.CohereError`, and never with the key.

* :func:`status_error`: a non-2xx response -> its error class (by status), Cohere's message, the
  request id, ``retry_after``. The body is read up to a cap.
* :func:`transport_error`: a requests failure before any response -> CohereConnectionError or
  CohereTimeoutError, and whether a retry may help.
* :class:`Redactor`: every text a server controls (bodies, raw and JSON-decoded; headers; in-band
  errors; skipped records) passes through it before it can reach an error, the synced state, a
  saved file or a log, so a server that echoes the key back cannot plant it there.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import time
from datetime import timezone
from typing import Any
from urllib.parse import quote

import requests

from .errors import (
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    RateLimitError,
    error_class_for_status,
)

__all__ = ["Redactor", "reason", "retry_after", "status_error", "transport_error"]

REDACTED = "<redacted>"
MAX_ERROR_BODY = 64 * 1024
_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-cohere-request-id")


class Redactor:
    """Replaces the key, and its URL-encoded form, in texts and JSON values."""

    def __init__(self, secret: str) -> None:
        self._forms = sorted({secret, quote(secret, safe="")} - {""}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def json(self, value: Any) -> Any:
        """A copy of a JSON value with every string (keys too) redacted."""
        if not self._forms:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value

    def header(self, headers: Any, name: str) -> str | None:
        value = headers.get(name)
        return None if value is None else self.text(value)


def status_error(
    response: requests.Response, redactor: Redactor
) -> tuple[CohereError, float | None]:
    """A non-2xx response -> its error and the wait it asked for (reads and closes the body)."""
    status = response.status_code
    try:
        raw = response.raw.read(MAX_ERROR_BODY, decode_content=True) or b""
    except Exception:  # the status alone still makes a useful error
        raw = b""
    finally:
        response.close()
    text = redactor.text(raw.decode("utf-8", "replace"))
    body: Any = text
    message = request_id = None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict):  # Cohere's error body: {"id": ..., "message": ...}
        # Decoding may have turned \u-escapes back into the key: redact the decoded values too.
        body = parsed = redactor.json(parsed)
        message = parsed.get("message") if isinstance(parsed.get("message"), str) else None
        request_id = parsed.get("id") if isinstance(parsed.get("id"), str) else None
    if not message:
        message = " ".join(text.split())[:300] or response.reason or "no message"
    if request_id is None:
        found = (name for name in _REQUEST_ID_HEADERS if name in response.headers)
        request_id = redactor.header(response.headers, next(found, ""))
    wait = retry_after(response.headers)
    kwargs: dict[str, Any] = {"status_code": status, "request_id": request_id, "body": body}
    cls = error_class_for_status(status)
    if cls is RateLimitError:
        kwargs["retry_after"] = wait
    elif 300 <= status < 400:
        message = f"The API redirected to {redactor.header(response.headers, 'location')!r}."
        kwargs["hint"] = "Set base_url (or CO_API_URL) to the address it redirects to."
    return cls(message, **kwargs), wait


def transport_error(
    exc: requests.RequestException, url: str, timeout: float
) -> tuple[CohereError, bool]:
    """A failure before any response -> its error, and whether a retry may help."""
    if isinstance(exc, requests.exceptions.ConnectionError):  # also a connect timeout
        error = CohereConnectionError(f"Could not connect to {url}: {reason(exc)}")
        # A certificate problem does not heal by retrying.
        return error, not isinstance(exc, requests.exceptions.SSLError)
    if isinstance(exc, requests.exceptions.Timeout):
        # The server may be working on the request: a retry could run it twice.
        return CohereTimeoutError(f"No response from {url} within {timeout:g} s."), False
    return CohereConnectionError(f"Could not send the request to {url}: {reason(exc)}"), False


def retry_after(headers: Any) -> float | None:
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


def reason(exc: BaseException) -> str:
    """The innermost, most specific cause of a requests/urllib3 error, e.g. "Connection refused"
    rather than a paragraph about connection pools."""
    seen: set[int] = set()
    current: BaseException | None = exc
    innermost = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        innermost = current
        cause = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        if isinstance(cause, BaseException):
            current = cause
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
