"""Bytes of Cohere's v2 chat stream -> typed events.

Two framings are accepted, told apart by the bytes (never by the Content-Type):

* SSE, as the API sends it: ``event:``/``data:`` lines, a blank line dispatches, ``:`` starts a
  comment, several ``data:`` lines of one event are joined with ``"\\n"``, ``data: [DONE]`` ends the
  stream.
* Bare JSON lines (one event object per line), as in the original example's capture. Any line
  that starts with ``{`` outside an SSE event is taken as a whole event, so both framings share
  one loop.

Lines end at ``\\r\\n``, ``\\n`` or a lone ``\\r`` and nowhere else: U+2028, U+2029 and U+0085 are
legal inside JSON strings, so lines are split on bytes and each complete line is decoded as a
whole. A multi-byte UTF-8 character split across two network chunks therefore comes out intact
(UTF-8 continuation bytes never equal CR or LF).

The parser stops at ``message-end`` even if ``[DONE]`` never comes (some deployments keep the
connection open after the last event). Records that are not valid events become
:class:`MalformedEvent` rather than exceptions (see its docstring for the policy): bad JSON,
wrong shapes, and objects nested deeper than ``MAX_DEPTH`` (a 100k-deep record would otherwise
raise RecursionError here or later). One record may hold at most ``MAX_RECORD_BYTES``: a line
that grows past it without ending raises :class:`~co_widget.StreamTooLargeError`, instead of
eating the machine's memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .errors import StreamTooLargeError
from .events import (
    CitationEnd,
    CitationStart,
    ContentDelta,
    ContentEnd,
    ContentStart,
    Debug,
    Event,
    MalformedEvent,
    MessageEnd,
    MessageStart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolPlanDelta,
    UnknownEvent,
)
from .json_values import MAX_DEPTH, json_depth_exceeds

__all__ = ["MAX_RECORD_BYTES", "StreamParser", "event_from_json"]

MAX_RECORD_BYTES = 8 * 1024 * 1024

# A MalformedEvent keeps this much of the offending record: enough to diagnose, small enough to
# show in a warning.
_RAW_PREVIEW = 1000


class StreamParser:
    """Incremental parser: ``feed(bytes) -> list[Event]``, then ``close()`` at end of stream."""

    __slots__ = (
        "_data",
        "_data_bytes",
        "_pending",
        "_pending_bytes",
        "_skip_lf",
        "finished",
        "framing",
    )

    def __init__(self) -> None:
        self.framing: str | None = None  # "sse" or "ndjson", from the first non-blank line
        self.finished = False  # message-end or [DONE] seen: later bytes are ignored
        self._pending: list[bytes] = []  # bytes of the current, not yet terminated line
        self._pending_bytes = 0
        self._data: list[bytes] = []  # data: values of the SSE event being read
        self._data_bytes = 0
        self._skip_lf = False  # the last chunk ended in CR: a leading LF completes that CRLF

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse one network chunk; return the events it completed."""
        if self.finished or not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if b"\n" not in chunk and b"\r" not in chunk:
            # No line ends here: park the bytes (joined once, when the line completes, so a long
            # line arriving in many small chunks costs linear time).
            if chunk:
                self._park(chunk)
            return []
        if self._pending:
            self._pending.append(chunk)
            chunk = b"".join(self._pending)
            self._pending = []
            self._pending_bytes = 0
        if b"\r" in chunk:
            # A trailing CR ends its line now (live output), but the LF that may follow it in the
            # next chunk must then not count as a second, blank line.
            self._skip_lf = chunk[-1] == 0x0D
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            self._park(tail)
        return self._parse_lines(lines)

    def _park(self, piece: bytes) -> None:
        self._pending.append(piece)
        self._pending_bytes += len(piece)
        if self._pending_bytes > MAX_RECORD_BYTES:
            _too_large()

    def close(self) -> list[Event]:
        """End of stream: a last line without a line break still counts, and so does a last
        SSE event without its blank line."""
        if self.finished:
            return []
        lines = [b"".join(self._pending)] if self._pending else []
        self._pending = []
        return self._parse_lines([*lines, b""])

    def _parse_lines(self, lines: list[bytes]) -> list[Event]:
        if self.framing is None:
            for line in lines:
                if line:
                    self.framing = "ndjson" if line[0] == 0x7B else "sse"
                    break
        events: list[Event] = []
        data = self._data
        for line in lines:
            if not line:
                if not data:
                    continue
                payload = data[0] if len(data) == 1 else b"\n".join(data)
                data.clear()
                self._data_bytes = 0
            elif line[0] == 0x7B and not data:  # "{": a bare JSON event line
                payload = line
            elif line[0] == 0x3A:  # ":": SSE comment (keep-alive)
                continue
            else:
                name, _, value = line.partition(b":")
                if name == b"data":
                    value = value[1:] if value[:1] == b" " else value
                    self._data_bytes += len(value)
                    if self._data_bytes > MAX_RECORD_BYTES:  # many data: lines, one record
                        _too_large()
                    data.append(value)
                # event:, id:, retry: and unknown fields carry nothing we route on: the JSON
                # "type" is the discriminator, as in Cohere's SDK.
                continue
            event = self._record(payload)
            if event is not None:
                events.append(event)
            if self.finished:
                data.clear()
                self._pending = []
                break
        return events

    def _record(self, payload: bytes) -> Event | None:
        """One complete record (SSE data or a JSON line) -> an event, or None to skip it."""
        if payload == b"[DONE]":
            self.finished = True
            return None
        if not payload:
            return None
        if len(payload) > MAX_RECORD_BYTES:  # one line that arrived whole
            _too_large()
        try:
            obj = _loads(payload)
        except ValueError as exc:
            return _malformed(payload, f"invalid JSON: {exc}")
        except RecursionError:
            return _malformed(payload, "nested too deeply to decode")
        if not isinstance(obj, dict):
            return _malformed(payload, "an event must be a JSON object")
        event = _build(obj, payload)
        if type(event) is MessageEnd:
            self.finished = True
        return event


