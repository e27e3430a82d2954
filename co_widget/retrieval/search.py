"""Cohere's RAG loop, run for each turn of a chat with a corpus.

1. embed the corpus's chunks (``search_document``) once, in calls of at most 96 texts, cached
   (``retrieval/embed_cache``);
2. embed the question (``search_query``) twice in one call: the last user message alone, and
   with the recent turns (newest first), so a follow-up ("and the second one?") finds what the
   conversation is about and a new topic is not drowned by the old one;
3. take the cosine top ``top_k`` of each (numpy: a matrix product over unit vectors);
4. rerank their union with the question in context (dicts and rows as YAML, mapped back by
   index);
5. send only the top ``top_n`` as the request's ``documents``.

A corpus of at most ``top_k`` chunks skips 1 to 3 and is only reranked, as is every corpus with
``retrieve="rerank"`` (in calls of at most 1,000 documents, Cohere's advice).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import cache_dir
from ..wire.api_calls import ApiCaller, Pacer
from ..wire.client import CohereClient
from ..wire.errors import CohereError
from .corpus import Chunk, Corpus, origin_label
from .embed_cache import EmbedCache

__all__ = [
    "EmbedReport",
    "Retrieval",
    "RetrieveOptions",
    "Retriever",
    "retrieval_query",
    "retrieve_options",
]

EMBED_BATCH = 96  # Cohere's limit of texts per embed call
RERANK_BATCH = 1000  # Cohere's advice on documents per rerank call
_TRIAL = {"embed": 2000.0, "rerank": 10.0}  # per minute, Cohere's published trial limits
_QUERY_CHARS = 2000
_REPLY_CHARS = 300  # of the last reply, in the question of a follow-up
_SNIPPET_CHARS = 80  # the chip's list: a hint (synced and saved with every reply)
_DIMENSIONS = (256, 512, 1024, 1536)
# Types whose vectors compare by cosine as they come (binary ones are packed bits).
_TYPES = ("float", "int8", "uint8")

# progress(done, total, wait): chunks embedded of those to embed; seconds of a 429 wait (0: none)
Progress = Callable[[int, int, float], None]


@dataclass(frozen=True)
class RetrieveOptions:
    top_k: int = 50
    top_n: int = 8
    embed_model: str = "embed-v4.0"
    rerank_model: str = "rerank-v3.5"
    output_dimension: int = 512
    embedding_type: str = "float"
    mode: str = "embed"  # "embed": the whole loop; "rerank": rerank the whole corpus
    turns: int = 3  # user turns the question is built from
    cache_dir: Path | None = field(default_factory=cache_dir)
    embed_rate: float | None = None  # embed inputs a minute (None: the server's 429s pace)
    rerank_rate: float | None = None  # rerank calls a minute


def retrieve_options(value: Any) -> RetrieveOptions:
    """``Chat(retrieve=...)``: None (the defaults), "rerank" (rerank only), or a dict of
    ``top_k``, ``top_n``, ``embed_model``, ``rerank_model``, ``output_dimension``,
    ``embedding_types``, ``mode``, ``turns``, ``cache_dir`` (a folder, or False for memory
    only) and ``rate_limit`` ("trial", or {"embed": inputs, "rerank": calls} a minute)."""
    if value is None or value == "embed":
        return RetrieveOptions()
    if value == "rerank":
        return RetrieveOptions(mode="rerank")
    if not isinstance(value, dict):
        raise TypeError(f'retrieve= must be None, "rerank" or a dict, got {value!r}.')
    known = {*RetrieveOptions.__dataclass_fields__, "embedding_types", "rate_limit"}
    unknown = sorted(set(value) - known - {"embed_rate", "rerank_rate"})
    if unknown:
        raise ValueError(f"retrieve= has unknown keys {unknown}; known: {sorted(known)}.")
    options = dict(value)
    types = options.pop("embedding_types", None)
    if types is not None:
        options["embedding_type"] = types[0] if isinstance(types, (list, tuple)) else types
    options.update(_rates(options.pop("rate_limit", None)))
    if "cache_dir" in options:
        folder = options["cache_dir"]
        options["cache_dir"] = None if folder is False else Path(folder).expanduser()
    checked = RetrieveOptions(**options)
    _check(checked)
    return checked


def _rates(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if value == "trial":
        return {"embed_rate": _TRIAL["embed"], "rerank_rate": _TRIAL["rerank"]}
    if isinstance(value, dict) and set(value) <= {"embed", "rerank"}:
        return {f"{name}_rate": float(rate) for name, rate in value.items()}
    raise ValueError(
        f'retrieve["rate_limit"] must be "trial" or {{"embed": n, "rerank": n}}, got {value!r}.'
    )


def _check(options: RetrieveOptions) -> None:
    for name in ("top_k", "top_n", "turns"):
        number = getattr(options, name)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"retrieve[{name!r}] must be an integer >= 1, got {number!r}.")
    if options.top_n > options.top_k:
        raise ValueError(
            f"retrieve['top_n'] ({options.top_n}) must be at most top_k ({options.top_k}): "
            "rerank picks top_n among the top_k nearest chunks."
        )
    if options.output_dimension not in _DIMENSIONS:
        raise ValueError(f"retrieve['output_dimension'] must be one of {_DIMENSIONS}.")
    if options.embedding_type not in _TYPES:
        raise ValueError(f"retrieve['embedding_types'] must be one of {_TYPES}.")
    if options.mode not in ("embed", "rerank"):
        raise ValueError('retrieve["mode"] must be "embed" or "rerank".')
    for name in ("embed_model", "rerank_model"):
        if not isinstance(getattr(options, name), str) or not getattr(options, name):
            raise ValueError(f"retrieve[{name!r}] must be a model name.")


@dataclass(frozen=True)
class Retrieval:
    """The chunks chosen for one turn, best first, with their rerank scores."""

    chosen: list[tuple[Chunk, float]]
    total: int  # chunks in the corpus
    unit: str  # "rows" or "chunks"
    mode: str  # "embed" or "rerank" (a small corpus is only reranked)

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [chunk.document for chunk, _ in self.chosen]

    def for_reply(self) -> list[dict[str, Any]]:
        """``reply.retrieved``: id, score, origin and the document's data, best first."""
        return [
            {"id": c.id, "score": score, "origin": dict(c.origin), "document": dict(c.data)}
            for c, score in self.chosen
        ]

    def metadata(self) -> dict[str, Any]:
        """The assistant message's ``_co.retrieved``: small (the chip and its list), since it
        is synced and saved with the notebook; the cited rows themselves are in citations."""
        return {
            "total": self.total,
            "unit": self.unit,
            "mode": self.mode,
            "items": [
                {
                    "id": c.id,
                    "score": round(score, 4),
                    "label": origin_label(c.origin, c.id),
                    "snippet": _snippet(c.text),
                }
                for c, score in self.chosen
            ],
        }


