"""Analyzer API (INTERFACES.md), auto thresholds, VIX wiring, bar wiring, paper outcomes."""

from __future__ import annotations

from dataclasses import replace

from dom_helpers import book_with, frame

from mia_desktop.analysis.autoscale import AutoThresholds
from mia_desktop.analysis.keylevels import KeyLevel
from mia_desktop.analysis.params import AutoParams, DomParams
from mia_desktop.analysis.pipeline import Analyzer
from mia_desktop.analysis.types import PatternEvent
from mia_desktop.config import PROFILES, RiskSettings
from mia_desktop.market.bars import Bar
from mia_desktop.market.events import Side, Trade, VixReading
from mia_desktop.market.instrument import BUILTIN

S = 1_000_000
T0 = 1_703_541_600 * S
ES = BUILTIN["ES"]


def test_interface_attributes() -> None:
    an = Analyzer(ES, PROFILES["scalping"], key_levels=[KeyLevel(4800.0, "gamma")], risk=RiskSettings())
    assert an.interval_us == 100_000
    assert an.vix_regime == "normal" and an.vix_value is None
    assert an.pin.levels == [19200]
    ev, sig = an.analyze(T0, book_with([100] * 10, [100] * 10))
    assert ev == [] and sig == []


def test_vix_readings_drive_regime_and_events() -> None:
    an = Analyzer(ES, PROFILES["production"])
    out: list[PatternEvent] = []
    for i, v in enumerate([16.0, 16.5, 19.0, 19.2, 19.4]):
        out += an.on_vix(VixReading(T0 + i * S, v))
    assert an.vix_value == 19.4 and an.vix_regime == "normal" and an.vix_multiplier == 1.0
    assert [(e.pattern, e.direction) for e in out] == [("vix_regime_change", "short")]


def test_bars_feed_battle_navale_and_count_two_bars() -> None:
    an = Analyzer(ES, PROFILES["production"])
    m = 60 * S

    def bar(i: int, o: int, h: int, lo: int, c: int) -> Bar:
        return Bar(T0 + i * m, T0 + (i + 1) * m, o, h, lo, c, 100, 50, 50, 0, 10)

    ev = []
    for i, b in enumerate(
        [(19200, 19220, 19195, 19210), (19205, 19208, 19200, 19202), (19204, 19225, 19201, 19223)]
    ):
        ev += an.on_bar(bar(i, *b))
    assert [e.pattern for e in ev] == ["long_down_up"]
    an.analyze(T0 + 3 * m, book_with([100] * 10, [100] * 10))
    sc, _, _, live = an.confluence.score(T0 + 3 * m)["long"]
    assert sc > 0 and [e.pattern for e in live] == ["long_down_up"]
    an.on_bar(bar(3, 19223, 19224, 19222, 19223))
    an.on_bar(bar(4, 19223, 19224, 19222, 19223))
    an.analyze(T0 + 5 * m, book_with([100] * 10, [100] * 10))
    live = an.confluence.score(T0 + 5 * m)["long"][3]
    assert "long_down_up" not in {e.pattern for e in live}   # counted for 2 bars only


def test_auto_thresholds_scale_to_the_book_with_absolute_cap() -> None:
    base = DomParams()
    at = AutoThresholds(base, ("wall_min_size", "iceberg_min_volume"), replace(AutoParams(), min_samples=3))
    book = book_with([40, 50, 60, 70, 80, 90, 100, 110, 120, 130], [40] * 10)
    new = None
    for i in range(5):
        new = at.sample(frame(book, T0 + i * S)) or new
    assert new is not None and at.p90 is not None
    assert new.wall_min_size == round(2.5 * at.p90, 1) < 1000
    assert new.iceberg_min_volume == round(2.0 * at.p90, 1)
    assert new.absorption_min_volume == base.absorption_min_volume  # not in auto mode
    assert at.effective()["wall_min_size"]["mode"] == "auto"
    # a thick book never raises a threshold above the profile's absolute value
    thick = AutoThresholds(base, ("wall_min_size",), replace(AutoParams(), min_samples=1))
    b2 = book_with([5000] * 10, [5000] * 10)
    for i in range(3):
        thick.sample(frame(b2, T0 + i * S))
    assert thick.current.wall_min_size == 1000
    # and a nearly empty one never takes it below the floor (10 %)
    thin = AutoThresholds(base, ("wall_min_size",), replace(AutoParams(), min_samples=1))
    b3 = book_with([1] * 10, [1] * 10)
    for i in range(3):
        thin.sample(frame(b3, T0 + i * S))
    assert thin.current.wall_min_size == 100


def test_paper_outcome_reaches_drain() -> None:
    an = Analyzer(ES, PROFILES["production"])
    an.on_trade(Trade("ES", T0, 19200, 1, Side.ASK))
    an.on_price(T0, 19200)
    evs = [PatternEvent(T0, "ES", f, "x", "long", 4800.0, 1.0, 1.0, {}) for f in ("dom", "advanced")]
    an.add_events(evs)
    _, sigs = an.analyze(T0, book_with([100] * 10, [100] * 10))
    assert len(sigs) == 1 and sigs[0].risk_state == "ok" and sigs[0].contracts == 1
    an.on_price(T0 + S, 19216)  # target: 16 ticks
    out = an.drain_outcomes()
    assert [(o.signal_id, o.outcome, o.pnl_usd) for o in out] == [(sigs[0].signal_id, "target", 200.0)]


def test_clock_going_back_resets_dom_state() -> None:
    an = Analyzer(ES, PROFILES["production"])
    big = [100.0] * 10
    big[3] = 1500
    book = book_with(big, [100] * 10)
    found = []
    for i in range(30):
        found += an.analyze(T0 + i * 250_000, book)[0]
    assert [e.pattern for e in found] == ["wall"]
    found = []
    for i in range(30):   # a replay restarts an hour earlier: the wall is seen (and reported) afresh
        found += an.analyze(T0 - 3600 * S + i * 250_000, book)[0]
    assert an.time_resets == 1 and [e.pattern for e in found] == ["wall"]
