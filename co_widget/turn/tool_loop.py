"""The tool loop: ask the model, run the tools it calls, hand back the results, ask again.

It knows nothing of HTTP or widgets. :meth:`ToolLoop.run` takes ``stream_step(messages)``, which
streams one model call for ``messages`` and returns a :class:`StepOutcome`, and returns the
messages the loop added (assistant turns and tool messages, ready for the history); tests drive
it with FakeCohere or a plain list. The turn's engine (``turn/engine``) owns the loop instead and
uses its steps one by one: :meth:`ToolLoop.after_step` (archive a model call's message, make the
records of its calls), :meth:`ToolLoop.start_calls`, and the ``on_update`` snapshots, which it
drains from a queue while the calls run.

Threads: the loop runs in the reply's worker thread; each tool call runs in a daemon thread of
its own (parallel calls run concurrently, and never on the kernel's main thread). A call goes
through ``waiting`` (approval in the widget), ``running``, then ``done``, ``error`` or
``denied``; Stop makes every unfinished call ``stopped`` at once. A function cannot be killed:
it finishes in its thread, and its late result is discarded. Every tool call always gets a tool
message (a stopped call says so), so the history stays valid for the next request.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

from ..request.boundary import (
    MAX_TOOL_RESULT,
    error_text,
    materialise,
    preview,
    tool_arguments,
    tool_result,
)
from ..request.tool_schema import Tool, ToolArgumentsError, ToolSet

__all__ = [
    "StepOutcome",
    "ToolCallRecord",
    "ToolLoop",
    "check_approve",
    "check_max_steps",
]

FINAL_STATUSES = ("done", "error", "denied", "stopped")

DENIED_TEXT = "The user denied this tool call, so it was not run. Answer without its result."
BROKEN_TEXT = "not run: the model's reply broke off before it was complete"
STOPPED_TEXT = "The user stopped the reply before this tool call finished; there is no result."

Approve = bool | Callable[[str, dict[str, Any]], bool]


@dataclasses.dataclass
class ToolCallRecord:
    """One tool call of a reply (``reply.calls``): a snapshot, safe to keep.

    ``status``: "waiting" (for approval in the widget), "running", "done", "error", "denied" or
    "stopped". ``arguments`` is the decoded JSON object (the raw string when it is not JSON);
    ``result`` is what the function returned (status "done"); ``error`` says what went wrong
    (status "error"); ``duration`` is the function's run time in seconds (None if it never ran
    or is still running). ``step`` is the number of the model call (0-based) that asked for it.
    """

    id: str
    name: str
    arguments: Any
    step: int
    status: str = "waiting"
    result: Any = None
    error: str | None = None
    duration: float | None = None
    _started: float | None = dataclasses.field(default=None, repr=False)
    # What the boundary made of the call: its result's tool-message content (once "done"), and
    # why its arguments were refused (then it never runs).
    _content: list[dict[str, Any]] | None = dataclasses.field(default=None, repr=False)
    _refused: str | None = dataclasses.field(default=None, repr=False)
    _raw: str | None = dataclasses.field(default=None, repr=False)  # the model's JSON text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary for the views and the saved notebook (no Python objects); the
        arguments as a bounded preview (the history keeps them whole)."""
        content = self._content if self.status == "done" else None
        return {
            "id": self.id,
            "name": self.name,
            "arguments": preview(self.arguments),
            "status": self.status,
            "error": self.error,
            "duration": self.duration,
            # How long it has run so far: the card's clock starts from it, whatever the
            # browser's clock says.
            "elapsed": None
            if self._started is None or self.duration is not None
            else time.time() - self._started,
            "result": content,
        }


@dataclasses.dataclass(frozen=True)
class StepOutcome:
    """What one model call produced: its assistant ``message`` (None if nothing arrived),
    its ``finish_reason``, and ``ok`` (False when it failed or was stopped: the loop ends)."""

    message: dict[str, Any] | None
    finish_reason: str | None
    ok: bool