_raw_decode = json.JSONDecoder().raw_decode


def _loads(payload: bytes) -> Any:
    """json.loads for one record, minus its per-call overhead (encoding detection, whitespace
    scans): this runs once per event on the hot path."""
    try:
        text = payload.decode()
    except UnicodeDecodeError:
        # Invalid UTF-8 from the server: keep the event, with U+FFFD for the bad bytes.
        text = payload.decode("utf-8", "replace")
    try:
        obj, end = _raw_decode(text)
        if end == len(text):
            return obj
    except ValueError:
        pass
    return json.loads(text)  # surrounding whitespace, or the proper error message


def event_from_json(obj: dict[str, Any]) -> Event:
    """One decoded event object -> its typed event.

    An unknown ``type`` gives :class:`UnknownEvent`; a missing ``type`` or a payload of the wrong
    shape gives :class:`MalformedEvent`.
    """
    return _build(obj, None)


def _build(obj: dict[str, Any], payload: bytes | None) -> Event:
    kind = obj.get("type")
    if not isinstance(kind, str):
        reason = "no string 'type' field"
    elif (builder := _BUILDERS.get(kind)) is None:
        return UnknownEvent(type=kind, data=obj)
    else:
        try:
            return builder(obj)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            why = f"missing {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            reason = f"{kind} event: {why}"
    return _malformed(obj if payload is None else payload, reason)


def _too_large() -> None:
    raise StreamTooLargeError(
        f"A stream record passed {MAX_RECORD_BYTES // 2**20} MiB without ending; "
        "the stream was ended there."
    )


def _malformed(raw: bytes | dict[str, Any], reason: str) -> MalformedEvent:
    if isinstance(raw, bytes):
        text = raw[: _RAW_PREVIEW * 4].decode("utf-8", "replace")
    else:
        try:
            text = json.dumps(raw)
        except (ValueError, RecursionError):
            text = repr(raw)[:_RAW_PREVIEW]
    if len(text) > _RAW_PREVIEW:
        text = text[:_RAW_PREVIEW] + "…"
    return MalformedEvent(raw=text, reason=reason)


# --- shape helpers: raise KeyError/TypeError on a wrong shape, _build turns that into Malformed --


def _index(obj: dict[str, Any]) -> int:
    index = obj["index"]
    if type(index) is not int:
        raise TypeError(f"'index' must be an integer, got {index!r}")
    return index


def _str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{what!r} must be a string, got {type(value).__name__}")
    return value


