"""One row of ``chat.map``, as an executor runs it: a picklable :class:`RowTask` and
:func:`run_row`, which asks Cohere and returns a plain-JSON record.

A task carries the request body and how to connect, never the widget or the chat, so any
``concurrent.futures.Executor`` can run it: a thread pool, a process pool, a Dask cluster. The API
key travels as a :class:`Secret`, whose repr hides it (a printed task, a Dask task's repr, a
traceback's locals show ``Secret('<hidden>')``).

Pacing and retries happen here, in the process that sends: the model's shared
:class:`~co_widget.batch.rate_limit.RateLimiter` admits each attempt and learns from its 429s, and a
row is asked again after a 429, a 5xx, a connection error or a stream that broke, up to the
chat's ``max_retries`` (its back-off, honouring ``Retry-After``). The row is recorded once,
whatever happened to its attempts, so nothing is sent twice into the results.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..turn.reply import Reply
from ..wire.chat_stream import _backoff
from ..wire.client import CohereClient
from ..wire.errors import (
    CohereConnectionError,
    CohereError,
    CohereTimeoutError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
    StreamTooLargeError,
)
from .rate_limit import limiter_for

__all__ = ["Connection", "RowTask", "Secret", "run_row", "stop_run", "track_run", "untrack_run"]

_RETRYABLE = (RateLimitError, ServerError, CohereConnectionError, CohereTimeoutError)
# A server asking for a longer pause fails the row (as the client does) instead of a long sleep.
_MAX_SERVER_WAIT = 60.0


class Secret:
    """The API key, on its way to a worker: picklable, never shown."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('<hidden>')"

    def __getstate__(self) -> str:
        return self._value

    def __setstate__(self, state: str) -> None:
        self._value = state


@dataclass(frozen=True)
class Connection:
    """Where and how a worker sends: the chat's client settings and the map's pacing."""

    base_url: str | None
    api_key: Secret | None
    timeout: float
    max_retries: int
    concurrency: int
    rate: float | None  # requests a minute, or None: the server paces


@dataclass(frozen=True)
class RowTask:
    """One row's request. ``position`` is the row's place in the input."""

    run: str  # the map's id: a Stop in this process finds the run's streams by it
    position: int
    body: dict[str, Any] = field(repr=False)
    connection: Connection


# --- Stop, for the rows running in this process ---------------------------------------------


@dataclass
class _Run:
    stop: threading.Event = field(default_factory=threading.Event)
    replies: set[Reply] = field(default_factory=set)  # the rows streaming now


_runs: dict[str, _Run] = {}
_runs_lock = threading.Lock()


def track_run(run: str) -> threading.Event:
    """Register a map started in this process; returns its stop event."""
    with _runs_lock:
        return _runs.setdefault(run, _Run()).stop


def untrack_run(run: str) -> None:
    with _runs_lock:
        _runs.pop(run, None)


def stop_run(run: str) -> None:
    """Stop the run's rows in this process: waiting ones give up, streaming ones are cut."""
    with _runs_lock:
        state = _runs.get(run)
        replies = list(state.replies) if state else []
    if state is not None:
        state.stop.set()
    for reply in replies:
        reply.cancel()  # cuts its stream; the reply ends "stopped", keeping nothing as done


def _run_state(run: str) -> _Run:
    # In another process (a process pool, a Dask worker) the run is unknown: its rows are
    # stopped by cancelling their futures, not from here.
    with _runs_lock:
        return _runs.get(run) or _Run()


# --- Sending ---------------------------------------------------------------------------------

_clients: dict[Connection, CohereClient] = {}
_clients_lock = threading.Lock()


def _client_for(connection: Connection) -> CohereClient:
    """One client (one connection pool) per settings and process; it retries nothing itself."""
    with _clients_lock:
        client = _clients.get(connection)
        if client is None:
            key = connection.api_key.reveal() if connection.api_key is not None else None
            client = _clients[connection] = CohereClient(
                api_key=key,
                base_url=connection.base_url,
                timeout=connection.timeout,
                max_retries=0,
                pool_size=max(10, connection.concurrency),
            )
        return client


def run_row(task: RowTask) -> dict[str, Any]:
    """Ask for one row; return its record (see :func:`_record`). Never raises for the API's
    errors: a row that failed is a record with ``status`` "failed"."""
    connection = task.connection
    state = _run_state(task.run)
    limiter = limiter_for(
        connection.base_url or "", task.body["model"], connection.concurrency, connection.rate
    )
    client = _client_for(connection)
    attempts = 0
    while True:
        if not limiter.acquire(state.stop):
            return _record(task, None, None, attempts, stopped=True)
        attempts += 1
        reply, error = Reply(), None
        try:
            reply, error = _ask(client, task.body, state)
        finally:
            limiter.release(
                throttled=isinstance(error, RateLimitError),
                retry_after=getattr(error, "retry_after", None),
            )
        if state.stop.is_set():
            return _record(task, reply, error, attempts, stopped=True)
        wait = _retry_wait(error, attempts - 1, connection.max_retries)
        if wait is None:
            return _record(task, reply, error, attempts)
        if state.stop.wait(wait):
            return _record(task, reply, error, attempts, stopped=True)


def _ask(
    client: CohereClient, body: dict[str, Any], state: _Run
) -> tuple[Reply, CohereError | None]:
    """One attempt: the reply built from the stream's events, and what ended it badly."""
    reply = Reply()
    turn = reply._state
    error: CohereError | None = None
    stream = client.chat_stream(body)
    turn.attach(stream)
    with _runs_lock:
        state.replies.add(reply)
    try:
        if state.stop.is_set():
            reply.cancel()
        for event in stream:
            turn.feed(event)
    except CohereError as exc:
        error = exc
    finally:
        with _runs_lock:
            state.replies.discard(reply)
    turn.settle(error)
    reply._release()
    return reply, reply.error


def _retry_wait(error: CohereError | None, retry: int, max_retries: int) -> float | None:
    """Seconds to wait before asking again, or None: the row is over."""
    retryable = isinstance(error, _RETRYABLE) or (
        # A stream that broke is asked again whole: a map row keeps no partial reply.
        isinstance(error, StreamInterruptedError) and not isinstance(error, StreamTooLargeError)
    )
    if error is None or not retryable or retry >= max_retries:
        return None
    wait = getattr(error, "retry_after", None)
    if wait is None:
        return _backoff(retry)
    return None if wait > _MAX_SERVER_WAIT else float(wait)


def _record(
    task: RowTask,
    reply: Reply | None,
    error: CohereError | None,
    attempts: int,
    *,
    stopped: bool = False,
) -> dict[str, Any]:
    """The row's result as plain JSON (it crosses processes and goes into the file)."""
    if reply is None or (stopped and reply.status != "complete"):
        # Not run, or cut short: nothing of it is kept (a re-run with file= asks again).
        return {"position": task.position, "status": "stopped", "attempts": attempts}
    status = "done" if error is None else "failed"
    return {
        "position": task.position,
        "status": status,
        "text": reply.text,
        "error": error.to_dict() if error is not None else None,
        "usage": reply.usage,
        "citations": reply.citations,
        "finish_reason": reply.finish_reason,
        "attempts": attempts,
    }
