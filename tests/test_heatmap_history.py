"""HeatmapHistory: absolute grid, re-anchoring, gap handling, trades, numbered columns, memory."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DEPTH_DTYPE, Side
from mia_desktop.market.heatmap import NO_PRICE, HeatmapHistory

MS = 1000


def book_at(mid: int, size: int = 10) -> OrderBook:
    b = OrderBook()
    for i in range(1, 30):
        b.set_level(Side.BID, mid - i, size + i)
        b.set_level(Side.ASK, mid + i, size + 2 * i)
    return b


def test_columns_sample_book_at_column_end_on_absolute_grid() -> None:
    hm = HeatmapHistory(rows=40, column_ms=100, history_s=10)
    b = book_at(1000)
    hm.advance(0, b)
    b.set_level(Side.BID, 999, 77)          # inside column 0
    assert hm.advance(150 * MS, b) == 1     # closes column 0
    cols, merged = hm.columns(0)
    assert merged == 0 and len(cols) == 1
    c = cols[0]
    assert c.seq == 0 and c.ts_us == 100 * MS and c.base_tick == 1000 - 20
    assert c.bid[999 - c.base_tick] == 77 and c.ask[1001 - c.base_tick] == 12
    assert (c.best_bid, c.best_ask) == (999, 1001)
    assert c.bid.dtype == np.float32


def test_reanchor_only_past_a_quarter_and_old_columns_keep_their_prices() -> None:
    hm = HeatmapHistory(rows=40, column_ms=100, history_s=10)
    b = book_at(1000)
    hm.advance(0, b)
    hm.advance(100 * MS, b)
    b2 = book_at(1009)                      # within the middle half: no re-anchor
    hm.advance(200 * MS, b2)
    assert hm.reanchors == 0 and hm.base_tick == 980
    b3 = book_at(1011)                      # past 3/4 of the height -> re-anchor
    hm.advance(300 * MS, b3)
    assert hm.reanchors == 1 and hm.base_tick == 991
    v = hm.view()
    assert v.base.tolist() == [980, 980, 991]
    bid, _ask = v.aligned(base=970, rows=60)
    # the first column's best bid (999) stays at row 999-970 after alignment; the last moved up
    assert bid[0, 999 - 970] == 11 and bid[2, 1010 - 970] == 11


def test_gap_filled_then_merged_when_long() -> None:
    hm = HeatmapHistory(rows=20, column_ms=100, history_s=60, fill_gap=5)
    b = book_at(500)
    hm.advance(0, b)
    assert hm.advance(450 * MS, b) == 4     # column 0 + 3 empty ones
    v = hm.view()
    assert v.ts_end.tolist() == [100 * MS, 200 * MS, 300 * MS, 400 * MS]
    assert (v.bid[0] == v.bid[3]).all()
    assert hm.advance(5_000 * MS, b) == 1   # long silence -> one wide column
    v = hm.view()
    assert (v.ts_start[-1], v.ts_end[-1]) == (400 * MS, 5_000 * MS)


def test_trades_per_column_and_ring_wraps() -> None:
    hm = HeatmapHistory(rows=20, column_ms=100, history_s=1)   # 10 columns
    b = book_at(500)
    hm.advance(0, b)
    hm.add_trade(10 * MS, 500, 3, Side.ASK, b)
    hm.add_trade(20 * MS, 500, 2, Side.BID, b)
    hm.add_trade(30 * MS, 499, 4, Side.BID, b)
    hm.advance(100 * MS, b)
    (c,), _ = hm.columns(0)
    assert c.buy[500 - c.base_tick] == 3 and c.sell[500 - c.base_tick] == 2 and c.sell[499 - c.base_tick] == 4
    for k in range(2, 30):
        hm.advance(k * 100 * MS, b)
    assert hm.seq == 29 and hm.first_seq == 19
    v = hm.view()
    assert len(v) == 10 and v.first_seq == 19 and len(v.trade_col) == 0
    cols, merged = hm.columns(0)
    assert [x.seq for x in cols] == list(range(19, 29)) and merged == 0


def test_columns_coalesced_when_reader_behind() -> None:
    hm = HeatmapHistory(rows=20, column_ms=100, history_s=10)
    b = book_at(500)
    for k in range(0, 41):
        if k % 10 == 5:
            hm.add_trade(k * 100 * MS + 1, 500, 1, Side.ASK, b)
        hm.advance(k * 100 * MS, b)
    cols, merged = hm.columns(0, max_columns=4)
    assert len(cols) == 4 and merged == 36
    assert cols[-1].seq == 39
    assert sum(float(c.buy.sum()) for c in cols) == 4.0   # trades summed, none lost


def test_empty_book_and_best_none() -> None:
    hm = HeatmapHistory(rows=8, column_ms=100, history_s=1)
    b = OrderBook()
    hm.advance(0, b)
    hm.advance(100 * MS, b)
    (c,), _ = hm.columns(0)
    assert c.best_bid is None and c.best_ask is None and float(c.bid.sum()) == 0
    assert hm.view().best_bid[0] == NO_PRICE


def test_saturating_fixed_point_and_memory() -> None:
    hm = HeatmapHistory(rows=800, column_ms=100, history_s=3600)
    assert hm.capacity == 36_000
    assert hm.nbytes < 130_000_000                      # uint16 planes: ~115 MB for an hour
    small = HeatmapHistory(rows=4, column_ms=100, history_s=1)
    b = OrderBook()
    b.set_level(Side.BID, 1, 1_000_000)
    small.advance(0, b)
    small.advance(100 * MS, b)
    assert small.view().bid.max() == 65535
    with pytest.raises(ValueError):
        HeatmapHistory(rows=0)


def _stream(seed: int, n: int, spread: int, drift: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.choice([0, 0, 0, 20, 60, 130, 700, 9000], n) * MS)
    side = rng.integers(0, 2, n)
    mid = 1000 + (np.sin(np.arange(n) / n * 6.3) * drift).astype(np.int64)   # price wanders and returns
    price = np.where(side == 0, mid - rng.integers(0, spread, n), mid + 1 + rng.integers(0, spread, n))
    cmd = 2 + side + 2 * rng.integers(0, 3, n)
    qty = rng.integers(0, 6, n)
    recs = np.zeros(n, dtype=DEPTH_DTYPE)
    recs["ts_us"], recs["command"], recs["price"], recs["qty"] = ts + 10**12, cmd, price, qty
    recs["flags"] = BATCH_END
    return recs


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([3, 8, 30]), st.sampled_from([0, 3, 50]),
       st.sampled_from([0, 8, 40]))
def test_bulk_ingest_equals_column_by_column(seed: int, spread: int, fill_gap: int, drift: int) -> None:
    recs = _stream(seed, 400, spread, drift)
    fast, slow = HeatmapHistory(rows=40, history_s=5, fill_gap=fill_gap), \
        HeatmapHistory(rows=40, history_s=5, fill_gap=fill_gap)
    bf, bs = book_at(1000, 3), book_at(1000, 3)
    for h, b in ((fast, bf), (slow, bs)):
        h.advance(10**12 - 200 * MS, b)
        h.advance(10**12 - 100 * MS, b)            # anchors the grid
    for chunk in np.array_split(recs, 3):
        fast.ingest(chunk, bf)
        cols = chunk["ts_us"] // slow.column_us
        starts = [0, *(np.flatnonzero(np.diff(cols)) + 1).tolist(), len(chunk)]
        for a, b in itertools.pairwise(starts):
            slow.advance(int(chunk["ts_us"][a]), bs)
            bs.apply(chunk[a:b])
    assert fast.seq == slow.seq and fast.reanchors == slow.reanchors
    vf, vs = fast.view(), slow.view()
    for name in ("ts_start", "ts_end", "base", "bid", "ask", "best_bid", "best_ask"):
        assert np.array_equal(getattr(vf, name), getattr(vs, name)), name
    for side in Side:
        assert bf.items(side) == bs.items(side)


def test_bulk_path_is_taken_on_a_quiet_book() -> None:
    recs = _stream(7, 2000, 8)
    h, b = HeatmapHistory(rows=40, history_s=600), book_at(1000, 3)
    h.advance(10**12 - 200 * MS, b)
    h.advance(10**12 - 100 * MS, b)
    assert h._ingest_bulk(recs, b)                  # exact conditions hold: one vectorised pass
    assert h.seq > 100


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0, 5, 50]), st.sampled_from([0, 40]))
def test_every_held_column_is_the_book_at_its_end(seed: int, fill_gap: int, drift: int) -> None:
    """Independent reference: replay the records up to each held column's end into a fresh book."""
    recs = _stream(seed, 600, 8, drift)
    h, b = HeatmapHistory(rows=40, history_s=2, fill_gap=fill_gap), book_at(1000, 3)   # 20-slot ring
    h.advance(10**12 - 100 * MS, b)
    for chunk in np.array_split(recs, 4):
        h.ingest(chunk, b)
    v = h.view()
    assert len(v) == min(h.seq, 20)
    for j in range(len(v)):
        ref = book_at(1000, 3)
        ref.apply(recs[recs["ts_us"] < v.ts_start[j] + h.column_us])
        base = int(v.base[j])
        assert v.bid[j].tolist() == np.minimum(ref.window(Side.BID, base, 40), 65535).tolist(), j
        assert v.ask[j].tolist() == np.minimum(ref.window(Side.ASK, base, 40), 65535).tolist(), j
        assert (v.best_bid[j], v.best_ask[j]) == (ref.best_bid(), ref.best_ask())


def test_first_run_on_an_empty_history_goes_bulk_after_its_first_column() -> None:
    recs = _stream(3, 3000, 8)
    h, b = HeatmapHistory(rows=40, history_s=600), book_at(1000, 3)
    ref_h, ref_b = HeatmapHistory(rows=40, history_s=600), book_at(1000, 3)
    calls: list[bool] = []
    orig = h._ingest_bulk

    def spy(r: np.ndarray, bk: OrderBook) -> bool:
        calls.append(ok := orig(r, bk))
        return ok

    h._ingest_bulk = spy  # type: ignore[method-assign]
    h.ingest(recs, b)                         # no grid yet: anchors on the first column, then bulk
    ref_h._ingest_slow(recs, ref_b)
    assert calls == [True]
    v, rv = h.view(), ref_h.view()
    for name in ("ts_start", "ts_end", "base", "bid", "ask", "best_bid", "best_ask"):
        assert np.array_equal(getattr(v, name), getattr(rv, name)), name
