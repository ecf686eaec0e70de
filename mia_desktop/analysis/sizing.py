"""VIX-adaptive position sizing, ATR stop and 2R target (SIGNALS.md "Sizing and risk").

contracts = min(max_contracts, floor(base_contracts × regime multiplier × clamp(score/0.70, 0.3, 2.0)),
                floor(risk_per_trade_usd / (stop_ticks × tick_value)))
stop_ticks = max(8, round(0.5 × ATR(14 bars) in ticks)); target = 2 × stop beyond entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mia_desktop.analysis.params import ConfluenceParams
from mia_desktop.config.risk import RiskSettings
from mia_desktop.market.instrument import Instrument

_EPS = 1e-9  # so 2 × 1.2 × 1.25 = 3.0000000000000004 floors to 3, and 2.9999999999 to 3 as well


@dataclass(frozen=True, slots=True)
class Sizing:
    contracts: int
    stop_ticks: int
    entry_ticks: int
    stop_price_ticks: int
    target_price_ticks: int
    breakdown: dict[str, Any] = field(default_factory=dict)


def size_position(*, score: float, direction: str, entry_ticks: int, regime: str, multiplier: float,
                  atr_ticks: float | None, instrument: Instrument, risk: RiskSettings,
                  p: ConfluenceParams) -> Sizing:
    factor = min(p.factor_max, max(p.factor_min, score / p.score_ref))
    atr_stop = round(p.atr_stop_fraction * atr_ticks) if atr_ticks is not None else 0
    stop_ticks = max(p.min_stop_ticks, atr_stop)
    raw = risk.base_contracts * multiplier * factor
    by_score = math.floor(raw + _EPS)
    risk_cap = math.floor(risk.risk_per_trade_usd / (stop_ticks * instrument.tick_value) + _EPS)
    contracts = max(0, min(risk.max_contracts, by_score, risk_cap))
    sign = 1 if direction == "long" else -1
    target_ticks = round(p.target_r * stop_ticks)
    limit = ("max_contracts" if contracts == risk.max_contracts and by_score > risk.max_contracts else
             "risk_cap" if contracts == risk_cap and by_score > risk_cap else "score")
    bd = {"base_contracts": risk.base_contracts, "regime": regime, "regime_multiplier": multiplier,
          "score": round(score, 4), "score_factor": round(factor, 4),
          "score_factor_formula": f"clamp(score/{p.score_ref:g}, {p.factor_min:g}, {p.factor_max:g})",
          "by_score": by_score, "by_score_raw": round(raw, 4),
          "atr14_ticks": None if atr_ticks is None else round(atr_ticks, 2),
          "stop_ticks": stop_ticks,
          "stop_formula": f"max({p.min_stop_ticks}, round({p.atr_stop_fraction:g} × ATR14))",
          "tick_value": instrument.tick_value, "risk_per_trade_usd": risk.risk_per_trade_usd,
          "risk_cap": risk_cap, "max_contracts": risk.max_contracts, "contracts": contracts,
          "limited_by": limit,
          "risk_usd": round(contracts * stop_ticks * instrument.tick_value, 2), "target_r": p.target_r}
    return Sizing(contracts, stop_ticks, entry_ticks, entry_ticks - sign * stop_ticks,
                  entry_ticks + sign * target_ticks, bd)
