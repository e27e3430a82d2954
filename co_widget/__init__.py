"""co_widget: chat with Cohere's Command models inline in a Jupyter notebook.

    from co_widget import Chat
    chat = Chat(system="Answer briefly.")   # the key comes from $CO_API_KEY
    chat                                    # shows the widget
    reply = chat.send("What is Coca-Cola?") # streams into the widget; returns at once
    reply.result()                          # the text, or the CohereError raised

Offline, :class:`co_widget.testing.FakeCohere` stands in for the API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .request.pricing import prices
from .turn.reply import Reply
from .wire.errors import (
    APIStatusError,
    ApprovalBlockedError,
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
    StreamTooLargeError,
    UnauthorizedError,
    UnprocessableEntityError,
)

if TYPE_CHECKING:
    from .session.widget import Chat
    from .turn.tool_loop import ToolCallRecord

# ``Chat`` is imported on first use: it loads anywidget, ipywidgets and traitlets (~0.7 s), which
# ``import co_widget.testing`` (FakeCohere in anyone's CI) and the client must not pay for. The
# errors and ``Reply`` are light and stay eager.
# ``ToolCallRecord`` (the items of ``reply.calls``) comes with the tool loop, which loads pydantic.
# ``models()`` (Cohere's model list merged with the built-in table) comes with requests.
_LAZY = {
    "Chat": ".session.widget",
    "ToolCallRecord": ".turn.tool_loop",
    "models": ".request.models",
    "DeprecatedModelWarning": ".request.models",
}

__all__ = [
    "APIStatusError",
    "ApprovalBlockedError",
    "BadRequestError",
    "Chat",
    "ChatBusyError",
    "ClientClosedRequestError",
    "CohereConnectionError",
    "CohereError",
    "CohereTimeoutError",
    "DeprecatedModelWarning",
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
    "StreamTooLargeError",
    "ToolCallRecord",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "__version__",
    "models",
    "prices",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # imported once; later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
