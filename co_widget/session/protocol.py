"""The kernel <-> browser protocol: every custom message ``Chat`` and its views exchange.

Declared once here, as ``TypedDict``s whose ``type`` is a ``Literal`` (in the manner of anywidget's
``_protocols.py``), and mirrored once in ``js/src/state/protocol.js`` as JSDoc typedefs checked by
``tsc --noEmit``; ``tests/test_structure.py`` fails if the two sides disagree.

Stream messages (``begin``, ``delta``, ``end``, ``snapshot``) carry ``seq``, which restarts at 0
with each ``begin`` and grows by one per stream message: a view that sees a gap asks for a
``snapshot``. The other kernel messages (``rejected``, ``dropped``, ``asset``) carry no ``seq``, so
they never look like a gap. A view also asks for a ``snapshot`` when it renders: one that gets no
answer has no live kernel behind it (a notebook reopened from saved widget state).

The conversation is the synced ``messages`` trait, but a change of it never re-sends the whole
list: the kernel updates its value in place without syncing it, and a numbered ``commit`` message
carries what changed (the messages after the unchanged prefix). Every change gets the next
``revision``: a model applies a commit only on top of the revision it was made from, and a view
whose model missed one asks for a ``full`` snapshot, which carries all of ``messages``.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, get_args

from typing_extensions import NotRequired

from ..turn.parts import ChatMessage, PlacedSpan

__all__ = [
    "LIST_KINDS",
    "STREAM_KINDS",
    "AssetMsg",
    "BeginMsg",
    "CommitMsg",
    "DeltaMsg",
    "DroppedMsg",
    "EndMsg",
    "HelloMsg",
    "KernelMsg",
    "ListKind",
    "MapMsg",
    "MapRecent",
    "MapStopMsg",
    "Partial",
    "ProgressMsg",
    "ReadyMsg",
    "RejectedMsg",
    "RestoreMsg",
    "RetrievedItem",
    "RetrievedMsg",
    "SettingsMsg",
    "SnapshotMsg",
    "StreamKind",
    "ToolCard",
    "ToolMsg",
    "ViewAssetMsg",
    "ViewMsg",
]

# The kinds of streamed text a delta carries, in the order a bubble shows them.
StreamKind = Literal["text", "thinking", "tool_plan"]
STREAM_KINDS: tuple[StreamKind, ...] = get_args(StreamKind)
# The kinds of streamed objects a delta carries as a list of the new ones: Cohere's citation
# objects, sent as they arrive so the view highlights a span once its text and citation are in.
ListKind = Literal["citations", "spans"]
LIST_KINDS: tuple[ListKind, ...] = get_args(ListKind)

Message = ChatMessage  # a Cohere v2 message, possibly with the widget's "_co" record


class Partial(TypedDict):
    """What a streaming reply has shown so far, by stream kind."""

    text: str
    thinking: str
    tool_plan: str
    citations: list[dict[str, Any]]
    spans: list[PlacedSpan]  # the citations placed by the kernel (``_parts.PlacedSpan``)


# --- kernel -> view ------------------------------------------------------------------------------


class BeginMsg(TypedDict):
    """A reply starts: show ``messages[:base]``, then ``user`` (if any), then a live bubble."""

    type: Literal["begin"]
    seq: int
    reply: int  # the reply's number in this chat
    base: int
    user: Message | None  # None when regenerating


class DeltaMsg(TypedDict):
    """More streamed text for reply ``reply``: append each kind present (coalesced, see
    ``session/coalescer``)."""

    type: Literal["delta"]
    seq: int
    reply: int
    text: NotRequired[str]
    thinking: NotRequired[str]
    tool_plan: NotRequired[str]
    citations: NotRequired[list[dict[str, Any]]]  # Cohere citation objects, in arrival order
    spans: NotRequired[list[PlacedSpan]]  # each new citation placed on the text (both units)


class CommitMsg(TypedDict):
    """The conversation changed (reply ``reply`` ended, or undo, clear, an edit, a new
    history): keep ``messages[:base]`` and append ``messages``, whose last one has the parts
    named in ``streamed`` ("text", "thinking", "tool_plan", "citations") left empty: fill them
    from what reply ``reply`` streamed (see ``session/commits``). Made from revision
    ``base_revision``; the result is ``revision``."""

    type: Literal["commit"]
    seq: int
    reply: int | None
    revision: int
    base_revision: int
    base: int
    messages: list[Message]
    streamed: list[str]


class EndMsg(TypedDict):
    """The reply ended; sent right after the ``commit`` of the finished turn."""

    type: Literal["end"]
    seq: int
    reply: int


class ToolCard(TypedDict):
    """One Python tool call as its card shows it. ``status``: "streaming" (the model is still
    writing the arguments; then ``arguments`` is the JSON text so far), "waiting", "running",
    "done", "error", "denied" or "stopped". ``ask``: show Approve/Deny (``approve=True``).
    ``elapsed``: seconds it has run when the card was sent; ``duration`` once it ended.
    ``result``: a short preview of the result (the history holds all of it)."""

    id: str
    name: str
    arguments: Any
    status: Literal["streaming", "waiting", "running", "done", "error", "denied", "stopped"]
    error: NotRequired[str | None]
    duration: NotRequired[float | None]
    elapsed: NotRequired[float | None]
    result: NotRequired[str | None]
    ask: NotRequired[bool]


class ToolMsg(TypedDict):
    """A tool call of reply ``reply`` changed: replace its card (matched by ``call.id``)."""

    type: Literal["tool"]
    seq: int
    reply: int
    call: ToolCard


class SnapshotMsg(TypedDict):
    """The whole truth at ``seq``, for a view that opened mid-stream or saw a gap. ``reply`` is
    None when no reply streams (then ``messages`` is all there is)."""

    type: Literal["snapshot"]
    seq: int
    reply: int | None
    base: int
    user: Message | None
    partial: Partial
    calls: list[ToolCard]  # the reply's tool call cards so far
    revision: int  # the conversation's revision
    messages: NotRequired[list[Message]]  # all of it, when the view asked for a full snapshot


class RejectedMsg(TypedDict):
    """A view's action raised (an empty or malformed message, a busy chat, an Undo too late):
    the views show ``error`` by the composer, and a rejected send gives its text back."""

    type: Literal["rejected"]
    action: str | None  # the type of the view message, if it had one
    error: str


class DroppedMsg(TypedDict):
    """A view's Clear, or an edit that dropped later turns, removed ``count`` messages: the views
    offer Undo for a few seconds, which sends ``restore`` with ``token``."""

    type: Literal["dropped"]
    action: Literal["clear", "edit"]
    count: int
    token: str


class MapRecent(TypedDict):
    """One of the latest rows a ``chat.map`` finished, as its progress card lists them."""

    label: Any  # the row's index label (a DataFrame's) or its position
    status: str  # "done" or "failed"
    text: str  # the start of the reply, or of the error


class MapMsg(TypedDict):
    """Progress of the ``chat.map`` run ``run``: the views show (or update) its progress card.
    Sent a few times a second, and once more when it ends (``state`` "finished" or "stopped")."""

    type: Literal["map"]
    run: str
    total: int
    done: int
    failed: int
    running: int
    resumed: int  # done by an earlier run, read from the results file
    stopped: int
    rate: float  # rows a second
    eta: float | None  # seconds
    elapsed: float
    cost: float | None
    state: Literal["running", "stopping", "finished", "stopped"]
    # The cell waits for the map (``wait=True``): the kernel handles no button until it ends,
    # so the card says to interrupt the kernel instead of offering Stop.
    blocking: bool
    recent: list[MapRecent]


class AssetMsg(TypedDict):
    """A front-end module the view asked for (``session/assets``): its code is the one binary
    buffer."""

    type: Literal["asset"]
    name: str


class ProgressMsg(TypedDict):
    """A corpus is being embedded (``Chat(corpus=...)``): ``done`` of ``total`` chunks, and
    ``wait`` seconds of a rate-limit pause (0: none). ``total`` 0: it is over, hide the bar."""

    type: Literal["progress"]
    done: int
    total: int
    wait: float


class RetrievedItem(TypedDict):
    """One chunk a turn retrieved, as the chip's list shows it."""

    id: str
    score: float  # the rerank relevance score
    label: str  # "row 12", "notes/a.md, part 2"
    snippet: str


