"""VIX family: regimes with hysteresis and size multipliers, spike reversal, complacency, regime change.

How this works: `VixAnalyzer.on_reading(ts, value)` takes intraday readings (or, with `daily=True`,
one close per session) and keeps three small states. The *regime* moves only when a reading is
past the current regime's bound by `hysteresis` (0.5 points) for `confirm_readings` (3) readings in
a row; that confirmed move is the `vix_regime_change` event, and the gauge and the sizing
multiplier follow the confirmed regime, so they never flap. `vix_spike_reversal` arms when VIX is
≥ `spike_rise` (20 %) above its lookback minimum and ≥ `spike_min_level` (25), tracks the spike
high, and fires once VIX is ≥ `spike_reversal` (5 %) off it; it re-arms only on a new high above
the fired one or after a full lookback. `vix_complacency` fires on entering "VIX < 15 and at or
below the 10th percentile of the last 252 daily closes" (daily mode uses its own closes; intraday
needs `set_daily_history`), and re-arms on leaving it. VIX events carry the VIX value as `price`.

`parse_vix_daily` reads `DATE,OPEN,HIGH,LOW,CLOSE` text (the caller opens the file), skipping and
counting rows that are malformed or whose open/close lie outside low–high.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mia_desktop.analysis.params import REGIMES, S, VixParams
from mia_desktop.analysis.types import PatternEvent

DAY_US = 86_400 * S


def regime_index(value: float, bounds: Sequence[float]) -> int:
    i = 0
    while i < len(bounds) and value >= bounds[i]:
        i += 1
    return i


def regime_multiplier(regime: str, params: VixParams | None = None) -> float:
    p = params or VixParams()
    return p.multipliers[REGIMES.index(regime)] if regime in REGIMES else 1.0


@dataclass(frozen=True, slots=True)
class VixDay:
    day: date
    open: float
    high: float
    low: float
    close: float

    @property
    def ts_us(self) -> int:
        return int(datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC).timestamp()) * S


@dataclass(frozen=True, slots=True)
class VixDailyParse:
    rows: list[VixDay]
    bad: int
    problems: list[str] = field(default_factory=list)   # the first few, "line N: why"


MAX_PROBLEMS = 20


def parse_vix_daily(text: str | Iterable[str]) -> VixDailyParse:
    """Parse CBOE daily VIX OHLC text. A header line is optional; bad rows are skipped and counted."""
    lines = text.splitlines() if isinstance(text, str) else text
    rows: list[VixDay] = []
    bad = 0
    problems: list[str] = []

    def reject(no: int, why: str) -> None:
        nonlocal bad
        bad += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(f"line {no}: {why}")

    for no, raw in enumerate(lines, 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        parts = [x.strip() for x in line.split(",")]
        if no == 1 and parts[0].upper() == "DATE":
            continue
        if len(parts) != 5:
            reject(no, f"expected 5 fields, got {len(parts)}")
            continue
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            try:
                day = datetime.strptime(parts[0], "%m/%d/%Y").date()
            except ValueError:
                reject(no, f"bad date {parts[0][:20]!r}")
                continue
        try:
            o, h, lo, c = (float(x) for x in parts[1:])
        except ValueError:
            reject(no, "a price is not a number")
            continue
        if not all(math.isfinite(x) and x > 0 for x in (o, h, lo, c)):
            reject(no, "prices must be positive finite numbers")
        elif not (lo <= h and lo <= o <= h and lo <= c <= h):
            reject(no, f"open/close outside low–high (O {o:g} H {h:g} L {lo:g} C {c:g})")
        elif rows and day <= rows[-1].day:
            reject(no, f"date {day} not after {rows[-1].day}")
        else:
            rows.append(VixDay(day, o, h, lo, c))
    return VixDailyParse(rows, bad, problems)


class VixAnalyzer:
    """The VIX family's state for one instrument; `price` of its events is the VIX value.

    - regime: the reading's band among `bounds` (12/18/25/35 → ultra_low, low, normal, high,
      extreme); it moves only when readings are past the current band's bound by `hysteresis`
      (0.5) for `confirm_readings` (3) readings in a row, and that confirmed move is
      `vix_regime_change` (rising regime → short, falling → long; strength `confidence` (0.8) plus
      the rest per extra band jumped). Sizing multiplier: `multipliers` by regime.
    - `vix_spike_reversal` (long): arms when VIX ≥ (1 + `spike_rise` (0.20)) × its minimum over the
      lookback (`spike_lookback_us`, 60 min intraday; `spike_lookback_sessions`, 5, daily) and ≥
      `spike_min_level` (25); fires once VIX is ≥ `spike_reversal` (5 %) off the spike high;
      re-arms only on a new high above the fired one or after a full lookback. strength =
      confidence + (1 − confidence) × min(1, off / (2 × spike_reversal)): 1.0 at 10 % off.
    - `vix_complacency` (neutral): on entering VIX < `complacency_level` (15) and ≤ the
      `complacency_percentile` (10th) percentile of the last `complacency_history` (252) daily
      closes (daily mode: its own closes; intraday: `set_daily_history`); re-arms on leaving it.
    Confidence of every event: `confidence` (0.8)."""

    def __init__(self, params: VixParams, instrument: str, *, daily: bool = False) -> None:
        self.p = params
        self.instrument = instrument
        self.daily = daily
        self.value: float | None = None
        self._r: int | None = None
        self._pending = 0
        self._pending_dir = 0
        self._look: deque[tuple[int, float]] = deque()
        self._mins: deque[tuple[int, float]] = deque()     # increasing values: lookback min at [0]
        self._n = 0
        self._armed = False
        self._high = 0.0
        self._fired_high: float | None = None
        self._fired_ts = 0
        self._spike_low = 0.0
        self._closes: deque[float] = deque(maxlen=params.complacency_history)
        self._pct: float | None = None
        self._complacent = False

    @property
    def regime(self) -> str:
        return REGIMES[self._r] if self._r is not None else "normal"

    @property
    def multiplier(self) -> float:
        return self.p.multipliers[self._r] if self._r is not None else 1.0

    def set_daily_history(self, closes: Sequence[float]) -> None:
        """Daily closes (oldest first) for the complacency percentile in intraday mode."""
        self._closes.clear()
        self._closes.extend(closes[-self.p.complacency_history:])
        self._pct = self._percentile()

    def _percentile(self) -> float | None:
        if len(self._closes) < max(1, self.p.complacency_history // 2):
            return None
        s = sorted(self._closes)
        k = (len(s) - 1) * self.p.complacency_percentile / 100.0
        f = math.floor(k)
        return s[f] + (s[min(f + 1, len(s) - 1)] - s[f]) * (k - f)

    def _event(self, ts: int, pattern: str, direction: str, value: float, strength: float,
               evidence: dict[str, object]) -> PatternEvent:
        return PatternEvent(ts, self.instrument, "vix", pattern, direction, round(value, 4),
                            max(0.0, min(1.0, strength)), self.p.confidence,
                            {"vix": round(value, 4), "regime": self.regime, **evidence})

    def on_reading(self, ts_us: int, value: float) -> list[PatternEvent]:
        if not (math.isfinite(value) and value > 0):
            return []
        p = self.p
        out: list[PatternEvent] = []
        self.value = value
        self._n += 1
        # ---- regime with hysteresis, confirmed over `confirm_readings`
        raw = regime_index(value, p.bounds)
        if self._r is None:
            self._r = raw
        elif raw != self._r:
            up = raw > self._r
            if up:
                past = value >= p.bounds[self._r] + p.hysteresis
            else:
                past = value < p.bounds[self._r - 1] - p.hysteresis
            d = 1 if up else -1
            if past:
                self._pending = self._pending + 1 if self._pending_dir == d else 1
                self._pending_dir = d
                if self._pending >= p.confirm_readings:
                    old = self.regime
                    jump = abs(raw - self._r)
                    self._r = raw
                    self._pending = 0
                    out.append(self._event(ts_us, "vix_regime_change", "short" if up else "long", value,
                                           p.confidence + (1 - p.confidence) * (jump - 1),
                                           {"from": old, "to": self.regime, "multiplier": self.multiplier}))
            else:
                self._pending = 0
        else:
            self._pending = 0
        # ---- spike reversal
        key = self._n if self.daily else ts_us
        span = p.spike_lookback_sessions if self.daily else p.spike_lookback_us
        while self._mins and self._mins[-1][1] >= value:
            self._mins.pop()
        self._mins.append((key, value))
        while self._mins[0][0] < key - span:
            self._mins.popleft()
        lo = self._mins[0][1]
        if value >= (1 + p.spike_rise) * lo and value >= p.spike_min_level and not self._armed:
            fresh = self._fired_high is None or value > self._fired_high or key - self._fired_ts > span
            if fresh:
                self._armed = True
                self._high = value
                self._spike_low = lo
        if self._armed:
            self._high = max(self._high, value)
            if value <= (1 - p.spike_reversal) * self._high:
                self._armed = False
                self._fired_high = self._high
                self._fired_ts = key
                off = 1 - value / self._high
                strength = p.confidence + (1 - p.confidence) * min(1.0, off / (2 * p.spike_reversal))
                out.append(self._event(ts_us, "vix_spike_reversal", "long", value, strength,
                                       {"spike_high": round(self._high, 4),
                                        "lookback_min": round(self._spike_low, 4),
                                        "off_high_pct": round(100 * off, 2)}))
        # ---- complacency
        if self.daily and self._closes:
            self._pct = self._percentile()
        pct = self._pct
        now_c = pct is not None and value < p.complacency_level and value <= pct
        if now_c and not self._complacent:
            out.append(self._event(ts_us, "vix_complacency", "neutral", value, p.confidence,
                                   {"percentile_10": round(pct or 0.0, 4), "history": len(self._closes)}))
        self._complacent = now_c
        if self.daily:
            self._closes.append(value)
        return out


def analyze_daily(rows: Sequence[VixDay], params: VixParams,
                  instrument: str = "ES") -> tuple[list[PatternEvent], VixAnalyzer]:
    """Run the VIX family over daily closes; returns the events and the final state (regime)."""
    va = VixAnalyzer(params, instrument, daily=True)
    out: list[PatternEvent] = []
    for r in rows:
        out += va.on_reading(r.ts_us, r.close)
    return out, va
