"""A reply's whole life in one chat: start, stream, settle, commit, release.

:class:`ReplyRunner` owns what a chat needs to run one reply at a time: the chat's lock, the
active :class:`Turn`, and the numbering of the stream messages (see ``session/protocol``). ``Chat``
only wires it: it hands over how to build a request body and how to send a custom message, and it
reads and writes its ``messages`` and ``status`` traits through the runner's lock.

The life of a reply:

1. **start** (caller's thread, under the lock): the chat must be idle; the base history and the
   request body are built first, so a bad argument raises before anything changes. Then the turn
   becomes active, ``status`` turns "streaming", ``begin`` goes out and the worker starts. If any
   of that fails, the chat is put back as it was.
2. **stream** (worker thread): the turn's :class:`~co_widget.turn.engine.Engine` runs the model
   calls and tool calls and yields typed events; the runner consumes them: appended pieces go
   through the turn's coalescer as numbered ``delta`` messages, patched tool cards as ``tool``
   messages.
3. **settle**: the turn's final status is fixed once (first settle wins).
4. **commit** (under the lock): the finished turn joins ``messages``, ``status`` turns "idle",
   ``end`` goes out.
5. **release**: ``wait()``/``result()``/``await`` wake, and see the turn in ``chat.history``.

Steps 3 to 5 run exactly once per turn, in a ``finally``: whatever fails (a bug, a
``RecursionError`` from a hostile record, an error while committing), the chat ends idle with the
turn recorded, and the next ``send()`` works. A stop that the stream cannot obey at once (a
connect, DNS lookup or TLS handshake blocked in the OS) finishes the turn from a timer after
``STOP_GRACE`` seconds; the worker is then abandoned, and whatever it produces later is dropped.

Lock order, the one place it is written: a turn's coalescer lock, then the chat's lock (a flush
sends its delta under the chat's lock). Never take a coalescer's lock while holding the chat's.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ..request.boundary import error_text
from ..turn.engine import Ended, Engine, PartAppended, PartPatched
from ..turn.parts import error_record, with_record
from ..turn.reply import Reply
from ..turn.state import TurnState
from ..turn.tool_turn import ToolTurn
from ..wire.client import CohereClient
from ..wire.errors import ChatBusyError, CohereError
from .coalescer import DeltaCoalescer
from .commits import commit_fields
from .conversation import validate_history
from .protocol import Partial

__all__ = ["STOP_GRACE", "ReplyRunner", "Turn"]

Messages = list[dict[str, Any]]

# How long a stopped reply may take to end on its own before the runner ends it (the client
# normally ends a cancelled stream within a few milliseconds).
STOP_GRACE = 0.3
_NO_PARTIAL = Partial(text="", thinking="", tool_plan="", citations=[], spans=[])


class Host(Protocol):
    """What the runner needs from the widget."""

    messages: Messages
    revision: int
    status: str

    def quiet(self, *names: str) -> AbstractContextManager[None]: ...

    def _slim(self, messages: Messages) -> Messages: ...

    def _send_custom(self, content: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class Turn:
    rid: int  # the reply's number in this chat: the views match deltas to it
    base: Messages  # the messages kept before the exchange (a prefix of messages)
    user: dict[str, Any] | None  # the new user message; None when regenerating
    coalescer: DeltaCoalescer
    reply: Reply
    engine: Engine  # the turn's loop: its events are consumed by the runner
    finished: bool = False  # committed (guarded by the chat's lock)

    @property
    def body(self) -> dict[str, Any]:
        """The request (retrieval may add documents to it before the first model call)."""
        return self.engine.body

    @body.setter
    def body(self, body: dict[str, Any]) -> None:
        self.engine.body = body

    @property
    def state(self) -> TurnState:
        return self.engine.state


class ReplyRunner:
    def __init__(self, host: Host, client: CohereClient) -> None:
        self.host = host
        self.client = client
        self.lock = threading.RLock()  # the chat's lock: every trait write and custom message
        self.active: Turn | None = None
        self._seq = 0
        self._reply_ids = itertools.count(1)
        # Called after each commit, outside the lock, before the reply is released (file=:
        # wait for the turn's autosave, so wait() returns with it on disk).
        self.after_commit: Callable[[], None] | None = None

    # --- 1. start -------------------------------------------------------------------------------

    def check_idle(self) -> None:
        if self.active is not None:
            raise ChatBusyError("A reply is still streaming in this chat.")

    def start(
        self,
        base_of: Callable[[Messages], Messages],
        user: dict[str, Any] | None,
        build_body: Callable[[Messages], dict[str, Any]],
        reply: Reply | None = None,
        tools: Callable[[TurnState], ToolTurn] | None = None,
        prepare: Callable[[Turn], CohereError | None] | None = None,
    ) -> Reply:
        """Start a reply to ``base_of(messages) + [user]``; return its Reply at once (``reply``,
        if given: one made with the request's response_format). ``tools(state)`` makes the
        turn's tool calls, when the chat has Python tools; ``prepare(turn)`` runs in the worker
        before the first model call."""
        with self.lock:
            self.check_idle()
            base = base_of(self.host.messages)
            asked = base + ([user] if user else [])
            body = build_body(asked)
            rid = next(self._reply_ids)
            coalescer = DeltaCoalescer(self._delta_sender(rid))
            reply = reply or Reply()
            state = reply._state
            state.set_history(asked)  # its tool calls name the tool results cited
            engine = Engine(self.client, state, body, tools(state) if tools else None)
            turn = Turn(rid, base, user, coalescer, reply, engine)
            if prepare is not None:
                engine.prepare = functools.partial(prepare, turn)
            try:
                self.active = turn
                self._seq = 0
                self.host.status = "streaming"
                self._publish("begin", reply=rid, base=len(base), user=user)
                threading.Thread(
                    target=self._run, args=(turn,), name=f"co_widget-reply-{rid}", daemon=True
                ).start()
            except BaseException:
                self.active = None
                self.host.status = "idle"
                raise
        return turn.reply

    # --- 2. stream ------------------------------------------------------------------------------

    def _run(self, turn: Turn) -> None:
        """The worker thread: consume the engine's events."""
        error: CohereError | None = None
        try:
            with turn.coalescer:
                error = self._consume(turn)
        except BaseException as exc:  # a bug, or RecursionError/MemoryError: never a stuck chat
            error = _unexpected(exc)
        finally:
            self._finish(turn, error)

    def _consume(self, turn: Turn) -> CohereError | None:
        add = turn.coalescer.add
        for event in turn.engine.events():
            if type(event) is PartAppended:
                add(*event)  # once per delta: the fastest call
            elif type(event) is PartPatched:
                self._send_card(turn.rid, event.card)
            elif type(event) is Ended:
                return event.error
            # StepArchived: nothing to send; the commit brings the step to the views.
        return None

    def cancel(self) -> Reply | None:
        """Stop the active reply (any thread, returns at once); see the module docstring."""
        turn = self.active
        if turn is None:
            return None
        turn.reply.cancel()
        timer = threading.Timer(STOP_GRACE, self._finish, args=(turn, None))
        timer.daemon = True
        timer.start()
        return turn.reply

    # --- 3-5. settle, commit, release -------------------------------------------------------------

    def _finish(self, turn: Turn, error: CohereError | None) -> None:
        """Settle, commit and release ``turn``, once, whoever calls first (the worker or the
        stop timer). Never raises."""
        with self.lock:
            if turn.finished:
                return
            turn.finished = True
        try:
            turn.coalescer.close()  # the coalescer's lock, before the chat's: see the lock order
            turn.state.settle(error)
            message = with_record(turn.state.message, turn.state.metadata())
            tools = turn.engine.tools
            steps = tools.transcript() if tools is not None else []
            # The turn's own checks: what it adds must pass the chat's validator, or the next
            # send and every save would fail. Then it is committed as an error instead.
            added = validate_history([*steps, message])
        except Exception as exc:
            failure = _unexpected(exc)
            turn.state.settle(failure, force=True)
            added = [{"role": "assistant", "content": "", "_co": error_record(failure.to_dict())}]
        messages = [*turn.base, *([turn.user] if turn.user else []), *added]
        try:
            with self.lock:
                self.active = None
                try:
                    self.commit(messages, turn)
                finally:
                    self.host.status = "idle"
                    self._publish("end", reply=turn.rid)
        except Exception:
            # The views could not be told (a closed comm, say). The chat is idle, and the
            # waiters below wake all the same: nothing is left stuck.
            pass
        finally:
            try:
                if self.after_commit is not None:
                    self.after_commit()
            finally:
                turn.reply._release()

    # --- the conversation ------------------------------------------------------------------------

    def commit(self, messages: Messages, turn: Turn | None = None) -> None:
        """Make ``messages`` the conversation (hold the lock). The kernel's trait takes it at
        once, without its own sync, which would send every message again; the views get a
        ``commit`` of what changed (``session/commits``), so a turn costs what it adds, however long
        the history. ``turn``: the reply that ends with this commit; what it streamed is not sent
        twice. If the views cannot be told, nothing changed."""
        host = self.host
        messages = host._slim(messages)  # big data stays in the kernel
        before, revision = host.messages, host.revision
        streamed: list[Partial] = []
        if turn is not None:
            turn.coalescer.snapshot(streamed.append)  # all it sent: it is closed
        with host.quiet("messages", "revision"):
            host.messages, host.revision = messages, revision + 1
        try:
            self._publish(
                "commit",
                reply=turn.rid if turn is not None else None,
                revision=revision + 1,
                base_revision=revision,
                **commit_fields(before, messages, streamed[0] if streamed else None),
            )
        except BaseException:
            with host.quiet("messages", "revision"):
                host.messages, host.revision = before, revision
            raise

    # --- the stream messages --------------------------------------------------------------------

    def _publish(self, kind: str, **fields: Any) -> None:
        """Send one numbered stream message to the views (hold the lock)."""
        self.host._send_custom({"type": kind, "seq": self._seq, **fields})
        self._seq += 1

    def _delta_sender(self, rid: int) -> Callable[[dict[str, str]], None]:
        def send_delta(parts: dict[str, str]) -> None:
            with self.lock:
                turn = self.active
                if turn is not None and turn.rid == rid:  # never after the turn's end
                    self._publish("delta", reply=rid, **parts)

        return send_delta

    def _send_card(self, rid: int, card: dict[str, Any]) -> None:
        with self.lock:
            turn = self.active
            if turn is not None and turn.rid == rid:  # never after the turn's end
                self._publish("tool", reply=rid, call=card)

    def answer_snapshot(self, full: bool = False) -> None:
        """Answer a view that opened mid-stream or saw a gap; ``full``: its model missed a
        commit, so the snapshot carries the whole conversation."""
        turn = self.active
        if turn is None:
            with self.lock:
                self._publish_snapshot(None, _NO_PARTIAL, full)
        else:
            # Through the coalescer: the partial must be exactly the deltas sent before it.
            turn.coalescer.snapshot(lambda partial: self._publish_snapshot(turn, partial, full))

    def _publish_snapshot(self, turn: Turn | None, partial: Partial, full: bool) -> None:
        with self.lock:
            current = self.active
            conversation: dict[str, Any] = {"revision": self.host.revision}
            if full:
                conversation["messages"] = self.host.messages
            if current is None:  # idle, or the reply ended meanwhile and messages has it
                base = len(self.host.messages)
                self._publish(
                    "snapshot",
                    reply=None,
                    base=base,
                    user=None,
                    partial=_NO_PARTIAL,
                    calls=[],
                    **conversation,
                )
            elif current is turn:
                tools = turn.engine.tools
                calls = tools.cards() if tools is not None else []
                self._publish(
                    "snapshot",
                    reply=turn.rid,
                    base=len(turn.base),
                    user=turn.user,
                    partial=partial,
                    calls=calls,
                    **conversation,
                )
            # else a new reply began meanwhile: its begin message already reset every view.


def _unexpected(exc: BaseException) -> CohereError:
    return CohereError(
        f"Streaming failed: {error_text(exc)}",
        hint="This is a co_widget bug or a hostile server; the chat is still usable.",
    )
