"""What may go into a request, the synced state or a saved file: plain JSON values only.

A history or a parameter is sent as JSON, synced to the browser as JSON and saved as UTF-8 JSON,
so anything else (bytes, a set, an object, NaN, a lone UTF-16 surrogate, a structure thousands of
levels deep) would fail later, on every send or save. :func:`check_json` rejects it up front with
a ValueError naming the path. It walks iteratively, so depth itself cannot crash it.

Also: the text helpers for the one thing a ``str`` can hold that UTF-8 cannot, lone surrogates
(half an emoji pasted in, or a ``"\\ud83d"`` escape from a server).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "check_json",
    "check_text",
    "deep_path",
    "json_depth_exceeds",
    "lone_surrogate",
    "non_negative_number",
    "repair_json",
    "repair_surrogates",
]

# Deeper than any real message, schema or citation; far below the interpreter's recursion limit,
# so copying and encoding a checked value cannot raise RecursionError.
MAX_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
# A high surrogate not followed by a low one, or a low one not preceded by a high one.
_LONE_SURROGATE = re.compile(
    "[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)


def lone_surrogate(text: str) -> int | None:
    """The index of the first unpaired UTF-16 surrogate in ``text``, or None."""
    if text.isascii():  # a flag of the string in CPython: the common case costs nothing
        return None
    match = _LONE_SURROGATE.search(text)
    return None if match is None else match.start()


def non_negative_number(value: Any) -> bool:
    """A finite number >= 0 (not a bool): a token count, a price."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def repair_surrogates(text: str) -> str:
    """Join surrogate pairs into their characters; each lone surrogate becomes U+FFFD."""
    # Every delta of a stream passes here: ASCII text (a flag of the string) needs no search.
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def repair_json(value: Any) -> Any:
    """``value`` with :func:`repair_surrogates` applied to every string (keys too), and NaN and
    infinities (which ``json.loads`` accepts) as None. For values whose depth is bounded (the
    stream parser's, or ones :func:`deep_path` passed)."""
    if isinstance(value, str):
        return repair_surrogates(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {repair_surrogates(k): repair_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair_json(item) for item in value]
    return value


def check_text(text: str, what: str) -> None:
    i = lone_surrogate(text)
    if i is not None:
        raise ValueError(
            f"{what} holds half of a character (the lone UTF-16 surrogate "
            f"{text[i]!r} at position {i}), which cannot be sent; remove it or paste the whole "
            "character again."
        )


def check_json(value: Any, path: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise ValueError unless ``value`` is a JSON value: dict (str keys), list, tuple, str, int,
    finite float, bool or None, at most ``max_depth`` levels deep, with no lone surrogates."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if item is None or isinstance(item, (bool, int)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(
                    f"{where} is {item!r}, which JSON cannot hold; use a number or None."
                )
        elif isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, (dict, list, tuple)):
            if depth >= max_depth:
                raise ValueError(f"{where} is nested more than {max_depth} levels deep.")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise ValueError(f"{where} has a key {key!r} that is not a string.")
                    check_text(key, f"{where} key {key[:20]!r}")
                    stack.append((child, f"{where}[{key!r}]", depth + 1))
            else:
                stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            raise ValueError(
                f"{where} is a {type(item).__name__}, which is not JSON; use str, int, float, "
                "bool, None, list or dict."
            )


def json_depth_exceeds(value: Any, max_depth: int = MAX_DEPTH) -> bool:
    """True if ``value`` nests lists and dicts more than ``max_depth`` levels (iterative)."""
    return deep_path(value, "", max_depth) is not None


def deep_path(value: Any, path: str, max_depth: int = MAX_DEPTH) -> str | None:
    """The path of the first list or dict in ``value`` nested more than ``max_depth`` levels
    deep (``path`` names ``value`` itself), or None. Iterative: depth cannot crash it."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth >= max_depth:
                return where
            if isinstance(item, dict):
                stack.extend((child, f"{where}[{key!r}]", depth + 1) for key, child in item.items())
            else:
                stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
    return None
