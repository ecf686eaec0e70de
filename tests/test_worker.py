"""InstrumentWorker: thread start/stop, snapshot contents, analysis on the exchange clock, coalescing."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.engine.worker import InstrumentWorker
from mia_desktop.market.bars import Bar
from mia_desktop.market.events import BATCH_END, DepthBatch, MarketEvent, Side, Trade, VixReading, make_depth
from mia_desktop.market.instrument import BUILTIN

ES = BUILTIN["ES"]
T0 = 1_764_028_800_000_000
MS = 1000


class Prof:
    name = "test"
    analysis_interval_ms = 250


def depth(ts: int, *rows: tuple[int, int, int]) -> DepthBatch:
    arr = make_depth([(ts, c, 0, 1, p, q) for c, p, q in rows])
    arr["flags"][-1] = BATCH_END
    return DepthBatch("ES", arr, recv_us=ts + 5)


def book_events(ts: int, mid: int = 27_000) -> DepthBatch:
    rows = [(1, 0, 0), *[(2, mid - i, 10 + i) for i in range(30)],
            *[(3, mid + 1 + i, 20 + i) for i in range(30)]]
    return depth(ts, *rows)


class Recorder:
    """A minimal analyzer with the pipeline's interface that records what the worker called."""

    interval_us = 250_000
    vix_regime = "normal"
    vix_value: float | None = None

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.fail = False

    def on_trade(self, trade: Trade) -> None:
        self.calls.append(("trade", trade.ts_us))

    def on_price(self, now_us: int, last: int) -> None:
        pass

    def on_bar(self, bar: Bar) -> list[PatternEvent]:
        self.calls.append(("bar", bar.end_us))
        return [PatternEvent(bar.end_us, "ES", "battle_navale", "test_bar", "long", 1.0, 0.5, 0.5)]

    def on_vix(self, reading: VixReading) -> list[PatternEvent]:
        self.vix_value = reading.value
        return []

    def analyze(self, now_us: int, book: Any) -> tuple[list[PatternEvent], list[Signal]]:
        if self.fail:
            raise RuntimeError("detector bug")
        assert book.consistent
        self.calls.append(("analyze", now_us))
        ev = PatternEvent(now_us, "ES", "dom", "test_dom", "short", 1.0, 0.5, 0.5)
        sig = Signal(now_us, "ES", "short", 0.8, "elite", True, (ev,), "normal", 1, 1.0, 2.0, 0.5, "ok")
        return [ev], [sig]


