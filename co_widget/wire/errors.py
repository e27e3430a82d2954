"""Every error co_widget raises on purpose.

Each carries ``status_code`` (``None`` when no HTTP status applies), Cohere's own ``message``, the
request id when the API gave one, and a ``hint`` a person can act on. ``str(err)`` joins them.
None of them ever holds the API key: messages are built from the response body and our own text.
"""

from __future__ import annotations

from typing import Any


class CohereError(Exception):
    """Base class of every error co_widget raises on purpose."""

    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        self.hint = self.default_hint if hint is None else hint
        self.body = body
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"HTTP {self.status_code}: {self.message}" if self.status_code else self.message
        if self.hint:
            text += f" — {self.hint}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the widget's error banner (no secrets: only what __str__ shows)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "status_code": self.status_code,
            "hint": self.hint,
            "request_id": self.request_id,
        }


# --- Errors with an HTTP status (the API answered) -------------------------------------------


class APIStatusError(CohereError):
    """The API answered with a non-2xx status."""


class BadRequestError(APIStatusError):
    default_hint = (
        "The API rejected the request: check the message, the history and the parameters."
    )


class UnauthorizedError(APIStatusError):
    default_hint = (
        "Check your API key: set CO_API_KEY (or pass api_key=...). "
        "For offline use, start co_widget.testing.FakeCohere and pass base_url=fake.url."
    )


class PaymentRequiredError(APIStatusError):
    default_hint = "Your Cohere account needs billing set up, or it reached its billing limit."


class ForbiddenError(APIStatusError):
    default_hint = "This key may not use this model or endpoint."


class NotFoundError(APIStatusError):
    default_hint = "Check the model name (e.g. command-a-03-2025) and base_url."


class UnprocessableEntityError(APIStatusError):
    default_hint = "The API could not process the request: check the history and the parameters."


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    @property
    def default_hint(self) -> str:  # type: ignore[override]
        if getattr(self, "retry_after", None) is not None:
            return f"Rate limited: retry after {self.retry_after:g} s, or use a production key."
        return "Rate limited: wait a little and retry, or use a production key."


class InvalidTokenError(APIStatusError):
    default_hint = "The request or the reply contained a blocked token; rephrase the message."


class ClientClosedRequestError(APIStatusError):
    default_hint = "The request was cancelled before it finished; send it again."


class ServerError(APIStatusError):
    default_hint = "Cohere had a server error; retry in a moment (co_widget already retried)."


# --- Errors without an HTTP status ------------------------------------------------------------


class MissingAPIKeyError(CohereError):
    default_hint = (
        "Set the CO_API_KEY environment variable (or pass api_key=... to Chat). "
        "To try co_widget offline, use co_widget.testing.FakeCohere: "
        "`with FakeCohere() as fake: Chat(base_url=fake.url)`."
    )


class CohereConnectionError(CohereError):
    default_hint = (
        "Could not reach the API: check your network, base_url / CO_API_URL, "
        "and HTTPS_PROXY if you are behind a proxy."
    )


class CohereTimeoutError(CohereError, TimeoutError):
    default_hint = "The API went silent for `timeout` seconds; retry, or raise timeout=."


class StreamInterruptedError(CohereError):
    default_hint = "The stream broke mid-reply; the partial reply is kept. Regenerate to retry."


class StreamTooLargeError(StreamInterruptedError):
    """The stream passed a memory cap: one record, or the whole reply's body."""

    default_hint = (
        "The server sent more than a chat reply can hold; the partial reply is kept. "
        "Check base_url: is it a Cohere v2 API?"
    )


class GenerationError(CohereError):
    """The stream ended with ``finish_reason`` ERROR or TIMEOUT (an in-band failure)."""

    default_hint = "The model failed mid-reply; the partial reply is kept. Regenerate to retry."


class ChatBusyError(CohereError):
    default_hint = "Wait for it (reply.wait()) or stop it (chat.stop()) before sending again."


class ApprovalBlockedError(RuntimeError):
    """A blocking ``ask()``, ``result()`` or ``wait()`` met a tool call waiting for approval in
    the widget (``approve=True``): the widget's answer reaches the kernel only between cells or
    while a cell awaits, so the call would wait forever. The reply goes on, still waiting."""

    def __init__(self, names: list[str]) -> None:
        listed = ", ".join(repr(name) for name in dict.fromkeys(names))
        calls = (
            f"the tool call {listed}" if len(names) == 1 else f"{len(names)} tool calls ({listed})"
        )
        super().__init__(
            f"The reply is waiting for your approval of {calls} in the widget, "
            "but a blocking ask(), result() or wait() keeps the kernel busy, so the widget's "
            "answer could never arrive. Use `await chat.send(...)` (the widget's buttons work "
            "while a cell awaits), or Chat(approve=callable) to decide in Python. The reply "
            "still waits: answer it in the widget once this cell has ended, or chat.stop() it."
        )


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    402: PaymentRequiredError,
    403: ForbiddenError,
    404: NotFoundError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    498: InvalidTokenError,
    499: ClientClosedRequestError,
}


def error_class_for_status(status: int) -> type[APIStatusError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else APIStatusError
