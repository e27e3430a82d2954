"""What FakeCohere answers with: a :class:`Stream` (events, framing, pacing, faults) or an
:class:`Error` (an HTTP error with Cohere's body), and the checks of both."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from co_widget.testing.events import text_events
from co_widget.testing.models import prefix_words, with_logprobs
from co_widget.testing.server import count_words, dump_json, encode_events

__all__ = [
    "FRAMINGS",
    "TRANSFERS",
    "Error",
    "Reply",
    "Script",
    "Stream",
    "check_options",
    "check_reply",
    "original_example",
]

FRAMINGS = ("sse", "ndjson")
TRANSFERS = ("chunked", "close", "length")

_DEMO_DATA = Path(__file__).parent.parent / "demo_data"


@dataclass(frozen=True)
class Stream:
    """One scripted streamed response: its events, how they travel, and which fault to inject.

    ``events`` is a text (streamed like a ``str`` reply) or a list of event dicts; a ``bytes``
    item in the list goes on the wire verbatim (an SSE comment, CRLF line endings ...). Options
    left ``None`` take the FakeCohere's defaults. Fault indices count the items of ``events``;
    one past the end means "just before ``data: [DONE]``".

    Args:
        framing: ``"sse"`` (``event:``/``data:`` records, then ``data: [DONE]``) or
            ``"ndjson"`` (one JSON object per line, no terminator).
        transfer: ``"chunked"`` (each write is one HTTP chunk), ``"close"`` (no length; the body
            ends when the connection closes) or ``"length"`` (Content-Length).
        chunk_size: bytes per write (1 splits every line and every multi-byte character).
        delay: seconds between events.
        drop_after: send this many events, then cut the connection (no message-end; with
            chunked transfer, no terminating chunk).
        stall_after: send this many events, then go silent for ``stall_seconds`` (or until the
            server closes), then carry on.
        malformed_at: insert a truncated, invalid JSON record before event ``malformed_at``.
        done_marker: end an SSE stream with ``data: [DONE]`` as the real API does.
        headers: extra response headers.
    """

    events: str | Sequence[dict[str, Any] | bytes] = field(repr=False)
    _: KW_ONLY
    framing: str | None = None
    transfer: str | None = None
    chunk_size: int | None = None
    delay: float | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 30.0
    malformed_at: int | None = None
    done_marker: bool = True
    headers: Mapping[str, str] | None = None
    _wire_cache: dict[str, list[bytes]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_options(self.framing, self.transfer, self.chunk_size, self.delay)
        for name in ("drop_after", "stall_after", "malformed_at"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"{name} must be >= 0")
        if not isinstance(self.events, str):
            # A tuple: a Stream is immutable, so one instance can be queued several times.
            object.__setattr__(self, "events", tuple(self.events))

    @classmethod
    def from_jsonl(cls, source: str | os.PathLike[str], **options: Any) -> Stream:
        """A recorded stream: one event JSON per line, blank lines skipped.

        ``source`` is a file path, or the JSONL text itself (text is recognised by a newline
        or a leading ``{``). ``options`` are the other :class:`Stream` arguments.
        """
        if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
            text = source
        else:
            text = Path(source).read_text(encoding="utf-8")
        # split("\n"), not splitlines(): U+2028 and friends are legal inside JSON strings.
        return cls([json.loads(line) for line in text.split("\n") if line.strip()], **options)

    def _events(self, request_json: dict[str, Any]) -> Sequence[dict[str, Any] | bytes]:
        events = self.events
        if isinstance(events, str):
            # Rendered per request, so that its usage counts the request's words.
            events = text_events(
                events,
                input_tokens=count_words(request_json),
                cached_tokens=prefix_words(request_json),
            )
        return with_logprobs(events) if request_json.get("logprobs") else events

    def _wire(self, framing: str, request_json: dict[str, Any]) -> list[bytes]:
        """The encoded events and trailer. Fixed events are encoded once per framing, so a
        benchmark serving the same Stream again and again does not pay for it each time."""
        if isinstance(self.events, str) or request_json.get("logprobs"):
            return self._encode(self._events(request_json), framing)
        if framing not in self._wire_cache:
            self._wire_cache[framing] = self._encode(self.events, framing)
        return self._wire_cache[framing]

    def _encode(self, events: Sequence[dict[str, Any] | bytes], framing: str) -> list[bytes]:
        return encode_events(
            events, framing, done_marker=self.done_marker, malformed_at=self.malformed_at
        )


def original_example(**options: Any) -> Stream:
    """The reply of the original example ("what is Coca Cola?"), as Cohere streamed it.

    Handy for offline demos: ``FakeCohere([original_example(delay=0.02)])`` answers its first
    request with it. ``options`` are the other :class:`Stream` arguments.
    """
    return Stream.from_jsonl(_DEMO_DATA / "coca_cola.jsonl", **options)


@dataclass(frozen=True)
class Error:
    """An HTTP error reply with Cohere's body ``{"id": "<uuid>", "message": ...}``.

    Immutable, so one instance may be queued several times: ``fake.add(*[err] * 2, "ok")``
    fails twice, then answers "ok" (a flaky server for retry tests).

    Args:
        status: 400-599, e.g. 400 bad request, 401, 429 rate limit, 500, 503.
        message: Cohere's ``message`` text.
        retry_after: seconds (or an HTTP date string) for the ``Retry-After`` header.
        headers: extra response headers.
        body: the whole body instead (a dict is sent as JSON, ``str``/``bytes`` verbatim).
        request_id: the body's ``id`` (default: a fresh uuid4 per response).
    """

    status: int
    message: str
    _: KW_ONLY
    retry_after: float | str | None = None
    headers: Mapping[str, str] | None = None
    body: Mapping[str, Any] | str | bytes | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"an Error's status is 400-599, not {self.status}")

    def _response(self) -> tuple[bytes, dict[str, str]]:
        if self.body is None:
            body = dump_json({"id": self.request_id or str(uuid.uuid4()), "message": self.message})
        elif isinstance(self.body, str):
            body = self.body.encode()
        elif isinstance(self.body, bytes):
            body = self.body
        else:
            body = dump_json(self.body)
        headers = {}
        if self.retry_after is not None:
            retry = self.retry_after
            headers["Retry-After"] = retry if isinstance(retry, str) else f"{retry:g}"
        headers.update(self.headers or {})
        return body, headers


Reply = str | Sequence[Mapping[str, Any]] | Stream | Error
# A queued reply may also be a function of the request that returns one of those.
Script = Callable[[dict[str, Any]], Reply]


def check_reply(reply: object, *, scripted: bool = True) -> None:
    if scripted and callable(reply) and not isinstance(reply, (Stream, Error)):
        return
    if not isinstance(reply, (str, list, tuple, Stream, Error)):
        raise TypeError(
            "a reply is a str, a list of event dicts, a Stream, an Error"
            f"{', or a function of the request returning one' if scripted else ''}, "
            f"not {type(reply).__name__}"
        )


def check_options(
    framing: str | None, transfer: str | None, chunk_size: int | None, delay: float | None
) -> None:
    if framing not in (None, *FRAMINGS):
        raise ValueError(f"framing must be one of {FRAMINGS}, not {framing!r}")
    if transfer not in (None, *TRANSFERS):
        raise ValueError(f"transfer must be one of {TRANSFERS}, not {transfer!r}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be >= 1 (or None for large writes)")
    if delay is not None and delay < 0:
        raise ValueError("delay must be >= 0")
