"""``chat.map`` on a chat with ``corpus=``: each row searches the corpus as a turn does (its
question embedded, the nearest chunks reranked) and sends the top chunks as documents.

The corpus and its vectors live in this kernel, so rows that search it run in threads here (the
default executor, or a ``ThreadPoolExecutor``). The corpus is embedded once, before the rows
start, so that rows running side by side never embed it twice.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import threading
from typing import TYPE_CHECKING, Any

from ..request.documents import merge_documents
from ..retrieval.search import retrieval_query
from ..wire.errors import CohereError
from .task import RowTask, run_row

if TYPE_CHECKING:
    from ..retrieval.corpus_turn import ChatRetrieval

__all__ = ["RowRetrieval", "check_corpus_executor"]


def check_corpus_executor(executor: concurrent.futures.Executor | None) -> None:
    if executor is not None and not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
        raise ValueError(
            "This chat has a corpus=, which lives in this kernel: its rows can only run in "
            "threads here. Leave executor= unset (or pass a ThreadPoolExecutor)."
        )


class RowRetrieval:
    """Runs a row after searching the chat's corpus for it (called in an executor thread)."""

    def __init__(self, retrieval: ChatRetrieval, stop: threading.Event) -> None:
        self._retrieval = retrieval
        self._stop = stop

    def warm(self) -> None:
        """Embed the corpus's new chunks now, once (a no-op when they all have vectors)."""
        retrieval = self._retrieval
        if len(retrieval.corpus):
            # A failure here is not fatal: each row then embeds what is missing, and fails alone.
            with contextlib.suppress(CohereError):
                retrieval.retriever.embed_corpus(retrieval.corpus, self._stop)

    def __call__(self, task: RowTask) -> dict[str, Any]:
        retrieval = self._retrieval
        body = task.body
        query = retrieval_query(body["messages"], retrieval.options.turns)
        if query and len(retrieval.corpus):
            try:
                found = retrieval.retriever.retrieve(query, retrieval.corpus, self._stop)
            except CohereError as error:
                return {"position": task.position, "status": "failed", "error": error.to_dict()}
            if found is None:  # stopped
                return {"position": task.position, "status": "stopped"}
            documents = merge_documents(body.get("documents", []), found.documents)
            body = {**body, "documents": documents}
        return run_row(dataclasses.replace(task, body=body))
