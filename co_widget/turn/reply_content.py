"""The assistant message a reply builds from the stream's events, piece by piece.

:class:`ReplyContent` keeps the content blocks, the tool plan, the tool calls, the citations and
the warnings of one model call, and turns them into a Cohere v2 assistant message. It is not
thread-safe on its own: the :class:`~co_widget.turn.state.TurnState` that owns it guards it
with its lock.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..request.boundary import MAX_TOOL_RESULT, arguments_text, model_citation, new_call_id
from ..wire.events import (
    CitationStart,
    ContentDelta,
    ContentStart,
    Event,
    MalformedEvent,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    ToolPlanDelta,
    UnknownEvent,
)
from ..wire.json_values import lone_surrogate, repair_surrogates
from .parts import PlacedSpan, place_citation

__all__ = ["MAX_WARNINGS", "ReplyContent", "Warnings", "repaired"]

# The content blocks a history can hold; others (a future "image" block, say) are skipped.
_BLOCK_KINDS = ("text", "thinking")
MAX_WARNINGS = 100  # kept per reply; the rest are counted
_HIGH_SURROGATES = ("\ud800", "\udbff")


@dataclass(slots=True)
class _Pieces:
    """One streamed text (a content block, the tool plan, a call's arguments).

    A server may split an emoji's surrogate pair across two JSON-escaped deltas ("\\ud83c", then
    "\\udf7e"): a trailing high surrogate waits here for its other half, so every piece kept or
    shown is valid text.
    """

    parts: list[str] = field(default_factory=list)
    carry: str = ""

    def add(self, text: str) -> tuple[str, bool]:
        """Append ``text``; return what to show of it, and whether a lone surrogate was
        replaced by U+FFFD."""
        if self.carry:
            text, self.carry = self.carry + text, ""
        if text and _HIGH_SURROGATES[0] <= text[-1] <= _HIGH_SURROGATES[1]:
            text, self.carry = text[:-1], text[-1]
        repaired = repair_surrogates(text)
        lone = repaired is not text and lone_surrogate(text) is not None  # not a joined pair
        if repaired:
            self.parts.append(repaired)
        return repaired, lone

    def close(self) -> bool:
        """The stream is over: a half character still waiting becomes U+FFFD."""
        if not self.carry:
            return False
        self.parts.append("\ufffd")
        self.carry = ""
        return True


@dataclass(slots=True)
class _Block(_Pieces):
    kind: str = "text"  # "text", "thinking", or a kind this version skips


@dataclass(slots=True)
class _ToolCall:
    id: str  # the model's, or one made up when it sent none (its tool message needs one)
    name: str
    arguments: _Pieces
    finished: bool = False

    def as_cohere(self, max_arguments: int | None = None) -> dict[str, Any]:
        """The call in Cohere's shape; with ``max_arguments``, as the history keeps it (refused
        arguments replaced by the boundary's note)."""
        arguments = "".join(self.arguments.parts)
        if max_arguments is not None:
            arguments = arguments_text(arguments, max_arguments)
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": arguments},
        }


class Warnings:
    """A reply's warnings: the first ``MAX_WARNINGS`` kept, the rest counted."""

    def __init__(self) -> None:
        self._kept: list[str] = []
        self._more = 0
        self._kinds: set[Any] = set()  # unknown event and block types already noted

    def add(self, text: str) -> None:
        if len(self._kept) < MAX_WARNINGS:
            self._kept.append(repair_surrogates(text))
        else:
            self._more += 1

    def once(self, text: str) -> None:
        if text not in self._kept:
            self.add(text)

    def skipped_kind(self, what: str, kind: Any) -> None:
        # Newer API versions may add event and block types: note each once, without noise.
        if kind not in self._kinds:
            self._kinds.add(kind)
            self.add(f"Ignored {repair_surrogates(what)} (newer than this co_widget).")

    def lines(self) -> list[str]:
        more = self._more
        return [*self._kept, *([f"… and {more} more warnings."] if more else [])]


