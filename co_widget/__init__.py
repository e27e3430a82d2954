"""co_widget: chat with Cohere's Command models inline in a Jupyter notebook.

    from co_widget import Chat
    chat = Chat(system="Answer briefly.")   # the key comes from $CO_API_KEY
    chat                                    # shows the widget
    reply = chat.send("What is Coca-Cola?") # streams into the widget; returns at once
    reply.result()                          # the text, or the CohereError raised

Offline, :class:`co_widget.testing.FakeCohere` stands in for the API.
"""

from ._errors import (
    APIStatusError,
    BadRequestError,
    ChatBusyError,
    ClientClosedRequestError,
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    ForbiddenError,
    GenerationError,
    InvalidTokenError,
    MissingAPIKeyError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    UnauthorizedError,
    UnprocessableEntityError,
)
from ._reply import Reply
from ._widget import Chat

__version__ = "0.1.0"  # the one place the version is written (pyproject reads it)

__all__ = [
    "APIStatusError",
    "BadRequestError",
    "Chat",
    "ChatBusyError",
    "ClientClosedRequestError",
    "CohereConnectionError",
    "CohereError",
    "CohereTimeoutError",
    "ForbiddenError",
    "GenerationError",
    "InvalidTokenError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PaymentRequiredError",
    "RateLimitError",
    "Reply",
    "ServerError",
    "StreamInterruptedError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "__version__",
]
