"""Risk limits for paper-traded signals (SIGNALS.md "Sizing and risk")."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mia_desktop.config.profiles import ProfileError


@dataclass(frozen=True, slots=True)
class RiskSettings:
    risk_per_trade_usd: float = 250.0
    max_daily_loss_usd: float = 500.0
    base_contracts: int = 2
    max_contracts: int = 10
    max_trades_per_day: int = 20

    def validate(self) -> RiskSettings:
        """Return self, or raise ProfileError listing each bad field."""
        e: dict[str, str] = {}
        for name in ("risk_per_trade_usd", "max_daily_loss_usd"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                e[name] = f"must be a positive amount in USD, got {v!r}"
        for name in ("base_contracts", "max_contracts", "max_trades_per_day"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                e[name] = f"must be a whole number ≥ 1, got {v!r}"
        if not e and self.base_contracts > self.max_contracts:
            e["base_contracts"] = f"must be ≤ max_contracts ({self.max_contracts}), got {self.base_contracts}"
        if e:
            raise ProfileError(e, "risk")
        return self