class ReplyContent:
    """What one model call has said so far."""

    def __init__(self, warnings: Warnings, call_ids: set[str] | None = None) -> None:
        self.call_ids = set() if call_ids is None else call_ids  # the reply's, across steps
        self.blocks: dict[int, _Block] = {}
        self.tool_plan = _Pieces()
        self.tool_calls: dict[int, _ToolCall] = {}
        self.citations: list[dict[str, Any]] = []
        self.warnings = warnings

    def feed(self, event: Event) -> tuple[str, Any] | None:
        """Apply one event (any but message-end); return ``(kind, piece)`` when it adds
        something visible: "text", "thinking" or "tool_plan" with a string, or "citations" with
        one citation object."""
        match event:
            case ContentDelta():
                block = self._block(event.index, event.kind)
                if block.kind in _BLOCK_KINDS and event.text:
                    return self._piece(block, block.kind, event.text)
            case ToolPlanDelta():
                if event.text:
                    return self._piece(self.tool_plan, "tool_plan", event.text)
            case ContentStart():
                self._block(event.index, event.kind)
            case ToolCallStart():
                call_id = self._call_id(repaired(event.id))
                call = _ToolCall(call_id, repair_surrogates(event.name), _Pieces())
                self.tool_calls[event.index] = call
                self._piece(call.arguments, None, event.arguments)
            case ToolCallDelta():
                self._piece(self._tool_call(event.index).arguments, None, event.arguments)
            case ToolCallEnd():
                self._tool_call(event.index).finished = True
            case CitationStart():
                citation, problem = model_citation(event.citation)
                if citation is None:
                    self.warnings.add(f"Skipped a citation of an unusable shape: {problem}.")
                    return None
                self.citations.append(citation)
                # Sent on at once: the view highlights a span as soon as both its text and its
                # citation have arrived.
                return "citations", citation
            case MalformedEvent():
                raw = repair_surrogates(event.raw[:80])
                self.warnings.add(f"Skipped a malformed stream event ({event.reason}): {raw!r}")
            case UnknownEvent():
                self.warnings.skipped_kind(
                    f"stream events of unknown type {event.type!r}", event.type
                )
        # Start/end markers of blocks and citations and debug events carry nothing to keep.
        return None

    def close(self) -> None:
        """The stream is over: a half character still waiting in a text becomes U+FFFD."""
        streams = [self.tool_plan, *self.blocks.values()]
        streams += [call.arguments for call in self.tool_calls.values()]
        if any([pieces.close() for pieces in streams]):
            self.warnings.once("A half character (lone UTF-16 surrogate) ended a text: U+FFFD.")

    def joined(self, kind: str) -> str:
        return "".join(
            part
            for _, block in sorted(self.blocks.items())
            if block.kind == kind
            for part in block.parts
        )

    def message(self, ended: bool, max_arguments: int = MAX_TOOL_RESULT) -> dict[str, Any]:
        """The assistant message in Cohere v2 shape. Tool calls cut off mid-arguments (the
        stream did not ``end``) are left out, so the message stays valid for the API; calls
        whose arguments the boundary refuses keep a note instead of them."""
        message: dict[str, Any] = {"role": "assistant"}
        calls = [
            call.as_cohere(max_arguments)
            for _, call in sorted(self.tool_calls.items())
            if call.finished or ended
        ]
        content = self._content()
        if content or not calls:
            message["content"] = content
        if self.tool_plan.parts:
            message["tool_plan"] = "".join(self.tool_plan.parts)
        if calls:
            message["tool_calls"] = calls
        if self.citations:
            message["citations"] = copy.deepcopy(self.citations)
        return message

    def placed(self, index: int) -> PlacedSpan:
        """Citation ``index`` placed on the text that has arrived (see ``turn/parts``)."""
        blocks = [(i, block.kind, "".join(block.parts)) for i, block in sorted(self.blocks.items())]
        plan = "".join(self.tool_plan.parts)
        return place_citation(self.citations[index], index, blocks, plan)

    def has_output(self) -> bool:
        return bool(self.tool_plan.parts or self.tool_calls or self.citations) or any(
            block.parts for block in self.blocks.values()
        )

    def _piece(self, pieces: _Pieces, kind: str | None, text: str) -> tuple[str, str] | None:
        shown, replaced = pieces.add(text)
        if replaced:
            self.warnings.once("Replaced half characters (lone UTF-16 surrogates) with U+FFFD.")
        return (kind, shown) if kind and shown else None

    def _block(self, index: int, kind: str) -> _Block:
        # Not setdefault: that would build a throwaway _Block for every delta. The block's first
        # event, start or delta, decides its kind.
        block = self.blocks.get(index)
        if block is None:
            block = self.blocks[index] = _Block(kind=kind)
            if kind not in _BLOCK_KINDS:
                self.warnings.skipped_kind(f"content blocks of type {kind!r}", ("block", kind))
        return block

    def _tool_call(self, index: int) -> _ToolCall:
        # A delta for a call whose start never came still keeps its arguments, under no name.
        call = self.tool_calls.get(index)
        if call is None:
            call = self.tool_calls[index] = _ToolCall(self._call_id(None), "", _Pieces())
        return call

    def _call_id(self, given: str | None) -> str:
        # Each call's tool message names it, so an id must exist and be unique in the reply.
        call_id = given if given and given not in self.call_ids else new_call_id()
        self.call_ids.add(call_id)
        return call_id

    def _content(self) -> str | list[dict[str, str]]:
        blocks = [
            (block.kind, "".join(block.parts))
            for _, block in sorted(self.blocks.items())
            if block.parts
        ]
        if all(kind == "text" for kind, _ in blocks):
            return "".join(text for _, text in blocks)
        return [{"type": kind, kind: text} for kind, text in blocks]


def repaired(text: str | None) -> str | None:
    return None if text is None else repair_surrogates(text)
