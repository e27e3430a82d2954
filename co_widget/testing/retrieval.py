"""FakeCohere's ``/v2/embed`` and ``/v2/rerank``: deterministic stand-ins, so the whole RAG loop
runs offline (demos, tests, users' CI) and gives sensible results.

* Embed: a hashed bag of words. Each word (lower-cased ``\\w+``) adds ±1 at a position given by
  its hash, in ``output_dimension`` dimensions (1536 by default, as embed-v4.0), then the vector
  is scaled to unit length; ``int8``/``uint8`` are that scaled to the type's range, ``binary`` /
  ``ubinary`` its signs packed in bytes. Texts sharing words are near each other.
* Rerank: the share of the query's distinct words a document holds (0 to 1). Words of the
  query's first paragraph count 1, the others 0.2: co_widget puts the newest question first,
  then the conversation's earlier turns, which should only break ties. Ties left are broken by
  the document's position; ``results`` best first, ``top_n`` of them.

Both check requests as the API does (400 for a malformed body, over 96 texts, a missing
``input_type``; 404 for a model of the wrong family) and answer in the API's shapes.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import uuid
from typing import Any

__all__ = ["RETRIEVAL_PATHS", "fake_embed", "fake_rerank", "retrieval_answer"]

RETRIEVAL_PATHS = ("/v2/embed", "/v2/rerank")
_WORD = re.compile(r"\w+")
_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
_TYPES = ("float", "int8", "uint8", "binary", "ubinary")
_DIMENSIONS = (256, 512, 1024, 1536)
_MAX_TEXTS = 96
_MAX_DOCUMENTS = 10_000
_CONTEXT_WEIGHT = 0.2  # a word of the query after its first paragraph


class RequestProblem(Exception):
    """What the API would answer instead: ``status`` and Cohere's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def retrieval_answer(path: str, body: Any) -> dict[str, Any]:
    """The JSON answer to a request at ``path`` (one of :data:`RETRIEVAL_PATHS`); raises
    RequestProblem for what the API refuses."""
    if not isinstance(body, dict):
        raise RequestProblem(400, "invalid request: the body must be a JSON object")
    return fake_embed(body) if path == "/v2/embed" else fake_rerank(body)


def fake_embed(body: dict[str, Any]) -> dict[str, Any]:
    model = body.get("model")
    _check_model(model, "embed-")
    texts = body.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts) or not texts:
        raise RequestProblem(400, "invalid request: texts must be a non-empty list of strings")
    if len(texts) > _MAX_TEXTS:
        raise RequestProblem(
            400, f"invalid request: texts must have at most {_MAX_TEXTS} items, got {len(texts)}"
        )
    if body.get("input_type") not in _INPUT_TYPES:
        raise RequestProblem(400, f"invalid request: input_type must be one of {_INPUT_TYPES}")
    types = body.get("embedding_types") or ["float"]
    if not isinstance(types, list) or not set(types) <= set(_TYPES):
        raise RequestProblem(400, f"invalid request: embedding_types must be in {_TYPES}")
    dimension = body.get("output_dimension") or 1536
    if dimension not in _DIMENSIONS:
        raise RequestProblem(400, f"invalid request: output_dimension must be in {_DIMENSIONS}")
    vectors = [bag_of_words(text, dimension) for text in texts]
    return {
        "id": str(uuid.uuid4()),
        "embeddings": {kind: [_as_type(v, kind) for v in vectors] for kind in types},
        "texts": texts,
        "meta": {
            "api_version": {"version": "2"},
            "billed_units": {"input_tokens": sum(len(_WORD.findall(t)) for t in texts)},
        },
    }


def fake_rerank(body: dict[str, Any]) -> dict[str, Any]:
    _check_model(body.get("model"), "rerank-")
    query, documents = body.get("query"), body.get("documents")
    if not isinstance(query, str) or not query.strip():
        raise RequestProblem(400, "invalid request: query must be a non-empty string")
    if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
        raise RequestProblem(400, "invalid request: documents must be a list of strings")
    if len(documents) > _MAX_DOCUMENTS:
        raise RequestProblem(400, f"invalid request: at most {_MAX_DOCUMENTS} documents")
    top_n = body.get("top_n") or len(documents)
    if not isinstance(top_n, int) or top_n < 1:
        raise RequestProblem(400, "invalid request: top_n must be a positive integer")
    first, _, rest = query.lower().partition("\n\n")
    weights = dict.fromkeys(_WORD.findall(rest), _CONTEXT_WEIGHT)
    weights.update(dict.fromkeys(_WORD.findall(first), 1.0))
    total = sum(weights.values()) or 1.0
    scores = [
        sum(weights.get(word, 0.0) for word in set(_WORD.findall(d.lower()))) / total
        for d in documents
    ]
    order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))[:top_n]
    return {
        "id": str(uuid.uuid4()),
        "results": [{"index": i, "relevance_score": round(scores[i], 6)} for i in order],
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
    }


def bag_of_words(text: str, dimension: int) -> list[float]:
    """The unit vector of ``text``'s hashed words (see the module docstring)."""
    vector = [0.0] * dimension
    for word in _WORD.findall(text.lower()):
        position, sign = _hashed(word)
        vector[position % dimension] += sign
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


@functools.lru_cache(maxsize=65536)
def _hashed(word: str) -> tuple[int, float]:
    # Cached: a corpus repeats its words, and a 100,000-row benchmark embeds through here.
    digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), 1.0 if digest[4] & 1 else -1.0


def _as_type(vector: list[float], kind: str) -> list[Any]:
    if kind == "float":
        return [round(x, 6) if x else 0.0 for x in vector]
    if kind == "int8":
        return [round(x * 127) for x in vector]
    if kind == "uint8":
        return [round(x * 127) + 128 for x in vector]
    bits = [1 if x > 0 else 0 for x in vector]
    packed = [
        int("".join(map(str, bits[i : i + 8])).ljust(8, "0"), 2) for i in range(0, len(bits), 8)
    ]
    return [b - 128 for b in packed] if kind == "binary" else packed


def _check_model(model: Any, family: str) -> None:
    if not isinstance(model, str) or not model.startswith(family):
        raise RequestProblem(
            404, f"model '{model}' not found, make sure the correct model ID was used"
        )
