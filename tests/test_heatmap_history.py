"""HeatmapHistory: absolute grid, re-anchoring, gap handling, trades, numbered columns, memory."""

from __future__ import annotations

import numpy as np
import pytest

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Side
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
