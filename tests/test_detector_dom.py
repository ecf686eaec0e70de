"""DOM family: each detector fires on its rule, stays quiet on a near miss, and mirrors by side."""

from __future__ import annotations

import pytest
from dom_helpers import BB, MAKE, S, book_with, frame, trade

from mia_desktop.analysis.dom_flow import AbsorptionDetector, IcebergDetector, SqueezeDetector
from mia_desktop.analysis.dom_levels import LadderDetector, SpoofDetector, WallDetector
from mia_desktop.analysis.params import DomParams
from mia_desktop.market.events import Side

P = DomParams()  # production thresholds: depth 10, wall 1000, iceberg 500, absorption 300, min size 50
FLAT = [100.0] * 10


def sides(side: Side, near: list[float], far: list[float] | None = None) -> tuple[list[float], list[float]]:
    """Put `near` on `side` and a plain 100-lot book on the other."""
    other = far if far is not None else FLAT
    return (near, other) if side is Side.BID else (other, near)


def run(
    det: object,
    book_at: dict[int, tuple],
    until_s: float,
    step_s: float = 0.25,
    trades_at: dict[int, list] | None = None,
    gap: int = 1,
) -> list:
    """Drive a detector: book_at maps a time (µs) to (bids, asks) from then on."""
    events = []
    t = 0
    book = None
    keys = sorted(book_at)
    while t <= until_s * S:
        cur = [k for k in keys if k <= t]
        spec = book_at[cur[-1]]
        bids, asks = spec[0], spec[1]
        bb, g = (spec[2], spec[3]) if len(spec) > 2 else (BB, gap)
        book = book_with(bids, asks, best_bid=bb, gap=g)
        tr = (trades_at or {}).get(t, [])
        events += det.update(frame(book, t, tr))  # type: ignore[attr-defined]
        t += int(step_s * S)
    return events


# ---- wall ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side,direction", [(Side.BID, "long"), (Side.ASK, "short")])
def test_wall_fires_after_standing_5s(side: Side, direction: str) -> None:
    near = [100.0] * 10
    near[3] = 1500
    ev = run(WallDetector(P, MAKE), {0: sides(side, near)}, 7)
    assert len(ev) == 1
    e = ev[0]
    assert (e.pattern, e.direction, e.ts_us) == ("wall", direction, 5 * S)
    assert e.evidence["size"] == 1500 and e.evidence["median"] == 100
    assert e.price == ((BB - 3) if side is Side.BID else (BB + 4)) * 0.25


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_wall_near_misses(side: Side) -> None:
    near = [100.0] * 10
    near[3] = 1500
    # stands only 4.5 s
    assert run(WallDetector(P, MAKE), {0: sides(side, near), int(4.5 * S): sides(side, FLAT)}, 8) == []
    # big but below wall_min_size
    small = [100.0] * 10
    small[3] = 900
    assert run(WallDetector(P, MAKE), {0: sides(side, small)}, 8) == []
    # big but not 3 × the median
    thick = [500.0] * 10
    thick[3] = 1400
    assert run(WallDetector(P, MAKE), {0: sides(side, thick)}, 8) == []


# ---- ladder -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side,direction", [(Side.BID, "long"), (Side.ASK, "short")])
@pytest.mark.parametrize(
    "tail,shape", [([250, 300, 360, 432], "staircase"), ([300, 320, 290, 310], "layered")]
)
def test_ladder_fires_after_3s(side: Side, direction: str, tail: list[float], shape: str) -> None:
    near = [100.0] * 6 + tail
    ev = run(LadderDetector(P, MAKE), {0: sides(side, near)}, 5)
    assert [(e.pattern, e.direction, e.ts_us, e.evidence["shape"]) for e in ev] == [
        ("ladder", direction, 3 * S, shape)
    ]


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_ladder_near_misses(side: Side) -> None:
    # normal book shape: depth growing 1.2x per level is not a ladder (not 2 x the median)
    normal = [100.0 * 1.2**i for i in range(10)]
    assert run(LadderDetector(P, MAKE), {0: sides(side, normal)}, 5) == []
    # big levels but neither a staircase nor layered
    ragged = [100.0] * 6 + [250, 280, 400, 410]
    assert run(LadderDetector(P, MAKE), {0: sides(side, ragged)}, 5) == []
    # a gap in the run
    gapped = [100.0] * 5 + [250, 300, 100, 360, 432]
    assert run(LadderDetector(P, MAKE), {0: sides(side, gapped)}, 5) == []
    # right shape for 2.5 s only
    ok = [100.0] * 6 + [250, 300, 360, 432]
    assert run(LadderDetector(P, MAKE), {0: sides(side, ok), int(2.5 * S): sides(side, FLAT)}, 5) == []


