"""Typed events of Cohere's v2 chat stream.

The stream parser turns each JSON object of the stream into one of these. They are plain slotted
dataclasses: cheap to build on the hot path, and easy to compare in tests. Routing is on the JSON
``type`` field (as in Cohere's SDK); the SSE ``event:`` name is never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class MessageStart:
    id: str | None
    message: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ContentStart:
    index: int
    kind: str  # "text" or "thinking"


@dataclass(slots=True)
class ContentDelta:
    index: int
    kind: str  # "text" or "thinking": which key the delta carried
    text: str
    logprobs: Any = None


@dataclass(slots=True)
class ContentEnd:
    index: int


@dataclass(slots=True)
class ToolPlanDelta:
    text: str


@dataclass(slots=True)
class ToolCallStart:
    index: int
    id: str | None
    name: str
    arguments: str = ""


@dataclass(slots=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(slots=True)
class ToolCallEnd:
    index: int


@dataclass(slots=True)
class CitationStart:
    index: int
    citation: dict[str, Any]


@dataclass(slots=True)
class CitationEnd:
    index: int


@dataclass(slots=True)
class MessageEnd:
    finish_reason: str | None
    usage: dict[str, Any] | None = None
    error: str | None = None
    id: str | None = None


@dataclass(slots=True)
class Debug:
    prompt: str | None


@dataclass(slots=True)
class UnknownEvent:
    """An event whose ``type`` this version does not know: kept so nothing vanishes silently."""

    type: str | None
    data: dict[str, Any]


@dataclass(slots=True)
class MalformedEvent:
    """A stream record that is not a valid event (bad JSON, wrong shape).

    Policy: the parser yields this instead of raising, the reply skips it and records a warning
    (``Reply.warnings``) that the UI shows, so one bad record neither kills a long answer nor
    disappears without trace.
    """

    raw: str
    reason: str


Event = (
    MessageStart
    | ContentStart
    | ContentDelta
    | ContentEnd
    | ToolPlanDelta
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | CitationStart
    | CitationEnd
    | MessageEnd
    | Debug
    | UnknownEvent
    | MalformedEvent
)
