"""The parts model: what one turn is made of, declared once for the kernel.

A turn in ``Chat.messages`` is a Cohere v2 message plus the widget's ``_co`` record. Read as
*parts*, in the order a bubble shows them, it is:

* :class:`ThinkingPart` and :class:`TextPart` (one per content block, each with its cited spans
  placed: :class:`PlacedSpan`), :class:`PlanPart` (the tool plan),
* :class:`ToolCallPart` (a Python tool call: status, arguments, result preview, duration, step),
* :class:`JsonPart` (the answer of a JSON ``response_format``), :class:`ImagePart` (a user's image),
* :class:`NoticePart` (a note the turn made for its reader, a warning, or the error it ended with).

:class:`CoRecord` declares the ``_co`` record, and every module that writes one goes through the
builders here (:func:`reply_record`, :func:`step_record`, :func:`error_record`,
:func:`user_record`, :func:`with_record`, :func:`without_record_keys`). :func:`parts_of` turns a
message into parts; :func:`message_of` turns parts back into the Cohere v2 message.
:func:`record_problem` and :func:`check_trait` are the checks the ``messages`` trait's validator
runs. ``js/src/state/parts.js`` mirrors these declarations as JSDoc typedefs
(``tests/test_parts.py`` compares the two).

Offsets: a span's ``start``/``end`` count code points of its part's text (Python's ``str``
indices, Cohere's own unit); ``start16``/``end16`` count UTF-16 code units, the browser's string
unit, so the view never converts them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, get_args, get_type_hints

from typing_extensions import NotRequired

from ..request.boundary import is_count

__all__ = [
    "PART_FIELDS",
    "PART_KINDS",
    "ChatMessage",
    "CoRecord",
    "ContentBlock",
    "ImagePart",
    "JsonPart",
    "NoticePart",
    "Part",
    "PlacedSpan",
    "PlanPart",
    "TextPart",
    "ThinkingPart",
    "ToolCallPart",
    "ToolCard",
    "check_trait",
    "error_record",
    "message_of",
    "parts_of",
    "place_citation",
    "place_span",
    "record_problem",
    "reply_record",
    "spans_of",
    "step_record",
    "user_record",
    "utf16_length",
    "with_record",
    "without_record_keys",
]

Message = dict[str, Any]
Status = Literal["complete", "stopped", "interrupted", "error"]
NoticeLevel = Literal["info", "warning", "error"]
CallStatus = Literal["streaming", "waiting", "running", "done", "error", "denied", "stopped"]
STATUSES: tuple[str, ...] = get_args(Status)


# --- the parts -----------------------------------------------------------------------------------


class PlacedSpan(TypedDict):
    """One citation placed on the text of its part: ``start``/``end`` in code points,
    ``start16``/``end16`` in UTF-16 code units; ``citation``: its index in the message's
    ``citations``."""

    start: int
    end: int
    start16: int
    end16: int
    citation: int


class TextPart(TypedDict):
    kind: Literal["text"]
    text: str
    spans: list[PlacedSpan]


class ThinkingPart(TypedDict):
    kind: Literal["thinking"]
    text: str
    spans: list[PlacedSpan]


class PlanPart(TypedDict):
    kind: Literal["plan"]
    text: str
    spans: list[PlacedSpan]


class ToolCallPart(TypedDict):
    """A Python tool call as its card shows it; ``step``: the model call (0-based) that asked."""

    kind: Literal["tool_call"]
    id: str
    name: str
    arguments: Any
    status: CallStatus
    result: str | None
    error: str | None
    duration: float | None
    step: int | None


class JsonPart(TypedDict):
    """The answer of a JSON ``response_format``: shown as highlighted JSON."""

    kind: Literal["json"]
    text: str


class ImagePart(TypedDict):
    kind: Literal["image"]
    url: str
    detail: str | None


class NoticePart(TypedDict):
    """A note the turn made for its reader (``info``: the corpus had nothing to search, say; kept
    in ``_co.notices``), a warning of the turn, or the error it ended with."""

    kind: Literal["notice"]
    level: NoticeLevel
    text: str


Part = TextPart | ThinkingPart | PlanPart | ToolCallPart | JsonPart | ImagePart | NoticePart
PART_TYPES: tuple[type, ...] = get_args(Part)
PART_KINDS: tuple[str, ...] = tuple(get_args(get_type_hints(cls)["kind"])[0] for cls in PART_TYPES)
# Each kind's fields, for the JS parity test and anyone building parts by hand.
PART_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(cls.__annotations__) for kind, cls in zip(PART_KINDS, PART_TYPES, strict=True)
}


# --- the _co record ------------------------------------------------------------------------------


class ToolCard(TypedDict):
    """A tool call's card as ``_co.calls`` keeps it (``_protocol.ToolCard``: the live one)."""

    id: str
    name: str
    arguments: Any
    status: CallStatus
    error: NotRequired[str | None]
    duration: NotRequired[float | None]
    elapsed: NotRequired[float | None]
    result: NotRequired[str | None]
    ask: NotRequired[bool]


