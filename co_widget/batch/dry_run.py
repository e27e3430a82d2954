"""``chat.map(..., dry_run=True)``: what a map would send, rendered and counted; nothing is sent."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..request.pricing import CHARS_PER_TOKEN, price_of
from .rows import RowPlan

__all__ = ["DryRun", "dry_run_of"]

_PROMPTS = 3


@dataclass
class DryRun:
    """What ``chat.map(..., dry_run=True)`` would send; nothing was sent."""

    rows: int
    requests: int  # rows not already done in the results file
    prompts: list[str]  # the first rendered user messages
    input_tokens: int  # estimated: about 4 characters a token, over every request
    cost: float | None = None  # of the input tokens, when the model's price is known
    errors: list[str] = field(default_factory=list)  # rows that cannot be rendered

    def __repr__(self) -> str:
        lines = [
            f"DryRun: {self.requests} requests for {self.rows} rows "
            f"({self.rows - self.requests - len(self.errors)} already done), "
            f"≈{self.input_tokens:,} input tokens"
            + (
                f", ≈${self.cost:.4f} for the input (plus the replies)"
                if self.cost is not None
                else ", cost unknown (no price for this model)"
            ),
        ]
        lines += [f"  prompt {i}: {prompt!r}" for i, prompt in enumerate(self.prompts)]
        lines += [f"  cannot render: {error}" for error in self.errors[:5]]
        return "\n".join(lines)


def dry_run_of(plan: RowPlan) -> DryRun:
    """Render every row (nothing is sent): the first prompts, the requests, the tokens."""
    done = plan.journal.done() if plan.journal is not None else {}
    seen: Counter[str] = Counter()
    prompts: list[str] = []
    errors: list[str] = []
    requests = chars = 0
    for position in range(len(plan.rows)):
        try:
            key, body, _ = plan.prepare(position, seen)
        except (ValueError, TypeError) as error:
            errors.append(f"row {plan.rows.label(position)!r}: {error}")
            continue
        if len(prompts) < _PROMPTS:
            prompts.append(_user_text(body))
        if key not in done:
            requests += 1
            chars += len(json.dumps(body.get("messages", []), ensure_ascii=False))
            chars += len(json.dumps(body.get("documents", []), ensure_ascii=False))
    tokens = math.ceil(chars / CHARS_PER_TOKEN)
    price = price_of(plan.chat.model, plan.chat._prices)
    cost = None if price is None else tokens * price["input"] / 1_000_000
    return DryRun(len(plan.rows), requests, prompts, tokens, cost, errors)


def _user_text(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")
