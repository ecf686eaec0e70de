"""Time bars built from trades: OHLC in ticks, volume split by aggressor, delta.

How this works: bars are aligned to multiples of the period on the exchange clock
(``start_us = ts_us - ts_us % period``). A trade at or after the current bar's end closes it (and
opens the bar the trade falls in); ``on_time`` closes the current bar once the clock has passed its
end even without a trade. Empty periods produce no bars. A trade older than the current bar (late
or out of order) is folded into the current bar rather than reopening a closed one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mia_desktop.market.events import Side, Trade


@dataclass(frozen=True, slots=True)
class Bar:
    start_us: int
    end_us: int
    open: int      # ticks
    high: int
    low: int
    close: int
    volume: int
    bid_volume: int   # traded at the bid (sellers aggressing)
    ask_volume: int   # traded at the ask (buyers aggressing)
    delta: int        # ask_volume - bid_volume
    trades: int


class BarBuilder:
    def __init__(self, period_s: float = 60) -> None:
        if not period_s > 0:
            raise ValueError(f"bar period must be positive, got {period_s!r}")
        self.period_us = round(float(period_s) * 1_000_000)
        self._start: int | None = None
        self._o = self._h = self._l = self._c = 0
        self._vol = self._bid = self._ask = self._n = 0

    @property
    def current(self) -> Bar | None:
        """The bar in progress (None before the first trade or right after one closed)."""
        if self._start is None:
            return None
        return self._bar()

    def _bar(self) -> Bar:
        assert self._start is not None
        return Bar(self._start, self._start + self.period_us, self._o, self._h, self._l, self._c,
                   self._vol, self._bid, self._ask, self._ask - self._bid, self._n)

    def on_trade(self, trade: Trade) -> list[Bar]:
        closed: list[Bar] = []
        if self._start is not None and trade.ts_us >= self._start + self.period_us:
            closed.append(self._bar())
            self._start = None
        if self._start is None:
            self._start = trade.ts_us - trade.ts_us % self.period_us
            self._o = self._h = self._l = trade.price
            self._vol = self._bid = self._ask = self._n = 0
        p = trade.price
        if p > self._h:
            self._h = p
        if p < self._l:
            self._l = p
        self._c = p
        self._vol += trade.size
        if trade.aggressor is Side.BID:
            self._bid += trade.size
        else:
            self._ask += trade.size
        self._n += 1
        return closed

    def on_time(self, ts_us: int) -> list[Bar]:
        """Close the bar in progress once the clock has reached its end."""
        if self._start is not None and ts_us >= self._start + self.period_us:
            bar = self._bar()
            self._start = None
            return [bar]
        return []
