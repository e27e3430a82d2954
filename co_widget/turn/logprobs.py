"""``send(..., logprobs=True)``: the log probabilities Cohere streams with the reply's text.

Each ``content-delta`` of a text block then carries ``logprobs: {text, token_ids, logprobs}``:
the chunk's text, its token ids and one log probability per token. A chunk is the finest piece
whose text is known, so each becomes one :class:`TokenLogprob`: its text, the sum of its tokens'
log probabilities (the probability of the whole chunk; for the usual one-token chunk, the
token's own), and its offsets in ``reply.text`` (Python characters).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["LogprobTrack", "TokenLogprob"]

# Digits kept in the widget's copy (``_co.logprobs``): enough for a shade and a percentage.
_DIGITS = 4


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    token: str
    logprob: float
    start: int  # reply.text[start:end] == token
    end: int
    token_ids: tuple[int, ...] = ()

    @property
    def probability(self) -> float:
        return math.exp(self.logprob)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["token_ids"] = list(self.token_ids)
        return record


class LogprobTrack:
    """The logprobs of one model call's text, built delta by delta (the reply's lock guards
    it). ``add`` must see every text delta, with or without logprobs, to keep offsets right."""

    def __init__(self) -> None:
        self.tokens: list[TokenLogprob] = []
        self._offset = 0

    def add(self, text: str, logprobs: Any) -> bool:
        """Record one text delta; return False when its logprobs are malformed (skipped)."""
        start, self._offset = self._offset, self._offset + len(text)
        if logprobs is None:
            return True
        values = logprobs.get("logprobs") if isinstance(logprobs, dict) else None
        ids = logprobs.get("token_ids") if isinstance(logprobs, dict) else None
        if not isinstance(values, list) or not values or not all(_is_logprob(v) for v in values):
            return False
        token_ids = tuple(i for i in ids if isinstance(i, int)) if isinstance(ids, list) else ()
        self.tokens.append(TokenLogprob(text, float(sum(values)), start, self._offset, token_ids))
        return True

    def compact(self) -> list[list[float]]:
        """``[[start, end, logprob], ...]``: what the widget needs to shade the text."""
        return [[t.start, t.end, round(t.logprob, _DIGITS)] for t in self.tokens]


def _is_logprob(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value <= 0
    )
