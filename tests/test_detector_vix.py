"""VIX family: regimes with hysteresis, multipliers, the three patterns, daily CSV parsing."""

from __future__ import annotations

import pytest
from conftest import VIX_CSV

from mia_desktop.analysis.params import REGIMES, VixParams
from mia_desktop.analysis.vix import (
    VixAnalyzer,
    analyze_daily,
    parse_vix_daily,
    regime_index,
    regime_multiplier,
)

S = 1_000_000
P = VixParams()


def feed(va: VixAnalyzer, values: list[float], step_s: float = 60) -> list:
    out = []
    for i, v in enumerate(values):
        out += va.on_reading(int(i * step_s * S), v)
    return out


def test_regime_table_and_multipliers() -> None:
    for v, name, mult in [
        (11.9, "ultra_low", 0.8),
        (12, "low", 1.2),
        (17.99, "low", 1.2),
        (18, "normal", 1.0),
        (25, "high", 0.7),
        (34.9, "high", 0.7),
        (35, "extreme", 0.5),
    ]:
        assert REGIMES[regime_index(v, P.bounds)] == name
        assert regime_multiplier(name) == mult


def test_regime_change_needs_hysteresis_and_three_readings() -> None:
    va = VixAnalyzer(P, "ES")
    # hovering just above 18 (inside the 0.5 band) never leaves "low"
    assert feed(va, [17.0, 18.2, 18.4, 17.9, 18.3, 18.4, 18.45]) == []
    assert va.regime == "low" and va.multiplier == 1.2
    # past the band for 2 readings, then back: no change
    assert feed(va, [18.6, 18.7, 18.2]) == []
    ev = feed(va, [18.6, 18.7, 18.8])
    assert [(e.pattern, e.direction, e.evidence["from"], e.evidence["to"]) for e in ev] == [
        ("vix_regime_change", "short", "low", "normal")
    ]
    assert va.regime == "normal" and va.multiplier == 1.0
    # falling back: must go below 18 - 0.5 for three readings -> long
    assert feed(va, [17.8, 17.6, 17.7]) == []
    ev = feed(va, [17.4, 17.3, 17.2])
    assert [(e.direction, e.evidence["to"]) for e in ev] == [("long", "low")]


def test_spike_reversal_fires_once_off_the_high() -> None:
    va = VixAnalyzer(P, "ES")
    ev = feed(va, [20, 20.5, 22, 25, 27, 28, 27.5, 26.9, 26.0, 25.5])
    spikes = [e for e in ev if e.pattern == "vix_spike_reversal"]
    assert len(spikes) == 1
    assert spikes[0].direction == "long" and spikes[0].evidence["spike_high"] == 28
    assert spikes[0].price == 26.5 or spikes[0].price <= 0.95 * 28


@pytest.mark.parametrize(
    "values",
    [
        [22, 23, 24, 24.5, 24.8, 23.0, 22.5],  # never reaches 25
        [21.5, 23, 25.2, 25.8, 26.0, 25.5, 25.2],  # 26 < 1.2 x 21.5 ... and only 3 % off the high
    ],
)
def test_spike_reversal_near_misses(values: list[float]) -> None:
    ev = feed(VixAnalyzer(P, "ES"), values)
    assert [e for e in ev if e.pattern == "vix_spike_reversal"] == []


def test_spike_lookback_is_time_based_intraday() -> None:
    # the low was 2 hours ago: outside the 60-minute lookback, so the rise is not a spike
    va = VixAnalyzer(P, "ES")
    ev = feed(va, [20.0] + [24.0] * 120 + [26.0, 27.0, 25.0], step_s=60)
    assert [e for e in ev if e.pattern == "vix_spike_reversal"] == []


def test_complacency_uses_daily_percentile() -> None:
    va = VixAnalyzer(P, "ES")
    va.set_daily_history([14.0 + (i % 10) for i in range(252)])  # 10th percentile = 14.0 .. 15
    ev = feed(va, [16.0, 14.5, 13.9, 13.8, 16.0, 13.5])
    comp = [e for e in ev if e.pattern == "vix_complacency"]
    assert [e.direction for e in comp] == ["neutral", "neutral"]  # enters twice (left in between)
    assert comp[0].price == 13.9
    # without history it cannot fire
    assert [e for e in feed(VixAnalyzer(P, "ES"), [11.0, 10.0]) if e.pattern == "vix_complacency"] == []


def test_parse_vix_daily_skips_and_counts_bad_rows() -> None:
    text = (
        "DATE,OPEN,HIGH,LOW,CLOSE\n2020-01-02,13,14,12,13.5\n2020-01-03,19.24,18.57,17.61,17.7\n"
        "2020-01-06,x,1,1,1\n2020-01-07,13,14\n2020-01-08,nan,14,12,13\n2020-01-09,13,14,12,13.2\n"
    )
    r = parse_vix_daily(text)
    assert [x.close for x in r.rows] == [13.5, 13.2]
    assert r.bad == 4
    assert r.problems[0].startswith("line 3: open/close outside")


def test_real_vix_history(shared_data: object) -> None:
    r = parse_vix_daily(VIX_CSV.read_text(encoding="utf-8"))
    assert len(r.rows) + r.bad == 9235
    assert r.bad == 47
    ev, va = analyze_daily(r.rows, P)
    pats = {e.pattern for e in ev}
    assert pats == {"vix_regime_change", "vix_spike_reversal", "vix_complacency"}
    # March 2020: a spike reversal fires while VIX is extreme
    march = [
        e for e in ev if e.pattern == "vix_spike_reversal" and 1583020800 * S <= e.ts_us < 1585699200 * S
    ]
    assert march and all(e.direction == "long" for e in march)
    assert va.regime in REGIMES
