"""Helpers for the DOM detector tests: a real OrderBook driven level by level, frames at times."""

from __future__ import annotations

from collections.abc import Sequence

from mia_desktop.analysis.dom_common import DomFrame, EventFactory
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Side, Trade
from mia_desktop.market.instrument import BUILTIN

S = 1_000_000
ES = BUILTIN["ES"]
MAKE = EventFactory(ES)
BB = 16000  # best bid, ticks (4000.00)


def book_with(bids: Sequence[float], asks: Sequence[float], best_bid: int = BB, gap: int = 1) -> OrderBook:
    """Bids from best_bid downward, asks from best_bid + gap upward, one tick apart."""
    b = OrderBook()
    for i, q in enumerate(bids):
        b.set_level(Side.BID, best_bid - i, int(q))
    for i, q in enumerate(asks):
        b.set_level(Side.ASK, best_bid + gap + i, int(q))
    return b


def frame(book: OrderBook, t_us: int, trades: Sequence[Trade] = (), levels: int = 20) -> DomFrame:
    return DomFrame.from_book(t_us, book, levels, trades)


def trade(t_us: int, price: int, size: int, aggressor: Side) -> Trade:
    return Trade("ES", t_us, price, size, aggressor)


def mirror_side(side: Side) -> Side:
    return side.opposite
