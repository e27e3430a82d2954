"""``chat.map``: one prompt over many rows, each its own conversation, run by an executor.

The map's own thread (the coordinator) renders each row's request (``batch/rows``), skips rows
the results file already holds (``batch/journal``), keeps at most ``concurrency`` rows in the
executor, and records each row once, in the order they finish, to the file; then it assembles
the results in the input's order. Workers only send (``batch/task``); the widget never leaves the
kernel. Progress goes to the chat's views or a terminal bar (``batch/progress``).

A Stop (``handle.stop()``, the card's button, a KeyboardInterrupt in a waiting cell) stops new
rows, cuts the streams running in this process and cancels the executor's queued rows; rows
running elsewhere (a Dask worker) get ``STOP_GRACE`` seconds to finish, then are left behind.
What finished is kept, in the results and the file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..request.pricing import cost_of
from ..request.structured import ResponseFormat, resolve_response_format
from .corpus_rows import RowRetrieval, check_corpus_executor
from .dry_run import DryRun, dry_run_of
from .journal import Journal
from .progress import Progress, TerminalBar, WidgetCard, plain_label
from .rate_limit import per_minute
from .rows import RowPlan, Template, rows_of
from .task import Connection, RowTask, Secret, run_row, stop_run, track_run, untrack_run

if TYPE_CHECKING:
    from ..session.widget import Chat

__all__ = ["COLUMNS", "DryRun", "MapHandle", "start_map"]

# The columns of the results, in order, one row per input row.
COLUMNS = ("status", "text", "parsed", "error", "usage", "cost", "citations")
# Cohere's priority runs from 0 (served first, the default) to 999: a map yields to chat.
MAP_PRIORITY = 999
STOP_GRACE = 2.0
_POLL = 0.1


def start_map(
    chat: Chat,
    rows: Any,
    template: Template,
    *,
    response_format: Any,
    concurrency: int,
    file: str | os.PathLike[str] | None,
    executor: concurrent.futures.Executor | None,
    wait: bool,
    dry_run: bool,
    rate_limit: Any,
    priority: int,
    progress: bool,
) -> Any:
    """``Chat.map``'s body (see its docstring)."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}.")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 999:
        raise ValueError(f"priority must be an integer from 0 (first) to 999, got {priority!r}.")
    if not isinstance(template, str) and not callable(template):
        raise TypeError("template must be a str.format template or a function row -> str | dict.")
    if executor is not None and not isinstance(executor, concurrent.futures.Executor):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (a ThreadPoolExecutor, a "
            "ProcessPoolExecutor, or Dask's client.get_executor())."
        )
    if chat._retrieval is not None:
        check_corpus_executor(executor)
    rate = per_minute(rate_limit)
    plan = RowPlan(
        chat,
        rows_of(rows),
        template,
        resolve_response_format(response_format),
        concurrency,
        priority,
        None if file is None else Journal(file),
    )
    if len(plan.rows):
        # A wrong template or field fails here, before any request; so does a missing key.
        _, body, _ = plan.prepare(0, Counter())
        if not dry_run:
            chat._client.chat_stream(body)  # checks key and URL; sends nothing
    if dry_run:
        return dry_run_of(plan)
    handle = MapHandle(plan, _connection(chat, concurrency, rate), executor, progress, wait)
    if not wait:
        return handle
    try:
        return handle.results()
    except KeyboardInterrupt:
        handle.stop()
        handle._finished.wait()
        raise


def _connection(chat: Chat, concurrency: int, rate: float | None) -> Connection:
    """The chat's connection, resolved here: a worker elsewhere has not our environment."""
    client = chat._client
    key = client._api_key
    if key is None:
        key = os.environ.get("CO_API_KEY") or os.environ.get("COHERE_API_KEY")
    return Connection(
        base_url=client.base_url or os.environ.get("CO_API_URL") or None,
        api_key=Secret(key) if key else None,
        timeout=client.timeout,
        max_retries=client.max_retries,
        concurrency=concurrency,
        rate=rate,
    )