@dataclasses.dataclass(frozen=True)
class LoopEnd:
    """``final``: the last model call's message when the loop did not archive it (the answer,
    or calls handed back); ``capped``: max_steps model calls were made and the model still
    called tools; ``handed_back``: calls to raw dict tools, left to the user to answer."""

    final: dict[str, Any] | None
    capped: bool = False
    handed_back: bool = False


def check_approve(approve: Any) -> Approve:
    if isinstance(approve, bool) or callable(approve):
        checked: Approve = approve
        return checked
    raise TypeError(
        "approve must be False (run tool calls without asking), True (ask in the widget) or "
        f"a function(name, arguments) -> bool, got {type(approve).__name__}."
    )


def check_max_steps(max_steps: Any) -> int:
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(
            f"max_steps must be an integer >= 1 (model calls per reply), got {max_steps!r}."
        )
    return max_steps


class ToolLoop:
    """One reply's tool loop. ``on_update(record)`` is called (from any thread) with a snapshot
    each time a call changes; ``decide(call_id, approved)`` is the widget's Approve/Deny."""

    def __init__(
        self,
        tools: ToolSet,
        approve: Approve = False,
        max_steps: int = 10,
        on_update: Callable[[ToolCallRecord], None] | None = None,
        on_archive: Callable[[dict[str, Any]], None] | None = None,
        max_result: int = MAX_TOOL_RESULT,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self._tools = tools
        self._approve = approve
        self._max_steps = max_steps
        self._max_result = max_result  # bytes of a result or of a call's arguments
        self._on_update = on_update or (lambda record: None)
        self._on_archive = on_archive or (lambda message: None)
        self._on_warning = on_warning or (lambda text: None)
        self._steps: list[dict[str, Any]] = []  # archived assistant messages with tool calls
        self._lock = threading.Lock()
        self._records: list[ToolCallRecord] = []
        self._decisions: dict[str, concurrent.futures.Future[bool]] = {}
        self._asking: dict[str, str] = {}  # id -> name of each call waiting for the widget now
        self._stop = threading.Event()
        # Done once stop() was called: running calls are waited for together with it, so a
        # Stop ends the wait at once instead of at the next poll.
        self._stopped: concurrent.futures.Future[None] = concurrent.futures.Future()

    @property
    def calls(self) -> list[ToolCallRecord]:
        with self._lock:
            return [dataclasses.replace(record) for record in self._records]

    @property
    def asks(self) -> bool:
        """True when calls wait for the widget's Approve/Deny (``approve=True``)."""
        return self._approve is True

    @property
    def stopping(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    def asking(self) -> list[str]:
        """The names of the calls waiting for the widget's answer at this moment."""
        with self._lock:  # an answered call no longer waits, even before its worker wakes
            return [
                name
                for call_id, name in self._asking.items()
                if not self._decisions[call_id].done()
            ]

    def stop(self) -> None:
        """Stop (any thread): unfinished calls end "stopped" now (a pending approval too: it
        was never answered, so it is no denial), then the waiting workers are released."""
        self._stop.set()
        with self._lock:
            pending = [r for r in self._records if r.status not in FINAL_STATUSES]
            decisions = list(self._decisions.values())
            if not self._stopped.done():
                self._stopped.set_result(None)
        for record in pending:
            self._finish(record, "stopped")
        for decision in decisions:
            if not decision.done():
                decision.set_result(False)

    def decide(self, call_id: str, approved: bool) -> bool:
        """The user's answer for a call waiting for approval; False if none was waiting."""
        with self._lock:
            decision = self._decisions.get(call_id)
        if decision is None or decision.done():
            return False
        decision.set_result(approved is True)  # only a real True approves, as with approve=
        return True

    def run(
        self,
        messages: list[dict[str, Any]],
        stream_step: Callable[[list[dict[str, Any]]], StepOutcome],
    ) -> LoopEnd:
        """Ask, run the calls, repeat: at most ``max_steps`` model calls.

        ``stream_step(messages + transcript())`` makes each model call. Every assistant message
        with tool calls is archived (``on_archive(message)``, then ``transcript()`` holds it and
        its tool messages); the last model call's message, when it is the answer or tool calls
        handed back to the user, is ``LoopEnd.final`` instead.
        """
        for step in range(self._max_steps):
            outcome = stream_step([*messages, *self.transcript()])
            end, records = self.after_step(outcome, step)
            if end is not None:
                return end
            self.wait_calls(self.start_calls(records))
            if self._stop.is_set():
                return LoopEnd(None)
        return LoopEnd(None, capped=True)

    def after_step(
        self, outcome: StepOutcome, step: int
    ) -> tuple[LoopEnd | None, list[ToolCallRecord]]:
        """What model call ``step`` asked for: ``(end, [])`` when the loop ends here, else
        ``(None, records)`` of the calls to run (their message archived: ``on_archive``)."""
        message = outcome.message
        calls = (message or {}).get("tool_calls") or []
        if message is None or not calls:
            return LoopEnd(message), []
        going = outcome.ok and not self._stop.is_set()
        if going and self._hands_back(calls):
            # Raw dict tools are the user's to run: the reply ends at TOOL_CALL as before.
            return LoopEnd(message, handed_back=True), []
        # Stopped or broken after some calls were complete: they are never run, but each
        # still gets its tool message, or the next request would be rejected.
        records = [self._add_record(call, step) for call in calls]
        if not going:
            for record in records:
                if self._stop.is_set():
                    self._finish(record, "stopped")
                else:
                    self._finish(record, "error", error=BROKEN_TEXT)
        with self._lock:
            self._steps.append(copy.deepcopy(message))
        self._on_archive(message)
        return (None if going else LoopEnd(None)), records

    def transcript(self) -> list[dict[str, Any]]:
        """The archived assistant messages, each followed by the tool messages of its calls.

        Valid at any moment: a call that has not finished reads as stopped, which it is once
        the loop is stopped, so a reply ended by Stop commits a history the API accepts.
        """
        with self._lock:
            records = {record.id: dataclasses.replace(record) for record in self._records}
            steps = copy.deepcopy(self._steps)
        messages = []
        for message in steps:
            messages.append(message)
            messages += [_tool_message(records[call["id"]]) for call in message["tool_calls"]]
        return messages

    def _hands_back(self, calls: list[dict[str, Any]]) -> bool:
        names = {call["function"]["name"] for call in calls}
        raw = {(spec.get("function") or {}).get("name") for spec in self._tools.specs}
        return bool(names & (raw - set(self._tools.functions)))

    # --- one step's calls ---------------------------------------------------------------------

    def start_calls(self, records: list[ToolCallRecord]) -> list[concurrent.futures.Future[None]]:
        """Run each call in a daemon thread of its own; each future is done when its call is."""
        futures = []
        for record in records:
            future: concurrent.futures.Future[None] = concurrent.futures.Future()
            tool = self._tools.functions.get(record.name)
            threading.Thread(
                target=self._call_worker,
                args=(record, tool, record._raw, future),
                name=f"co_widget-tool-{record.name}",
                daemon=True,
            ).start()
            futures.append(future)
        return futures

    def wait_calls(
        self, futures: list[concurrent.futures.Future[None]], timeout: float | None = None
    ) -> bool:
        """Wait until every call ended, or Stop, or ``timeout``; True when none is left to wait
        for (Stop counts: its late results are discarded)."""
        running = set(futures)
        deadline = None if timeout is None else time.monotonic() + timeout
        while running and not self._stopped.done():
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            _, running = concurrent.futures.wait(
                [*running, self._stopped], left, return_when=concurrent.futures.FIRST_COMPLETED
            )
            running.discard(self._stopped)
            if deadline is not None and time.monotonic() >= deadline:
                break
        return not running or self._stopped.done()

    def _add_record(self, call: dict[str, Any], step: int) -> ToolCallRecord:
        function = call["function"]
        arguments = tool_arguments(function.get("arguments"), self._max_result)
        record = ToolCallRecord(
            id=call["id"],
            name=function["name"],
            arguments=arguments.value,
            step=step,
            _refused=arguments.problem,
            _raw=function.get("arguments"),
        )
        with self._lock:
            self._records.append(record)
            if self._approve is True:
                # Ready before the call is visible: an answer can never arrive too early.
                self._decisions[record.id] = concurrent.futures.Future()
        return record

    def _call_worker(
        self,
        record: ToolCallRecord,
        tool: Tool | None,
        raw: str | None,
        future: concurrent.futures.Future[None],
    ) -> None:
        try:
            self._call(record, tool, raw)
        except BaseException as error:  # the model sees every failure
            self._finish(record, "error", error=error_text(error))
        finally:
            future.set_result(None)

    def _call(self, record: ToolCallRecord, tool: Tool | None, raw: str | None) -> None:
        if tool is None:
            known = ", ".join(sorted(self._tools.functions)) or "none"
            self._finish(record, "error", error=f"unknown tool {record.name!r} (tools: {known})")
            return
        try:
            if record._refused is not None:
                raise ToolArgumentsError(record._refused)
            arguments = tool.parse_arguments(raw)
        except ToolArgumentsError as error:
            self._finish(record, "error", error=f"invalid arguments: {error}")
            return
        self._update(record)  # the card appears, waiting
        if not self._approved(record):
            # Released by Stop (or a kernel interrupt), the call was never answered: stopped.
            self._finish(record, "stopped" if self._stop.is_set() else "denied")
            return
        with self._lock:
            if record.status in FINAL_STATUSES:
                return  # stopped while approval was pending: never run
            record.status = "running"
            record._started = time.time()
        self._update(record)
        value = tool.call(arguments)
        if tool.is_async:
            value = asyncio.run(value)
        value = materialise(value)  # read a generator once: the model and the card see it all
        try:
            content = tool_result(value, self._max_result)
        except ValueError as error:
            self._finish(record, "error", error=f"the result was refused: {error}")
            return
        self._finish(record, "done", result=value, _content=content)

    def _approved(self, record: ToolCallRecord) -> bool:
        if self._approve is False:
            return True
        if self._approve is True:
            with self._lock:
                decision = self._decisions[record.id]
            if self._stop.is_set():
                return False
            with self._lock:
                self._asking[record.id] = record.name
            try:
                return decision.result()
            finally:
                with self._lock:
                    del self._asking[record.id]
        verdict = self._approve(record.name, copy.deepcopy(record.arguments))
        if not isinstance(verdict, bool):  # "no" is truthy: only a real True approves
            self._on_warning(
                f"approve returned a {type(verdict).__name__}, not a bool: the call "
                f"{record.name!r} was denied. Return True or False."
            )
            return False
        return verdict

    def _finish(self, record: ToolCallRecord, status: str, **fields: Any) -> None:
        with self._lock:
            if record.status in FINAL_STATUSES:
                return  # already stopped: a late result is discarded
            record.status = status
            for name, value in fields.items():
                setattr(record, name, value)
            if record._started is not None:
                record.duration = time.time() - record._started
        self._update(record)

    def _update(self, record: ToolCallRecord) -> None:
        with self._lock:
            snapshot = dataclasses.replace(record)
        self._on_update(snapshot)


def _tool_message(record: ToolCallRecord) -> dict[str, Any]:
    if record.status == "done" and record._content is not None:
        content = record._content
    elif record.status == "denied":
        content = [{"type": "text", "text": DENIED_TEXT}]
    elif record.status == "error":
        content = [{"type": "text", "text": f"Error: {record.error}"}]
    else:
        content = [{"type": "text", "text": STOPPED_TEXT}]
    return {"role": "tool", "tool_call_id": record.id, "content": content}