def wait_for(cond: Any, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_thread_start_stop_and_snapshot_contents() -> None:
    w = InstrumentWorker(ES, Prof(), levels=5, history_s=60, rows=100)
    w.start()
    try:
        w.put(book_events(T0))
        for k in range(1, 6):
            w.put(Trade("ES", T0 + k * 100 * MS, 27_001, 2, Side.ASK, recv_us=T0 + k * 100 * MS + 3))
        w.put(depth(T0 + 650 * MS, (4, 27_000, 99)))
        assert wait_for(lambda: w.snapshot.events_processed == 61 + 5 + 1)
    finally:
        w.stop()
    assert not w.running
    s = w.snapshot
    assert (s.best_bid, s.best_ask) == (27_000, 27_001)
    assert s.bid_prices.tolist() == [27_000, 26_999, 26_998, 26_997, 26_996]
    assert s.bid_sizes[0] == 99 and s.ask_sizes.tolist() == [20, 21, 22, 23, 24]
    assert len(s.trades) == 5 and s.trades[-1].ts_us == T0 + 500 * MS
    assert isinstance(s.bar, Bar) and s.bar.volume == 10 and s.bar.ask_volume == 10
    assert s.ts_us == T0 + 650 * MS and s.recv_us == T0 + 650 * MS + 5
    seqs = [c.seq for c in s.columns]
    assert seqs == list(range(len(seqs))) and len(seqs) == 6
    assert float(s.columns[0].ask[27_001 - s.columns[0].base_tick]) == 20
    assert float(s.columns[2].buy[27_001 - s.columns[2].base_tick]) == 2
    assert len(w.history_copy()) == 6 and s.book_problem is None and s.coalesced_columns == 0
    w.stop()   # idempotent


def test_analysis_runs_on_exchange_clock_and_output_in_order() -> None:
    rec = Recorder()
    w = InstrumentWorker(ES, Prof(), analyzer=rec, history_s=10, rows=50, bar_period_s=1)
    evs: list[MarketEvent] = [book_events(T0)]
    for k in range(1, 21):      # 2 s of exchange time, 100 ms apart
        evs.append(depth(T0 + k * 100 * MS, (4, 27_000, 10 + k)))
        evs.append(Trade("ES", T0 + k * 100 * MS + 1, 27_001, 1, Side.ASK))
    w.process(evs)
    analyses = [ts for kind, ts in rec.calls if kind == "analyze"]
    # once per 250 ms slot of the recording's own clock (2 s of it), at event times
    assert analyses[0] == T0 and len(analyses) == 9 and analyses[-1] == T0 + 2_000_000
    assert len({ts // 250_000 for ts in analyses}) == 9
    bars = [ts for kind, ts in rec.calls if kind == "bar"]
    assert bars == [T0 + 1_000_000, T0 + 2_000_000]
    out = []
    while not w.output.empty():
        out.append(w.output.get_nowait())
    assert len(out) == 9 * 2 + 2
    assert [type(x).__name__ for x in out[:2]] == ["PatternEvent", "Signal"]
    assert w.signals_count == 9 and w.elite_count == 9 and w.pattern_counts == {"test_dom": 9, "test_bar": 2}
    assert len(w.snapshot.signals) == 9 and len(w.snapshot.patterns) == 11


def test_columns_coalesced_and_counted_when_reader_behind() -> None:
    w = InstrumentWorker(ES, Prof(), history_s=60, rows=50, column_window=5)
    evs: list[MarketEvent] = [book_events(T0)]
    evs += [depth(T0 + k * 100 * MS, (4, 27_000, 10 + k)) for k in range(1, 101)]
    w.process(evs)
    s = w.snapshot
    assert w.heat is not None and w.heat.seq == 100
    assert len(s.columns) == 5 and s.columns[-1].seq == 99
    assert s.coalesced_columns == 95 and w.coalesced_columns == 95
    assert len(w.history_copy()) == 100                       # nothing lost in the history itself
    # the newest merged column shows the book at the run's end
    assert float(s.columns[-1].bid[27_000 - s.columns[-1].base_tick]) == 109


def test_crossed_book_reported_and_detector_errors_counted() -> None:
    rec = Recorder()
    w = InstrumentWorker(ES, Prof(), analyzer=rec, history_s=10, rows=50)
    w.start()
    try:
        w.put(depth(T0, (2, 27_005, 1), (3, 27_000, 1)))
        assert wait_for(lambda: w.snapshot.book_problem is not None)
        assert w.snapshot.book_problem.startswith("crossed")
        rec.fail = True
        w.put(depth(T0 + 300 * MS, (6, 27_005, 0), (2, 26_999, 4)))
        assert wait_for(lambda: w.errors == 1)
        rec.fail = False
        w.put(depth(T0 + 600 * MS, (4, 26_999, 5)))
        assert wait_for(lambda: w.snapshot.events_processed == 5 and w.snapshot.book_problem is None)
        assert w.running
    finally:
        w.stop()


def test_analyzer_errors_counted_book_goes_on_and_outcomes_forwarded() -> None:
    rec = Recorder()
    outcome = ("paper outcome", 1)
    rec.drain_outcomes = lambda: [outcome]   # type: ignore[attr-defined]
    rec.fail = True
    w = InstrumentWorker(ES, Prof(), analyzer=rec, history_s=10, rows=50)
    w.process([book_events(T0), depth(T0 + 300 * MS, (4, 27_000, 77))])
    assert w.errors == 2 and w.last_error is not None and "detector bug" in w.last_error
    assert w.snapshot.bid_sizes[0] == 77                  # the book went on regardless
    out = []
    while not w.output.empty():
        out.append(w.output.get_nowait())
    assert out == [outcome, outcome]


def test_backlog_counts_queued_events_until_drained() -> None:
    w = InstrumentWorker(ES, Prof(), history_s=10, rows=50)
    for k in range(5):
        w.put(depth(T0 + k * MS, (2, 27_000 - k, 1)))
    assert w.backlog == 5 and w.snapshot.events_processed == 0
    w.start()
    try:
        assert wait_for(lambda: w.backlog == 0 and w.snapshot.events_processed == 5)
    finally:
        w.stop()


def test_vix_reading_and_heatmap_off() -> None:
    w = InstrumentWorker(ES, Prof(), heatmap=False)
    w.process([VixReading(T0, 17.5), book_events(T0)])
    assert w.snapshot.vix == 17.5 and w.snapshot.columns == ()
    with pytest.raises(RuntimeError):
        w.history_copy()
    assert np.all(w.snapshot.bid_sizes > 0)


def test_real_pipeline_if_present() -> None:
    pipeline = pytest.importorskip("mia_desktop.analysis.pipeline")
    from mia_desktop.config.profiles import get_profile

    prof = get_profile("production")
    w = InstrumentWorker(ES, prof, analyzer=pipeline.Analyzer(ES, prof), history_s=10, rows=50)
    evs: list[MarketEvent] = [book_events(T0)]
    evs += [depth(T0 + k * 50 * MS, (4, 27_000, 10 + k)) for k in range(1, 40)]
    w.process(evs)
    assert w.errors == 0 and w.snapshot.events_processed == 61 + 39


class RiskStates(Recorder):
    """Signals with the risk states the pipeline gives: ok, rate_limited (the hourly elite cap), blocked."""

    states = (("ok", True), ("rate_limited", True), ("ok", False), ("blocked: daily loss", True))

    def analyze(self, now_us: int, book: Any) -> tuple[list[PatternEvent], list[Signal]]:
        state, elite = self.states[len(self.calls) % len(self.states)]
        self.calls.append(("analyze", now_us))
        return [], [Signal(now_us, "ES", "long", 0.9, "elite" if elite else "strong", elite, (),
                           "normal", 1, 1.0, 0.5, 2.0, state)]


def test_elite_counts_split_by_risk_state() -> None:
    w = InstrumentWorker(ES, Prof(), analyzer=RiskStates(), heatmap=False)
    w.process([book_events(T0)])
    for k in range(1, 8):
        w.process([depth(T0 + k * 300 * MS, (4, 27_000, 10 + k))])
    assert w.signals_count == 8
    assert w.elite_count == 6            # every elite, whatever its risk state (kept as it was)
    assert w.elite_ok_count == 2
    assert w.rate_limited_count == 2


def _reference_touch(recs: Any) -> tuple[int, int, int | None, int | None]:
    """Crossed / locked batch ends the slow way: apply one batch at a time and ask the book."""
    from mia_desktop.market.book import OrderBook
    book = OrderBook()
    crossed = locked = 0
    first = last = None
    start = 0
    for e in np.flatnonzero(recs["flags"] & BATCH_END).tolist():
        book.apply(recs[start:e + 1])
        start = e + 1
        problem = book.integrity()
        if problem:
            crossed += problem.startswith("crossed")
            locked += problem.startswith("locked")
            first = first if first is not None else int(recs["ts_us"][e])
            last = int(recs["ts_us"][e])
    return crossed, locked, first, last


@pytest.mark.parametrize("heat", [False, True])
def test_crossed_and_locked_batch_ends_counted_on_the_shared_file(shared_data: Any, heat: bool) -> None:
    from mia_desktop.sources.scfiles import read_depth
    from tests.conftest import ES_DEPTH
    recs = read_depth(ES_DEPTH, ES).records
    want = _reference_touch(recs)
    assert want[0] + want[1] > 800          # the pre-open: ~891 of ~46,972 batch ends
    for chunk in (3, 1000, 50_000):         # analysis-paced runs, mid-size runs, whole-drain runs
        w = InstrumentWorker(ES, Prof(), heatmap=heat, history_s=60)
        for a in range(0, len(recs), chunk):
            w.process([DepthBatch("ES", recs[a:a + chunk])])
        snap = w.snapshot
        got = (snap.crossed_batches, snap.locked_batches, snap.problem_first_us, snap.problem_last_us)
        assert got == want
        assert (ES.to_price(snap.best_bid), ES.to_price(snap.best_ask)) == (4810.0, 4810.25)
        assert (w.book.level_count(Side.BID), w.book.level_count(Side.ASK)) == (922, 565)
        assert snap.book_problem is None        # the final book is sound: only the counts tell
        if heat:
            break


def test_locked_crossed_and_cleared_batches_on_tiny_runs() -> None:
    rng = np.random.default_rng(7)
    rows = [(T0, 1, 0, 0, 0, 0)]
    for k in range(3000):
        cmd = int(rng.integers(1, 8)) if k % 500 else 1             # a CLEAR now and then
        price = 27_000 + int(rng.integers(-6, 7))
        rows.append((T0 + k, cmd, BATCH_END if rng.random() < 0.4 else 0, 1, price,
                     int(rng.integers(1, 5))))
    rows[-1] = (*rows[-1][:2], BATCH_END, *rows[-1][3:])
    recs = make_depth(rows)
    want = _reference_touch(recs)
    assert want[0] > 0 and want[1] > 0      # random prices cross and lock often
    for chunk in (1, 5, 64, 700, 3001):
        w = InstrumentWorker(ES, Prof(), heatmap=False)
        for a in range(0, len(recs), chunk):
            w.process([DepthBatch("ES", recs[a:a + chunk])])
        got = (w.crossed_batches, w.locked_batches, w.problem_first_us, w.problem_last_us)
        assert got == want, chunk
    # a locked book: bid and ask at one price, counted as locked, then repaired
    w = InstrumentWorker(ES, Prof(), heatmap=False)
    w.process([depth(T0, (2, 27_000, 1), (3, 27_001, 1))])
    w.process([depth(T0 + MS, (3, 27_000, 2))])
    w.process([depth(T0 + 2 * MS, (7, 27_000, 0))])
    assert (w.crossed_batches, w.locked_batches) == (0, 1)
    assert w.problem_first_us == w.problem_last_us == T0 + MS
