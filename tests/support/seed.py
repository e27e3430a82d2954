"""The original example: its request (``fixtures/seed_request.json``) and the body co_widget
sends for it (``fixtures/seed_expected_body.json``): single-object content as a one-element
list, nulls omitted, the system message first, and ``p`` left out (its 0 is outside the
documented [0.01, 0.99], so it is refused with a ValueError)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED_REQUEST: dict[str, Any] = json.loads((FIXTURES / "seed_request.json").read_text("utf-8"))
EXPECTED_BODY: dict[str, Any] = json.loads(
    (FIXTURES / "seed_expected_body.json").read_text("utf-8")
)


def seed_parts() -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """``(model, messages, params)`` of the seed request, ``stream`` taken out."""
    request = copy.deepcopy(SEED_REQUEST)
    messages = request.pop("messages")
    model = request.pop("model")
    assert request.pop("stream") is True
    return model, messages, request