# ---- spoofing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("side,direction", [(Side.BID, "short"), (Side.ASK, "long")])
def test_spoof_pulled_within_10s(side: Side, direction: str) -> None:
    big = [100.0] * 10
    big[2] = 1200
    ev = run(
        SpoofDetector(P, MAKE), {0: sides(side, FLAT), 1 * S: sides(side, big), 4 * S: sides(side, FLAT)}, 6
    )
    assert [(e.pattern, e.direction, e.ts_us) for e in ev] == [("spoofing", direction, 4 * S)]
    assert ev[0].evidence["peak"] == 1200 and ev[0].evidence["traded"] == 0


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_spoof_near_misses(side: Side) -> None:
    big = [100.0] * 10
    big[2] = 1200
    book_at = {0: sides(side, FLAT), 1 * S: sides(side, big), 4 * S: sides(side, FLAT)}
    price = (BB - 2) if side is Side.BID else (BB + 3)
    # consumed by trades, not pulled
    trades = {int(3.75 * S): [trade(int(3.7 * S), price, 1100, side)]}
    assert run(SpoofDetector(P, MAKE), book_at, 6, trades_at=trades) == []
    # pulled after 12 s: no longer "within 10 s of appearing"
    assert (
        run(
            SpoofDetector(P, MAKE),
            {0: sides(side, FLAT), 1 * S: sides(side, big), 13 * S: sides(side, FLAT)},
            15,
        )
        == []
    )
    # only shrinks 60 %
    part = [100.0] * 10
    part[2] = 480
    assert (
        run(
            SpoofDetector(P, MAKE),
            {0: sides(side, FLAT), 1 * S: sides(side, big), 4 * S: sides(side, part)},
            6,
        )
        == []
    )
    # far from the touch (level 8, 7 ticks away)
    far = [100.0] * 10
    far[7] = 1200
    assert (
        run(
            SpoofDetector(P, MAKE),
            {0: sides(side, FLAT), 1 * S: sides(side, far), 4 * S: sides(side, FLAT)},
            6,
        )
        == []
    )


# ---- iceberg ------------------------------------------------------------------------------------------


def _ice_trades(side: Side, price: int, per: int, n: int, start_s: float = 1.0) -> dict[int, list]:
    return {
        int((start_s + i * 0.5) * S): [trade(int((start_s + i * 0.5) * S) - 1000, price, per, side)]
        for i in range(n)
    }


@pytest.mark.parametrize("side,direction", [(Side.BID, "long"), (Side.ASK, "short")])
def test_iceberg_refilled_level(side: Side, direction: str) -> None:
    price = BB if side is Side.BID else BB + 1
    ev = run(IcebergDetector(P, MAKE), {0: sides(side, FLAT)}, 10, trades_at=_ice_trades(side, price, 60, 12))
    assert len(ev) == 1
    e = ev[0]
    assert (e.pattern, e.direction, e.price) == ("iceberg", direction, price * 0.25)
    assert e.evidence["traded"] >= 500 and e.evidence["max_displayed"] == 100


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_iceberg_near_misses(side: Side) -> None:
    price = BB if side is Side.BID else BB + 1
    # not enough volume (8 x 60 = 480 < 500)
    assert (
        run(IcebergDetector(P, MAKE), {0: sides(side, FLAT)}, 10, trades_at=_ice_trades(side, price, 60, 8))
        == []
    )
    # traded through: the level is gone at the end
    gone = (FLAT, FLAT, BB - 1, 2) if side is Side.BID else (FLAT, FLAT, BB, 2)
    ev = run(
        IcebergDetector(P, MAKE),
        {0: sides(side, FLAT), int(3.5 * S): gone},
        10,
        trades_at=_ice_trades(side, price, 60, 12),
    )
    assert ev == []
    # large displayed size: 600 traded against 400 shown is < 2 x
    thick = [400.0, *FLAT[1:]]
    assert (
        run(IcebergDetector(P, MAKE), {0: sides(side, thick)}, 10, trades_at=_ice_trades(side, price, 60, 12))
        == []
    )


