"""One exchange being streamed (a ``Turn``) and the worker loop that streams it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._client import CohereClient
from ._coalescer import DeltaCoalescer
from ._errors import CohereError
from ._reply import Reply

__all__ = ["Turn", "stream_reply"]


@dataclass(eq=False)
class Turn:
    rid: int  # the reply's number in this chat: the views match deltas to it
    base: list[dict[str, Any]]  # the messages kept before the exchange (a prefix of messages)
    user: dict[str, Any] | None  # the new user message; None when regenerating
    body: dict[str, Any]  # the request
    coalescer: DeltaCoalescer
    reply: Reply = field(default_factory=Reply)


def stream_reply(
    client: CohereClient, body: dict[str, Any], reply: Reply, add: Callable[[str, Any], None]
) -> CohereError | None:
    """Stream ``body``'s reply into ``reply`` and its visible text into ``add``.

    Runs in the worker thread. Returns the error that ended the stream (None if none): errors
    belong to the turn, where the user sees them, not to a thread nobody watches.
    """
    try:
        stream = client.chat_stream(body)
        reply._attach(stream)
        for event in stream:
            piece = reply._feed(event)
            if piece is not None:
                add(*piece)
    except CohereError as error:
        return error
    except Exception as error:  # a bug must not leave the chat stuck "streaming"
        return CohereError(f"Streaming failed: {type(error).__name__}: {error}")
    return None
