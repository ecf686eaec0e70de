"""Reconnect delays: exponential from `initial_s` to `max_s`, each with ±`jitter` random spread so
that many clients restarted together do not reconnect in lockstep."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial_s: float = 0.5, max_s: float = 30.0, *, factor: float = 2.0,
                 jitter: float = 0.25, rng: random.Random | None = None) -> None:
        if not (0 < initial_s <= max_s):
            raise ValueError(f"backoff needs 0 < initial_s <= max_s, got {initial_s}, {max_s}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._base = initial_s
        self.attempts = 0

    def next(self) -> float:
        """The delay before the next attempt; grows until max_s."""
        base = self._base
        self._base = min(self._base * self.factor, self.max_s)
        self.attempts += 1
        return base * (1.0 + self._rng.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        """Call once a connection has really delivered data."""
        self._base = self.initial_s
        self.attempts = 0
