"""FakeCohere's /v2/embed and /v2/rerank: deterministic, in the API's shapes (the official SDK
reads them), refusing what the API refuses, recorded, and with faults on demand."""

from __future__ import annotations

import math

import pytest
import requests

from co_widget.testing import Error, FakeCohere

TEXTS = ["Coca-Cola was invented in 1886.", "Pepsi was created in 1893.", "Cola, invented!"]


def post(fake: FakeCohere, path: str, body: dict) -> requests.Response:
    return requests.post(fake.url + path, json=body, timeout=10)


def embed(fake: FakeCohere, texts=TEXTS, **fields) -> dict:
    body = {"model": "embed-v4.0", "input_type": "search_document", "texts": texts, **fields}
    response = post(fake, "/v2/embed", body)
    assert response.status_code == 200, response.text
    return response.json()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embed_is_a_deterministic_bag_of_words(fake):
    first = embed(fake, output_dimension=512)
    vectors = first["embeddings"]["float"]
    assert len(vectors) == 3 and {len(v) for v in vectors} == {512}
    assert all(math.isclose(cosine(v, v), 1.0, rel_tol=1e-4) for v in vectors)
    # Texts sharing words ("cola", "invented") are nearer than texts that share none.
    assert cosine(vectors[0], vectors[2]) > cosine(vectors[1], vectors[2])
    assert embed(fake, output_dimension=512)["embeddings"] == first["embeddings"]
    assert first["texts"] == TEXTS and first["meta"]["billed_units"]["input_tokens"] == 13
    # Default dimension as embed-v4.0's; several types at once.
    typed = embed(fake, embedding_types=["int8", "uint8", "binary", "ubinary"])["embeddings"]
    assert len(typed["int8"][0]) == 1536 and all(-127 <= x <= 127 for x in typed["int8"][0])
    assert all(0 <= x <= 255 for x in typed["uint8"][0])
    assert len(typed["binary"][0]) == len(typed["ubinary"][0]) == 1536 // 8


def test_rerank_scores_by_shared_words_best_first(fake):
    body = {"model": "rerank-v3.5", "query": "When was Pepsi created?", "documents": TEXTS}
    answer = post(fake, "/v2/rerank", {**body, "top_n": 2}).json()
    assert [r["index"] for r in answer["results"]] == [1, 0]
    assert answer["results"][0]["relevance_score"] == 0.75  # was, pepsi, created of 4 words
    # The query's first paragraph counts most: the earlier turns only break ties.
    context = {**body, "query": "And Coca-Cola?\n\nWhen was Pepsi created?"}
    assert post(fake, "/v2/rerank", context).json()["results"][0]["index"] == 0


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        (
            "/v2/embed",
            {"model": "embed-v4.0", "input_type": "search_query", "texts": ["x"] * 97},
            400,
            "at most 96",
        ),
        ("/v2/embed", {"model": "embed-v4.0", "texts": ["x"]}, 400, "input_type"),
        (
            "/v2/embed",
            {"model": "command-a", "input_type": "search_query", "texts": ["x"]},
            404,
            "not found",
        ),
        ("/v2/rerank", {"model": "embed-v4.0", "query": "q", "documents": ["d"]}, 404, "not found"),
        ("/v2/rerank", {"model": "rerank-v3.5", "query": "", "documents": ["d"]}, 400, "query"),
        (
            "/v2/rerank",
            {"model": "rerank-v3.5", "query": "q", "documents": [{"text": "d"}]},
            400,
            "strings",
        ),
    ],
)
def test_what_the_api_refuses_the_fake_refuses(fake, path, body, status, words):
    response = post(fake, path, body)
    assert response.status_code == status and words in response.json()["message"]


def test_requests_are_recorded_and_faults_come_first(fake):
    fake.add(Error(429, "slow down", retry_after=2), endpoint="rerank")
    body = {"model": "rerank-v3.5", "query": "q", "documents": ["q"]}
    limited = post(fake, "/v2/rerank", body)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert post(fake, "/v2/rerank", body).status_code == 200
    assert [r.path for r in fake.requests] == ["/v2/rerank", "/v2/rerank"]
    assert fake.requests[0].json == body
    with pytest.raises(ValueError, match="Error"):
        fake.add("a text reply", endpoint="embed")


def test_the_key_is_checked_on_embed_and_rerank_too():
    with FakeCohere(api_key="k-1") as fake:
        body = {"model": "embed-v4.0", "input_type": "search_query", "texts": ["x"]}
        assert post(fake, "/v2/embed", body).status_code == 401
        ok = requests.post(
            fake.url + "/v2/embed", json=body, headers={"Authorization": "Bearer k-1"}, timeout=10
        )
        assert ok.status_code == 200


@pytest.mark.sdk
def test_the_official_sdk_reads_embed_and_rerank():
    cohere = pytest.importorskip("cohere")
    with FakeCohere() as fake:
        client = cohere.ClientV2(api_key="k", base_url=fake.url, timeout=10)
        embedded = client.embed(
            model="embed-v4.0",
            input_type="search_document",
            texts=TEXTS,
            embedding_types=["float"],
            output_dimension=256,
        )
        assert len(embedded.embeddings.float_) == 3 and len(embedded.embeddings.float_[0]) == 256
        ranked = client.rerank(
            model="rerank-v3.5", query="When was Pepsi created?", documents=TEXTS, top_n=1
        )
        assert ranked.results[0].index == 1 and ranked.results[0].relevance_score == 0.75
