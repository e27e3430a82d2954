"""A chat's corpus wired into its turns: the step that runs before a turn's first model call.

``Chat(corpus=..., retrieve=...)`` makes one :class:`ChatRetrieval`. For each turn it gives the
runner a ``prepare`` step (run in the turn's worker thread, so ``send()`` still returns at once):
retrieve for the conversation's recent turns (``retrieval/search``), put the chosen chunks in the
request's ``documents``, keep them on the reply (``reply.retrieved``, the bubble's chip), and tell
the views how embedding goes (``progress``) and what was chosen (``retrieved``). Stop reaches
the step through the reply, as it reaches a stream. Whatever fails is the turn's error: the
user's message stays, the chat stays usable.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..request.documents import Document, merge_documents
from ..wire.client import CohereClient
from ..wire.errors import CohereError
from .corpus import Corpus
from .search import EmbedReport, Retriever, retrieval_query, retrieve_options

__all__ = ["ChatRetrieval", "documents_size_note"]

# The context of the smallest current Command models; documents past it cannot fit in a turn.
CONTEXT_TOKENS = 128_000
_CHARS_PER_TOKEN = 4  # English text, roughly: enough to say "far too big"
_PROGRESS_EVERY = 0.25  # seconds between progress messages to the views
EMPTY_CORPUS = (
    "The corpus is empty, so nothing was retrieved for this turn; add sources with "
    "chat.corpus.add(...)."
)
NO_QUESTION = (
    "The conversation has no text to retrieve with (only images), so nothing was retrieved "
    "for this turn; ask in words to search the corpus."
)

Publish = Callable[[dict[str, Any]], None]


class _Canceller:
    """Stands in for the stream on the reply while retrieval runs: Stop sets the event."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def cancel(self) -> None:
        self.event.set()


class ChatRetrieval:
    """One chat's corpus, its retriever and the per-turn step."""

    def __init__(self, sources: Any, retrieve: Any, client: CohereClient, publish: Publish):
        _require_extra()
        self.options = retrieve_options(retrieve)
        self.corpus = Corpus(sources)
        self.corpus._embed_now = self._embed_now
        self._client = client
        self._publish = publish
        self._retriever: Retriever | None = None

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(self.options, self._client)
        return self._retriever

    def prepare(self, turn_sources: Any = None) -> Callable[[Any], CohereError | None]:
        """The step for one turn (``turn_sources``: that send's own ``corpus=``, checked here,
        in the caller's thread)."""
        corpus = self.corpus
        if turn_sources is not None:
            corpus = corpus.with_sources(turn_sources)

        def step(turn: Any) -> CohereError | None:
            state = turn.state
            if not len(corpus):
                state.notice(EMPTY_CORPUS)
                return None
            query = retrieval_query(turn.body["messages"], self.options.turns)
            if not query:
                state.notice(NO_QUESTION)
                return None
            cancel = threading.Event()
            state.attach(_Canceller(cancel))  # the real stream replaces it afterwards
            progress = _ProgressBar(self._publish)
            try:
                retrieval = self.retriever.retrieve(query, corpus, cancel, progress)
            except CohereError as error:
                return error
            finally:
                progress.close()
            if retrieval is None:
                return None  # stopped: the reply ends "stopped" when its stream is attached
            documents: list[Document] = turn.body.get("documents", [])
            turn.body = {**turn.body, "documents": merge_documents(documents, retrieval.documents)}
            state.retrieval = retrieval
            self._publish({"type": "retrieved", "reply": turn.rid, **retrieval.metadata()})
            return None

        return step

    def _embed_now(self, corpus: Corpus, show: bool) -> EmbedReport:
        """``corpus.embed()``: in the caller's thread, with a progress line on stderr and the
        same bar in the views. A kernel interrupt stops it between calls."""
        cancel = threading.Event()
        views = _ProgressBar(self._publish)
        embedded = 0

        def progress(done: int, total: int, wait: float) -> None:
            nonlocal embedded
            embedded = done
            views(done, total, wait)
            if show:
                waiting = f" · rate limited: waiting {wait:.0f} s" if wait else ""
                line = f"\rEmbedding {done:,} of {total:,} chunks{waiting}   "
                print(line, end="", file=sys.stderr, flush=True)

        try:
            report = self.retriever.embed_corpus(corpus, cancel, progress)
        except KeyboardInterrupt:  # a kernel interrupt: what was embedded stays cached
            cancel.set()
            report = EmbedReport(len(corpus), embedded, 0, stopped=True)
        finally:
            views.close()
            if show:
                print(file=sys.stderr, flush=True)
        return report


class _ProgressBar:
    """The views' embedding bar: progress messages at most every ``_PROGRESS_EVERY`` seconds
    (the last one and every wait always go), and one to hide it, if it was shown."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, wait: float) -> None:
        now = time.monotonic()
        if now - self._last < _PROGRESS_EVERY and done < total and not wait:
            return
        self._last = now
        self._shown = True
        self._publish({"type": "progress", "done": done, "total": total, "wait": wait})

    def close(self) -> None:
        if self._shown:
            self._publish({"type": "progress", "done": 0, "total": 0, "wait": 0})


def documents_size_note(documents: list[Document]) -> str | None:
    """A warning when ``documents`` cannot fit in one turn's context: use ``corpus=``."""
    size = len(json.dumps(documents, ensure_ascii=False)) // _CHARS_PER_TOKEN
    if size <= CONTEXT_TOKENS:
        return None
    return (
        f"documents= holds about {size:,} tokens ({len(documents):,} documents), more than a "
        f"{CONTEXT_TOKENS // 1000}K-token context holds, and every turn would send all of "
        "them. Pass them as corpus= instead: each turn then sends only the few that match "
        '(retrieve={"top_n": 8} by default).'
    )


def _require_extra() -> None:
    try:
        import numpy  # noqa: F401
        import platformdirs  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as missing:
        raise ImportError(
            f"corpus= needs {missing.name}: pip install 'co_widget[corpus]' "
            "(numpy, PyYAML, platformdirs)."
        ) from None
