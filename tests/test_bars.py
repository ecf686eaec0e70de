"""BarBuilder: OHLC, bid/ask volume, delta, closing on trade time and on the clock."""

from __future__ import annotations

import pytest

from mia_desktop.market.bars import Bar, BarBuilder
from mia_desktop.market.events import Side, Trade

S = 1_000_000


def t(sec: float, price: int, size: int, side: Side) -> Trade:
    return Trade("ES", int(sec * S), price, size, side)


def test_ohlc_volume_delta() -> None:
    bb = BarBuilder(60)
    assert bb.current is None
    for tr in (t(0.5, 100, 2, Side.ASK), t(10, 104, 3, Side.ASK), t(20, 98, 5, Side.BID),
               t(59.9, 101, 1, Side.BID)):
        assert bb.on_trade(tr) == []
    cur = bb.current
    assert cur == Bar(0, 60 * S, 100, 104, 98, 101, 11, 6, 5, -1, 4)
    closed = bb.on_trade(t(61, 102, 4, Side.ASK))
    assert closed == [cur]
    assert bb.current is not None and bb.current.start_us == 60 * S
    assert bb.current.open == 102 and bb.current.delta == 4


def test_on_time_closes_and_gaps_make_no_bars() -> None:
    bb = BarBuilder(1)
    bb.on_trade(t(0.2, 10, 1, Side.ASK))
    assert bb.on_time(int(0.99 * S)) == []
    bars = bb.on_time(5 * S)
    assert len(bars) == 1 and bars[0].end_us == S and bb.current is None
    assert bb.on_time(6 * S) == []
    closed = bb.on_trade(t(9.5, 11, 1, Side.BID))
    assert closed == [] and bb.current is not None and bb.current.start_us == 9 * S


def test_configurable_period_and_bad_period() -> None:
    bb = BarBuilder(0.25)
    bb.on_trade(t(0.1, 1, 1, Side.ASK))
    assert len(bb.on_trade(t(0.3, 2, 1, Side.ASK))) == 1
    with pytest.raises(ValueError):
        BarBuilder(0)