# ---- absorption ---------------------------------------------------------------------------------------


def _flow(side: Side, price: int, until_s: float, burst: int, burst_price: int) -> dict[int, list]:
    """10 lots a second each way for 60 s, then a 400-lot burst into `side` over 3 s."""
    out: dict[int, list] = {}
    for i in range(int(60 / 0.25)):
        t = int(i * 0.25 * S)
        if i % 4 == 0:
            out[t] = [trade(t, price, 5, Side.BID), trade(t, price + 1, 5, Side.ASK)]
    for i in range(12):
        t = int((61 + i * 0.25) * S)
        out[t] = [trade(t - 1, burst_price, burst // 12, side)]
    return out


@pytest.mark.parametrize("side,direction", [(Side.BID, "long"), (Side.ASK, "short")])
def test_absorption_fires_while_best_holds(side: Side, direction: str) -> None:
    best = BB if side is Side.BID else BB + 1
    ev = run(
        AbsorptionDetector(P, MAKE), {0: sides(side, FLAT)}, 66, trades_at=_flow(side, BB, 66, 480, best)
    )
    assert len(ev) == 1
    e = ev[0]
    assert (e.pattern, e.direction, e.price) == ("absorption", direction, best * 0.25)
    assert e.evidence["volume"] >= 300
    # the held best and its anchor are display prices, like `price` (4000.00 / 4000.25), not ticks
    assert e.evidence["best"] == best * 0.25 and e.evidence["anchor"] == best * 0.25


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_absorption_near_misses(side: Side) -> None:
    best = BB if side is Side.BID else BB + 1
    # the best price gives way by 2 ticks during the burst
    shifted = (FLAT, FLAT, BB - 2, 3) if side is Side.BID else (FLAT, FLAT, BB, 3)
    assert (
        run(
            AbsorptionDetector(P, MAKE),
            {0: sides(side, FLAT), 62 * S: shifted},
            66,
            trades_at=_flow(side, BB, 66, 480, best),
        )
        == []
    )
    # too little volume (240 < 300)
    assert (
        run(AbsorptionDetector(P, MAKE), {0: sides(side, FLAT)}, 66, trades_at=_flow(side, BB, 66, 240, best))
        == []
    )


# ---- squeeze ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side,direction", [(Side.BID, "short"), (Side.ASK, "long")])
def test_squeeze_thin_side(side: Side, direction: str) -> None:
    base = [200.0] * 10
    thin = [40.0] * 5 + [200.0] * 5
    book_at = {0: (base, base), 61 * S: sides(side, thin, base)}
    ev = run(SqueezeDetector(P, MAKE), book_at, 64)
    assert [(e.pattern, e.direction) for e in ev] == [("squeeze", direction)]
    assert ev[0].evidence["imbalance"] >= 0.65


@pytest.mark.parametrize("side", [Side.BID, Side.ASK])
def test_squeeze_near_misses(side: Side) -> None:
    base = [200.0] * 10
    thin = [40.0] * 5 + [200.0] * 5
    # spread 2 ticks
    assert run(SqueezeDetector(P, MAKE), {0: (base, base), 61 * S: sides(side, thin, base)}, 64, gap=2) == []
    # the other side thins too (does not hold)
    assert run(SqueezeDetector(P, MAKE), {0: (base, base), 61 * S: (thin, thin)}, 64) == []
    # drop of 40 % only
    mild = [120.0] * 5 + [200.0] * 5
    assert run(SqueezeDetector(P, MAKE), {0: (base, base), 61 * S: sides(side, mild, base)}, 64) == []


def test_event_factory_px_rounds_to_the_tick_decimals() -> None:
    from mia_desktop.analysis.dom_common import EventFactory, tick_decimals
    from mia_desktop.market.instrument import BUILTIN

    assert MAKE.px(19229) == 4807.25 and MAKE.px(19231) == 4807.75
    assert EventFactory(BUILTIN["VIX"]).px(1234) == 12.34
    assert [tick_decimals(t) for t in (0.25, 0.1, 1.0, 0.01, 0.03125)] == [2, 1, 0, 2, 5]
