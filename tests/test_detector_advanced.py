"""Advanced family: gamma_pin, head_fake, transition, volume_profile, microstructure."""

from __future__ import annotations

import pytest
from dom_helpers import BB, MAKE, S, book_with, frame, trade

from mia_desktop.analysis.advanced import (
    GammaPin,
    HeadFake,
    Microstructure,
    Transition,
    VolumeProfile,
    value_area,
)
from mia_desktop.analysis.params import AdvancedParams
from mia_desktop.market.bars import Bar
from mia_desktop.market.events import Side

P = AdvancedParams()
M = 60_000_000


def bar(i: int, o: int, h: int, lo: int, c: int, bid: int = 50, ask: int = 50) -> Bar:
    return Bar(i * M, (i + 1) * M, o, h, lo, c, bid + ask, bid, ask, ask - bid, 10)


def feed(det: object, bars: list[Bar]) -> list:
    out = []
    for i in range(len(bars)):
        out += det.on_bar(bars[: i + 1])  # type: ignore[attr-defined]
    return out


def mirror(b: Bar, k: int = 2 * BB) -> Bar:
    return Bar(
        b.start_us,
        b.end_us,
        k - b.open,
        k - b.low,
        k - b.high,
        k - b.close,
        b.volume,
        b.ask_volume,
        b.bid_volume,
        -b.delta,
        b.trades,
    )


# ---- gamma_pin ------------------------------------------------------------------------------------------


def _pin_bars(close: int) -> list[Bar]:
    wide = [bar(i, 16000, 16020 + (i % 3) * 10, 16000, 16010) for i in range(25)]
    tight = [bar(25 + i, close, close + 1, close - 1, close) for i in range(15)]
    return wide + tight


@pytest.mark.parametrize("close,direction", [(16094, "long"), (16106, "short"), (16100, "neutral")])
def test_gamma_pin_round_strike(close: int, direction: str) -> None:
    ev = feed(GammaPin(P, MAKE, [], 100), _pin_bars(close))
    assert [(e.pattern, e.direction, e.evidence["level"]) for e in ev] == [("gamma_pin", direction, 4025.0)]
    assert ev[0].price == 4025.0
    # evidence prices are display prices like `price`; tick distances say so in their key
    assert ev[0].evidence["distance_ticks"] == 16100 - close
    assert ev[0].evidence["range_ticks"] == 2 and "range_15" not in ev[0].evidence


def test_gamma_pin_near_misses_and_user_levels() -> None:
    assert feed(GammaPin(P, MAKE, [], 100), _pin_bars(16090)) == []  # 10 ticks away
    loose = [bar(i, 16094, 16094 + 20 * (i % 2), 16074, 16094) for i in range(40)]
    assert feed(GammaPin(P, MAKE, [], 100), loose) == []  # no compression
    ev = feed(GammaPin(P, MAKE, [16090], 100, {16090: "call wall"}), _pin_bars(16094))
    assert [(e.direction, e.evidence["label"]) for e in ev] == [("short", "call wall")]


# ---- head_fake ------------------------------------------------------------------------------------------


def _fake(ask: int, back_at: int) -> list[Bar]:
    base = [bar(i, 16004, 16010, 16000, 16006) for i in range(10)]
    brk = bar(10, 16008, 16013, 16006, 16012, bid=80, ask=ask)
    after = [bar(11 + j, 16012, 16013, 16007, 16008 if 11 + j >= back_at else 16012) for j in range(3)]
    return [*base, brk, *after]


def test_head_fake_fires_and_mirrors() -> None:
    ev = feed(HeadFake(P, MAKE), _fake(20, 11))
    assert [(e.direction, e.ts_us, e.evidence["pierce_ticks"]) for e in ev] == [("short", 12 * M, 3)]
    assert ev[0].evidence["level"] == 16010 * 0.25   # the broken 10-bar high, as a display price
    mev = feed(HeadFake(P, MAKE), [mirror(b) for b in _fake(20, 11)])
    assert [(e.direction, e.evidence["break"]) for e in mev] == [("long", "down")]
    assert mev[0].evidence["level"] == (2 * BB - 16010) * 0.25


def test_head_fake_near_misses() -> None:
    assert feed(HeadFake(P, MAKE), _fake(60, 11)) == []  # buyers not weak enough (60 x 1.5 > 80)
    assert feed(HeadFake(P, MAKE), _fake(20, 13)) == []  # back inside only 3 bars later
    assert feed(HeadFake(P, MAKE), [mirror(b) for b in _fake(60, 11)]) == []


# ---- transition -----------------------------------------------------------------------------------------


