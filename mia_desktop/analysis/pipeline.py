"""The Analyzer the engine worker drives: all 19 detectors, confluence, sizing, risk, per instrument.

How this works: the worker feeds trades (`on_trade`, `on_price`), closed bars (`on_bar`), VIX
readings (`on_vix`), and every `interval_us` of exchange/replay clock at a consistent book calls
`analyze(now, book)`. `analyze` builds one frame from the book plus the trades since the last
call, runs the six DOM detectors and microstructure, hands every new event (including those
`on_bar`/`on_vix` returned since) to confluence, and turns each confluence decision into a Signal:
tier, VIX-adaptive size, ATR stop, 2R target, then the risk state (blocked by the paper outcomes,
or rate-limited past the hourly elite cap). Nothing here blocks, sleeps or does I/O.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence
from typing import Protocol

from mia_desktop.analysis.advanced import GammaPin, HeadFake, Microstructure, Transition, VolumeProfile
from mia_desktop.analysis.autoscale import AutoThresholds
from mia_desktop.analysis.battle_navale import BarLike, BattleNavale, atr
from mia_desktop.analysis.confluence import Confluence, Decision
from mia_desktop.analysis.dom_common import BookLike, DomFrame, EventFactory
from mia_desktop.analysis.dom_flow import AbsorptionDetector, IcebergDetector, SqueezeDetector
from mia_desktop.analysis.dom_levels import LadderDetector, SpoofDetector, WallDetector
from mia_desktop.analysis.keylevels import KeyLevel
from mia_desktop.analysis.params import DomParams
from mia_desktop.analysis.risk import PaperOutcome, PaperTrade, RiskManager
from mia_desktop.analysis.sizing import size_position
from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.analysis.vix import VixAnalyzer
from mia_desktop.config.profiles import Profile
from mia_desktop.config.risk import RiskSettings
from mia_desktop.market.events import Trade, VixReading
from mia_desktop.market.instrument import Instrument

MAX_PENDING_TRADES = 100_000   # trades buffered between two analyses (older ones dropped, counted)


class _DomDetector(Protocol):
    p: DomParams

    def update(self, f: DomFrame) -> list[PatternEvent]: ...


class DomSuite:
    """The six DOM detectors over one frame (also what the benchmark times)."""

    def __init__(self, params: DomParams, make: EventFactory) -> None:
        self.detectors: list[_DomDetector] = [
            IcebergDetector(params, make), WallDetector(params, make), LadderDetector(params, make),
            SpoofDetector(params, make), AbsorptionDetector(params, make), SqueezeDetector(params, make)]
        self._updates = [d.update for d in self.detectors]   # bound once: this runs every analysis

    def set_params(self, params: DomParams) -> None:
        for d in self.detectors:
            d.p = params

    def update(self, f: DomFrame) -> list[PatternEvent]:
        out: list[PatternEvent] = []
        for upd in self._updates:
            ev = upd(f)
            if ev:
                out += ev
        return out


class Analyzer:
    def __init__(self, instrument: Instrument, profile: Profile, *,
                 key_levels: list[KeyLevel] | None = None, risk: RiskSettings | None = None,
                 vix_daily_closes: Sequence[float] | None = None) -> None:
        self.instrument = instrument
        self.profile = profile
        self.risk_settings = risk or RiskSettings()
        self.interval_us = int(profile.analysis_interval_ms) * 1000
        dp = profile.dom_params()
        adv = profile.advanced
        make = self._make = EventFactory(instrument)
        self.dom = DomSuite(dp, make)
        self.micro = Microstructure(adv, make)
        self.auto = AutoThresholds(dp, profile.auto, profile.auto_params)
        self.levels = max(dp.depth_levels, dp.ladder_visible_levels, dp.squeeze_levels, adv.micro_levels)
        self.battle = BattleNavale(profile.battle, make, instrument.battle_ticks)
        strike = max(1, round(instrument.strike_step_points / instrument.tick_size))
        kl = key_levels or []
        lv_ticks = [instrument.to_ticks(k.price) for k in kl]
        labels = dict(zip(lv_ticks, [k.label for k in kl], strict=True))
        self.pin = GammaPin(adv, make, lv_ticks, strike, labels)
        self.head_fake = HeadFake(adv, make)
        self.transition = Transition(adv, make)
        self.profile_vp = VolumeProfile(adv, make)
        self.bars: deque[BarLike] = deque(maxlen=max(adv.pin_mean_bars, adv.atr_slow + 1, 64) + 16)
        self.vix = VixAnalyzer(profile.vix, instrument.symbol)
        if vix_daily_closes:
            self.vix.set_daily_history(vix_daily_closes)
        self.confluence = Confluence(profile.confluence, profile.min_elite_score)
        self.risk = RiskManager(self.risk_settings, profile.confluence, instrument.tick_value)
        self._trades: list[Trade] = []
        self._pending: list[PatternEvent] = []
        self._pending_bar: list[PatternEvent] = []
        self._elite_times: deque[int] = deque()
        self.last_price: int | None = None
        self.dropped_trades = 0
        self.time_resets = 0
        self.crossed_skips = 0
        self._last_now = -(1 << 62)
        self.pattern_counts: Counter[str] = Counter()
        self.signal_counts: Counter[str] = Counter()

    # ---- the engine's API (INTERFACES.md) --------------------------------------------------------
    @property
    def vix_regime(self) -> str:
        return self.vix.regime

    @property
    def vix_value(self) -> float | None:
        return self.vix.value

    @property
    def vix_multiplier(self) -> float:
        return self.vix.multiplier

    def on_trade(self, trade: Trade) -> None:
        if len(self._trades) >= MAX_PENDING_TRADES:
            del self._trades[: MAX_PENDING_TRADES // 2]
            self.dropped_trades += MAX_PENDING_TRADES // 2
        self._trades.append(trade)
        self.profile_vp.on_trade(trade)
        self.last_price = trade.price

    def on_price(self, now_us: int, last_price_ticks: int) -> None:
        self.last_price = last_price_ticks
        self.risk.on_price(now_us, last_price_ticks)

    def on_bar(self, bar: BarLike) -> list[PatternEvent]:
        self.bars.append(bar)
        self.confluence.on_bar_closed()
        out = self.battle.on_bar(bar)
        bars = list(self.bars)
        for det in (self.pin, self.head_fake, self.transition, self.profile_vp):
            out += det.on_bar(bars)
        return self._took(out, on_bar=True)

    def on_vix(self, reading: VixReading) -> list[PatternEvent]:
        return self._took(self.vix.on_reading(reading.ts_us, reading.value))

    def analyze(self, now_us: int, book: BookLike) -> tuple[list[PatternEvent], list[Signal]]:
        if now_us < self._last_now:
            # the clock went back (a replay restarted): windowed state would never expire
            self.time_resets += 1
            self.dom = DomSuite(self.auto.current, self._make)
            self.micro = Microstructure(self.profile.advanced, self._make)
        self._last_now = now_us
        f = DomFrame.from_book(now_us, book, self.levels, self._trades)
        self._trades = []
        b, a = f.best
        events: list[PatternEvent] = []
        if b is not None and a is not None and b >= a:
            # crossed or locked (a pre-open auction): not a tradable book, the DOM rules do not apply
            self.crossed_skips += 1
        else:
            if self.auto.enabled:
                new = self.auto.sample(f)
                if new is not None:
                    self.dom.set_params(new)
            events = self.dom.update(f)
            events += self.micro.update(f)
            self._took(events)
        if self._pending_bar:
            self.confluence.add(self._pending_bar, on_bar=True)
            self._pending_bar = []
        if self._pending:
            self.confluence.add(self._pending)
            self._pending = []
        signals = [self._signal(d, f) for d in self.confluence.evaluate(now_us)]
        return events, signals

    # ---- extras ---------------------------------------------------------------------------------
    def add_events(self, events: list[PatternEvent]) -> None:
        """Feed events from elsewhere (a recording, a test) to the next confluence evaluation."""
        self._took(list(events))

    def drain_outcomes(self) -> list[PaperOutcome]:
        """Paper outcomes closed since the last call (signal_id, target/stop/session_end, P&L)."""
        return self.risk.drain()

    def thresholds(self) -> dict[str, dict[str, float | str | None]]:
        """Each absolute size threshold's mode (auto/absolute) and the value in force."""
        return self.auto.effective()

    def _took(self, events: list[PatternEvent], on_bar: bool = False) -> list[PatternEvent]:
        if events:
            if on_bar:
                self._pending_bar += events
            else:
                self._pending += events
            self.pattern_counts.update(e.pattern for e in events)
        return events

    def _signal(self, d: Decision, f: DomFrame) -> Signal:
        inst = self.instrument
        cp = self.profile.confluence
        entry = self.last_price
        if entry is None:
            b, a = f.best
            if a is not None and b is not None:
                entry = b if d.direction == "short" else a
            else:
                entry = b if b is not None else (a if a is not None else 0)
        atr_t = atr(list(self.bars)[-(cp.atr_bars + 1):], cp.atr_bars)
        sz = size_position(score=d.score, direction=d.direction, entry_ticks=entry, regime=self.vix.regime,
                           multiplier=self.vix.multiplier, atr_ticks=atr_t, instrument=inst,
                           risk=self.risk_settings, p=cp)
        state = self.risk.state(d.ts_us)
        if state == "ok" and d.elite:
            while self._elite_times and self._elite_times[0] <= d.ts_us - cp.elite_window_us:
                self._elite_times.popleft()
            if len(self._elite_times) >= self.profile.max_signals_per_hour:
                state = "rate_limited"
            else:
                self._elite_times.append(d.ts_us)
        sid = f"{inst.symbol}-{d.ts_us}-{d.direction}-{d.tier}"
        if state == "ok" and sz.contracts > 0:
            self.risk.open_trade(PaperTrade(sid, d.direction, entry, sz.stop_price_ticks,
                                            sz.target_price_ticks, sz.contracts, d.ts_us))
        self.signal_counts[d.tier] += 1
        tick = inst.tick_size
        bd = dict(d.breakdown)
        bd["elite_rule"] = (f"score ≥ {self.profile.min_elite_score:g} and ≥ {cp.elite_families} families; "
                            f"cap {self.profile.max_signals_per_hour}/hour")
        return Signal(d.ts_us, inst.symbol, d.direction, d.score, d.tier, d.elite, d.patterns,
                      self.vix.regime, sz.contracts, round(entry * tick, 10),
                      round(sz.stop_price_ticks * tick, 10), round(sz.target_price_ticks * tick, 10), state,
                      bd, sz.breakdown, sid)
