"""Per-symbol state of the DTC server: the order book, session statistics, and the DTC messages
built from them (snapshot 104, trade 107, bid/ask 108, security definition 507/509)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mia_desktop.dtc.messages import (
    MarketDataSnapshot,
    MarketDataUpdateBidAsk,
    MarketDataUpdateTrade,
    Message,
    SecurityDefinitionReject,
    SecurityDefinitionResponse,
)
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Quote, Side, Trade, VixReading
from mia_desktop.market.instrument import Instrument

SECURITY_TYPE_FUTURES = 1
SECURITY_TYPE_INDEX = 4
PRICE_DISPLAY_DECIMAL_2 = 2

BidAsk = tuple[int | None, int, int | None, int]


class SymbolState:
    def __init__(self, symbol: str, instrument: Instrument) -> None:
        self.symbol = symbol
        self.instrument = instrument
        self.has_depth = symbol.upper() != "VIX"
        self.book = OrderBook()
        self.ts_us = 0
        self.last_price: float | None = None
        self.last_size = 0
        self.last_ts_us = 0
        self.open: float | None = None
        self.high: float | None = None
        self.low: float | None = None
        self.volume = 0
        self.trades = 0
        self._quote: BidAsk = (None, 0, None, 0)

    # ---- state ------------------------------------------------------------------------
    def apply(self, records: npt.NDArray[np.void]) -> None:
        self.book.apply(records)
        if len(records):
            self.ts_us = int(records["ts_us"][-1])

    def levels(self, n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        bids, asks = self.book.items(Side.BID), self.book.items(Side.ASK)
        return (bids[:n], asks[:n]) if n > 0 else (bids, asks)

    def on_trade(self, t: Trade) -> None:
        price = self.instrument.to_price(t.price)
        self._last(price, t.size, t.ts_us)

    def on_vix(self, r: VixReading) -> None:
        self._last(r.value, 0, r.ts_us)

    def _last(self, price: float, size: int, ts_us: int) -> None:
        self.last_price, self.last_size, self.last_ts_us = price, size, ts_us
        if self.open is None:
            self.open = price
        self.high = price if self.high is None else max(self.high, price)
        self.low = price if self.low is None else min(self.low, price)
        self.volume += size
        self.trades += 1

    def quote_changed(self) -> BidAsk | None:
        """The top of the book, when it changed since the last call (only when consistent)."""
        b = self.book
        if not b.consistent:
            return None
        bb, ba = b.best_bid(), b.best_ask()
        q = (bb, b.size_at(Side.BID, bb) if bb is not None else 0,
             ba, b.size_at(Side.ASK, ba) if ba is not None else 0)
        if q == self._quote:
            return None
        self._quote = q
        return q

    # ---- messages -----------------------------------------------------------------------
    def _price(self, ticks: int | None) -> float | None:
        return None if ticks is None else self.instrument.to_price(ticks)

    def snapshot_message(self, symbol_id: int) -> Message:
        bb, bq, ba, aq = self._quote if self._quote[0] is not None or self._quote[2] is not None else (
            self.book.best_bid(), 0, self.book.best_ask(), 0)
        if bb is not None:
            bq = self.book.size_at(Side.BID, bb)
        if ba is not None:
            aq = self.book.size_at(Side.ASK, ba)
        return MarketDataSnapshot(
            SymbolID=symbol_id, SessionOpenPrice=self.open, SessionHighPrice=self.high,
            SessionLowPrice=self.low, SessionVolume=float(self.volume), SessionNumTrades=self.trades,
            BidPrice=self._price(bb), AskPrice=self._price(ba),
            BidQuantity=float(bq) if bb is not None else None,
            AskQuantity=float(aq) if ba is not None else None,
            LastTradePrice=self.last_price,
            LastTradeVolume=float(self.last_size) if self.last_price else None,
            LastTradeDateTime=self.last_ts_us / 1e6, BidAskDateTime=self.ts_us / 1e6,
            MarketDepthUpdateDateTime=self.ts_us / 1e6)

    def trade_message(self, symbol_id: int, t: Trade) -> Message:
        return MarketDataUpdateTrade(symbol_id, 1 if t.aggressor is Side.BID else 2,
                                     self.instrument.to_price(t.price), float(t.size), t.ts_us / 1e6)

    def vix_message(self, symbol_id: int, r: VixReading) -> Message:
        return MarketDataUpdateTrade(symbol_id, 0, r.value, 1.0, r.ts_us / 1e6)

    def quote_message(self, symbol_id: int, q: Quote) -> Message:
        return MarketDataUpdateBidAsk(symbol_id, self._price(q.bid), float(q.bid_size or 0),
                                      self._price(q.ask), float(q.ask_size or 0), q.ts_us // 1_000_000)

    def bidask_message(self, symbol_id: int, q: BidAsk) -> Message:
        return MarketDataUpdateBidAsk(symbol_id, self._price(q[0]), float(q[1]), self._price(q[2]),
                                      float(q[3]), self.ts_us // 1_000_000)


def security_definition(request_id: int, symbol: str, inst: Instrument | None) -> Message:
    """507 for a symbol the server serves, 509 otherwise."""
    if inst is None:
        return SecurityDefinitionReject(request_id, f"Unknown symbol: {symbol}")
    index = inst.symbol == "VIX"
    return SecurityDefinitionResponse(
        RequestID=request_id, Symbol=symbol, Exchange="CBOE" if index else "CME",
        SecurityType=SECURITY_TYPE_INDEX if index else SECURITY_TYPE_FUTURES,
        Description=inst.description or inst.symbol, MinPriceIncrement=inst.tick_size,
        PriceDisplayFormat=PRICE_DISPLAY_DECIMAL_2, CurrencyValuePerIncrement=inst.tick_value,
        IsFinalMessage=1, HasMarketDepthData=0 if index else 1, DisplayPriceMultiplier=1.0,
        ExchangeSymbol=symbol, Currency="USD")