class RetrievedMsg(TypedDict):
    """What reply ``reply`` retrieved (the live bubble's chip; the committed message keeps the
    same fields in ``_co.retrieved``)."""

    type: Literal["retrieved"]
    reply: int
    total: int  # chunks in the corpus
    unit: str  # "rows" or "chunks"
    mode: Literal["embed", "rerank"]
    items: list[RetrievedItem]


class ReadyMsg(TypedDict):
    """The kernel's answer to a view's ``hello``: a kernel is behind the view, it may take input."""

    type: Literal["ready"]


KernelMsg = (
    BeginMsg
    | DeltaMsg
    | CommitMsg
    | EndMsg
    | ToolMsg
    | SnapshotMsg
    | RejectedMsg
    | DroppedMsg
    | AssetMsg
    | ProgressMsg
    | RetrievedMsg
    | MapMsg
    | ReadyMsg
)


# --- view -> kernel ------------------------------------------------------------------------------


class ImageMeta(TypedDict):
    """An image attached in the composer; its bytes are the message's buffer of the same index."""

    name: str
    type: str  # the file's MIME type, e.g. "image/png"


class SendMsg(TypedDict):
    """A user message from the composer. With ``images``, the files' bytes travel as the
    message's binary buffers (one per image, in order), never as base64 inside the JSON."""

    type: Literal["send"]
    text: str  # may be empty when images are attached
    images: NotRequired[list[ImageMeta]]


