"""Reconnect backoff: 0.5 s doubling to a 30 s cap, ±25 % jitter, never above the cap, reset."""

from __future__ import annotations

import random

import pytest

from mia_desktop.sources.dtc_backoff import Backoff

NOMINAL = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_nominal_sequence_doubles_to_the_cap() -> None:
    b = Backoff(rng=random.Random(1))
    seen = []
    for _ in NOMINAL:
        seen.append(b.nominal_s)
        b.next()
    assert seen == NOMINAL
    assert b.attempts == len(NOMINAL)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7, 42])
def test_each_delay_within_jitter_and_never_above_max(seed: int) -> None:
    b = Backoff(rng=random.Random(seed))
    for _ in range(3):
        for nominal in NOMINAL:
            d = b.next()
            assert nominal * 0.75 <= d <= nominal * 1.25
            assert d <= 30.0
        b.reset()


def test_cap_never_exceeded_even_when_jitter_draws_high() -> None:
    class High(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the largest spread every time

    b = Backoff(rng=High())
    delays = [b.next() for _ in NOMINAL]
    assert delays[:6] == [n * 1.25 for n in NOMINAL[:6]]  # below the cap jitter applies fully
    assert delays[6:] == [30.0, 30.0, 30.0]  # 37.5 without the clamp


def test_reset_after_data_starts_over() -> None:
    b = Backoff(rng=random.Random(5))
    for _ in range(8):
        b.next()
    assert b.nominal_s == 30.0
    b.reset()  # a connection delivered data
    assert b.nominal_s == 0.5 and b.attempts == 0
    assert 0.375 <= b.next() <= 0.625
    assert b.nominal_s == 1.0


def test_same_seed_same_delays() -> None:
    b1, b2 = Backoff(rng=random.Random(9)), Backoff(rng=random.Random(9))
    assert [b1.next() for _ in range(6)] == [b2.next() for _ in range(6)]


def test_bad_bounds_rejected() -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=0.0)
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=40.0, max_s=30.0)
