"""Synthetic PatternEvent / Signal values for the app's UI tests (H7): real value types, made-up numbers."""

from __future__ import annotations

from mia_desktop.analysis.types import PatternEvent, Signal

T0 = 1_764_000_000_000_000  # 2025-11-24T16:00:00Z in µs


def make_signal(i: int = 0, *, instrument: str = "ES", direction: str = "long", tier: str = "strong",
                score: float = 0.6, ts_us: int | None = None, risk_state: str = "ok") -> Signal:
    ts = T0 + i * 1_000_000 if ts_us is None else ts_us
    price = 4800.0 + i * 0.25 if instrument == "ES" else 17000.0 + i * 0.25
    sign = 1 if direction == "long" else -1
    patterns = (
        PatternEvent(ts - 2_000_000, instrument, "dom", "iceberg", direction, price, 0.8, 0.9,
                     {"traded": 612, "max_displayed": 180, "ratio": 3.4, "window_s": 30}),
        PatternEvent(ts - 60_000_000, instrument, "battle_navale", "long_down_up", direction, price - 1,
                     0.7, 0.8,
                     {"n_ticks": 8, "bar_high": price + 2, "bar_low": price - 3}),
    )
    return Signal(
        ts_us=ts, instrument=instrument, direction=direction, score=score, tier=tier, elite=tier == "elite",
        patterns=patterns, vix_regime="normal", contracts=2, entry=price, stop=price - sign * 2.0,
        target=price + sign * 4.0, risk_state=risk_state,
        score_breakdown={"families": {"dom": {"weight": 0.3, "term": 0.72, "weighted": 0.216,
                                              "best": "iceberg"},
                                      "battle_navale": {"weight": 0.25, "term": 0.56, "weighted": 0.14,
                                                        "best": "long_down_up"}},
                         "sum": 0.356, "opposite": {}, "opposite_sum": 0.0, "penalty": 0.0,
                         "agreeing_families": 2, "bonus": 0.0, "raw": score, "score": score,
                         "formula": "Σ w·max(strength·confidence·decay) − 0.5·opposite + bonus, clamped 0–1"},
        sizing_breakdown={"base_contracts": 2, "regime": "normal", "regime_multiplier": 1.0, "score": score,
                          "score_factor": 0.86, "score_factor_formula": "clamp(score/0.7, 0.3, 2)",
                          "by_score": 2, "atr14_ticks": 11.5, "stop_ticks": 8,
                          "stop_formula": "max(8, round(0.5 × ATR14))", "tick_value": 12.5,
                          "risk_per_trade_usd": 250.0, "risk_cap": 2, "max_contracts": 10, "contracts": 2,
                          "limited_by": "score", "risk_usd": 200.0, "target_r": 2.0},
        signal_id=f"{instrument}-{ts}-{direction}",
    )