class CoRecord(TypedDict, total=False):
    """The widget's record of a turn (``message["_co"]``); every field is optional. Unknown
    fields (a newer version's) are kept."""

    # A reply the widget streamed.
    status: Status
    finish_reason: str | None
    usage: dict[str, Any] | None
    error: dict[str, Any] | None
    warnings: list[str]
    model: str
    cost: float | None
    context: int
    logprobs: list[Any]
    tools: dict[str, Any]  # cited tool results: source id -> {"name", "arguments"}
    format: str  # "json": the text is shown as highlighted JSON
    retrieved: dict[str, Any]  # Chat(corpus=...)'s chip
    spans: list[PlacedSpan]  # the citations placed (joined text of their kind), see spans_of
    notices: list[NoticePart]  # notes for the reader, drawn in the bubble (see TurnState.notice)
    # A tool step of a turn (dropped with the reply by regenerate), and its calls' cards.
    step: bool
    calls: list[ToolCard]
    # A user message: its documents (or their number, when kept in the kernel), its images.
    documents: list[dict[str, Any]]
    attached: dict[str, Any]
    images: dict[str, str]
    sources: str  # the key of full citations kept in the kernel


class ContentBlock(TypedDict, total=False):
    """One block of a message's ``content``: ``type`` names the field that holds it."""

    type: str
    text: str
    thinking: str
    image_url: dict[str, Any]
    document: dict[str, Any]


class ChatMessage(TypedDict):
    """One message of the ``messages`` trait: Cohere v2's, plus the widget's record."""

    role: Literal["user", "assistant", "tool"]
    content: NotRequired[str | list[ContentBlock]]
    tool_plan: NotRequired[str]
    tool_calls: NotRequired[list[dict[str, Any]]]
    citations: NotRequired[list[dict[str, Any]]]
    tool_call_id: NotRequired[str]
    _co: NotRequired[CoRecord]


def reply_record(
    *,
    status: str,
    finish_reason: str | None,
    usage: dict[str, Any] | None,
    error: dict[str, Any] | None,
    warnings: list[str],
    **extra: Any,
) -> CoRecord:
    """The ``_co`` record of a reply, with the ``extra`` fields given (each a field of
    :class:`CoRecord`)."""
    record: dict[str, Any] = {
        "status": status,
        "finish_reason": finish_reason,
        "usage": usage,
        "error": error,
        "warnings": warnings,
    }
    for key, value in extra.items():
        if key not in CoRecord.__annotations__:
            raise TypeError(f"{key!r} is not a field of the _co record")
        record[key] = value
    return record  # type: ignore[return-value]


def error_record(error: dict[str, Any]) -> CoRecord:
    """The record of a turn whose own message could not be built."""
    return reply_record(status="error", finish_reason=None, usage=None, error=error, warnings=[])


def step_record(cards: list[ToolCard] | None) -> CoRecord:
    """The record of an archived tool step: an assistant step keeps its calls' cards."""
    record: CoRecord = {"step": True}
    if cards is not None:
        record["calls"] = cards
    return record


def user_record(documents: list[dict[str, Any]]) -> CoRecord:
    """The record of a user message sent with ``documents=``."""
    return {"documents": documents}


