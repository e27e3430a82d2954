"""FakeCohere's ``GET /v1/models`` and its streamed logprobs (private; see ``testing``)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from co_widget.testing.server import count_words

__all__ = ["FAKE_MODELS", "models_body", "prefix_words", "with_logprobs"]


def _model(
    name: str, context: int, features: Sequence[str], *, deprecated: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "endpoints": ["chat"],
        "finetuned": False,
        "context_length": context,
        "tokenizer_url": f"https://storage.googleapis.com/cohere-public/tokenizers/{name}.json",
        "default_endpoints": ["chat"],
        "features": list(features),
        "is_deprecated": deprecated,
        "sampling_defaults": {"temperature": 0.3, "p": 0.75, "k": 0},
    }


# A small list shaped like Cohere's answer: current models, one deprecated alias, and one model
# the built-in table does not know (so the merge shows).
FAKE_MODELS: tuple[dict[str, Any], ...] = (
    _model("command-a-03-2025", 256_000, ["tools", "strict_tools", "json_mode", "json_schema"]),
    _model("command-a-plus-05-2026", 128_000, ["tools", "json_mode", "vision", "reasoning"]),
    _model("command-a-reasoning-08-2025", 256_000, ["tools", "json_mode", "reasoning"]),
    _model("command-a-vision-07-2025", 128_000, ["json_mode", "vision"]),
    _model("command-r7b-12-2024", 128_000, ["tools", "json_mode"]),
    _model("north-mini-code-1-0", 64_000, ["tools", "json_mode"]),
    _model("command-r-plus", 128_000, ["tools", "json_mode"], deprecated=True),
)


def models_body(models: Iterable[dict[str, Any]], path: str) -> dict[str, Any]:
    """The answer to ``GET /v1/models?endpoint=...``: one page, filtered by endpoint."""
    endpoint = parse_qs(urlsplit(path).query).get("endpoint", [None])[0]
    listed = [m for m in models if endpoint is None or endpoint in m.get("endpoints", ())]
    return {"models": listed, "next_page_token": ""}


def prefix_words(request_json: dict[str, Any]) -> int:
    """Cached input tokens, as a prompt cache would report them: the words of every message
    before the last user message (the part an earlier request already sent)."""
    messages = request_json.get("messages")
    if not isinstance(messages, list):
        return 0
    users = [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]
    return count_words({"messages": messages[: users[-1]]}) if users else 0


def with_logprobs(events: Iterable[dict[str, Any] | bytes]) -> list[dict[str, Any] | bytes]:
    """``events`` with ``logprobs`` on each text ``content-delta``, as the API adds them when
    asked: one token per delta, its id and log probability derived from its text (stable
    across runs; most tokens confident, some not, so shading has something to show)."""
    out: list[dict[str, Any] | bytes] = []
    for event in events:
        content = (
            event.get("delta", {}).get("message", {}).get("content")
            if isinstance(event, dict) and event.get("type") == "content-delta"
            else None
        )
        if (
            isinstance(event, dict)
            and isinstance(content, dict)
            and "text" in content
            and "logprobs" not in event
        ):
            text = content["text"]
            seed = zlib.crc32(text.encode())
            probability = 0.03 + 0.97 * ((seed % 1000) / 999) ** 0.35
            event = {
                **event,
                "logprobs": {
                    "text": text,
                    "token_ids": [seed % 100_000],
                    "logprobs": [round(math.log(probability), 6)],
                },
            }
        out.append(event)
    return out
