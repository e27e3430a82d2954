"""Adding up Cohere usage records (a reply with tools makes several model calls)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["add_usage"]


def add_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    """The sum of two usage records (numbers add up, nested groups too); a copy."""
    if a is None or b is None:
        return copy.deepcopy(a if b is None else b)
    total = copy.deepcopy(a)
    for key, value in b.items():
        if isinstance(value, dict):
            known = total.get(key)
            total[key] = add_usage(known if isinstance(known, dict) else {}, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            total[key] = (total.get(key) or 0) + value
        else:
            total[key] = value
    return total
