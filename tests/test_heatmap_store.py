"""HeatStore: absolute price grid, ring buffer, re-anchoring, trades, bad input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st_

from mia_desktop.engine.snapshot import HeatColumn
from mia_desktop.market.events import Side, Trade
from mia_desktop.ui.heatmap.scale import quantize
from mia_desktop.ui.heatmap.store import HeatStore


def col(seq: int, base: int, sizes: dict[int, float], n: int = 40, bid: int | None = None,
        ask: int | None = None) -> HeatColumn:
    b = np.zeros(n, np.float32)
    for tick, s in sizes.items():
        b[tick - base] = s
    z = np.zeros(n, np.float32)
    return HeatColumn(seq, 1_000_000 * (seq + 1), base, b, z, z, z, bid, ask)


def test_columns_land_on_absolute_ticks_even_when_base_moves() -> None:
    st = HeatStore(capacity=64, rows=128)
    st.add_columns([col(0, 1000, {1010: 50}, bid=1010, ask=1011)])
    st.add_columns([col(1, 1005, {1010: 70}, bid=1010, ask=1011)])   # other base, same price
    r = 1010 - st.anchor
    assert st.q[0, r] == quantize([50])[0] and st.q[1, r] == quantize([70])[0]
    assert st.q[0].sum() == st.q[0, r] and st.q[1].sum() == st.q[1, r]


def test_ring_wraps_and_keeps_newest() -> None:
    st = HeatStore(capacity=16, rows=64)
    st.add_columns(col(i, 1000, {1000 + i % 5: 10 + i}, bid=1002, ask=1003) for i in range(40))
    assert st.count == 16 and st.oldest_g == 24 and st.newest_g == 39
    img, g0, step, tick0 = st.visible_image(24, 40, 990, 1010, max_cols=100)
    assert g0 == 24 and step == 1 and img.shape[1] == 16
    # column 39 has size 49 at tick 1004
    assert img[1004 - tick0, 15] == quantize([49])[0]
    assert st.ts_for_g(39) == 40_000_000 and st.ts_for_g(3) is None


def test_take_dirty_reports_only_new_slots_then_full_on_reanchor() -> None:
    st = HeatStore(capacity=32, rows=64)
    st.add_columns([col(0, 1000, {1000: 5}, bid=1000, ask=1001)])
    full, _ = st.take_dirty()
    assert full                                   # first anchor -> full upload
    st.add_columns([col(i, 1000, {1000: 5}, bid=1000, ask=1001) for i in range(1, 4)])
    assert st.take_dirty() == (False, [(1, 4)])
    assert st.take_dirty() == (False, [])
    st.add_columns([col(4, 1100, {1100: 9}, bid=1100, ask=1101)])  # price far away: re-anchor
    full, _ = st.take_dirty()
    assert full and st.counters.reanchors == 1
    assert st.anchor <= 1100 < st.anchor + 64
    # old cells shifted with the grid (1000 fell outside the new window: cleared, not misplaced)
    assert st.q[:4].sum() == 0 or st.q[0, 1000 - st.anchor] == quantize([5])[0]


def test_reanchor_keeps_old_cells_at_their_price() -> None:
    st = HeatStore(capacity=32, rows=64)
    st.add_columns([col(0, 1000, {1000: 500}, bid=1000, ask=1001)])
    st.add_columns([col(1, 1020, {1030: 10}, bid=1030, ask=1031)])   # into the outer eighth
    assert st.counters.reanchors == 1
    assert st.q[0, 1000 - st.anchor] == quantize([500])[0]


def test_bad_input_counted_not_raised() -> None:
    st = HeatStore(capacity=16, rows=32)
    z = np.zeros(4, np.float32)
    bad = HeatColumn(0, 1, 10, z, np.zeros(5, np.float32), z, z, None, None)
    assert st.add_columns([bad, object()]) == 0
    assert st.counters.rejected_columns == 2
    st.add_columns([col(5, 1000, {1000: 1})])
    st.add_columns([col(3, 1000, {1000: 1})])   # older than the last: ignored
    assert st.counters.out_of_order == 1
    st.add_columns([col(9, 1000, {1000: 1})])
    assert st.counters.seq_gaps == 1
    assert st.add_trades([Trade("ES", 1, 1000, 0, Side.BID), "junk"]) == 0
    assert st.counters.rejected_trades == 2


def test_visible_trades_and_limit() -> None:
    st = HeatStore(capacity=64, rows=64, trade_capacity=50)
    st.add_columns(col(i, 1000, {1000: 5}, bid=1000, ask=1001) for i in range(10))
    trades = [Trade("ES", 1_000_000 * (i + 1) - 10, 1000 + i % 3, i + 1, Side.ASK if i % 2 else Side.BID)
              for i in range(60)]   # more than the ring holds
    st.add_trades(trades)
    assert st.t_count == 50
    x, _p, size, _b = st.visible_trades(0, 10, 990, 1010, limit=5)
    assert len(x) == 5 and set(size) == {56, 57, 58, 59, 60}       # the largest kept
    x, _price, size, _buy = st.visible_trades(2, 4, 990, 1010)
    assert len(x) == 0 or (x.min() >= 2 and x.max() <= 4)


def test_visible_max_and_downsample() -> None:
    st = HeatStore(capacity=512, rows=64)
    st.add_columns(col(i, 1000, {1000: 100.0 if i == 300 else 1.0}) for i in range(400))
    assert st.visible_max_q(0, 400, 990, 1010) == quantize([100])[0]
    assert st.visible_max_q(0, 200, 990, 1010) == quantize([1])[0]
    img, _g0, step, _ = st.visible_image(0, 400, 990, 1010, max_cols=50)
    assert step == 8 and img.shape[1] == 50
    assert img.max() == quantize([100])[0]     # max-reduction keeps the spike


def test_robust_norm_ignores_one_outsized_wall() -> None:
    st = HeatStore(capacity=256, rows=64)
    st.add_columns(col(i, 1000, {1000 + k: 100.0 for k in range(20)} | ({1030: 50_000.0} if i == 7 else {}))
                   for i in range(200))
    assert st.visible_max_q(0, 200, 990, 1040) == quantize([50_000])[0]
    assert st.visible_max_q(0, 200, 990, 1040, 0.995) == quantize([100])[0]


@settings(max_examples=30, deadline=None)
@given(st_.lists(st_.tuples(st_.integers(-300, 300), st_.integers(1, 60), st_.floats(0, 5000),
                            st_.integers(0, 59)), min_size=1, max_size=60))
def test_any_column_sequence_keeps_the_newest_column_exact(spec: list[tuple[int, int, float, int]]) -> None:
    st = HeatStore(capacity=32, rows=128)
    for i, (shift, n, size, at) in enumerate(spec):
        base = 10_000 + shift
        sizes = {base + min(at, n - 1): size}
        c = col(i, base, sizes, n=n, bid=base + n // 2, ask=base + n // 2 + 1)
        assert st.add_columns([c]) == 1
        row = st.q[st.newest_g % st.capacity]
        tick = base + min(at, n - 1)
        r = tick - st.anchor
        if 0 <= r < st.rows:
            assert row[r] == quantize([size])[0]
            assert int(row.sum()) == int(row[r])
        assert st.anchor <= base + n // 2 < st.anchor + st.rows      # price always on the grid
    assert st.count == min(len(spec), 32)