def _opt(value: Any, kind: type, what: str) -> Any:
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{what!r} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _bounded(value: Any, what: str) -> Any:
    """A free-form object the reply keeps (a citation, usage), no deeper than MAX_DEPTH."""
    if json_depth_exceeds(value, MAX_DEPTH):
        raise ValueError(f"{what!r} is nested more than {MAX_DEPTH} levels deep")
    return value


def _message(obj: dict[str, Any]) -> dict[str, Any]:
    """``delta.message``, where every payload-carrying event but message-end keeps its payload."""
    message: dict[str, Any] = obj["delta"]["message"]
    return message


def _message_start(obj: dict[str, Any]) -> MessageStart:
    delta = _opt(obj.get("delta"), dict, "delta") or {}
    message = _opt(delta.get("message"), dict, "message") or {}
    return MessageStart(id=_opt(obj.get("id"), str, "id"), message=message)


def _content_start(obj: dict[str, Any]) -> ContentStart:
    content = _message(obj)["content"]
    kind = content.get("type")
    if kind is None:
        kind = "thinking" if "thinking" in content else "text"
    return ContentStart(index=_index(obj), kind=_str(kind, "type"))


def _content_delta(obj: dict[str, Any]) -> ContentDelta:
    content = _message(obj)["content"]
    # Thinking blocks carry their chunk under "thinking" instead of "text". A block of a kind this
    # version does not know gives a delta of its kind with no text: the reply skips it.
    if "text" in content:
        kind = "text"
    elif "thinking" in content:
        kind = "thinking"
    else:  # named by its "type", or by its one payload key as text and thinking are
        named: str | None = content.get("type") or next(iter(content), None)
        if named is None:
            raise KeyError("text")
        return ContentDelta(_index(obj), _str(named, "type"), "", None)
    return ContentDelta(_index(obj), kind, _str(content[kind], kind), obj.get("logprobs"))


def _tool_plan_delta(obj: dict[str, Any]) -> ToolPlanDelta:
    return ToolPlanDelta(text=_str(_message(obj)["tool_plan"], "tool_plan"))


def _tool_call_start(obj: dict[str, Any]) -> ToolCallStart:
    call = _message(obj)["tool_calls"]  # a single object here, not a list
    function = call["function"]
    return ToolCallStart(
        index=_index(obj),
        id=_opt(call.get("id"), str, "id"),
        name=_str(function["name"], "name"),
        arguments=_opt(function.get("arguments"), str, "arguments") or "",
    )


def _tool_call_delta(obj: dict[str, Any]) -> ToolCallDelta:
    arguments = _message(obj)["tool_calls"]["function"]["arguments"]
    return ToolCallDelta(index=_index(obj), arguments=_str(arguments, "arguments"))


def _citation_start(obj: dict[str, Any]) -> CitationStart:
    citation = _message(obj)["citations"]  # a single object here, not a list
    if not isinstance(citation, dict):
        raise TypeError("'citations' must be an object")
    return CitationStart(index=_index(obj), citation=_bounded(citation, "citations"))


def _message_end(obj: dict[str, Any]) -> MessageEnd:
    # Unlike the other events, message-end keeps its payload directly under "delta".
    delta = _opt(obj.get("delta"), dict, "delta") or {}
    return MessageEnd(
        finish_reason=_opt(delta.get("finish_reason"), str, "finish_reason"),
        usage=_bounded(_opt(delta.get("usage"), dict, "usage"), "usage"),
        error=_opt(delta.get("error"), str, "error"),
        id=_opt(obj.get("id"), str, "id"),
    )


_BUILDERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "message-start": _message_start,
    "content-start": _content_start,
    "content-delta": _content_delta,
    "content-end": lambda obj: ContentEnd(index=_index(obj)),
    "tool-plan-delta": _tool_plan_delta,
    "tool-call-start": _tool_call_start,
    "tool-call-delta": _tool_call_delta,
    "tool-call-end": lambda obj: ToolCallEnd(index=_index(obj)),
    "citation-start": _citation_start,
    "citation-end": lambda obj: CitationEnd(index=_index(obj)),
    "message-end": _message_end,
    "debug": lambda obj: Debug(prompt=_opt(obj.get("prompt"), str, "prompt")),
}
