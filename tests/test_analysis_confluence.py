"""Confluence arithmetic, decay, tiers, emission, the elite cap, sizing and risk transitions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mia_desktop.analysis.confluence import Confluence
from mia_desktop.analysis.params import ConfluenceParams
from mia_desktop.analysis.pipeline import Analyzer
from mia_desktop.analysis.risk import PaperTrade, RiskManager
from mia_desktop.analysis.sizing import size_position
from mia_desktop.analysis.types import PatternEvent
from mia_desktop.config import PROFILES, RiskSettings
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Side, Trade
from mia_desktop.market.instrument import BUILTIN

S = 1_000_000
CP = ConfluenceParams()
ES = BUILTIN["ES"]
T0 = 1_703_541_600 * S  # 2023-12-25 22:00 UTC


def ev(
    family: str, direction: str = "long", s: float = 1.0, c: float = 1.0, ts: int = T0, pattern: str = "x"
) -> PatternEvent:
    return (
        PatternEvent(ts, "ES", family, direction, direction, 4800.0, s, c, {})
        if pattern == "x"
        else PatternEvent(ts, "ES", family, pattern, direction, 4800.0, s, c, {})
    )


def score(cf: Confluence, now: int = T0, d: str = "long") -> float:
    return cf.score(now)[d][0]


def test_weighted_sum_bonus_penalty_and_clamp() -> None:
    cf = Confluence(CP, 0.70)
    cf.add([ev("dom")])
    assert score(cf) == pytest.approx(0.30)
    cf.add([ev("battle_navale", s=0.8)])
    assert score(cf) == pytest.approx(0.30 + 0.25 * 0.8)
    cf.add([ev("advanced", s=0.5, c=0.8)])  # third family: +0.10
    assert score(cf) == pytest.approx(0.30 + 0.20 + 0.25 * 0.4 + 0.10)
    cf.add([ev("vix", "short", s=1.0, c=0.8)])  # opposite: − 0.5 × 0.20 × 0.8
    assert score(cf) == pytest.approx(0.70 - 0.08)
    bd = cf.score(T0)["long"][2]
    assert bd["bonus"] == 0.10 and bd["penalty"] == pytest.approx(-0.08)
    assert bd["families"]["dom"]["weighted"] == pytest.approx(0.30)
    cf.add([ev("vix", "long")])  # replaces the short VIX event
    assert score(cf) == pytest.approx(min(1.0, 0.30 + 0.20 + 0.10 + 0.20 + 0.10))
    cf.add([ev("battle_navale"), ev("advanced")])
    assert score(cf) == 1.0  # 1.1 clamped
    assert score(cf, d="short") == 0.0  # clamped at 0


def test_max_per_family_not_sum() -> None:
    cf = Confluence(CP, 0.70)
    cf.add([ev("dom", s=0.5), ev("dom", s=0.9, pattern="wall"), ev("dom", s=0.7, pattern="iceberg")])
    assert score(cf) == pytest.approx(0.30 * 0.9)


def test_decay_half_life_bar_life_and_vix_persistence() -> None:
    cf = Confluence(CP, 0.70)
    cf.add([ev("dom"), ev("vix")])
    assert score(cf, T0 + 30 * S) == pytest.approx(0.15 + 0.20)
    assert score(cf, T0 + 3600 * S) == pytest.approx(0.20)  # DOM gone, VIX persists
    cf.on_bar_closed()
    cf.add([ev("battle_navale")])
    assert score(cf, T0 + 3600 * S) == pytest.approx(0.45)
    cf.on_bar_closed()
    assert score(cf, T0 + 3600 * S) == pytest.approx(0.45)  # still within 2 bars
    cf.on_bar_closed()
    assert score(cf, T0 + 3600 * S) == pytest.approx(0.20)  # expired


def test_emission_on_upward_cross_tiers_and_elite_upgrade() -> None:
    cf = Confluence(CP, 0.70)
    cf.add([ev("dom")])
    assert cf.evaluate(T0) == []  # 0.30
    cf.add([ev("battle_navale", s=0.5)])
    d = cf.evaluate(T0)  # 0.425 → watch
    assert [(x.direction, x.tier, x.elite) for x in d] == [("long", "watch", False)]
    assert cf.evaluate(T0) == []  # no repeat while the episode lasts
    cf.add([ev("advanced", s=0.8)])
    d = cf.evaluate(T0)  # 0.3+0.125+0.2+0.1 = 0.725 → elite upgrade
    assert [(x.tier, x.elite, x.families, x.breakdown.get("upgrade")) for x in d] == [
        ("elite", True, 3, True)
    ]
    assert {e.family for e in d[0].patterns} == {"dom", "battle_navale", "advanced"}
    assert cf.evaluate(T0 + S) == []
    # decays below the re-arm line, then a fresh cross emits again
    cf.on_bar_closed()
    cf.on_bar_closed()
    assert cf.evaluate(T0 + 200 * S) == []
    cf.add([ev("dom", ts=T0 + 200 * S), ev("advanced", ts=T0 + 200 * S)])
    d = cf.evaluate(T0 + 200 * S)
    assert [(x.tier, x.elite) for x in d] == [("strong", False)]  # 0.55 + 0 (2 families): strong


def test_elite_needs_two_families() -> None:
    cf = Confluence(replace(CP, w_dom=0.9), 0.70)
    cf.add([ev("dom")])
    d = cf.evaluate(T0)
    assert [(x.score, x.tier, x.elite) for x in d] == [(0.9, "strong", False)]


# ---- sizing -------------------------------------------------------------------------------------------


def _size(
    score: float,
    mult: float = 1.0,
    atr: float | None = None,
    risk: RiskSettings | None = None,
    inst: str = "ES",
    direction: str = "long",
):
    return size_position(
        score=score,
        direction=direction,
        entry_ticks=19200,
        regime="x",
        multiplier=mult,
        atr_ticks=atr,
        instrument=BUILTIN[inst],
        risk=risk or RiskSettings(),
        p=CP,
    )


def test_sizing_formula() -> None:
    s = _size(0.70)
    assert (s.contracts, s.stop_ticks, s.stop_price_ticks, s.target_price_ticks) == (2, 8, 19192, 19216)
    assert s.breakdown["risk_cap"] == 2 and s.breakdown["score_factor"] == 1.0
    s = _size(1.0, mult=1.2, risk=RiskSettings(risk_per_trade_usd=1000))
    assert s.contracts == 3 and s.breakdown["limited_by"] == "score"  # floor(2 × 1.2 × 1.4286) = 3
    s = _size(1.4, mult=1.2)
    assert s.contracts == 2 and s.breakdown["limited_by"] == "risk_cap"  # 4 by score, cap 2
    s = _size(0.2, mult=0.5)
    assert s.contracts == 0 and s.breakdown["score_factor"] == 0.3  # floor(2 × 0.5 × 0.3)
    s = _size(0.7, atr=40.0, direction="short")
    assert (s.stop_ticks, s.stop_price_ticks, s.target_price_ticks) == (20, 19220, 19160)
    assert s.breakdown["risk_cap"] == 1 and s.contracts == 1  # 250 / (20 × 12.5)
    s = _size(2.0, mult=1.2, inst="MES", risk=RiskSettings(base_contracts=5))
    assert s.contracts == 10 and s.breakdown["limited_by"] == "max_contracts"


# ---- risk ---------------------------------------------------------------------------------------------


def _trade(rm: RiskManager, i: int, t: int, direction: str = "long", contracts: int = 1) -> None:
    rm.open_trade(
        PaperTrade(
            f"s{i}",
            direction,
            19200,
            19192 if direction == "long" else 19208,
            19216 if direction == "long" else 19184,
            contracts,
            t,
        )
    )


def test_three_losses_pause_30_minutes() -> None:
    rm = RiskManager(RiskSettings(), CP, 12.5)
    for i in range(3):
        t = T0 + (i + 1) * 60 * S
        assert rm.state(t) == "ok"
        _trade(rm, i, t)
        rm.on_price(t + S, 19192)
    out = rm.drain()
    assert [o.outcome for o in out] == ["stop"] * 3 and out[0].pnl_usd == -100.0
    st = rm.state(T0 + 200 * S)
    assert st.startswith("blocked: paused after 3 losses")
    assert rm.state(T0 + (181 + 1800) * S) == "ok"


def test_daily_loss_and_trade_count_and_rollover() -> None:
    rm = RiskManager(RiskSettings(max_trades_per_day=3), CP, 12.5)
    _trade(rm, 0, T0 + S, contracts=5)  # −8 ticks × 12.5 × 5 = −500
    rm.on_price(T0 + 2 * S, 19190)
    assert rm.state(T0 + 3 * S).startswith("blocked: daily paper loss $500.00")
    rm2 = RiskManager(RiskSettings(max_trades_per_day=3), CP, 12.5)
    for i in range(3):
        _trade(rm2, i, T0 + i * S, direction="short")
    rm2.on_price(T0 + 5 * S, 19184)  # all three hit target
    assert [o.pnl_usd for o in rm2.drain()] == [200.0] * 3
    assert rm2.state(T0 + 6 * S) == "blocked: 3 trades today (max 3)"
    # an open trade at 21:59 is closed at the session end; 22:00 the next day starts fresh
    _trade(rm2, 9, T0 + 23 * 3600 * S + 58 * 60 * S)
    rm2.on_price(T0 + 23 * 3600 * S + 59 * 60 * S, 19204)
    assert rm2.state(T0 + 24 * 3600 * S) == "ok"
    out = rm2.drain()
    assert [(o.outcome, o.pnl_usd) for o in out] == [("session_end", 50.0)]


# ---- the analyzer: cap, ids, sizing breakdown ------------------------------------------------------


def _book() -> OrderBook:
    b = OrderBook()
    for i in range(10):
        b.set_level(Side.BID, 19200 - i, 100)
        b.set_level(Side.ASK, 19201 + i, 100)
    return b


def test_elite_cap_marks_rate_limited() -> None:
    prof = replace(PROFILES["production"], max_signals_per_hour=2)
    an = Analyzer(ES, prof)
    an.on_trade(Trade("ES", T0, 19200, 1, Side.ASK))
    book = _book()
    states = []
    for k in range(4):
        t = T0 + k * 600 * S
        an.add_events([ev("dom", ts=t), ev("battle_navale", ts=t), ev("advanced", ts=t)])
        _, sigs = an.analyze(t, book)
        assert len(sigs) == 1 and sigs[0].elite
        states.append(sigs[0].risk_state)
        an.analyze(t + 400 * S, book)  # decays: the episode ends
        an.confluence.on_bar_closed()
        an.confluence.on_bar_closed()
    assert states[:2] == ["ok", "ok"] and states[2:] == ["rate_limited", "rate_limited"]
    # a new hour: the cap frees up
    t = T0 + 3 * 3600 * S
    an.add_events([ev("dom", ts=t), ev("battle_navale", ts=t), ev("advanced", ts=t)])
    _, sigs = an.analyze(t, book)
    assert sigs[0].risk_state == "ok"
    assert sigs[0].signal_id == f"ES-{t}-long-elite"
    assert sigs[0].sizing_breakdown["contracts"] == sigs[0].contracts == 2
    assert sigs[0].entry == 4800.0 and sigs[0].stop == 4798.0 and sigs[0].target == 4804.0