@dataclass(frozen=True)
class EmbedReport:
    """What ``corpus.embed()`` did."""

    total: int
    embedded: int  # chunks embedded now
    requests: int
    stopped: bool = False

    def __repr__(self) -> str:
        done = "Stopped: embedded" if self.stopped else "Embedded"
        return (
            f"{done} {self.embedded:,} of {self.total:,} chunks in {self.requests:,} requests "
            f"({self.total - self.embedded:,} already had vectors)"
            if not self.stopped
            else f"{done} {self.embedded:,} of {self.total:,} chunks; the rest embeds later"
        )


class Retriever:
    """Runs the loop for one chat (its client, options, pacing and the corpus matrix)."""

    def __init__(self, options: RetrieveOptions, client: CohereClient) -> None:
        self.options = options
        self._api = ApiCaller(client)
        self._embed_pacer = Pacer(options.embed_rate)
        self._rerank_pacer = Pacer(options.rerank_rate)
        namespace = f"{options.embed_model}|{options.output_dimension}|{options.embedding_type}"
        self.cache = EmbedCache(namespace, options.cache_dir)
        self._matrix: tuple[tuple[int, int], list[Chunk], Any] | None = None
        self._embedded: tuple[int, int] | None = None  # the corpus version fully embedded

    # --- embedding the corpus --------------------------------------------------------------------

    def embed_corpus(
        self, corpus: Corpus, cancel: threading.Event, progress: Progress | None = None
    ) -> EmbedReport:
        """Embed the chunks that have no vector yet. Stops between calls when ``cancel`` is set
        (what was embedded stays cached)."""
        stamp = (corpus.uid, corpus.version)
        if stamp == self._embedded:  # every turn asks: answer at once, not per chunk
            return EmbedReport(len(corpus), 0, 0)
        stamp, chunks = corpus.snapshot()
        texts = {chunk.key: chunk.text for chunk in chunks}
        todo = self.cache.missing(list(texts))
        done = requests = 0
        for start in range(0, len(todo), EMBED_BATCH):
            if progress is not None:
                progress(done, len(todo), 0.0)
            keys = todo[start : start + EMBED_BATCH]
            on_wait = None
            if progress is not None:
                on_wait = _waiting(progress, done, len(todo))
            vectors = self._embed([texts[key] for key in keys], "search_document", cancel, on_wait)
            if vectors is None:
                return EmbedReport(len(chunks), done, requests, stopped=True)
            self.cache.put(keys, vectors)
            done += len(keys)
            requests += 1
        if progress is not None and todo:
            progress(done, len(todo), 0.0)
        self._embedded = stamp
        return EmbedReport(len(chunks), done, requests)

    def _embed(
        self,
        texts: list[str],
        input_type: str,
        cancel: threading.Event,
        on_wait: Callable[[float], None] | None = None,
    ) -> Any:
        """One embed call: its vectors as a numpy array, or None when cancelled."""
        import numpy as np  # the corpus extra

        options = self.options
        self._embed_pacer.wait(len(texts), cancel)
        body = {
            "model": options.embed_model,
            "input_type": input_type,
            "texts": texts,
            "embedding_types": [options.embedding_type],
            "output_dimension": options.output_dimension,
            "truncate": "END",
        }
        answer = self._api.post("/v2/embed", body, what="Embed", cancel=cancel, on_wait=on_wait)
        if answer is None:
            return None
        vectors = (answer.get("embeddings") or {}).get(options.embedding_type)
        if not isinstance(vectors, list) or len(vectors) != len(texts):
            raise CohereError(
                f"Embed answered {len(vectors) if isinstance(vectors, list) else 'no'} "
                f"{options.embedding_type} vectors for {len(texts)} texts.",
                hint="Is base_url a Cohere v2 API, and embedding_types one it supports?",
            )
        return np.asarray(vectors, dtype=np.float32)

    # --- one turn ---------------------------------------------------------------------------------

    def retrieve(
        self,
        query: str,
        corpus: Corpus,
        cancel: threading.Event,
        progress: Progress | None = None,
    ) -> Retrieval | None:
        """The top ``top_n`` chunks of ``corpus`` for ``query``, or None when cancelled."""
        options = self.options
        small = len(corpus) <= options.top_k
        if options.mode == "rerank" or small:
            candidates = list(corpus)
        else:
            if self.embed_corpus(corpus, cancel, progress).stopped:
                return None
            question = query.split("\n\n", 1)[0]  # the last message alone
            texts = [query] if question == query else [query, question]
            vectors = self._embed(texts, "search_query", cancel)
            if vectors is None:
                return None
            found = self.nearest(corpus, vectors, options.top_k)
            candidates = list({c.id: c for group in found for c in group}.values())
        chosen = self.rerank(query, candidates, cancel)
        if chosen is None:
            return None
        mode = "rerank" if options.mode == "rerank" or small else "embed"
        return Retrieval(chosen, len(corpus), corpus.unit, mode)

    def nearest(self, corpus: Corpus, queries: Any, k: int) -> list[list[Chunk]]:
        """For each row of ``queries``, the ``k`` chunks nearest to it by cosine, nearest first
        (the corpus's matrix of unit rows is built once per corpus version)."""
        import numpy as np

        if self._matrix is None or self._matrix[0] != (corpus.uid, corpus.version):
            stamp, chunks = corpus.snapshot()
            self._matrix = (stamp, chunks, self.cache.matrix([chunk.key for chunk in chunks]))
        _, chunks, matrix = self._matrix
        k = min(k, len(chunks))
        found = []
        for query in np.atleast_2d(np.asarray(queries, dtype=np.float32)):
            # A matrix-vector product per query: BLAS's gemv streams the matrix once, faster
            # than one (queries x chunks) product, whose transposed operand takes a slow path.
            row = matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
            top = np.argpartition(-row, k - 1)[:k]
            top = top[np.argsort(-row[top], kind="stable")]
            found.append([chunks[i] for i in top.tolist()])
        return found

    def rerank(
        self, query: str, candidates: Sequence[Chunk], cancel: threading.Event
    ) -> list[tuple[Chunk, float]] | None:
        """The best ``top_n`` of ``candidates`` by rerank score, or None when cancelled."""
        top_n = min(self.options.top_n, len(candidates))
        scored: list[tuple[Chunk, float]] = []
        for start in range(0, len(candidates), RERANK_BATCH):
            batch = candidates[start : start + RERANK_BATCH]
            self._rerank_pacer.wait(1, cancel)
            body = {
                "model": self.options.rerank_model,
                "query": query,
                "documents": [chunk.text for chunk in batch],
                "top_n": min(top_n, len(batch)),
            }
            answer = self._api.post("/v2/rerank", body, what="Rerank", cancel=cancel)
            if answer is None:
                return None
            scored += _mapped(answer, batch)
        scored.sort(key=lambda pair: -pair[1])
        return scored[:top_n]


