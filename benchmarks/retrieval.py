"""Retrieval per turn over a big corpus, and what a turn sends: corpus= against documents=.

For 10,000 and 100,000 chunks (DataFrame rows), against FakeCohere's /v2/embed and /v2/rerank:

* embedding the corpus once (``chat.corpus.embed()``, calls of 96 texts, paced by the server);
* then, per turn, the whole retrieval (embed the question, cosine top-k, rerank the top 50, over
  HTTP to FakeCohere) and the kernel's own part (the numpy top-k; no server needed), median and
  p95 over 30 questions, beside a reference run in the same process: the same top-k by a plain
  Python scan (of the first 10,000 vectors);
* the bytes of the chat request of one turn (and tokens, estimated as bytes / 4) with
  ``corpus=`` (top 8 chunks) and with ``documents=`` of the same rows.

Budget (design.md): retrieval over 100,000 chunks < 100 ms a turn after embedding.

    python benchmarks/retrieval.py [--sizes 10000 100000] [--questions 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from co_widget import Chat
from co_widget.request.documents import normalize_documents
from co_widget.retrieval.search import retrieval_query
from co_widget.testing import FakeCohere

BUDGET_MS = 100.0
# The vocabulary of the synthetic table and questions (a few words, so rows share many).
WORDS = " ".join(
    [
        "fizzy cola lemon lime orange cherry vanilla zero sugar diet classic glass bottle can",
        "crate pallet warehouse berlin paris tokyo lagos lima store promo discount summer",
        "winter recall label ginger mango tea coffee energy sparkling still water juice",
    ]
).split()


def table(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "sku": [f"SKU-{i:06d}" for i in range(rows)],
            "name": [" ".join(rng.sample(WORDS, 3)) for _ in range(rows)],
            "notes": [" ".join(rng.choices(WORDS, k=18)) for _ in range(rows)],
            "units": [rng.randint(0, 5000) for _ in range(rows)],
        }
    )


def questions(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [f"Which {' '.join(rng.sample(WORDS, 3))} items sold best?" for _ in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def python_top_k(matrix: Any, query: Any, k: int) -> list[int]:
    """The reference: cosine top-k over unit rows with plain Python (lists of floats)."""
    rows = matrix.tolist()
    q = query.tolist()
    scores = [sum(a * b for a, b in zip(row, q, strict=True)) for row in rows]
    return sorted(range(len(scores)), key=lambda i: -scores[i])[:k]


def run(size: int, n_questions: int) -> None:
    frame = table(size)
    asked = questions(n_questions)
    with FakeCohere() as fake, tempfile.TemporaryDirectory() as cache:
        chat = Chat(base_url=fake.url, corpus=frame, retrieve={"cache_dir": cache})
        retrieval = chat._retrieval
        assert retrieval is not None
        retriever, corpus = retrieval.retriever, chat.corpus

        start = time.perf_counter()
        report = chat.corpus.embed(progress=False)
        embed_s = time.perf_counter() - start
        cancel = threading.Event()

        whole, local = [], []
        for question in asked:
            t0 = time.perf_counter()
            chosen = retriever.retrieve(question, corpus, cancel)
            whole.append((time.perf_counter() - t0) * 1000)
            assert chosen is not None and len(chosen.chosen) == 8
            # The kernel's own part of a turn: is everything embedded? then the cosine top-50
            # of the question alone and in context, in one pass (as retrieve() does).
            vectors = retriever._embed([question, question + " in context"], "search_query", cancel)
            t0 = time.perf_counter()
            retriever.embed_corpus(corpus, cancel)
            retriever.nearest(corpus, vectors, 50)
            local.append((time.perf_counter() - t0) * 1000)

        # The reference scan, on at most 10,000 vectors (a full 100k scan takes minutes).
        keys = [chunk.key for chunk in list(corpus)[:10_000]]
        matrix = retriever.cache.matrix(keys)
        vector = np.asarray(retriever._embed([asked[0]], "search_query", cancel)[0])
        vector /= np.linalg.norm(vector)
        t0 = time.perf_counter()
        python_top_k(matrix, vector, 50)
        python_ms = (time.perf_counter() - t0) * 1000

        # One turn's request, corpus= against documents= of the same rows.
        fake.requests.clear()
        chat.send(asked[0]).wait(60)
        (corpus_body,) = [r.body for r in fake.requests if r.path == "/v2/chat"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the too-big warning is the point here
            documents = normalize_documents(frame)
        messages = [{"role": "user", "content": asked[0]}]
        full_body = json.dumps(
            {"model": chat.model, "messages": messages, "documents": documents, "stream": True},
            ensure_ascii=False,
        ).encode()
        query_chars = len(retrieval_query(messages))

    print(f"\n{size:,} chunks")
    print(
        f"  embed once      {embed_s:8.1f} s   {report.requests:,} calls of ≤ 96 texts "
        f"({size / embed_s:,.0f} chunks/s through FakeCohere)"
    )
    print(
        f"  retrieval/turn  median {statistics.median(whole):6.1f} ms   "
        f"p95 {percentile(whole, 0.95):6.1f} ms   (query embed + top-50 + rerank, over HTTP)"
    )
    print(
        f"  in the kernel   median {statistics.median(local):6.1f} ms   "
        f"p95 {percentile(local, 0.95):6.1f} ms   (numpy top-50 of 2 queries) budget < "
        f"{BUDGET_MS:.0f} ms: {'OK' if percentile(local, 0.95) < BUDGET_MS else 'OVER'} "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    scanned = min(size, 10_000)
    print(f"  reference       plain-Python cosine scan of {scanned:,} vectors: {python_ms:,.0f} ms")
    print(
        f"  a turn sends    corpus= {len(corpus_body):>12,} bytes  ~{len(corpus_body) // 4:>10,} "
        f"tokens (8 chunks; question {query_chars} chars)"
    )
    print(
        f"                  documents= {len(full_body):>9,} bytes  ~{len(full_body) // 4:>10,} "
        f"tokens ({len(documents):,} documents)   ratio {len(full_body) / len(corpus_body):,.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=30)
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.questions)


if __name__ == "__main__":
    main()