def _trans(compress: bool, up: bool) -> list[Bar]:
    bars = [bar(i, 16000, 16008, 16000, 16004) for i in range(30)]
    quiet = 1 if compress else 8
    bars += [bar(30 + i, 16000, 16000 + quiet, 16000, 16000) for i in range(10)]
    o, c = (16000, 16038) if up else (16040, 16002)
    bars += [bar(40 + i, o, 16040, 16000, c) for i in range(3)]
    return bars


@pytest.mark.parametrize("up,direction", [(True, "long"), (False, "short")])
def test_transition_after_compression(up: bool, direction: str) -> None:
    ev = feed(Transition(P, MAKE), _trans(True, up))
    assert [(e.pattern, e.direction) for e in ev] == [("transition", direction)]
    assert ev[0].evidence["atr_ratio"] > 1.8 and ev[0].evidence["min_ratio"] < 0.6
    # ATRs are tick distances: named as such
    assert ev[0].evidence["atr_fast_ticks"] > ev[0].evidence["atr_slow_ticks"] > 0


def test_transition_needs_prior_compression() -> None:
    assert feed(Transition(P, MAKE), _trans(False, True)) == []


# ---- volume_profile -------------------------------------------------------------------------------------


def _vp() -> VolumeProfile:
    vp = VolumeProfile(P, MAKE)
    for px, v in {
        15996: 40,
        15997: 60,
        15998: 100,
        15999: 150,
        16000: 300,
        16001: 150,
        16002: 100,
        16003: 60,
        16004: 40,
    }.items():
        vp.on_trade(trade(1, px, v, Side.ASK))
    return vp


def test_value_area() -> None:
    poc, val, vah = value_area(_vp().profile, 0.7)  # type: ignore[misc]
    assert (poc, val, vah) == (16000, 15998, 16002)


@pytest.mark.parametrize("k,direction", [(0, "long"), (1, "short")])
def test_volume_profile_breakout_and_rejection(k: int, direction: str) -> None:
    def m(b: Bar) -> Bar:
        return mirror(b, 2 * 16000) if k else b

    vp = _vp()
    ev = feed(vp, [m(bar(0, 16002, 16005, 16001, 16004)), m(bar(1, 16004, 16007, 16003, 16006))])
    assert [(e.direction, e.evidence["kind"]) for e in ev] == [(direction, "breakout")]
    # POC and value area as display prices (4000.00 / 3999.50 / 4000.50), not ticks
    assert (ev[0].evidence["poc"], ev[0].evidence["val"], ev[0].evidence["vah"]) == (4000.0, 3999.5, 4000.5)
    vp2 = _vp()
    ev2 = feed(vp2, [m(bar(0, 16001, 16006, 16000, 16002))])
    opposite = "short" if direction == "long" else "long"
    assert [(e.direction, e.evidence["kind"]) for e in ev2] == [(opposite, "rejection")]


def test_volume_profile_near_misses() -> None:
    vp = _vp()
    assert feed(vp, [bar(0, 16002, 16005, 16001, 16004), bar(1, 16002, 16002, 16001, 16001)]) == []
    small = VolumeProfile(P, MAKE)
    small.on_trade(trade(1, 16000, 100, Side.ASK))
    assert feed(small, [bar(0, 16001, 16006, 16000, 16002)]) == []  # profile below vp_min_volume


# ---- microstructure -------------------------------------------------------------------------------------


def _micro(side_heavy: Side, buy: int, sell: int, hold_s: float = 4.0) -> list:
    det = Microstructure(P, MAKE)
    heavy, light = [500.0] * 5, [50.0] * 5
    bids, asks = (heavy, light) if side_heavy is Side.BID else (light, heavy)
    out = []
    t = 0
    while t <= hold_s * S:
        tr = [trade(t, BB + 1, buy, Side.ASK), trade(t, BB, sell, Side.BID)] if t % S == 0 else []
        out += det.update(frame(book_with(bids, asks), t, tr))
        t += S // 4
    return out


@pytest.mark.parametrize("side,direction,buy,sell", [(Side.BID, "long", 10, 1), (Side.ASK, "short", 1, 10)])
def test_microstructure(side: Side, direction: str, buy: int, sell: int) -> None:
    ev = _micro(side, buy, sell)
    assert [(e.pattern, e.direction, e.ts_us) for e in ev] == [("microstructure", direction, 3 * S)]


def test_microstructure_near_misses() -> None:
    assert _micro(Side.BID, 1, 10) == []  # flow against the book
    assert _micro(Side.BID, 10, 1, hold_s=2.5) == []  # held 2.5 s only
    assert _micro(Side.BID, 5, 4) == []  # flow imbalance 0.11
