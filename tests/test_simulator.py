"""The market simulator: deterministic, book-consistent, realistic sizes, and planted scenarios that
satisfy their SIGNALS.md rule (checked by the plain reference RuleCheck) while the background does not."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DepthBatch, Side, Trade, VixReading
from mia_desktop.sources.scenario_check import RuleCheck
from mia_desktop.sources.scenarios import PATTERNS
from mia_desktop.sources.simulator import MarketSimulator, VixSimulator, depth_rows


def _digest(events: list) -> tuple:
    rows = depth_rows(events)
    trades = [(e.ts_us, e.price, e.size, int(e.aggressor)) for e in events if isinstance(e, Trade)]
    return rows.tobytes(), tuple(trades)


def test_same_seed_same_market_whatever_the_chunking() -> None:
    a = MarketSimulator("ES", seed=7)
    b = MarketSimulator("ES", seed=7)
    c = MarketSimulator("ES", seed=8)
    ev_a = a.advance(5_000_000)
    ev_b: list = []
    for _ in range(50):
        ev_b += b.advance(100_000)
    assert _digest(ev_a) == _digest(ev_b)
    assert _digest(ev_a) != _digest(c.advance(5_000_000))


@pytest.mark.parametrize("symbol", ["ES", "NQ"])
def test_book_stays_consistent_with_realistic_sizes(symbol: str) -> None:
    sim = MarketSimulator(symbol, seed=3, levels=20)
    book = OrderBook()
    sizes: list[np.ndarray] = []
    trades: list[Trade] = []
    for _ in range(60):
        for ev in sim.advance(500_000):
            if isinstance(ev, DepthBatch):
                assert ev.records["flags"][-1] & BATCH_END
                assert np.all(np.diff(ev.records["ts_us"]) >= 0)
                book.apply(ev.records)
                assert book.integrity() is None
            elif isinstance(ev, Trade):
                # a trade prints at the touch it hits, before that touch's update arrives
                touch = book.best_bid() if ev.aggressor is Side.BID else book.best_ask()
                assert ev.price == touch
                trades.append(ev)
        assert book.level_count(Side.BID) >= 20 and book.level_count(Side.ASK) >= 20
        assert book.best_ask() == book.best_bid() + 1  # type: ignore[operator]
        sizes.append(book.top(Side.BID, 20)[1])
    assert book.best_bid() == sim.best_bid
    assert book.items(Side.ASK)[:20] == sim.levels_of(Side.ASK)
    allq = np.concatenate(sizes)
    med = np.median(allq)
    if symbol == "ES":
        assert 30 <= med <= 200, med  # tens to low hundreds
    assert allq.max() < 1000  # the background never builds a wall-sized level
    assert allq.max() > 3 * med  # but it has a tail
    assert {t.aggressor for t in trades} == {Side.BID, Side.ASK}
    assert len(trades) > 100


@pytest.mark.parametrize("rate", [2000.0, 20000.0])
def test_update_rate_follows_the_setting(rate: float) -> None:
    sim = MarketSimulator("NQ", seed=2, rate=rate)
    sim.advance(10_000)  # initial snapshot
    before = sim.updates
    sim.advance(5_000_000)
    per_s = (sim.updates - before) / 5.0
    assert 0.9 * rate <= per_s <= 1.25 * rate


def _run(sim: MarketSimulator, chk: RuleCheck, seconds: float) -> None:
    for _ in range(int(seconds * 4)):
        for ev in sim.advance(250_000):
            chk.on_event(ev)
        chk.evaluate(sim.now_us)


@pytest.mark.parametrize("symbol", ["ES", "NQ"])
def test_every_planted_scenario_meets_its_rule_on_both_sides(symbol: str) -> None:
    sim = MarketSimulator(symbol, seed=11, rate=600.0)  # light churn keeps the test quick
    chk = RuleCheck()
    at = sim.now_us + 30_000_000
    for pattern in PATTERNS:
        for side in (Side.BID, Side.ASK):
            sim.plant(pattern, side, at_us=at)
            at += 25_000_000
    _run(sim, chk, 30 + 12 * 25 + 5)
    assert len(sim.ground_truth) == 12
    missed = []
    for g in sim.ground_truth:
        hits = [f for f in chk.firings if f.pattern == g.pattern and f.side == g.side
                and g.start_us <= f.ts_us <= g.end_us + 1_000_000]
        if not hits:
            missed.append((g.pattern, g.side.name))
        assert g.end_us > g.start_us and g.symbol == symbol
    assert missed == []
    directions = {(g.pattern, g.side): g.direction for g in sim.ground_truth}
    assert directions[("wall", Side.BID)] == "long" and directions[("wall", Side.ASK)] == "short"
    assert directions[("spoofing", Side.BID)] == "short" and directions[("squeeze", Side.ASK)] == "long"


def test_background_market_does_not_look_like_the_patterns() -> None:
    sim = MarketSimulator("ES", seed=5)
    chk = RuleCheck()
    _run(sim, chk, 150)
    assert Counter(f.pattern for f in chk.firings) == Counter()


def test_plant_queues_behind_a_running_scenario_and_rejects_unknown_names() -> None:
    sim = MarketSimulator("ES", seed=1)
    sim.advance(1_000_000)
    first = sim.plant("wall", Side.BID)
    assert first.price_ticks < sim.best_bid and first.direction == "long"
    sim.plant("spoof", Side.ASK)  # alias; waits for the wall
    assert len(sim.ground_truth) == 1 and sim.busy
    sim.advance(20_000_000)
    assert [g.pattern for g in sim.ground_truth] == ["wall", "spoofing"]
    assert sim.ground_truth[1].start_us >= first.end_us
    with pytest.raises(ValueError, match="unknown scenario"):
        sim.plant("tsunami", Side.BID)
    with pytest.raises(ValueError, match="rate"):
        MarketSimulator("ES", rate=0)


def test_vix_mean_reverts_and_spikes() -> None:
    vix = VixSimulator(seed=4, start=16.0)
    readings = vix.advance(600_000_000)
    assert len(readings) == 601 and all(isinstance(r, VixReading) for r in readings)
    values = np.array([r.value for r in readings])
    assert 12.0 < values.mean() < 20.0
    vix.spike(10.0)
    after = vix.advance(5_000_000)
    assert after[-1].value > values[-1] + 7.0
    assert VixSimulator(seed=4).advance(60_000_000) == VixSimulator(seed=4).advance(60_000_000)


def test_simulator_feed_paces_es_nq_and_vix_in_real_time() -> None:
    import asyncio

    from mia_desktop.sources.sim_feed import SimulatorFeed

    feed = SimulatorFeed(seed=3, rate=1000.0, tick_s=0.01)
    assert feed.symbols() == ["ES", "NQ", "VIX"]
    assert feed.instrument("NQ").tick_value == 5.0
    with pytest.raises(KeyError):
        feed.instrument("CL")
    got: list = []

    async def main() -> None:
        task = asyncio.create_task(feed.run(got.append))
        await asyncio.sleep(1.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    symbols = {e.symbol for e in got if isinstance(e, DepthBatch)}
    assert symbols == {"ES", "NQ"}
    assert any(isinstance(e, VixReading) for e in got)
    rows = sum(len(e) for e in got if isinstance(e, DepthBatch))
    assert 1000 < rows < 4000  # ~1000/s per symbol for ~1.2 s: real-time pacing


def test_push_flow_leans_the_aggressors_for_a_while() -> None:
    sim = MarketSimulator("ES", seed=6)
    sim.advance(1_000_000)
    sim.push_flow("short", 20.0)
    leaned = [e for e in sim.advance(20_000_000) if isinstance(e, Trade)]
    after = [e for e in sim.advance(60_000_000) if isinstance(e, Trade)]
    sells = sum(t.aggressor is Side.BID for t in leaned) / len(leaned)
    assert sells > 0.8
    assert 0.2 < sum(t.aggressor is Side.BID for t in after) / len(after) < 0.8
