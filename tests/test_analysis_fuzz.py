"""Random books, trades, bars and VIX readings through the whole Analyzer: never raises, every
output is well-formed (directions, 0–1 grades, tiers, sizes), state stays bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mia_desktop.analysis.pipeline import Analyzer
from mia_desktop.analysis.types import DIRECTIONS, FAMILIES, TIERS
from mia_desktop.config import PROFILES
from mia_desktop.market.bars import BarBuilder
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Side, Trade, VixReading
from mia_desktop.market.instrument import BUILTIN

T0 = 1_703_541_600_000_000

step = st.tuples(
    st.integers(-3, 3),  # touch move (ticks)
    st.lists(st.integers(0, 3000), min_size=0, max_size=12),  # sizes from the touch outward, per side
    st.lists(st.tuples(st.integers(0, 1), st.integers(-2, 3), st.integers(1, 400)), max_size=6),
    st.floats(9, 90),  # VIX
    st.integers(0, 4),  # 0: crossed book this step
)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(PROFILES)), st.booleans(), st.lists(step, min_size=5, max_size=120))
def test_analyzer_survives_random_markets(name: str, auto: bool, steps: list) -> None:
    prof = PROFILES[name].with_auto(auto)
    an = Analyzer(BUILTIN["NQ"], prof)
    bars = BarBuilder(60)
    book = OrderBook()
    bb = 80_000
    t = T0
    out = []
    for move, sizes, trades, vix, crossed in steps:
        t += 7_000_000
        bb += move
        book.clear()
        for i, q in enumerate(sizes):
            if q:
                book.set_level(Side.BID, bb - i, q)
                book.set_level(Side.ASK, bb + 1 + i if crossed else bb - 1 + i, q)
        for side, off, size in trades:
            tr = Trade("NQ", t - 1000, bb + off, size, Side(side))
            an.on_trade(tr)
            an.on_price(tr.ts_us, tr.price)
            for bar in bars.on_trade(tr):
                out += an.on_bar(bar)
        out += an.on_vix(VixReading(t, vix))
        ev, sig = an.analyze(t, book)
        out += ev + sig
    for x in out:
        assert x.instrument == "NQ"
        if hasattr(x, "family"):
            assert x.family in FAMILIES and x.direction in DIRECTIONS
            assert 0 <= x.strength <= 1 and 0 <= x.confidence <= 1
        else:
            assert x.tier in TIERS and x.direction in ("long", "short") and 0 <= x.score <= 1
            assert x.contracts >= 0 and x.signal_id
            assert (
                x.risk_state == "ok" or x.risk_state == "rate_limited" or x.risk_state.startswith("blocked: ")
            )
    assert sum(len(v) for v in an.confluence._timed.values()) <= 4 * 32