def with_record(message: Mapping[str, Any], record: Mapping[str, Any]) -> Message:
    """A shallow copy of ``message`` whose ``_co`` record also has ``record``'s fields."""
    old = message.get("_co")
    return {**message, "_co": {**(old if isinstance(old, dict) else {}), **record}}


def without_record_keys(message: Message, *keys: str) -> Any:
    """Remove ``keys`` from ``message``'s record in place (the record too when it ends empty);
    return the last key's value (None when absent)."""
    record = message.get("_co")
    if not isinstance(record, dict):
        return None
    value = None
    for key in keys:
        value = record.pop(key, None)
    if not record:
        del message["_co"]
    return value


# --- checks (the trait's validator, loaded files) -------------------------------------------------

_CARD_TEXTS = ("id", "name", "status")
_CARD_OPTIONAL_TEXTS = ("error", "result")


def record_problem(meta: Any) -> str | None:
    """What is wrong with a ``_co`` record for the widget, the usage totals and the transcript
    (None when it is usable). Unknown fields are no problem."""
    if not isinstance(meta, dict):
        return "must be a dict."
    if meta.get("status", "complete") not in STATUSES:
        return f"'status' must be one of {STATUSES}."
    if not isinstance(meta.get("finish_reason") or "", str):
        return "'finish_reason' must be a string or null."
    usage = meta.get("usage") or {}
    if not isinstance(usage, dict) or not all(
        # A group of counts, or a count of its own (Cohere's ``cached_tokens``).
        is_count(group)
        or (isinstance(group or {}, dict) and all(map(is_count, (group or {}).values())))
        for group in usage.values()
    ):
        return "'usage' must map groups to token counts, like Cohere's usage record."
    error = meta.get("error") or {}
    if not isinstance(error, dict) or not all(
        isinstance(error.get(key) or "", str) for key in ("type", "message", "hint", "request_id")
    ):
        return "'error' must be an object with string 'type', 'message', 'hint', 'request_id'."
    warnings_ = meta.get("warnings") or []
    if not isinstance(warnings_, list) or not all(isinstance(w, str) for w in warnings_):
        return "'warnings' must be a list of strings."
    return _records_problem(meta)


def _records_problem(meta: dict[str, Any]) -> str | None:
    """The records the widget adds to a turn: cards of tool calls, documents, cited tools."""
    notices = meta.get("notices", [])
    levels = get_args(NoticeLevel)
    if not isinstance(notices, list) or not all(
        isinstance(n, dict)
        and n.get("kind") == "notice"
        and n.get("level") in levels
        and isinstance(n.get("text"), str)
        for n in notices
    ):
        return f"'notices' must be a list of notice parts (level one of {levels}, text a string)."
    calls = meta.get("calls", [])
    if not isinstance(calls, list):
        return "'calls' must be a list of tool call cards."
    for j, card in enumerate(calls):
        if not isinstance(card, dict) or not all(
            isinstance(card.get(key), str) for key in _CARD_TEXTS
        ):
            return f"'calls'[{j}] must be a card with string 'id', 'name' and 'status'."
        if not all(isinstance(card.get(key) or "", str) for key in _CARD_OPTIONAL_TEXTS):
            return f"'calls'[{j}]: 'error' and 'result' must be strings or null."
        duration = card.get("duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, (int, float))
        ):
            return f"'calls'[{j}]['duration'] must be a number or null."
    documents = meta.get("documents", [])
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and isinstance(d.get("id", ""), str) and isinstance(d.get("data"), dict)
        for d in documents
    ):
        return "'documents' must be a list of {'id': str, 'data': {...}} documents."
    tools = meta.get("tools", {})
    if not isinstance(tools, dict) or not all(isinstance(t, dict) for t in tools.values()):
        return "'tools' must map source ids to {'name', 'arguments'} objects."
    if not isinstance(meta.get("step", False), bool):
        return "'step' must be true or false."
    if not isinstance(meta.get("format") or "", str):
        return "'format' must be a string."
    return _spans_problem(meta.get("spans", []))


def _spans_problem(spans: Any) -> str | None:
    if not isinstance(spans, list) or not all(
        isinstance(span, dict) and all(is_count(span.get(key)) for key in _SPAN_FIELDS)
        for span in spans
    ):
        return "'spans' must be a list of {start, end, start16, end16, citation} counts."
    return None


