"""Pattern events and signals — the analysis layer's output values (field names as SIGNALS.md "Output")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAMILIES = ("dom", "vix", "battle_navale", "advanced")
DIRECTIONS = ("long", "short", "neutral")
TIERS = ("elite", "strong", "watch")


@dataclass(frozen=True, slots=True)
class PatternEvent:
    ts_us: int               # exchange/replay clock, µs since Unix epoch
    instrument: str
    family: str              # one of FAMILIES
    pattern: str             # e.g. "iceberg"
    direction: str           # one of DIRECTIONS
    price: float             # display price (ticks × tick size)
    strength: float          # 0–1
    confidence: float        # 0–1
    evidence: dict[str, Any] = field(default_factory=dict)  # the numbers that fired it (JSON-able)

    def to_json(self) -> dict[str, Any]:
        from mia_desktop.market.timeutil import iso_utc

        return {"kind": "pattern", "ts": iso_utc(self.ts_us), "instrument": self.instrument,
                "family": self.family, "pattern": self.pattern, "direction": self.direction,
                "price": self.price, "strength": round(self.strength, 4),
                "confidence": round(self.confidence, 4), "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Signal:
    ts_us: int
    instrument: str
    direction: str           # long / short
    score: float             # 0–1
    tier: str                # elite / strong / watch
    elite: bool
    patterns: tuple[PatternEvent, ...]
    vix_regime: str
    contracts: int
    entry: float
    stop: float
    target: float
    risk_state: str          # "ok", "rate_limited", "blocked: <why>"
    score_breakdown: dict[str, Any] = field(default_factory=dict)   # per-family terms, penalty, bonus
    sizing_breakdown: dict[str, Any] = field(default_factory=dict)  # multiplier, factor, risk cap, ATR…
    signal_id: str = ""      # stable id (instrument + ts + direction), the journal's key

    def to_json(self) -> dict[str, Any]:
        from mia_desktop.market.timeutil import iso_utc

        return {"kind": "signal", "id": self.signal_id, "ts": iso_utc(self.ts_us),
                "instrument": self.instrument,
                "direction": self.direction, "score": round(self.score, 4), "tier": self.tier,
                "elite": self.elite, "patterns": [p.to_json() for p in self.patterns],
                "vix_regime": self.vix_regime, "contracts": self.contracts, "entry": self.entry,
                "stop": self.stop, "target": self.target, "risk_state": self.risk_state,
                "score_breakdown": self.score_breakdown, "sizing_breakdown": self.sizing_breakdown}