def _waiting(progress: Progress, done: int, total: int) -> Callable[[float], None]:
    return lambda seconds: progress(done, total, seconds)


def _mapped(answer: dict[str, Any], batch: Sequence[Chunk]) -> list[tuple[Chunk, float]]:
    """Rerank's results mapped back to the chunks by index (v2 returns no documents)."""
    results = answer.get("results")
    if not isinstance(results, list):
        raise CohereError("Rerank answered without results.", hint="Is base_url a Cohere v2 API?")
    mapped = []
    for result in results:
        index = result.get("index") if isinstance(result, dict) else None
        score = result.get("relevance_score") if isinstance(result, dict) else None
        if not isinstance(index, int) or not 0 <= index < len(batch):
            raise CohereError(f"Rerank answered an index out of range: {index!r}.")
        mapped.append((batch[index], float(score) if isinstance(score, (int, float)) else 0.0))
    return mapped


def retrieval_query(messages: list[dict[str, Any]], turns: int = 3) -> str:
    """The question to retrieve with, in paragraphs, newest first: the last user message; then,
    for a follow-up such as "and the second one?", the reply before it (shortened: it may be
    the list that "second" refers to) and the earlier user messages, up to ``turns`` user
    messages and :data:`_QUERY_CHARS` characters."""
    parts: list[str] = []
    users = replies = 0
    for message in reversed(messages):
        role = message.get("role")
        text = " ".join(_text(message.get("content")).split())
        if role == "user":
            users += 1
            if users > turns:
                break
        elif role == "assistant" and users == 1 and not replies:
            replies += 1
            text = text[:_REPLY_CHARS]
        else:
            continue
        if text:
            parts.append(text)
    return "\n\n".join(parts)[:_QUERY_CHARS]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    blocks = content if isinstance(content, list) else [content]
    return " ".join(
        str(block.get("text", ""))
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "text"
    )


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 1] + "…"