class StopMsg(TypedDict):
    type: Literal["stop"]


class RegenerateMsg(TypedDict):
    type: Literal["regenerate"]


class EditMsg(TypedDict):
    """Replace the user message ``messages[index]`` with ``text`` and ask again."""

    type: Literal["edit"]
    index: int
    text: str


class ClearMsg(TypedDict):
    type: Literal["clear"]


class ViewSnapshotMsg(TypedDict):
    """Ask for the stream's state; ``full``: with the whole conversation (the view's model
    missed a commit)."""

    type: Literal["snapshot"]
    full: NotRequired[bool]


class ApproveMsg(TypedDict):
    """The user's Approve (``approved`` true) or Deny on the card of tool call ``call``."""

    type: Literal["approve"]
    call: str
    approved: bool


class RestoreMsg(TypedDict):
    """Undo: put back the messages of the ``dropped`` message with this token."""

    type: Literal["restore"]
    token: str


class ViewAssetMsg(TypedDict):
    """Ask the kernel for a front-end module (``katex``, ``highlight``)."""

    type: Literal["asset"]
    name: str


class SettingsMsg(TypedDict):
    """The header's model picker or thinking toggle changed (see ``session/header``): applies from
    the next turn. ``thinking`` None means the model's default."""

    type: Literal["settings"]
    model: NotRequired[str]
    thinking: NotRequired[dict[str, Any] | None]


class MapStopMsg(TypedDict):
    """The Stop button of the progress card of ``chat.map`` run ``run``."""

    type: Literal["map_stop"]
    run: str


class HelloMsg(TypedDict):
    """A view rendered, or its kernel restarted: is a kernel there? (answered with ``ready``)"""

    type: Literal["hello"]


ViewMsg = (
    SendMsg
    | StopMsg
    | RegenerateMsg
    | EditMsg
    | ClearMsg
    | ViewSnapshotMsg
    | ApproveMsg
    | RestoreMsg
    | ViewAssetMsg
    | SettingsMsg
    | MapStopMsg
    | HelloMsg
)
