"""chat.map on a chat with corpus=: every row searches the corpus (FakeCohere's /v2/embed and
/v2/rerank over real sockets), the corpus is embedded once, and rows cite their rows."""

from __future__ import annotations

import concurrent.futures

import pandas as pd
import pytest

from co_widget import Chat
from co_widget.testing import FakeCohere
from tests.test_corpus import fresh_cache  # noqa: F401  (autouse: an empty cache per test)


def test_each_row_searches_the_corpus_which_is_embedded_once():
    corpus = pd.DataFrame({"product": [f"gadget {i}" for i in range(200)], "price": range(200)})
    with FakeCohere() as fake:
        chat = Chat(base_url=fake.url, corpus=corpus, retrieve={"top_k": 20, "top_n": 3})
        questions = [f"What does gadget {i} cost?" for i in range(12)]
        out = chat.map(questions, "{}", concurrency=4, progress=False)
        pool = concurrent.futures.ProcessPoolExecutor(1)
        with pool, pytest.raises(ValueError, match="corpus"):
            chat.map(questions, "{}", executor=pool)
    assert {r["status"] for r in out} == {"done"}
    chats = [r.json for r in fake.requests if r.path == "/v2/chat"]
    assert len(chats) == 12 and all(len(body["documents"]) == 3 for body in chats)
    embedded = sum(
        len(r.json["texts"])
        for r in fake.requests
        if r.path == "/v2/embed" and r.json["input_type"] == "search_document"
    )
    assert embedded == 200  # once, before the rows ran side by side
    assert all(r["citations"] for r in out)
