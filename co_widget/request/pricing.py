"""What a reply costs, and how full the model's context is.

Prices are US dollars per million *billed* tokens (``usage.billed_units``, what Cohere charges
for), from Cohere's pricing page. :data:`prices` is the package's table, a plain dict the user
may change (``co_widget.prices["command-a-03-2025"] = {"input": 2.5, "output": 10.0}``); a chat's
own ``Chat(prices=...)`` wins over it. A model with no price costs ``None``: the widget then
shows tokens only, never a guessed price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..wire.json_values import non_negative_number

__all__ = ["PRICES_AS_OF", "check_prices", "context_tokens", "cost_of", "price_of", "prices"]

PRICES_AS_OF = "2025-09"  # when the table below was copied from https://cohere.com/pricing
Price = Mapping[str, float]

prices: dict[str, dict[str, float]] = {
    "command-a-03-2025": {"input": 2.50, "output": 10.00},
    "command-r-plus-08-2024": {"input": 2.50, "output": 10.00},
    "command-r-08-2024": {"input": 0.15, "output": 0.60},
    "command-r7b-12-2024": {"input": 0.0375, "output": 0.15},
}

# A rough count of tokens in text not yet sent (the new message): Cohere's tokenizers average
# about four characters a token on English text. Only ever added to a measured count.
CHARS_PER_TOKEN = 4


def check_prices(table: Any) -> dict[str, dict[str, float]]:
    """``Chat(prices=...)``: ``{model: {"input": usd, "output": usd}}`` per million tokens."""
    if not isinstance(table, Mapping):
        raise ValueError(
            "prices= must be a dict {model: {'input': usd, 'output': usd}} (per million "
            f"tokens), got {type(table).__name__}."
        )
    checked: dict[str, dict[str, float]] = {}
    for model, price in table.items():
        if not isinstance(model, str) or not isinstance(price, Mapping):
            raise ValueError(f"prices[{model!r}] must be {{'input': usd, 'output': usd}}.")
        for side in ("input", "output"):
            value = price.get(side)
            if not _is_price(value):
                raise ValueError(
                    f"prices[{model!r}][{side!r}] must be a number >= 0 (US dollars per "
                    f"million tokens), got {value!r}."
                )
        checked[model] = {"input": float(price["input"]), "output": float(price["output"])}
    return checked


def price_of(model: str | None, own: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: the chat's own table first, then :data:`prices`; or None."""
    if model is None:
        return None
    for table in (own or {}, prices):
        price = table.get(model)
        if price is not None and all(_is_price(price.get(side)) for side in ("input", "output")):
            return price
    return None


def cost_of(
    usage: Mapping[str, Any] | None, model: str | None, own: Mapping[str, Price] | None = None
) -> float | None:
    """US dollars for ``usage`` (a Cohere usage record) on ``model``; None when the usage or
    the price is unknown."""
    price = price_of(model, own)
    billed = usage.get("billed_units") if isinstance(usage, Mapping) else None
    if price is None or not isinstance(billed, Mapping):
        return None
    tokens_in, tokens_out = billed.get("input_tokens") or 0, billed.get("output_tokens") or 0
    if not (_is_price(tokens_in) and _is_price(tokens_out)):
        return None
    return (tokens_in * price["input"] + tokens_out * price["output"]) / 1_000_000


def context_tokens(messages: list[dict[str, Any]], system: str | None) -> int:
    """How many tokens of context the next request starts with: the last model call's input
    tokens (history, documents, tools and Cohere's template, as Cohere counted them) plus its
    output, plus an estimate for the messages added since. With no usage yet, all estimated."""
    counted, since = 0, 0
    for index in range(len(messages) - 1, -1, -1):
        meta = messages[index].get("_co") or {}
        context = meta.get("context")
        if isinstance(context, int) and not isinstance(context, bool):
            counted, since = context, index + 1
            break
    estimate = sum(estimate_tokens(_text_of(message)) for message in messages[since:])
    if since == 0 and system:
        estimate += estimate_tokens(system)
    return counted + estimate


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(block.get("text") or block.get("thinking") or "")
            for block in content
            if isinstance(block, Mapping)
        )
    return ""


_is_price = non_negative_number
