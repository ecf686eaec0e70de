"""Battle Navale family: the SIGNALS.md formulas on hand-built bars, near misses, mirrored sides."""

from __future__ import annotations

import pytest
from dom_helpers import MAKE

from mia_desktop.analysis.battle_navale import BattleNavale, atr
from mia_desktop.analysis.params import BattleParams
from mia_desktop.market.bars import Bar

P = BattleParams()
M = 60_000_000
K = 400  # mirror axis (ticks)


def bar(i: int, o: int, h: int, lo: int, c: int, vol: int = 100, ask: int | None = None) -> Bar:
    a = vol // 2 if ask is None else ask
    return Bar(i * M, (i + 1) * M, o, h, lo, c, vol, vol - a, a, a - (vol - a), 10)


def mirror(b: Bar) -> Bar:
    return Bar(
        b.start_us,
        b.end_us,
        K - b.open,
        K - b.low,
        K - b.high,
        K - b.close,
        b.volume,
        b.ask_volume,
        b.bid_volume,
        -b.delta,
        b.trades,
    )


def run(bars: list[Bar], n: int = 8) -> list:
    bn = BattleNavale(P, MAKE, n)
    out = []
    for b in bars:
        out += bn.on_bar(b)
    return out


def named(events: list, pattern: str) -> list:
    return [e for e in events if e.pattern == pattern]


LDU = [bar(0, 100, 120, 95, 110), bar(1, 105, 108, 100, 102), bar(2, 104, 125, 101, 123)]


def test_long_down_up_fires_and_mirror_is_long_up_down() -> None:
    ev = named(run(LDU), "long_down_up")
    assert [(e.direction, e.ts_us, e.price) for e in ev] == [("long", 3 * M, 123 * 0.25)]
    assert ev[0].evidence["n_ticks"] == 8
    # bar prices in the evidence are display prices (ticks x 0.25), like `price`
    e0 = ev[0].evidence
    assert (e0["low"], e0["high_next"], e0["high_prev"]) == (25.0, 31.25, 30.0)
    mev = run([mirror(b) for b in LDU])
    assert [(e.direction, e.price) for e in named(mev, "long_up_down")] == [("short", (K - 123) * 0.25)]
    lud = named(mev, "long_up_down")[0].evidence
    assert (lud["high"], lud["low_next"], lud["low_prev"]) == (
        (K - 100) * 0.25, (K - 125) * 0.25, (K - 120) * 0.25)
    assert named(mev, "long_down_up") == []


def test_long_down_up_near_misses() -> None:
    # H[1] not above H[-1]
    miss = [*LDU[:2], bar(2, 104, 120, 101, 118)]
    assert named(run(miss), "long_down_up") == []
    assert named(run([mirror(b) for b in miss]), "long_up_down") == []
    # H[-1] only n ticks above L (needs more than n)
    shallow = [bar(0, 100, 108, 95, 104), bar(1, 103, 106, 100, 102), bar(2, 104, 125, 101, 123)]
    assert named(run(shallow), "long_down_up") == []
    # NQ's n = 9 rejects an excursion that ES's n = 8 accepts
    edge = [bar(0, 100, 109, 95, 104), bar(1, 103, 106, 100, 102), bar(2, 104, 125, 101, 123)]
    assert len(named(run(edge, 8), "long_down_up")) == 1
    assert named(run(edge, 9), "long_down_up") == []


CD = [
    bar(0, 100, 130, 100, 125),
    bar(1, 120, 128, 95, 100),
    bar(2, 105, 126, 98, 118),
    bar(3, 110, 115, 90, 92),
]


def test_color_down_fires_short_only() -> None:
    ev = named(run(CD), "color_down")
    assert [(e.direction, e.price) for e in ev] == [("short", 92 * 0.25)]
    assert ev[0].evidence == {"high": 31.5, "low_next": 22.5, "high_prev": 32.0, "distance_ticks": 12}
    # mirrored tape is a rise: color_down is a short-only pattern and must stay quiet
    assert named(run([mirror(b) for b in CD]), "color_down") == []


def test_color_down_near_miss() -> None:
    miss = [CD[0], CD[1], bar(2, 105, 129, 98, 118), CD[3]]  # H not below H[-1]
    assert named(run(miss), "color_down") == []


def _rally(red_close: int) -> list[Bar]:
    flat = [bar(i, 100, 102, 98, 100) for i in range(10)]
    red = [bar(10, 100, 101, min(red_close, 98) - 1, red_close)]
    up = [bar(11 + j, 100 + 2 * j, 107 + 2 * j, 99 + 2 * j, 106 + 2 * j, vol=150, ask=105) for j in range(6)]
    return flat + red + up


def test_vikings_fire_once_and_defenders_mirror() -> None:
    ev = run(_rally(99))
    vik = named(ev, "vikings")
    assert len(vik) == 1 and vik[0].direction == "long"
    assert vik[0].evidence["share"] >= 0.7 and vik[0].evidence["golden_base"] == 24.75  # 99 ticks
    mev = run([mirror(b) for b in _rally(99)])
    dfd = named(mev, "defenders")
    assert len(dfd) == 1 and dfd[0].direction == "short"
    assert dfd[0].evidence["golden_top"] == (K - 99) * 0.25
    assert named(mev, "vikings") == []


def test_vikings_blocked_by_golden_rule() -> None:
    # a red bar 6 bars back closed at 90, far below the green base (99): no red closes below a green base
    assert named(run(_rally(90)), "vikings") == []
    assert named(run([mirror(b) for b in _rally(90)]), "defenders") == []


def test_vikings_need_the_buyers_share() -> None:
    mixed = [bar(i, 100, 104, 96, 103 if i % 2 else 97) for i in range(12)]
    assert named(run(mixed), "vikings") == [] and named(run(mixed), "defenders") == []


@pytest.mark.parametrize("n,expected", [(2, 6.0), (3, 6.0)])
def test_atr(n: int, expected: float) -> None:
    bars = [bar(i, 100, 103, 97, 100) for i in range(5)]
    assert atr(bars, n) == expected
    assert atr(bars[:n], n) is None
