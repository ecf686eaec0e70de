"""Deterministic synthetic heatmap input: a test pattern (tests, GL self-test) and a market-like
session (screenshots, benchmarks). Not a market simulator: only HeatColumn/Trade shaped data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mia_desktop.engine.snapshot import HeatColumn
from mia_desktop.market.events import Side, Trade

PATTERN_BASE = 20_000        # tick of row 0 of the test pattern (ES 5000.00)
PATTERN_ROWS = 120
PATTERN_COLS = 400
T0_US = 1_700_000_000_000_000


@dataclass(frozen=True, slots=True)
class PatternBlock:
    col0: int
    col1: int
    tick0: int
    tick1: int
    size: float


# Blocks of resting size at known places: (columns [c0, c1), ticks [t0, t1), size)
PATTERN_BLOCKS = (
    PatternBlock(50, 150, PATTERN_BASE + 70, PATTERN_BASE + 74, 2000.0),   # big ask wall
    PatternBlock(100, 300, PATTERN_BASE + 30, PATTERN_BASE + 33, 400.0),   # bid wall
    PatternBlock(250, 380, PATTERN_BASE + 90, PATTERN_BASE + 92, 60.0),    # small level
)
PATTERN_BID = PATTERN_BASE + 55
PATTERN_ASK = PATTERN_BASE + 56


def test_pattern_columns(n: int = PATTERN_COLS, column_us: int = 100_000, *, with_best: bool = True
                         ) -> list[HeatColumn]:
    cols = []
    for c in range(n):
        bid = np.zeros(PATTERN_ROWS, np.float32)
        ask = np.zeros(PATTERN_ROWS, np.float32)
        for b in PATTERN_BLOCKS:
            if b.col0 <= c < b.col1:
                side = ask if b.tick0 > PATTERN_ASK else bid
                side[b.tick0 - PATTERN_BASE:b.tick1 - PATTERN_BASE] = b.size
        z = np.zeros(PATTERN_ROWS, np.float32)
        cols.append(HeatColumn(c, T0_US + (c + 1) * column_us, PATTERN_BASE, bid, ask, z, z,
                               PATTERN_BID if with_best else None, PATTERN_ASK if with_best else None))
    return cols


def test_pattern_trades() -> list[Trade]:
    return [Trade("ES", T0_US + (c + 1) * 100_000 - 50_000, PATTERN_BID if c % 40 else PATTERN_ASK,
                  10 + c % 90, Side.ASK if (c // 20) % 2 else Side.BID) for c in range(10, PATTERN_COLS, 20)]


def market_session(n: int, *, seed: int = 7, start_tick: int = 20_000, levels: int = 60,
                   column_us: int = 100_000, t0_us: int = T0_US) -> tuple[list[HeatColumn], list[Trade]]:
    """A random-walk market: a book of `levels` per side with persistent walls, trades each column."""
    cols: list[HeatColumn] = []
    trades: list[Trade] = []
    for c, ts in iter_market(n, seed=seed, start_tick=start_tick, levels=levels, column_us=column_us,
                             t0_us=t0_us):
        cols.append(c)
        trades.extend(ts)
    trades.sort(key=lambda t: t.ts_us)
    return cols, trades


def iter_market(n: int, *, seed: int = 7, start_tick: int = 20_000, levels: int = 60,
                column_us: int = 100_000, t0_us: int = T0_US) -> Iterator[tuple[HeatColumn, list[Trade]]]:
    """Column by column (bounded memory for long histories): (column, trades during it)."""
    rng = np.random.default_rng(seed)
    rows = 2 * levels + 40
    mid = float(start_tick)
    walls: dict[int, float] = {}
    base_noise = rng.gamma(2.0, 25.0, size=4096)
    d = np.arange(levels)
    z = np.zeros(rows, np.float32)
    for c in range(n):
        mid += rng.normal(0, 0.35) + 0.002 * (start_tick - mid)
        bid_t = int(np.floor(mid))
        ask_t = bid_t + 1
        if rng.random() < 0.02:
            price = bid_t + int(rng.integers(-levels, levels))
            walls[price] = float(rng.gamma(3.0, 400.0))
        for p in list(walls):
            walls[p] *= 0.9985
            if walls[p] < 50 or rng.random() < 0.001:
                del walls[p]
        base = bid_t - levels - 20
        bid = np.zeros(rows, np.float32)
        ask = np.zeros(rows, np.float32)
        depth = (40.0 + 9.0 * d + base_noise[(c // 7 + d * 13) % 4096]).astype(np.float32)
        bid[bid_t - base - d] = depth
        ask[ask_t - base + d] = depth
        for p, size in walls.items():
            r = p - base
            if 0 <= r < rows:
                (bid if p <= bid_t else ask)[r] += size
        ts = t0_us + (c + 1) * column_us
        col_trades = []
        for _ in range(int(rng.poisson(1.2))):
            buy = rng.random() < 0.5
            size = int(rng.pareto(1.6) * 3) + 1
            col_trades.append(Trade("ES", ts - int(rng.integers(0, column_us)), ask_t if buy else bid_t, size,
                                    Side.ASK if buy else Side.BID))
        col_trades.sort(key=lambda t: t.ts_us)
        yield HeatColumn(c, ts, base, bid, ask, z, z, bid_t, ask_t), col_trades
