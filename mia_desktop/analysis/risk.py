"""Paper outcomes and the risk state they drive (SIGNALS.md "Sizing and risk").

How this works: every signal that is not blocked or rate-limited and has at least one contract is
opened as a paper trade at its entry; `on_price` follows the last trade price until the target
or the stop is touched (filled at that level), and a new trading day (rolling over at
`session_start_hour_utc`, 22:00 UTC — the CME Globex open) closes what is still open at the last
price. Closed trades feed the state: daily paper loss ≥ `max_daily_loss_usd`, `losses_in_row`
(3) losses in a row (a `pause_us` 30-minute pause, after which the streak starts again), or
`max_trades_per_day` trades opened today → new signals are "blocked: <why>". A new day clears
the daily loss, the count and the streak.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from mia_desktop.analysis.params import ConfluenceParams
from mia_desktop.config.risk import RiskSettings
from mia_desktop.market.timeutil import iso_utc

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
MAX_OUTCOMES = 10_000


@dataclass(slots=True)
class PaperTrade:
    signal_id: str
    direction: str
    entry: int          # ticks
    stop: int
    target: int
    contracts: int
    opened_us: int


@dataclass(frozen=True, slots=True)
class PaperOutcome:
    signal_id: str
    outcome: str        # "target", "stop", "session_end"
    pnl_usd: float
    exit_ticks: int
    exit_us: int


class RiskManager:
    def __init__(self, settings: RiskSettings, p: ConfluenceParams, tick_value: float) -> None:
        self.s = settings
        self.p = p
        self.tick_value = tick_value
        self.open: list[PaperTrade] = []
        # not yet drained; a deque so another thread may drain while this one appends (both atomic)
        self.outcomes: deque[PaperOutcome] = deque(maxlen=MAX_OUTCOMES)
        self.day: int | None = None
        self.daily_pnl = 0.0
        self.trades_today = 0
        self.streak = 0
        self.paused_until = 0
        self.last_price: int | None = None
        self.last_us = 0

    def _day_of(self, ts_us: int) -> int:
        return (ts_us - self.p.session_start_hour_utc * HOUR_US) // DAY_US

    def roll(self, now_us: int) -> None:
        """Start a new trading day when `now_us` is past the rollover (closes open trades)."""
        d = self._day_of(now_us)
        if self.day is None:
            self.day = d
        elif d != self.day:
            if self.last_price is not None:
                for t in list(self.open):
                    self._close(t, "session_end", self.last_price, self.last_us)
            self.open.clear()
            self.day = d
            self.daily_pnl = 0.0
            self.trades_today = 0
            self.streak = 0
            self.paused_until = 0

    def state(self, now_us: int) -> str:
        self.roll(now_us)
        if self.daily_pnl <= -self.s.max_daily_loss_usd:
            return f"blocked: daily paper loss ${-self.daily_pnl:,.2f} ≥ ${self.s.max_daily_loss_usd:,.2f}"
        if now_us < self.paused_until:
            return (f"blocked: paused after {self.p.losses_in_row} losses in a row "
                    f"until {iso_utc(self.paused_until)[11:16]} UTC")
        if self.trades_today >= self.s.max_trades_per_day:
            return f"blocked: {self.trades_today} trades today (max {self.s.max_trades_per_day})"
        return "ok"

    def open_trade(self, t: PaperTrade) -> None:
        self.roll(t.opened_us)
        self.open.append(t)
        self.trades_today += 1

    def _close(self, t: PaperTrade, outcome: str, exit_ticks: int, now_us: int) -> None:
        sign = 1 if t.direction == "long" else -1
        pnl = (exit_ticks - t.entry) * sign * self.tick_value * t.contracts
        self.daily_pnl += pnl
        if pnl < 0:
            self.streak += 1
            if self.streak >= self.p.losses_in_row:
                self.paused_until = now_us + self.p.pause_us
                self.streak = 0
        else:
            self.streak = 0
        self.outcomes.append(PaperOutcome(t.signal_id, outcome, round(pnl, 2), exit_ticks, now_us))

    def on_price(self, now_us: int, price: int) -> None:
        self.roll(now_us)
        self.last_price = price
        self.last_us = now_us
        if not self.open:
            return
        still: list[PaperTrade] = []
        for t in self.open:
            long = t.direction == "long"
            if (price <= t.stop) if long else (price >= t.stop):
                self._close(t, "stop", t.stop, now_us)
            elif (price >= t.target) if long else (price <= t.target):
                self._close(t, "target", t.target, now_us)
            else:
                still.append(t)
        self.open = still

    def drain(self) -> list[PaperOutcome]:
        """Outcomes closed since the last drain, oldest first (safe to call from another thread)."""
        out: list[PaperOutcome] = []
        q = self.outcomes
        while True:
            try:
                out.append(q.popleft())
            except IndexError:
                return out
