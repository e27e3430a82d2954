"""Chat(corpus=...): each turn embeds the question, takes the cosine top_k, reranks and sends only
the top_n chunks as documents; vectors are computed once. All against FakeCohere's /v2/embed and
/v2/rerank over real sockets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from co_widget import Chat
from co_widget.retrieval.embed_cache import _MEMORY, _READ
from co_widget.testing import Error, FakeCohere
from co_widget.turn.parts import parts_of
from co_widget.wire.api_calls import Pacer
from tests.support.comm_recorder import recorder_of

COLORS = ["red", "blue", "green", "black", "white"]


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    """Each test starts with an empty kernel cache and its own disk cache folder."""
    monkeypatch.setenv("CO_WIDGET_CACHE_DIR", str(tmp_path / "cache"))
    _MEMORY.clear()
    _READ.clear()
    yield
    _MEMORY.clear()
    _READ.clear()


def frame(rows: int = 300) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": [f"gadget {i}" for i in range(rows)],
            "color": [COLORS[i % 5] for i in range(rows)],
            "price": list(range(rows)),
        }
    )


def calls(fake: FakeCohere, path: str) -> list[dict]:
    return [request.json for request in fake.requests if request.path == path]


def embedded_documents(fake: FakeCohere) -> int:
    return sum(
        len(body["texts"])
        for body in calls(fake, "/v2/embed")
        if body["input_type"] == "search_document"
    )


def test_a_turn_sends_only_top_n_of_a_big_corpus(fake):
    chat = Chat(base_url=fake.url, corpus=frame(1000), retrieve={"top_k": 40, "top_n": 5})
    reply = chat.send("Which gadget 42 is green?")
    assert reply.wait(30).status == "complete"

    (chat_body,) = calls(fake, "/v2/chat")
    assert len(chat_body["documents"]) == 5
    # The corpus was embedded as documents in calls of at most 96, the question as a query.
    embeds = calls(fake, "/v2/embed")
    assert all(len(body["texts"]) <= 96 for body in embeds)
    assert embedded_documents(fake) == 1000
    assert [b["texts"] for b in embeds if b["input_type"] == "search_query"] == [
        ["Which gadget 42 is green?"]
    ]
    assert {(b["output_dimension"], tuple(b["embedding_types"])) for b in embeds} == {
        (512, ("float",))
    }
    # Rerank saw the top_k, as YAML strings, and chose among them.
    (rerank,) = calls(fake, "/v2/rerank")
    assert len(rerank["documents"]) == 40 and rerank["top_n"] == 5
    assert "product: gadget 42\ncolor: green\nprice: 42" in rerank["documents"]
    assert rerank["model"] == "rerank-v3.5"

    # The request's documents are the retrieved ones, best first, and so is reply.retrieved.
    retrieved = reply.retrieved
    assert [item["id"] for item in retrieved] == [doc["id"] for doc in chat_body["documents"]]
    assert retrieved[0]["id"] == "row:42"
    assert retrieved[0]["origin"] == {"kind": "row", "row": "42"}
    assert retrieved[0]["document"] == {"product": "gadget 42", "color": "green", "price": 42}
    scores = [item["score"] for item in retrieved]
    # The fake's score: the share of the question's words a row holds (gadget, 42, green: 3/5).
    assert scores == sorted(scores, reverse=True) and scores[0] == 0.6
    # The bubble's chip comes from the committed message.
    meta = chat.messages[-1]["_co"]["retrieved"]
    assert (meta["total"], meta["unit"], meta["mode"], len(meta["items"])) == (
        1000,
        "rows",
        "embed",
        5,
    )
    assert meta["items"][0] == {
        "id": "row:42",
        "score": 0.6,
        "label": "row 42",
        "snippet": "product: gadget 42 color: green price: 42",
    }
    # Nothing of it reaches the API's history.
    assert "_co" not in chat.history[-1]


def test_each_chunk_is_embedded_once_over_the_kernels_life(fake):
    data = frame(250)
    chat = Chat(base_url=fake.url, corpus=data, retrieve={"top_k": 20, "top_n": 3})
    for question in ("red gadget 7?", "and the blue one?", "the cheapest black?"):
        chat.send(question).wait(30)
    other = Chat(base_url=fake.url, corpus=[data, "A new note about gadget prices."])
    other.send("gadget 3").wait(30)
    other.corpus.add(data.iloc[:10])  # the same rows again: nothing new
    other.send("gadget 4").wait(30)
    assert embedded_documents(fake) == 251  # each row once, and the one new note
    assert len(calls(fake, "/v2/rerank")) == 5


def test_a_new_kernel_finds_the_vectors_on_disk(fake, tmp_path):
    data = frame(200)
    Chat(base_url=fake.url, corpus=data).send("gadget 1").wait(30)
    assert embedded_documents(fake) == 200
    _MEMORY.clear()  # as after a kernel restart; the folder stays
    _READ.clear()
    Chat(base_url=fake.url, corpus=data).send("gadget 2").wait(30)
    assert embedded_documents(fake) == 200
    files = list((tmp_path / "cache" / "embeddings").rglob("*.npz"))
    assert len(files) == 3  # one per embed call; no temporary file left behind
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_small_corpus_is_only_reranked_and_rerank_mode_never_embeds(fake):
    notes = ["Coca-Cola was invented in 1886.", "Pepsi was invented in 1893."]
    chat = Chat(base_url=fake.url, corpus=notes)
    reply = chat.send("When was Pepsi invented?")
    reply.wait(30)
    assert calls(fake, "/v2/embed") == []
    assert calls(fake, "/v2/rerank")[0]["documents"] == notes
    assert reply.retrieved[0]["document"]["text"] == "Pepsi was invented in 1893."
    assert chat.messages[-1]["_co"]["retrieved"]["mode"] == "rerank"

    big = Chat(base_url=fake.url, corpus=frame(120), retrieve="rerank")
    big.send("gadget 5").wait(30)
    assert calls(fake, "/v2/embed") == []
    assert len(calls(fake, "/v2/rerank")[-1]["documents"]) == 120
    assert len(calls(fake, "/v2/chat")[-1]["documents"]) == 8


def test_a_follow_up_retrieves_with_the_recent_turns(fake):
    chat = Chat(base_url=fake.url, corpus=frame(100))
    chat.send("Tell me about gadget 17").wait(30)
    chat.send("and its price?").wait(30)
    query = calls(fake, "/v2/rerank")[-1]["query"]
    assert query.startswith("and its price?")
    assert "Tell me about gadget 17" in query
    assert calls(fake, "/v2/embed")[-1]["texts"] == [query, "and its price?"]


def test_folders_files_and_rows_keep_their_origin(fake, tmp_path):
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "a.md").write_text("# Returns\n\nGadgets can be returned within 30 days.")
    (notes / "sub" / "b.md").write_text("\n\n".join(f"Shipping rule {i}." * 40 for i in range(8)))
    (notes / "image.png").write_bytes(b"\x89PNG")  # not text: skipped
    chat = Chat(base_url=fake.url, corpus=notes)
    assert len(chat.corpus) > 2 and chat.corpus.unit == "chunks"
    assert {c.origin["file"] for c in chat.corpus} == {"a.md", "sub/b.md"}
    reply = chat.send("Can gadgets be returned?")
    reply.wait(30)
    assert reply.retrieved[0]["origin"] == {"kind": "file", "file": "a.md"}
    # A cited file is named in the transcript's footnotes, with its part if it has several.
    assert "**a.md** `a.md`" in chat.to_markdown()
    chat.send("Shipping rule 3?").wait(30)
    assert re.search(r"\*\*sub/b\.md, part \d\*\* `sub/b\.md#\d`", chat.to_markdown())

    assert chat.corpus.remove("sub/b.md") > 1  # every part of the file
    assert [c.id for c in chat.corpus] == ["a.md"]
    with pytest.raises(KeyError, match="no-such-id"):
        chat.corpus.remove("no-such-id")
    data = frame(5)
    assert chat.corpus.add(data) == 5 and len(chat.corpus) == 6
    assert chat.corpus.remove(data.iloc[:2]) == 2 and len(chat.corpus) == 4


def test_a_sends_own_corpus_joins_the_chats_for_that_turn(fake):
    chat = Chat(base_url=fake.url, corpus=["Coca-Cola was invented in 1886."])
    reply = chat.send("When was Fanta invented?", corpus=["Fanta was invented in 1940."])
    reply.wait(30)
    assert reply.retrieved[0]["document"]["text"] == "Fanta was invented in 1940."
    assert len(chat.corpus) == 1  # only for that turn
    chat.send("When was Fanta invented?").wait(30)
    assert len(calls(fake, "/v2/chat")[-1]["documents"]) == 1


def test_a_rate_limited_embed_waits_and_says_so(fake, comms):
    fake.add(Error(429, "too many requests", retry_after=0.3), endpoint="embed")
    chat = Chat(base_url=fake.url, corpus=frame(120))
    started = time.monotonic()
    reply = chat.send("gadget 9")
    assert reply.wait(30).status == "complete"
    assert time.monotonic() - started >= 0.3
    progress = [
        m.custom
        for m in recorder_of(chat, comms).messages
        if m.custom and m.custom["type"] == "progress"
    ]
    assert any(p["wait"] == pytest.approx(0.3) for p in progress)  # the wait is shown
    assert progress[-1] == {"type": "progress", "done": 0, "total": 0, "wait": 0}  # then hidden
    retrieved = [
        m.custom
        for m in recorder_of(chat, comms).messages
        if m.custom and m.custom["type"] == "retrieved"
    ]
    assert retrieved[0]["reply"] == 1 and len(retrieved[0]["items"]) == 8


def test_stop_while_embedding_keeps_what_was_embedded(fake):
    fake.add(Error(429, "slow down", retry_after=30), endpoint="embed")
    chat = Chat(base_url=fake.url, corpus=frame(300))
    reply = chat.send("gadget 1")
    deadline = time.monotonic() + 10
    while not calls(fake, "/v2/embed") and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    chat.stop()
    assert reply.status == "stopped" and time.monotonic() - started < 1.0
    assert calls(fake, "/v2/chat") == []
    assert chat.history == [{"role": "user", "content": "gadget 1"}]  # the message is kept
    assert chat.send("gadget 2").wait(30).status == "complete"  # and the chat works on


@pytest.mark.parametrize(
    ("endpoint", "fault", "words"),
    [
        ("rerank", Error(404, "model 'rerank-x' not found"), "Rerank failed"),
        ("embed", Error(403, "no access to this model"), "Embed failed"),
    ],
)
def test_a_refused_retrieval_fails_the_turn_clearly_and_loses_nothing(fake, endpoint, fault, words):
    fake.add(fault, endpoint=endpoint)
    chat = Chat(base_url=fake.url, corpus=frame(100))
    reply = chat.send("gadget 3")
    assert reply.wait(30).status == "error"
    assert words in str(reply.error) and "retrieve=" in reply.error.hint
    assert calls(fake, "/v2/chat") == []
    assert chat.messages[0]["content"] == "gadget 3"
    assert chat.messages[-1]["_co"]["error"]["message"].startswith(words)
    assert chat.send("gadget 3").wait(30).status == "complete"


def test_a_wrong_model_name_is_refused_by_the_fake_as_by_cohere(fake):
    chat = Chat(base_url=fake.url, corpus=frame(100), retrieve={"embed_model": "rerank-v3.5"})
    reply = chat.send("gadget 3").wait(30)
    assert reply.error.status_code == 404 and "Embed failed" in reply.error.message


def test_an_unreachable_endpoint_is_a_clear_error(fake):
    with FakeCohere() as gone:
        url = gone.url
    chat = Chat(base_url=url, corpus=frame(100), max_retries=0)
    reply = chat.send("gadget 3").wait(30)
    assert reply.status == "error" and "Could not connect" in str(reply.error)
    assert chat.history == [{"role": "user", "content": "gadget 3"}]


def test_an_empty_corpus_says_so_and_answers_anyway(fake):
    chat = Chat(base_url=fake.url, corpus=[])
    reply = chat.send("anything?").wait(30)
    assert reply.status == "complete" and reply.warnings == []
    # A note for the reader, not a warning: a notice part of the turn (drawn in the bubble).
    (notice,) = chat.messages[-1]["_co"]["notices"]
    assert notice["kind"] == "notice" and notice["level"] == "info"
    assert "corpus is empty" in notice["text"]
    assert notice in parts_of(chat.messages[-1])
    assert "documents" not in calls(fake, "/v2/chat")[0]
    assert fake.requests[-1].path == "/v2/chat" and len(fake.requests) == 1


def test_the_key_never_reaches_errors_or_views(comms):
    key = "sk-corpus-secret-123"
    with FakeCohere(api_key=key) as fake:
        fake.add(Error(429, f"limited for {key}", retry_after=0.05), endpoint="embed")
        fake.add(Error(400, f"bad key {key}"), endpoint="rerank")
        chat = Chat(base_url=fake.url, api_key=key, corpus=frame(100))
        reply = chat.send("gadget 3").wait(30)
        assert fake.requests[0].headers["Authorization"] == f"Bearer {key}"
    assert reply.error is not None and key not in str(reply.error) + repr(reply.error.body)
    sent = b"".join(str(m.data).encode() for m in recorder_of(chat, comms).messages)
    assert key.encode() not in sent


def test_corpus_embed_now_reports_and_is_idempotent(fake, capsys):
    chat = Chat(base_url=fake.url, corpus=frame(150))
    report = chat.corpus.embed()
    assert repr(report) == "Embedded 150 of 150 chunks in 2 requests (0 already had vectors)"
    assert "Embedding 150 of 150 chunks" in capsys.readouterr().err
    again = chat.corpus.embed(progress=False)
    assert (again.embedded, again.requests) == (0, 0)
    chat.send("gadget 1").wait(30)
    assert embedded_documents(fake) == 150


def test_documents_too_big_for_a_turn_warn_and_suggest_corpus(fake):
    rows = pd.DataFrame({"text": ["lorem ipsum dolor sit amet " * 40] * 3000})
    with pytest.warns(UserWarning, match=r"corpus= instead"):
        Chat(base_url=fake.url, documents=rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Chat(base_url=fake.url, documents=rows.iloc[:10])  # a small table: no warning


def test_retrieve_settings_are_checked_before_any_request():
    with pytest.raises(ValueError, match="top_n"):
        Chat(corpus=["x"], retrieve={"top_k": 5, "top_n": 8})
    with pytest.raises(ValueError, match="unknown keys"):
        Chat(corpus=["x"], retrieve={"topk": 5})
    with pytest.raises(ValueError, match="output_dimension"):
        Chat(corpus=["x"], retrieve={"output_dimension": 100})
    with pytest.raises(TypeError, match="retrieve="):
        Chat(corpus=["x"], retrieve=3)


def test_settings_reach_the_requests(fake):
    chat = Chat(
        base_url=fake.url,
        corpus=frame(100),
        retrieve={
            "top_k": 10,
            "top_n": 2,
            "embed_model": "embed-multilingual-v3.0",
            "rerank_model": "rerank-v4.0-fast",
            "output_dimension": 256,
            "embedding_types": ["int8"],
            "cache_dir": False,
            "rate_limit": {"embed": 60_000, "rerank": 6_000},
        },
    )
    chat.send("gadget 8").wait(30)
    embed = calls(fake, "/v2/embed")[0]
    assert (embed["model"], embed["output_dimension"], embed["embedding_types"]) == (
        "embed-multilingual-v3.0",
        256,
        ["int8"],
    )
    assert calls(fake, "/v2/rerank")[0]["model"] == "rerank-v4.0-fast"
    assert len(calls(fake, "/v2/chat")[0]["documents"]) == 2


def test_regenerate_retrieves_again_while_streaming_threads_stay_clean(fake):
    chat = Chat(base_url=fake.url, corpus=frame(100))
    chat.send("gadget 11").wait(30)
    chat.regenerate().wait(30)
    assert len(calls(fake, "/v2/rerank")) == 2
    assert chat.messages[-1]["_co"]["retrieved"]["items"][0]["id"] == "row:11"
    assert not [t for t in threading.enumerate() if t.name.startswith("co_widget-reply")]


def test_a_turn_with_no_text_to_retrieve_with_says_so(fake):
    pytest.importorskip("PIL")
    from PIL import Image

    chat = Chat(model="command-a-vision-07-2025", base_url=fake.url, corpus=frame(100))
    reply = chat.send("", images=[Image.new("RGB", (8, 8), "red")]).wait(30)
    assert reply.status == "complete" and reply.warnings == []
    (notice,) = chat.messages[-1]["_co"]["notices"]
    assert "no text to retrieve with" in notice["text"]
    assert calls(fake, "/v2/rerank") == [] and calls(fake, "/v2/embed") == []


def test_a_limit_that_outlasts_the_waits_is_a_rate_limit_error(fake, monkeypatch):
    monkeypatch.setattr("co_widget.wire.api_calls.MAX_RATE_WAITS", 1)
    fake.add(*[Error(429, "slow down", retry_after=0.01)] * 2, endpoint="rerank")
    chat = Chat(base_url=fake.url, corpus=["one note", "another note"])
    reply = chat.send("note?").wait(30)
    assert type(reply.error).__name__ == "RateLimitError"
    assert reply.error.message.startswith("Rerank failed") and reply.error.retry_after == 0.01
    assert len(calls(fake, "/v2/rerank")) == 2


def test_a_user_rate_spaces_the_calls():
    pacer = Pacer(per_minute=60_000)  # 1,000 units a second
    cancel = threading.Event()
    assert pacer.wait(100, cancel) == 0.0  # the first call goes at once
    assert pacer.wait(100, cancel) == pytest.approx(0.1, abs=0.05)  # the next, 100 units later
    assert Pacer(None).wait(10**6, cancel) == 0.0  # no rate: the server's 429s pace


def test_a_damaged_cache_file_is_skipped_and_its_vectors_embedded_again(fake, tmp_path):
    data = frame(120)
    Chat(base_url=fake.url, corpus=data).send("gadget 1").wait(30)
    files = sorted((tmp_path / "cache" / "embeddings").rglob("*.npz"))
    with np.load(files[0]) as saved:
        damaged = len(saved["keys"])
    files[0].write_bytes(b"not a zip file")
    _MEMORY.clear()
    _READ.clear()
    reply = Chat(base_url=fake.url, corpus=data).send("gadget 2").wait(30)
    assert reply.status == "complete"
    assert embedded_documents(fake) == 120 + damaged  # the damaged file's batch, once more


def test_a_folder_is_documents_too(fake, tmp_path):
    (tmp_path / "a.md").write_text("Alpha notes.")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "c.txt").write_text("Gamma notes.")
    (tmp_path / ".hidden.md").write_text("Secret.")
    chat = Chat(base_url=fake.url, documents=tmp_path)
    chat.send("notes?").wait(30)
    ids = [doc["id"] for doc in calls(fake, "/v2/chat")[0]["documents"]]
    assert ids == ["a.md", "b/c.txt"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no text"):
        Chat(documents=tmp_path / "empty")


KERNEL = """
import sys
import pandas as pd
from co_widget import Chat
from co_widget.testing import FakeCohere

rows = pd.DataFrame({"product": [f"gadget {i}" for i in range(400)], "price": list(range(400))})
with FakeCohere() as fake:
    report = Chat(base_url=fake.url, corpus=rows).corpus.embed(progress=False)
print(report.embedded)
"""


def test_two_kernels_fill_one_cache_folder_at_once(fake, tmp_path):
    env = {**os.environ, "CO_WIDGET_CACHE_DIR": str(tmp_path / "cache")}
    kernels = [
        subprocess.Popen([sys.executable, "-c", KERNEL], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [kernel.communicate(timeout=120)[0] for kernel in kernels]
    assert [kernel.returncode for kernel in kernels] == [0, 0], outputs
    # A third kernel finds every vector on disk, whoever wrote it, and embeds nothing.
    rows = pd.DataFrame({"product": [f"gadget {i}" for i in range(400)], "price": list(range(400))})
    report = Chat(base_url=fake.url, corpus=rows).corpus.embed(progress=False)
    assert (report.embedded, report.total) == (0, 400)
    assert calls(fake, "/v2/embed") == []
    assert not list((tmp_path / "cache").rglob("*.tmp"))
