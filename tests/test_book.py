"""OrderBook: in-order application, loop and vector paths agree, integrity, bounded growth."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DEPTH_DTYPE, DepthCommand, Side, make_depth

C = DepthCommand


def rows(*spec: tuple[int, int, int]) -> np.ndarray:
    """(command, price, qty) -> DEPTH_DTYPE rows, last one flagged BATCH_END."""
    out = [(i, c, 0, 1, p, q) for i, (c, p, q) in enumerate(spec)]
    arr = make_depth(out)
    arr["flags"][-1] = BATCH_END
    return arr


def test_add_modify_delete_and_best() -> None:
    b = OrderBook()
    b.apply(rows((C.CLEAR, 0, 0), (C.ADD_BID, 100, 5), (C.ADD_BID, 99, 7), (C.ADD_ASK, 101, 3),
                 (C.ADD_ASK, 103, 9)))
    assert (b.best_bid(), b.best_ask()) == (100, 101)
    assert b.level_count(Side.BID) == 2 and b.level_count(Side.ASK) == 2
    b.apply(rows((C.MODIFY_BID, 100, 11), (C.DELETE_ASK, 101, 0)))
    assert b.size_at(Side.BID, 100) == 11
    assert b.best_ask() == 103
    b.apply(rows((C.MODIFY_BID, 100, 0)))   # qty 0 deletes
    assert b.best_bid() == 99 and b.level_count(Side.BID) == 1
    assert b.items(Side.BID) == [(99, 7)]
    assert b.items(Side.ASK) == [(103, 9)]
    assert b.integrity() is None and b.consistent


def test_clear_mid_batch_discards_earlier_rows() -> None:
    b = OrderBook()
    b.apply(rows(*[(C.ADD_BID, 100 - i, 1) for i in range(20)], (C.CLEAR, 0, 0),
                 *[(C.ADD_ASK, 200 + i, 2) for i in range(15)]))
    assert b.best_bid() is None and b.level_count(Side.BID) == 0
    assert b.best_ask() == 200 and b.level_count(Side.ASK) == 15


def test_consistent_only_at_batch_end() -> None:
    b = OrderBook()
    r = rows((C.ADD_BID, 100, 5), (C.ADD_ASK, 101, 5))
    b.apply(r[:1])
    assert not b.consistent
    b.apply(r[1:])
    assert b.consistent


def test_crossed_and_locked_reported_not_raised() -> None:
    b = OrderBook()
    b.apply(rows((C.ADD_BID, 105, 1), (C.ADD_ASK, 101, 1)))
    assert b.integrity() is not None and b.integrity().startswith("crossed")
    b.apply(rows((C.DELETE_BID, 105, 0), (C.ADD_BID, 101, 2)))
    assert b.integrity() is not None and b.integrity().startswith("locked")
    b.apply(rows((C.DELETE_BID, 101, 0), (C.ADD_BID, 100, 2)))
    assert b.integrity() is None


def test_top_from_touch_outward() -> None:
    b = OrderBook()
    b.apply(rows(*[(C.ADD_BID, 1000 - 3 * i, i + 1) for i in range(50)],
                 *[(C.ADD_ASK, 1001 + 2 * i, 10 + i) for i in range(50)]))
    p, s = b.top(Side.BID, 5)
    assert p.tolist() == [1000, 997, 994, 991, 988] and s.tolist() == [1, 2, 3, 4, 5]
    p, s = b.top(Side.ASK, 3)
    assert p.dtype == np.int64 and s.dtype == np.float64
    assert p.tolist() == [1001, 1003, 1005] and s.tolist() == [10, 11, 12]
    assert len(b.top(Side.ASK, 500)[0]) == 50


def test_absurd_price_rejected_memory_bounded() -> None:
    b = OrderBook(max_span=10_000)
    b.apply(rows((C.ADD_BID, 100, 1), (C.ADD_ASK, 10**12, 1), (C.ADD_ASK, 101, 1)))
    assert b.rejected == 1
    assert (b.best_bid(), b.best_ask()) == (100, 101)
    assert b._qty.shape[1] <= 10_000
    b.apply(rows(*[(C.ADD_BID, 100 - i, 1) for i in range(20)], (C.ADD_ASK, -(10**12), 1), (9, 5, 5)))
    assert b.rejected == 3
    assert b.level_count(Side.BID) == 20


def test_window_and_negative_ticks() -> None:
    b = OrderBook()
    b.apply(rows((C.ADD_BID, -5, 3), (C.ADD_ASK, -3, 4)))
    w = b.window(Side.BID, -6, 4)
    assert w.tolist() == [0, 3, 0, 0]
    assert b.window(Side.ASK, -3, 2).tolist() == [4, 0]


op = st.tuples(st.sampled_from([1, 2, 3, 4, 5, 6, 7]), st.integers(90, 110), st.integers(0, 4))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(op, min_size=1, max_size=40), min_size=1, max_size=6))
def test_vector_path_equals_record_by_record(batches: list[list[tuple[int, int, int]]]) -> None:
    whole, single = OrderBook(), OrderBook()
    for batch in batches:
        arr = np.array([(0, c, 0, 0, p, q) for c, p, q in batch], dtype=DEPTH_DTYPE)
        whole.apply(arr)
        for i in range(len(arr)):
            single.apply(arr[i:i + 1])
        for side in Side:
            assert whole.items(side) == single.items(side)
            assert whole.level_count(side) == len(whole.items(side))
        assert (whole.best_bid(), whole.best_ask()) == (single.best_bid(), single.best_ask())
