"""Advanced family: gamma_pin, head_fake, transition, volume_profile (closed bars) and
microstructure (book + trade flow, each analysis).

How this works: bar detectors read the shared bar history (`bars`, oldest first, the bar that just
closed last); each remembers what it fired on so a condition that stays true is reported once.
The volume profile is built from every trade of the session (a trade gap ≥ `session_gap_us`
starts a new one). Microstructure is edge-triggered on the book imbalance: it fires once per
stretch of imbalance beyond the threshold.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from mia_desktop.analysis.battle_navale import BarLike, atr
from mia_desktop.analysis.dom_common import DomFrame, EventFactory, grade
from mia_desktop.analysis.params import AdvancedParams
from mia_desktop.analysis.types import PatternEvent
from mia_desktop.market.events import Side, Trade


def _dir_of(bar: BarLike) -> str:
    return "long" if bar.close > bar.open else "short" if bar.close < bar.open else "neutral"


class GammaPin:
    """`gamma_pin`: the close is within `pin_distance_ticks` (8) of a key level (the user's gamma
    levels, else the nearest round strike every `instrument.strike_step_points`) and the range of
    the last `pin_range_bars` (15) bars is ≤ `pin_range_ratio` (0.5) × the mean of that 15-bar
    range over the last `pin_mean_bars` (120) bars; needs `pin_min_history_bars` (30). Direction:
    toward the level; `neutral` once within `pin_at_level_ticks` (1) of it (fade breakouts).
    Fires again only when the level or the direction changes. strength = grade(mean range /
    (range / ratio)) i.e. how compressed, from `confidence` (0.8) to 1.0 at 2 × the squeeze;
    confidence = 1 − distance / (pin_distance + 1)."""

    def __init__(self, p: AdvancedParams, make: EventFactory, levels_ticks: Sequence[int], strike_ticks: int,
                 labels: dict[int, str] | None = None) -> None:
        self.p = p
        self.make = make
        self.levels = sorted(set(levels_ticks))
        self.strike = max(1, strike_ticks)
        self.labels = labels or {}
        self._ranges: deque[int] = deque(maxlen=p.pin_mean_bars)
        self._last: tuple[int, str] | None = None

    def nearest(self, price: int) -> int:
        if self.levels:
            return min(self.levels, key=lambda lv: abs(lv - price))
        return round(price / self.strike) * self.strike

    def on_bar(self, bars: Sequence[BarLike]) -> list[PatternEvent]:
        p = self.p
        recent = list(bars)[-p.pin_range_bars:]
        rng = max(b.high for b in recent) - min(b.low for b in recent)
        self._ranges.append(rng)
        close = bars[-1].close
        level = self.nearest(close)
        dist = level - close
        mean = sum(self._ranges) / len(self._ranges)
        ok = (len(bars) >= p.pin_min_history_bars and abs(dist) <= p.pin_distance_ticks
              and rng <= p.pin_range_ratio * mean)
        if not ok:
            self._last = None
            return []
        direction = "neutral" if abs(dist) <= p.pin_at_level_ticks else ("long" if dist > 0 else "short")
        if self._last == (level, direction):
            return []
        self._last = (level, direction)
        squeeze = (p.pin_range_ratio * mean) / max(rng, 1)
        return [self.make(bars[-1].end_us, "advanced", "gamma_pin", direction, level,
                          grade(squeeze, p.confidence, 2.0), 1.0 - abs(dist) / (p.pin_distance_ticks + 1),
                          {"level": self.make.px(level),
                           "label": self.labels.get(level, "round strike" if not self.levels else ""),
                           "distance_ticks": dist, "range_ticks": rng, "mean_range_ticks": round(mean, 2),
                           "range_bars": p.pin_range_bars})]


class HeadFake:
    """`head_fake`: a bar among the last `fake_return_bars` + 1 pierces the high (low) of the
    `fake_lookback_bars` (10) bars before it by ≥ `fake_pierce_ticks` (2), the breakout side's
    aggressive volume on that bar is < 1/`fake_volume_ratio` (1.5) of the other side's (buyers <
    sellers / 1.5 on an upside break), and that bar or one of the next `fake_return_bars` (2)
    closes back inside. Failed upside break → short, failed downside break → long; fires at the
    first close back inside, once per breakout bar. strength = grade(pierce / fake_pierce_ticks),
    confidence = grade(other side / breakout side / ratio), each from `confidence` (0.8) at the
    threshold (1.0 at 3 × and 2 × it)."""

    def __init__(self, p: AdvancedParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._done: set[tuple[int, int]] = set()

    def on_bar(self, bars: Sequence[BarLike]) -> list[PatternEvent]:
        p = self.p
        k = p.fake_lookback_bars
        out: list[PatternEvent] = []
        seq = list(bars)[-(k + p.fake_return_bars + 1):]
        last = len(seq) - 1
        for i in range(max(k, last - p.fake_return_bars), last + 1):
            b = seq[i]
            prior = seq[i - k:i]
            hi, lo = max(x.high for x in prior), min(x.low for x in prior)
            for up in (True, False):
                key = (b.start_us, 1 if up else -1)
                if key in self._done:
                    continue
                pierce = b.high - hi if up else lo - b.low
                mine, other = (b.ask_volume, b.bid_volume) if up else (b.bid_volume, b.ask_volume)
                if pierce < p.fake_pierce_ticks or not mine * p.fake_volume_ratio < other:
                    continue
                back = [j for j in range(i, last + 1) if (seq[j].close <= hi if up else seq[j].close >= lo)]
                if back and back[0] == last:
                    self._done.add(key)
                    out.append(self.make(
                        seq[last].end_us, "advanced", "head_fake", "short" if up else "long", seq[last].close,
                        grade(pierce / p.fake_pierce_ticks, p.confidence, 3.0),
                        grade(other / max(mine, 1) / p.fake_volume_ratio, p.confidence, 2.0),
                        {"break": "up" if up else "down", "level": self.make.px(hi if up else lo),
                         "pierce_ticks": pierce,
                         "breakout_volume": mine, "other_volume": other, "bars_to_return": last - i}))
        if len(self._done) > 64:
            oldest = seq[0].start_us
            self._done = {d for d in self._done if d[0] >= oldest}
        return out


class Transition:
    """`transition`: ATR(`atr_fast` 5)/ATR(`atr_slow` 30) rises above `transition_high` (1.8)
    within `transition_within_bars` (10) bars of having been below `transition_low` (0.6)
    (expansion after compression); direction of the expansion bar. Re-arms at the next
    compression. strength = grade(ratio / high); confidence = grade(low / min ratio), each from
    `confidence` (0.8) at the threshold to 1.0 at 2 × it."""

    def __init__(self, p: AdvancedParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._ratios: deque[float] = deque(maxlen=p.transition_within_bars + 1)
        self._armed = True

    def on_bar(self, bars: Sequence[BarLike]) -> list[PatternEvent]:
        p = self.p
        slow = atr(list(bars)[-(p.atr_slow + 1):], p.atr_slow)
        fast = atr(list(bars)[-(p.atr_fast + 1):], p.atr_fast)
        if slow is None or fast is None or slow <= 0:
            return []
        r = fast / slow
        prior = list(self._ratios)
        self._ratios.append(r)
        if r < p.transition_low:
            self._armed = True
        lo = min(prior, default=r)
        if r > p.transition_high and lo < p.transition_low and self._armed:
            self._armed = False
            b = bars[-1]
            return [self.make(b.end_us, "advanced", "transition", _dir_of(b), b.close,
                              grade(r / p.transition_high, p.confidence, 2.0),
                              grade(p.transition_low / max(lo, 1e-9), p.confidence, 2.0),
                              {"atr_ratio": round(r, 3), "min_ratio": round(lo, 3),
                               "atr_fast_ticks": round(fast, 2), "atr_slow_ticks": round(slow, 2)})]
        return []


def value_area(profile: dict[int, float], share: float) -> tuple[int, int, int] | None:
    """(POC, VAL, VAH) in ticks: grow from the POC one level at a time toward the heavier
    neighbour (both on a tie) until `share` of the volume is inside."""
    if not profile:
        return None
    prices = sorted(profile)
    vols = [profile[x] for x in prices]
    total = sum(vols)
    poc_i = max(range(len(prices)), key=lambda i: (vols[i], -abs(i - len(prices) // 2)))
    lo = hi = poc_i
    inside = vols[poc_i]
    while inside < share * total and (lo > 0 or hi < len(prices) - 1):
        down = vols[lo - 1] if lo > 0 else -1.0
        up = vols[hi + 1] if hi < len(prices) - 1 else -1.0
        if up >= down:
            hi += 1
            inside += up
        if down >= up:   # a tie takes both sides, so a symmetric profile gets a symmetric area
            lo -= 1
            inside += down
    return prices[poc_i], prices[lo], prices[hi]


class VolumeProfile:
    """`volume_profile`: the session's volume profile from trades (POC, `value_area` 70 %), once
    it holds `vp_min_volume` (a trade gap ≥ `session_gap_us`, 30 min, starts a new session).
    `vp_breakout_closes` (2) consecutive closes above VAH → long breakout (below VAL → short),
    reported once until a close back inside; a bar whose wick goes beyond VAH (VAL) and closes
    back inside → rejection short (long), back toward the POC. strength = grade(distance beyond
    the edge in ticks + 1) from `confidence` (0.8) to 1.0 at 4; confidence `confidence`.
    Evidence: poc, val, vah as display prices, session_volume, kind."""

    def __init__(self, p: AdvancedParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self.profile: dict[int, float] = {}
        self.total = 0.0
        self._last_ts: int | None = None
        self._broken = 0      # +1 above, -1 below: breakout reported
        self._closes: deque[int] = deque(maxlen=p.vp_breakout_closes)

    def on_trade(self, t: Trade) -> None:
        if self._last_ts is not None and t.ts_us - self._last_ts >= self.p.session_gap_us:
            self.profile.clear()
            self.total = 0.0
            self._broken = 0
            self._closes.clear()
        self._last_ts = t.ts_us
        self.profile[t.price] = self.profile.get(t.price, 0.0) + t.size
        self.total += t.size

    def levels(self) -> tuple[int, int, int] | None:
        return value_area(self.profile, self.p.value_area)

    def _ev(self, b: BarLike, direction: str, ticks: float, ev: dict[str, object]) -> PatternEvent:
        c = self.p.confidence
        strength = grade(ticks, c, 4.0)
        return self.make(b.end_us, "advanced", "volume_profile", direction, b.close, strength, c, ev)

    def on_bar(self, bars: Sequence[BarLike]) -> list[PatternEvent]:
        p = self.p
        b = bars[-1]
        self._closes.append(b.close)
        if self.total < p.vp_min_volume:
            return []
        va = self.levels()
        if va is None:
            return []
        poc, val, vah = va
        px = self.make.px
        ev = {"poc": px(poc), "val": px(val), "vah": px(vah), "session_volume": self.total}
        out: list[PatternEvent] = []
        full = len(self._closes) == p.vp_breakout_closes
        if val <= b.close <= vah:
            self._broken = 0
        elif full and all(c > vah for c in self._closes) and self._broken != 1:
            self._broken = 1
            out.append(self._ev(b, "long", b.close - vah + 1.0, {"kind": "breakout", **ev}))
        elif full and all(c < val for c in self._closes) and self._broken != -1:
            self._broken = -1
            out.append(self._ev(b, "short", val - b.close + 1.0, {"kind": "breakout", **ev}))
        if b.high > vah and val <= b.close <= vah:
            out.append(self._ev(b, "short", float(b.high - vah), {"kind": "rejection", **ev}))
        elif b.low < val and val <= b.close <= vah:
            out.append(self._ev(b, "long", float(val - b.low), {"kind": "rejection", **ev}))
        return out


class Microstructure:
    """`microstructure`: top-`micro_levels` (5) book imbalance (bid − ask)/(bid + ask) beyond
    ± `micro_book_imbalance` (0.7) held ≥ `micro_hold_us` (3 s), with the aggressive trade-flow
    imbalance (buy − sell)/(buy + sell) over the last `micro_flow_window_us` (10 s) beyond
    ± `micro_flow_imbalance` (0.6) the same way, on at least `micro_min_flow_volume` contracts.
    Direction: the sign (bid-heavy book and buying → long). Once per stretch of book imbalance.
    strength = grade(|book imbalance| / threshold); confidence = grade(|flow imbalance| / threshold),
    each from `confidence` (0.8) at the threshold to 1.0 at an imbalance of ±1."""

    def __init__(self, p: AdvancedParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._flow: deque[tuple[int, int, float]] = deque()
        self._sum = [0.0, 0.0]          # [sell (BID aggressor), buy (ASK aggressor)]
        self._since: int | None = None
        self._sign = 0
        self._fired = False

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        now = f.now_us
        for t in f.trades:
            s = int(t.aggressor)
            self._flow.append((t.ts_us, s, float(t.size)))
            self._sum[s] += t.size
        cut = now - p.micro_flow_window_us
        while self._flow and self._flow[0][0] < cut:
            _, s, v = self._flow.popleft()
            self._sum[s] -= v
        bid, ask = sum(f.sz[0][: p.micro_levels]), sum(f.sz[1][: p.micro_levels])
        tot = bid + ask
        imb = (bid - ask) / tot if tot > 0 else 0.0
        sign = 1 if imb > p.micro_book_imbalance else -1 if imb < -p.micro_book_imbalance else 0
        if sign != self._sign:
            self._sign, self._since, self._fired = sign, now, False
        if sign == 0 or self._fired or self._since is None or now - self._since < p.micro_hold_us:
            return []
        sell, buy = self._sum[int(Side.BID)], self._sum[int(Side.ASK)]
        flow_tot = buy + sell
        if flow_tot < p.micro_min_flow_volume:
            return []
        flow = (buy - sell) / flow_tot
        if flow * sign <= p.micro_flow_imbalance:
            return []
        self._fired = True
        price = f.best[0] if sign > 0 else f.best[1]
        return [self.make(now, "advanced", "microstructure", "long" if sign > 0 else "short",
                          price if price is not None else 0,
                          grade(abs(imb) / p.micro_book_imbalance, p.confidence,
                                1.0 / p.micro_book_imbalance),
                          grade(abs(flow) / p.micro_flow_imbalance, p.confidence,
                                1.0 / p.micro_flow_imbalance),
                          {"book_imbalance": round(imb, 3), "flow_imbalance": round(flow, 3),
                           "bid_depth": bid, "ask_depth": ask, "held_s": (now - self._since) / 1e6,
                           "flow_volume": flow_tot})]
