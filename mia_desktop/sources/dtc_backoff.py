"""Reconnect delays: exponential from `initial_s` to `max_s`, each with ±`jitter` random spread so
that many clients restarted together do not reconnect in lockstep.

The nominal delays run initial_s, initial_s*factor, ... up to max_s and stay there. The jittered
delay is clamped to max_s afterwards: at the cap the spread is one-sided (max_s*(1-jitter) .. max_s),
so a delay never exceeds max_s."""

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
        return min(base * (1.0 + self._rng.uniform(-self.jitter, self.jitter)), self.max_s)

    @property
    def nominal_s(self) -> float:
        """The un-jittered delay the next `next()` call is based on."""
        return self._base

    def reset(self) -> None:
        """Call once a connection has really delivered data."""
        self._base = self.initial_s
        self.attempts = 0