_SPAN_FIELDS = tuple(PlacedSpan.__annotations__)
_ROLES = ("user", "assistant", "tool")


def check_trait(messages: Any, before: Any = ()) -> list[Message]:
    """The ``messages`` trait's validator: a list of messages with a known role and a usable
    ``_co`` record. The messages it shares (same objects) with the start of ``before`` were
    checked then, so a commit costs what it adds, however long the history. Raises ValueError."""
    if not isinstance(messages, list):
        raise ValueError(f"messages must be a list, got {type(messages).__name__}.")
    start = 0
    if isinstance(before, list):
        for old, new in zip(before, messages, strict=False):
            if old is not new:
                break
            start += 1
    for i in range(start, len(messages)):
        message = messages[i]
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            raise ValueError(f"messages[{i}] must be a dict with a role in {_ROLES}.")
        problem = record_problem(message.get("_co", {}))
        if problem:
            raise ValueError(f"messages[{i}]['_co'] (co_widget's metadata): {problem}")
    return messages


# --- placing citations ---------------------------------------------------------------------------

_KIND_OF_TYPE = {"TEXT_CONTENT": "text", "THINKING_CONTENT": "thinking", "PLAN": "plan"}


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (a character above U+FFFF counts two)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _offset(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def place_span(citation: Mapping[str, Any], text: str, shift: int, index: int) -> PlacedSpan:
    """``citation`` placed on ``text`` (the joined text of its kind; its block starts at code
    point ``shift``): offsets in code points and in UTF-16 units, clamped to the text. Text not
    arrived yet counts one unit per character."""
    start = shift + _offset(citation.get("start"))
    end = max(start, shift + _offset(citation.get("end")))
    known = min(end, len(text))
    start16 = utf16_length(text[: min(start, known)]) + max(0, start - known)
    end16 = start16 + utf16_length(text[min(start, known) : known]) + (end - max(start, known))
    return PlacedSpan(start=start, end=end, start16=start16, end16=end16, citation=index)


def _blocks(message: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """``(content index, kind, text)`` of the message's text and thinking blocks."""
    content = message.get("content")
    if isinstance(content, str):
        return [(0, "text", content)]
    blocks = []
    for i, block in enumerate(content if isinstance(content, list) else []):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in ("text", "thinking") and isinstance(block.get(kind), str):
            blocks.append((i, kind, block[kind]))
    return blocks


def place_citation(
    citation: Mapping[str, Any], index: int, blocks: list[tuple[int, str, str]], plan: str
) -> PlacedSpan:
    """Citation number ``index`` placed on the joined text of its kind: the ``(content index,
    kind, text)`` blocks' text or thinking, or the tool ``plan``. The one placement, used when
    a citation streams in and for a whole message (:func:`spans_of`)."""
    kind = _KIND_OF_TYPE.get(str(citation.get("type") or "TEXT_CONTENT").upper(), "text")
    if kind == "plan":
        return place_span(citation, plan, 0, index)
    block = citation.get("content_index")
    if block is None:
        # Cohere leaves content_index out when the reply has a single block of that kind.
        block = next((i for i, k, _ in blocks if k == kind), None)
    texts = [(i, text) for i, k, text in blocks if k == kind]
    shift = sum(len(text) for i, text in texts if block is not None and i < block)
    return place_span(citation, "".join(text for _, text in texts), shift, index)


def spans_of(message: Mapping[str, Any]) -> list[PlacedSpan]:
    """The message's citations placed on the joined text of their kind (its text, thinking or
    tool plan), in order: what ``_co.spans`` keeps, and what a loaded file without it gets."""
    blocks = _blocks(message)
    plan = message.get("tool_plan")
    return [
        place_citation(citation, index, blocks, plan if isinstance(plan, str) else "")
        for index, citation in enumerate(message.get("citations") or [])
        if isinstance(citation, dict)
    ]


# --- to and from a Cohere v2 message ------------------------------------------------------------


def parts_of(message: Mapping[str, Any]) -> list[Part]:
    """A message (Cohere v2 plus ``_co``) as the parts a bubble shows, in order."""
    record = message.get("_co")
    record = record if isinstance(record, dict) else {}
    parts: list[Part] = []
    content = message.get("content")
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and block.get("type") == "image_url":
                image = block.get("image_url") or {}
                url, detail = str(image.get("url") or ""), image.get("detail")
                parts.append(ImagePart(kind="image", url=url, detail=detail))
    if message.get("role") == "assistant":
        parts += _assistant_parts(message, record)
    elif message.get("role") == "user":
        text = "".join(t for _, k, t in _blocks(message) if k == "text")
        if text:
            parts.insert(0, TextPart(kind="text", text=text, spans=[]))
    parts += record.get("notices") or []
    for warning in record.get("warnings") or []:
        parts.append(NoticePart(kind="notice", level="warning", text=warning))
    error = record.get("error")
    if isinstance(error, dict) and error.get("message"):
        parts.append(NoticePart(kind="notice", level="error", text=error["message"]))
    return parts


def _assistant_parts(message: Mapping[str, Any], record: Mapping[str, Any]) -> list[Part]:
    spans = record.get("spans")
    if not isinstance(spans, list):
        spans = spans_of(message)
    parts: list[Part] = []
    kinds = {"text": "TEXT_CONTENT", "thinking": "THINKING_CONTENT", "plan": "PLAN"}
    citations = message.get("citations") or []

    def own(kind: str, start: int, end: int) -> list[PlacedSpan]:
        # A span belongs to the part of its kind whose text it starts in; offsets stay joined.
        return [
            span
            for span in spans
            if start <= span["start"] < end
            and str(citations[span["citation"]].get("type") or "TEXT_CONTENT").upper()
            == kinds[kind]
        ]

    plan = message.get("tool_plan")
    if isinstance(plan, str) and plan:
        parts.append(PlanPart(kind="plan", text=plan, spans=own("plan", 0, len(plan))))
    at = {"text": 0, "thinking": 0}
    for _, kind, text in _blocks(message):
        mine = own(kind, at[kind], at[kind] + max(len(text), 1))
        at[kind] += len(text)
        if kind == "thinking":
            parts.append(ThinkingPart(kind="thinking", text=text, spans=mine))
        elif record.get("format") == "json":
            parts.append(JsonPart(kind="json", text=text))
        else:
            parts.append(TextPart(kind="text", text=text, spans=mine))
    cards = {card.get("id"): card for card in record.get("calls") or [] if isinstance(card, dict)}
    for call in message.get("tool_calls") or []:
        card = cards.get(call.get("id"), {})
        function = call.get("function") or {}
        parts.append(
            ToolCallPart(
                kind="tool_call",
                id=str(call.get("id") or ""),
                name=str(function.get("name") or ""),
                arguments=card.get("arguments", function.get("arguments")),
                status=card.get("status", "done"),
                result=card.get("result"),
                error=card.get("error"),
                duration=card.get("duration"),
                step=card.get("step"),
            )
        )
    return parts


def message_of(parts: Iterable[Part], citations: list[dict[str, Any]] | None = None) -> Message:
    """The Cohere v2 assistant message of ``parts`` (their ``citations``, when given, kept):
    ``content`` a string when there is only text, else thinking and text blocks; left out when
    the message is only tool calls."""
    blocks: list[dict[str, str]] = []
    plan: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts:
        if part["kind"] in ("text", "json"):
            blocks.append({"type": "text", "text": part["text"]})
        elif part["kind"] == "thinking":
            blocks.append({"type": "thinking", "thinking": part["text"]})
        elif part["kind"] == "plan":
            plan.append(part["text"])
        elif part["kind"] == "tool_call":
            arguments = part["arguments"]
            calls.append(
                {
                    "id": part["id"],
                    "type": "function",
                    "function": {"name": part["name"], "arguments": arguments},
                }
            )
    message: Message = {"role": "assistant"}
    content: str | list[dict[str, str]] = (
        "".join(b["text"] for b in blocks) if all(b["type"] == "text" for b in blocks) else blocks
    )
    if content or not calls:
        message["content"] = content
    if plan:
        message["tool_plan"] = "".join(plan)
    if calls:
        message["tool_calls"] = calls
    if citations:
        message["citations"] = copy.deepcopy(citations)
    return message
