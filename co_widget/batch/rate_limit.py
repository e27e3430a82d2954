"""Pacing many requests to one model (``chat.map``): how many may be in flight, and when the
next may start.

By default the server sets the pace: the limit on requests in flight grows by one per "window"
of successes (additive increase) and halves on a 429 (multiplicative decrease), and a 429's
``Retry-After`` pauses every new start for that long. A client cannot tell a trial key from a
production one, so Cohere's published per-minute limits are presets the user opts into
(``rate_limit="trial"``), or any number of requests a minute.

One :class:`RateLimiter` per (endpoint, model) and process (:func:`limiter_for`): the rows of
one ``map``, and of several running at once, share it. Worker processes (a process pool, a Dask
cluster) each have their own.
"""

from __future__ import annotations

import threading
import time

__all__ = ["PRESETS", "RateLimiter", "limiter_for", "per_minute"]

# Cohere's published chat limits (requests a minute): trial keys, and production for Command A,
# R+, R, R7B and North Mini Code.
PRESETS: dict[str, float] = {"trial": 20.0, "production": 500.0}

# How often a waiting start looks at its stop event: the bound on how late a Stop is seen.
_POLL = 0.05
# A burst of 429s answers one overload: halve the limit at most once in this long.
_DECREASE_EVERY = 1.0
# With no Retry-After, a 429 pauses new starts this long.
_DEFAULT_PAUSE = 1.0


def per_minute(rate_limit: object) -> float | None:
    """``rate_limit=`` as requests a minute: None (the server paces), a preset name, or a
    positive number. Raises ValueError for anything else."""
    if rate_limit is None:
        return None
    if isinstance(rate_limit, str) and rate_limit in PRESETS:
        return PRESETS[rate_limit]
    number = isinstance(rate_limit, (int, float)) and not isinstance(rate_limit, bool)
    if number and 0 < rate_limit < float("inf"):  # type: ignore[operator]
        return float(rate_limit)  # type: ignore[arg-type]
    raise ValueError(
        f"rate_limit must be None (pace by the server's 429s), {' or '.join(map(repr, PRESETS))} "
        f"(Cohere's published chat limits), or requests a minute > 0; got {rate_limit!r}."
    )


class RateLimiter:
    """Admits requests: at most ``limit`` in flight (adaptive, up to ``concurrency``), none
    during a server-asked pause, and at most ``rate`` a minute when one is set."""

    def __init__(self, concurrency: int, rate: float | None = None) -> None:
        self._cond = threading.Condition()
        self.concurrency = concurrency
        self.rate = rate
        self.limit = float(concurrency)
        self.in_flight = 0
        self.throttled = 0  # 429s seen
        self._paused_until = 0.0
        self._next_slot = 0.0
        self._last_decrease = -_DECREASE_EVERY

    def configure(self, concurrency: int, rate: float | None) -> None:
        """A new ``map`` on the same model sets the ceiling and the rate; what was learnt from
        429s (the current limit, a pause) stays."""
        with self._cond:
            self.concurrency = concurrency
            self.rate = rate
            self.limit = min(self.limit, float(concurrency))
            self._cond.notify_all()

    def acquire(self, stop: threading.Event) -> bool:
        """Wait for a slot; True once admitted (call :meth:`release` after), False if ``stop``
        was set meanwhile."""
        with self._cond:
            while not stop.is_set():
                now = time.monotonic()
                wait = max(self._paused_until, self._next_slot) - now
                if wait <= 0 and self.in_flight < max(1, int(self.limit)):
                    self.in_flight += 1
                    if self.rate is not None:
                        self._next_slot = max(now, self._next_slot) + 60.0 / self.rate
                    return True
                self._cond.wait(min(wait, _POLL) if wait > 0 else _POLL)
            return False

    def release(self, *, throttled: bool = False, retry_after: float | None = None) -> None:
        """A request admitted by :meth:`acquire` is over; ``throttled`` if the server answered
        429 (``retry_after``: its Retry-After, in seconds)."""
        with self._cond:
            self.in_flight -= 1
            now = time.monotonic()
            if throttled:
                self.throttled += 1
                pause = _DEFAULT_PAUSE if retry_after is None else retry_after
                self._paused_until = max(self._paused_until, now + pause)
                if now - self._last_decrease >= _DECREASE_EVERY:
                    self._last_decrease = now
                    self.limit = max(1.0, self.limit / 2)
            else:
                self.limit = min(float(self.concurrency), self.limit + 1.0 / self.limit)
            self._cond.notify_all()


_registry: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(endpoint: str, model: str, concurrency: int, rate: float | None) -> RateLimiter:
    """This process's limiter for ``model`` at ``endpoint``, set to ``concurrency`` and
    ``rate``."""
    with _registry_lock:
        limiter = _registry.get((endpoint, model))
        if limiter is None:
            limiter = _registry[(endpoint, model)] = RateLimiter(concurrency, rate)
            return limiter
    limiter.configure(concurrency, rate)
    return limiter
