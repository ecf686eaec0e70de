"""Detector parameters with the SIGNALS.md defaults (window lengths, ratios, decays).

Every number a detector compares against lives here (or in the profile's table fields, or the
instrument), never as a literal in detector code. A `Profile` carries one instance of each
dataclass; `DomParams.with_thresholds` folds the profile's absolute size thresholds in.
Times are µs, prices are ticks, ratios are plain floats.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

S = 1_000_000  # µs per second


@dataclass(frozen=True, slots=True)
class DomParams:
    # the profile table's fields (copied in by Profile.dom_params)
    depth_levels: int = 10
    iceberg_min_volume: float = 500.0
    wall_min_size: float = 1000.0
    absorption_min_volume: float = 300.0
    min_size_threshold: float = 50.0
    # iceberg
    iceberg_window_us: int = 30 * S
    iceberg_ratio: float = 2.0               # traded ≥ ratio × largest displayed
    # wall
    wall_ratio: float = 3.0                  # ≥ ratio × median of the first depth_levels levels
    wall_min_age_us: int = 5 * S
    # ladder
    ladder_min_levels: int = 4
    ladder_ratio: float = 2.0                # each level ≥ ratio × median of the side's visible levels
    ladder_step_growth: float = 1.2          # staircase: each step away from the touch ≥ this × previous
    ladder_equal_tol: float = 0.15           # layered: each size within ± this of the run's mean
    ladder_min_age_us: int = 3 * S
    ladder_visible_levels: int = 20          # "that side's visible levels" for the median
    # spoofing
    spoof_shrink: float = 0.80               # shrinks ≥ this fraction of its peak
    spoof_window_us: int = 10 * S            # ... within this long of appearing
    spoof_proximity_ticks: int = 4           # ... while the touch was within this many ticks
    spoof_max_traded_share: float = 0.20     # trades explain < this share of the drop
    # absorption
    absorption_window_us: int = 10 * S
    absorption_ratio: float = 3.0            # ≥ ratio × the average volume per window
    absorption_max_giveway_ticks: int = 1
    absorption_baseline_us: int = 300 * S    # the "average 10 s volume" is taken over this trailing span
    # squeeze
    squeeze_levels: int = 5
    squeeze_spread_ticks: int = 1
    squeeze_drop: float = 0.50               # thin side ≤ (1 − drop) × its average
    squeeze_avg_window_us: int = 60 * S
    squeeze_drop_window_us: int = 5 * S
    squeeze_hold: float = 0.80               # other side ≥ hold × its average; thin side was ≥ hold × avg
    squeeze_imbalance: float = 0.65
    squeeze_other_max: float = 2.0           # "the other side holds": ≤ this × its average too
    # grading: strength starts at `grade_base`, confidence at `confidence_base` when a rule is just
    # met, and both reach 1.0 at `grade_full` × the threshold. A just-met rule is a valid pattern:
    # strength × confidence = 0.56 there, so two families just agreeing score ≈ 0.3 (below watch)
    # and three ≈ 0.55 (strong); elite needs strong events in three families or four agreeing.
    grade_base: float = 0.7
    confidence_base: float = 0.8
    grade_full: float = 2.0

    def with_thresholds(self, *, depth_levels: int, iceberg_min_volume: float, wall_min_size: float,
                        absorption_min_volume: float, min_size_threshold: float) -> DomParams:
        return replace(self, depth_levels=depth_levels, iceberg_min_volume=iceberg_min_volume,
                       wall_min_size=wall_min_size, absorption_min_volume=absorption_min_volume,
                       min_size_threshold=min_size_threshold)


@dataclass(frozen=True, slots=True)
class VixParams:
    bounds: tuple[float, float, float, float] = (12.0, 18.0, 25.0, 35.0)
    multipliers: tuple[float, float, float, float, float] = (0.8, 1.2, 1.0, 0.7, 0.5)
    hysteresis: float = 0.5
    confirm_readings: int = 3                 # regime change held for this many readings
    spike_rise: float = 0.20                  # ≥ 20 % above the lookback minimum
    spike_min_level: float = 25.0
    spike_reversal: float = 0.05              # ≥ 5 % off the spike high
    spike_lookback_us: int = 3600 * S         # intraday lookback
    spike_lookback_sessions: int = 5          # daily lookback
    complacency_level: float = 15.0
    complacency_percentile: float = 10.0
    complacency_history: int = 252
    confidence: float = 0.8


REGIMES = ("ultra_low", "low", "normal", "high", "extreme")


@dataclass(frozen=True, slots=True)
class BattleParams:
    color_down_ticks: int = 12
    score_bars: int = 5
    mean_bars: int = 20
    body_share: float = 0.6
    body_weight: float = 0.8
    volume_weight: float = 0.2
    volume_cap: float = 2.0
    delta_weight: float = 0.5
    delta_windows: int = 20
    aggressive_weight: float = 0.3
    aggressive_high: float = 0.6
    aggressive_low: float = 0.4
    side_score: float = 0.70
    min_score: float = 1.0                    # the winning side's score must reach this (a share of
                                              # a near-zero total means nothing)
    golden_base_bars: int = 8
    golden_check_bars: int = 20
    golden_tolerance_ticks: float = 0.5
    pattern_strength: float = 0.7             # bar-shape patterns: strength at n ticks, 1.0 at 2n
    pattern_confidence: float = 0.8
    score_grade_base: float = 0.7             # vikings/defenders strength at the 0.70 share


@dataclass(frozen=True, slots=True)
class AdvancedParams:
    # gamma_pin
    pin_distance_ticks: int = 8
    pin_at_level_ticks: int = 1
    pin_range_bars: int = 15                  # "the last 15 minutes" on 1-minute bars
    pin_mean_bars: int = 120                  # "its mean over the last 2 hours"
    pin_range_ratio: float = 0.5
    pin_min_history_bars: int = 30
    # head_fake
    fake_lookback_bars: int = 10
    fake_pierce_ticks: int = 2
    fake_volume_ratio: float = 1.5
    fake_return_bars: int = 2
    # microstructure
    micro_levels: int = 5
    micro_book_imbalance: float = 0.7
    micro_hold_us: int = 3 * S
    micro_flow_window_us: int = 10 * S
    micro_flow_imbalance: float = 0.6
    micro_min_flow_volume: float = 20.0
    # transition
    atr_fast: int = 5
    atr_slow: int = 30
    transition_high: float = 1.8
    transition_low: float = 0.6
    transition_within_bars: int = 10
    # volume_profile
    value_area: float = 0.70
    vp_breakout_closes: int = 2
    vp_min_volume: float = 500.0
    session_gap_us: int = 1800 * S            # a trade gap this long starts a new session profile
    confidence: float = 0.8                   # grade base of strength and confidence


@dataclass(frozen=True, slots=True)
class ConfluenceParams:
    w_dom: float = 0.30
    w_battle_navale: float = 0.25
    w_advanced: float = 0.25
    w_vix: float = 0.20
    half_life_us: int = 30 * S                # DOM and advanced events
    bar_life: int = 2                         # bar patterns count for this many bars
    opposite_penalty: float = 0.5
    three_family_bonus: float = 0.10
    bonus_families: int = 3
    elite_families: int = 2
    agree_min: float = 0.05                   # a family "agrees" when its decayed term ≥ this
    watch: float = 0.40
    strong: float = 0.55
    rearm_below: float = 0.35                 # an episode ends when the score falls below this
    prune_below: float = 0.01                 # events whose decay fell below this are dropped
    elite_window_us: int = 3600 * S           # the per-hour elite cap's window
    # sizing
    score_ref: float = 0.70
    factor_min: float = 0.3
    factor_max: float = 2.0
    min_stop_ticks: int = 8
    atr_bars: int = 14
    atr_stop_fraction: float = 0.5
    target_r: float = 2.0
    # risk
    losses_in_row: int = 3
    pause_us: int = 1800 * S
    session_start_hour_utc: int = 22          # the trading day rolls over at 22:00 UTC (CME Globex)


AUTO_FIELDS = ("iceberg_min_volume", "wall_min_size", "absorption_min_volume", "min_size_threshold")


@dataclass(frozen=True, slots=True)
class AutoParams:
    """`auto` thresholds: effective = clamp(multiple × rolling P90 of displayed level sizes,
    floor_fraction × absolute, absolute). The absolute value is the cap: auto only ever eases a
    threshold for a thin market, never makes it stricter than the profile says."""

    iceberg_multiple: float = 2.0
    wall_multiple: float = 2.5
    absorption_multiple: float = 1.5
    min_size_multiple: float = 0.25
    floor_fraction: float = 0.1
    percentile: float = 90.0
    sample_every_us: int = 1 * S
    window_samples: int = 300                 # P90 over the last 300 samples (5 minutes at 1 s)
    min_samples: int = 10                     # absolute values until this many samples exist
    recompute_every: int = 10                 # recompute the percentile every this many samples

    def multiple(self, field_name: str) -> float:
        return {"iceberg_min_volume": self.iceberg_multiple, "wall_min_size": self.wall_multiple,
                "absorption_min_volume": self.absorption_multiple,
                "min_size_threshold": self.min_size_multiple}[field_name]
