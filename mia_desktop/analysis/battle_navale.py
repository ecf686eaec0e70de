"""Battle Navale family on closed bars: long_down_up, long_up_down, color_down, vikings, defenders.

How this works: `BattleNavale.on_bar(bar)` appends the closed bar to a bounded history and tests
the rules stated in `BattleNavale`'s docstring (SIGNALS.md "Battle Navale"), all in integer
ticks. Bar `[1]` is the bar that just closed, `[0]` the one before it (the bar tested), `[-1]`,
`[-2]` earlier ones; `n` = `instrument.battle_ticks`, so "n·T" is n ticks. Vikings/defenders
score the last `score_bars` (5) bars and fire when their condition becomes true (not again on
every following bar while it stays true).
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from mia_desktop.analysis.dom_common import EventFactory, grade
from mia_desktop.analysis.params import BattleParams
from mia_desktop.analysis.types import PatternEvent

HISTORY = 256


class BarLike(Protocol):
    """The fields of market.bars.Bar the analysis reads (prices in ticks)."""

    @property
    def start_us(self) -> int: ...
    @property
    def end_us(self) -> int: ...
    @property
    def open(self) -> int: ...
    @property
    def high(self) -> int: ...
    @property
    def low(self) -> int: ...
    @property
    def close(self) -> int: ...
    @property
    def volume(self) -> int: ...
    @property
    def bid_volume(self) -> int: ...
    @property
    def ask_volume(self) -> int: ...
    @property
    def delta(self) -> int: ...


def true_range(bar: BarLike, prev_close: int | None) -> int:
    if prev_close is None:
        return bar.high - bar.low
    return max(bar.high, prev_close) - min(bar.low, prev_close)


def atr(bars: list[BarLike] | deque[BarLike], n: int) -> float | None:
    """Mean true range of the last n bars (None with fewer than n + 1 bars)."""
    if len(bars) < n + 1 or n <= 0:
        return None
    seq = list(bars)[-(n + 1):]
    return sum(true_range(seq[i], seq[i - 1].close) for i in range(1, n + 1)) / n


def battle_scores(bars: list[BarLike], p: BattleParams,
                  delta_hist: list[float]) -> tuple[float, float, dict[str, float]]:
    """Buyers' and sellers' scores B, S over the last `score_bars` bars (SIGNALS.md "Scores")."""
    last = bars[-p.score_bars:]
    ref = bars[-p.mean_bars:]
    mean_vol = sum(b.volume for b in ref) / len(ref)
    b_score = s_score = 0.0
    for bar in last:
        rng = bar.high - bar.low
        body = abs(bar.close - bar.open)
        green, red = bar.close > bar.open, bar.close < bar.open
        add = 0.0
        if rng > 0 and body > p.body_share * rng:
            add += p.body_weight * body / rng
        if mean_vol > 0:
            add += p.volume_weight * min(bar.volume / mean_vol, p.volume_cap)
        if green:
            b_score += add
        elif red:
            s_score += add
    net = sum(b.delta for b in last)
    mean_abs = sum(delta_hist) / len(delta_hist) if delta_hist else 0.0
    d_term = p.delta_weight * min(abs(net) / mean_abs, 1.0) if mean_abs > 0 else 0.0
    if net > 0:
        b_score += d_term
    elif net < 0:
        s_score += d_term
    tot = sum(b.ask_volume + b.bid_volume for b in last)
    share = sum(b.ask_volume for b in last) / tot if tot > 0 else 0.5
    if share > p.aggressive_high:
        b_score += p.aggressive_weight
    elif share < p.aggressive_low:
        s_score += p.aggressive_weight
    return b_score, s_score, {"net_delta": float(net), "buy_share": round(share, 3), "mean_volume": mean_vol}


def golden_rule(bars: list[BarLike], p: BattleParams, buyers: bool) -> tuple[bool, int | None]:
    """Buyers: base = lowest low of the green bars among the last 8; no red bar of the last 20 may
    close more than 0.5 tick below it. Sellers mirrored (red bars' highest high, green closes above)."""
    recent = bars[-p.golden_base_bars:]
    if buyers:
        lows = [b.low for b in recent if b.close > b.open]
        if not lows:
            return False, None
        base = min(lows)
        tol = p.golden_tolerance_ticks
        ok = all(not (b.close < b.open and b.close < base - tol) for b in bars[-p.golden_check_bars:])
        return ok, base
    highs = [b.high for b in recent if b.close < b.open]
    if not highs:
        return False, None
    top = max(highs)
    tol = p.golden_tolerance_ticks
    ok = all(not (b.close > b.open and b.close > top + tol) for b in bars[-p.golden_check_bars:])
    return ok, top


class BattleNavale:
    """The five Battle Navale detectors, on closed bars, all prices in ticks. Bars: `[1]` the bar
    that just closed, `[0]` the one before it (the bar tested), `[-1]`, `[-2]` earlier ones; O H L C
    its open, high, low, close. `n` = `battle_ticks` (`instrument.battle_ticks`: 8 ES/MES, 9 NQ/MNQ).

    - `long_down_up` (long): O[0] < C[-1] and H[-1] > L[0] + n and O[1] > C[0] and H[1] > L[0] + n
      and H[1] > H[-1]. Evidence: low (L[0]), high_next (H[1]), high_prev (H[-1]), n_ticks.
    - `long_up_down` (short), the mirror: O[0] > C[-1] and H[0] > L[-1] + n and O[1] < C[0] and
      H[0] > L[1] + n and L[1] < L[-1]. Evidence: high, low_next, low_prev, n_ticks.
    - `color_down` (short only), with k = `color_down_ticks` (12): O[1] < C[0] and H[0] > L[1] + k
      and L[1] < L[0] and O[-1] < C[-2] and H[-2] > L[-1] + k and L[-1] < L[-2] and H[0] < H[-1].
      Evidence: high, low_next, high_prev, distance_ticks (k).
      Shape patterns: strength = grade(excursion / n (k for color_down)) from `pattern_strength`
      (0.7) at 1× to 1.0 at 2×; confidence `pattern_confidence` (0.8).
    - `vikings` (long) / `defenders` (short): over the last `score_bars` (5) bars the buyers' score
      B and sellers' score S (`battle_scores`): each bar whose body > `body_share` (0.6) of its
      range adds `body_weight` (0.8) × body/range to its colour's side (green → B, red → S); each
      bar adds `volume_weight` (0.2) × min(volume / mean volume of the last `mean_bars` (20) bars,
      `volume_cap` (2)) to its colour's side; the 5 bars' net delta adds `delta_weight` (0.5) ×
      min(|Δ| / mean |Δ| of the last `delta_windows` (20) five-bar windows, 1) to the side it
      favours; an aggressive-buy share > `aggressive_high` (0.6) adds `aggressive_weight` (0.3) to
      B, < `aggressive_low` (0.4) adds it to S. Fires when B / (B + S) ≥ `side_score` (0.70)
      (S / (B + S) for defenders), that side's score ≥ `min_score` (1.0: a share of a near-zero
      total, one small coloured bar among dojis, is not a battle won) and the golden rule holds
      (`golden_rule`): base = the lowest low of the green bars among the last `golden_base_bars`
      (8); no red bar of the last `golden_check_bars` (20) closes more than
      `golden_tolerance_ticks` (0.5) below it. Defenders mirror it: top = the highest high of the
      red bars among the last 8, no green bar of the last 20 closes more than 0.5 tick above it.
      Fires when the condition becomes true, not again while it stays true. strength =
      grade(share / side_score) from `score_grade_base` (0.7) to 1.0 at a share of 1; confidence
      = bars available / mean_bars (capped at 1). Evidence: B, S, share, golden_base (golden_top),
      net_delta, buy_share, mean_volume.

    Evidence prices are display prices (`EventFactory.px`), like the event's `price` (bar [1]'s
    close)."""

    def __init__(self, p: BattleParams, make: EventFactory, battle_ticks: int) -> None:
        self.p = p
        self.make = make
        self.n = battle_ticks
        self.bars: deque[BarLike] = deque(maxlen=HISTORY)
        self._dhist: deque[float] = deque(maxlen=p.delta_windows)
        self._on = [False, False]

    def _shape(self, ts: int, pattern: str, direction: str, price: int, excursion: int, n: int,
               ev: dict[str, float]) -> PatternEvent:
        p = self.p
        return self.make(ts, "battle_navale", pattern, direction, price,
                         grade(excursion / max(n, 1), p.pattern_strength, 2.0), p.pattern_confidence, ev)

    def on_bar(self, bar: BarLike) -> list[PatternEvent]:
        p, n = self.p, self.n
        px = self.make.px
        self.bars.append(bar)
        bars = self.bars
        out: list[PatternEvent] = []
        ts = bar.end_us
        if len(bars) >= 3:
            b1, b0, m1 = bars[-1], bars[-2], bars[-3]
            if (b0.open < m1.close and m1.high > b0.low + n and b1.open > b0.close and b1.high > b0.low + n
                    and b1.high > m1.high):
                ev = {"low": px(b0.low), "high_next": px(b1.high), "high_prev": px(m1.high), "n_ticks": n}
                out.append(self._shape(ts, "long_down_up", "long", b1.close, b1.high - b0.low, n, ev))
            if (b0.open > m1.close and b0.high > m1.low + n and b1.open < b0.close and b0.high > b1.low + n
                    and b1.low < m1.low):
                ev = {"high": px(b0.high), "low_next": px(b1.low), "low_prev": px(m1.low), "n_ticks": n}
                out.append(self._shape(ts, "long_up_down", "short", b1.close, b0.high - b1.low, n, ev))
        if len(bars) >= 4:
            b1, b0, m1, m2 = bars[-1], bars[-2], bars[-3], bars[-4]
            k = p.color_down_ticks
            if (b1.open < b0.close and b0.high > b1.low + k and b1.low < b0.low and m1.open < m2.close
                    and m2.high > m1.low + k and m1.low < m2.low and b0.high < m1.high):
                ev = {"high": px(b0.high), "low_next": px(b1.low), "high_prev": px(m1.high),
                      "distance_ticks": k}
                out.append(self._shape(ts, "color_down", "short", b1.close, b0.high - b1.low, k, ev))
        if len(bars) >= p.score_bars:
            window = list(bars)[-max(p.mean_bars, p.golden_check_bars, p.score_bars):]
            net = abs(sum(b.delta for b in window[-p.score_bars:]))
            self._dhist.append(float(net))
            b_sc, s_sc, extra = battle_scores(window, p, list(self._dhist))
            tot = b_sc + s_sc
            for i, (mine, buyers, pattern, direction) in enumerate(
                    ((b_sc, True, "vikings", "long"), (s_sc, False, "defenders", "short"))):
                share = mine / tot if tot > 0 else 0.0
                hit = False
                if share >= p.side_score and mine >= p.min_score:
                    rule, base = golden_rule(window, p, buyers)
                    if rule and not self._on[i]:
                        strength = grade(share / p.side_score, p.score_grade_base, 1.0 / p.side_score)
                        info = {"B": round(b_sc, 3), "S": round(s_sc, 3), "share": round(share, 3),
                                "golden_base" if buyers else "golden_top": None if base is None else px(base),
                                **extra}
                        out.append(self.make(ts, "battle_navale", pattern, direction, bar.close, strength,
                                             min(1.0, len(window) / p.mean_bars), info))
                    hit = rule
                self._on[i] = hit
        return out