@dataclass(frozen=True)
class _Row:
    """A row on its way: where it goes in the results, its file key, its reply's format."""

    position: int
    key: str = ""
    fmt: ResponseFormat | None = None


class MapHandle:
    """A running ``chat.map`` (``wait=False``): ``progress``, ``results()``, ``await handle``,
    ``stop()``."""

    def __init__(
        self,
        plan: RowPlan,
        connection: Connection,
        executor: concurrent.futures.Executor | None,
        progress: bool,
        blocking: bool = False,
    ) -> None:
        self._plan = plan
        self._connection = connection
        self._run = uuid.uuid4().hex
        self._stop = track_run(self._run)
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            plan.concurrency, thread_name_prefix="co_widget-map"
        )
        self._progress = Progress(len(plan.rows))
        self._price = (plan.chat.model, plan.chat._prices)
        self._records: list[dict[str, Any] | None] = [None] * len(plan.rows)
        self._sinks: list[TerminalBar | WidgetCard] = []
        if _in_kernel():
            self._sinks.append(WidgetCard(self._send_to_views, self._run, blocking))
        elif progress:
            self._sinks.append(TerminalBar())
        # With corpus=, each row searches it first, in this kernel (see _map_corpus).
        retrieval = plan.chat._retrieval
        self._corpus = None if retrieval is None else RowRetrieval(retrieval, self._stop)
        self._result: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._finished = threading.Event()
        plan.chat._maps[self._run] = self
        threading.Thread(target=self._coordinate, name="co_widget-map", daemon=True).start()

    # --- the public side ----------------------------------------------------------------

    @property
    def progress(self) -> dict[str, Any]:
        """Counts so far: total, done, failed, running, resumed, stopped, rate (rows/s), eta
        (s), elapsed (s), cost, state ("running", "stopping", "finished", "stopped") and the
        most recent results."""
        return self._progress.snapshot()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def results(self, timeout: float | None = None) -> Any:
        """Wait for the map to end; the results aligned with the input (a DataFrame for a
        DataFrame, else a list of dicts). Raises TimeoutError if it is still running after
        ``timeout`` seconds."""
        return self._result.result(timeout)

    def __await__(self) -> Generator[Any, None, Any]:
        return asyncio.wrap_future(self._result).__await__()

    def stop(self) -> None:
        """Stop the map (from any thread, idempotent; returns at once): no new rows start,
        running requests are ended, finished rows are kept. ``results()`` then returns with
        status "stopped" for the rows not done."""
        self._stop.set()
        stop_run(self._run)

    def __repr__(self) -> str:
        s = self.progress
        return (
            f"<MapHandle {s['done'] + s['failed']}/{s['total']} rows, {s['failed']} failed, "
            f"{s['state']}>"
        )

    # --- the coordinator's thread --------------------------------------------------------

    def _coordinate(self) -> None:
        plan = self._plan
        result: Any = None
        failure: BaseException | None = None
        try:
            self._loop()
            result = self._assemble()
        except BaseException as error:  # a bug must not leave results() waiting forever
            failure = error
        finally:
            untrack_run(self._run)
            if plan.journal is not None:
                plan.journal.close()
            if self._own_executor:
                self._executor.shutdown(wait=False, cancel_futures=True)
            plan.chat._maps.pop(self._run, None)
            self._finished.set()
            # Last: whoever waits for the results finds the map wholly ended.
            if failure is None:
                self._result.set_result(result)
            else:
                self._result.set_exception(failure)

    def _loop(self) -> None:
        plan, progress = self._plan, self._progress
        done = plan.journal.done() if plan.journal is not None else {}
        if self._corpus is not None:
            self._corpus.warm()
        run: Any = run_row if self._corpus is None else self._corpus
        seen: Counter[str] = Counter()
        pending: dict[concurrent.futures.Future[dict[str, Any]], _Row] = {}
        next_position, deadline = 0, None
        while True:
            while (
                not self._stop.is_set()
                and len(pending) < plan.concurrency
                and next_position < len(plan.rows)
            ):
                position, next_position = next_position, next_position + 1
                try:
                    key, body, fmt = plan.prepare(position, seen)
                except (ValueError, TypeError) as error:
                    self._finish(_Row(position), _failure(error))
                    continue
                if key in done:
                    progress.resumed += 1
                    self._finish(_Row(position, key, fmt), done[key], resumed=True)
                    continue
                task = RowTask(self._run, position, body, self._connection)
                pending[self._executor.submit(run, task)] = _Row(position, key, fmt)
            progress.running = len(pending)
            self._show()
            if not pending:
                break
            finished, _ = concurrent.futures.wait(pending, _POLL, "FIRST_COMPLETED")
            for future in finished:
                self._finish(pending.pop(future), _outcome(future))
            if self._stop.is_set() and deadline is None:
                progress.state = "stopping"
                deadline = _now() + STOP_GRACE
                for future in pending:
                    future.cancel()  # queued rows never start; running ones end on their own
            if deadline is not None and _now() > deadline:
                break  # rows still running elsewhere are left behind, recorded as stopped
        stopped = self._stop.is_set()
        for position, record in enumerate(self._records):
            if record is None:
                self._finish(_Row(position), {"status": "stopped"})
        progress.running = 0
        progress.state = "stopped" if stopped else "finished"
        self._show(final=True)

    def _finish(self, row: _Row, record: dict[str, Any], *, resumed: bool = False) -> None:
        """Record one row: parse it, append it to the file, count it."""
        plan = self._plan
        label = plan.rows.label(row.position)
        # Priced here, where the chat's price table is: a worker only knows the usage.
        record = {**record, "parsed": None, "cost": cost_of(record.get("usage"), *self._price)}
        if record["status"] == "done" and row.fmt is not None and record.get("text") is not None:
            try:
                record["parsed"] = row.fmt.parse(record["text"])
            except ValueError as error:
                record.update(status="failed", error=_failure(error)["error"])
        if plan.journal is not None and row.key and not resumed and record["status"] != "stopped":
            kept = {k: v for k, v in record.items() if k not in ("parsed", "position")}
            plan.journal.append({"key": row.key, "label": plain_label(label), **kept})
        result = {name: record.get(name) for name in COLUMNS}
        result["citations"] = record.get("citations") or []
        self._records[row.position] = result
        self._progress.finish(record, label)

    def _send_to_views(self, message: dict[str, Any]) -> None:
        # Under the chat's lock, like every custom message of the chat (see _lifecycle).
        chat = self._plan.chat
        with chat._runner.lock:
            chat._send_custom(message)

    def _show(self, *, final: bool = False) -> None:
        snapshot = self._progress.snapshot()
        for sink in self._sinks:
            sink.update(snapshot, final=final)

    def _assemble(self) -> Any:
        records = [
            {**record, "error": _error_text(record["error"])}
            for record in self._records
            if record is not None
        ]
        rows = self._plan.rows
        if rows.labels is None:
            return records
        import pandas as pd  # an optional extra, present here: the input was a DataFrame

        return pd.DataFrame(records, index=rows.labels, columns=list(COLUMNS))


def _outcome(future: concurrent.futures.Future[dict[str, Any]]) -> dict[str, Any]:
    try:
        return future.result()
    except concurrent.futures.CancelledError:
        return {"status": "stopped"}
    except Exception as error:  # the executor's failure (a worker that died too often ...)
        return _failure(error)


def _failure(error: BaseException) -> dict[str, Any]:
    return {"status": "failed", "error": {"type": type(error).__name__, "message": str(error)}}


def _error_text(error: Any) -> str | None:
    if not error:
        return None
    message = error.get("message", "")
    status = error.get("status_code")
    where = f"HTTP {status}: " if status else ""
    return f"{error.get('type')}: {where}{message}"


def _now() -> float:
    return time.monotonic()


def _in_kernel() -> bool:
    """In a Jupyter kernel, progress goes to the chat's views; elsewhere, to stderr."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and getattr(shell, "kernel", None) is not None
