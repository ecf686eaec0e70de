"""What the DOM detectors share: the per-analysis book frame, the event factory and grading.

How this works: once per analysis the pipeline takes the first levels of each side from the book
(`DomFrame.from_book`, one `top()` call per side, converted to small Python lists — faster than
numpy for 20 values) plus the trades since the previous analysis; every detector reads that frame
and keeps only its own small state (per-price dicts and bounded deques).
Side indices are `Side.BID` (0) and `Side.ASK` (1); prices are integer ticks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mia_desktop.analysis.types import PatternEvent
from mia_desktop.market.events import Side, Trade
from mia_desktop.market.instrument import Instrument, tick_decimals

BID, ASK = 0, 1
SIDE_DIRECTION = ("long", "short")          # support on the bid is long, on the ask short
SIDE_NAME = ("bid", "ask")


class BookLike(Protocol):
    """The part of market.book.OrderBook the detectors read."""

    def best_bid(self) -> int | None: ...
    def best_ask(self) -> int | None: ...
    def size_at(self, side: Side, price: int) -> int: ...
    def top(self, side: Side, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...


@dataclass(slots=True)
class DomFrame:
    """One analysis instant: the first levels of each side (touch outward) and the interval's trades."""

    now_us: int
    best: tuple[int | None, int | None]
    px: tuple[list[int], list[int]]
    sz: tuple[list[float], list[float]]
    trades: Sequence[Trade] = ()
    book: BookLike | None = None
    _maps: list[dict[int, float] | None] = field(default_factory=lambda: [None, None])
    _sorted: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    _flow: tuple[dict[int, float], dict[int, float]] | None = None

    @classmethod
    def from_book(cls, now_us: int, book: BookLike, levels: int, trades: Sequence[Trade] = ()) -> DomFrame:
        bp, bs = book.top(Side.BID, levels)
        ap, asz = book.top(Side.ASK, levels)
        return cls(now_us, (book.best_bid(), book.best_ask()), (bp.tolist(), ap.tolist()),
                   (bs.tolist(), asz.tolist()), trades, book)

    def size_map(self, side: int) -> dict[int, float]:
        m = self._maps[side]
        if m is None:
            m = dict(zip(self.px[side], self.sz[side], strict=False))
            self._maps[side] = m
        return m

    def flow(self) -> tuple[dict[int, float], dict[int, float]]:
        """The interval's aggressive volume by price, per side hit (BID: sellers, ASK: buyers);
        computed once and shared by the detectors."""
        fl = self._flow
        if fl is None:
            bid: dict[int, float] = {}
            ask: dict[int, float] = {}
            for tr in self.trades:
                d = ask if tr.aggressor else bid
                d[tr.price] = d.get(tr.price, 0.0) + tr.size
            fl = self._flow = (bid, ask)
        return fl

    def shown(self, side: int, price: int) -> float | None:
        """Size at a price if it is among the frame's levels, else None (a C-speed list scan:
        cheaper than building a dict for 20 levels)."""
        try:
            return self.sz[side][self.px[side].index(price)]
        except ValueError:
            return None

    def size_at(self, side: int, price: int) -> float:
        """Resting size at a price: from the frame when it is there, else from the book."""
        v = self.shown(side, price)
        if v is not None:
            return v
        if self.book is not None:
            return float(self.book.size_at(Side(side), price))
        return 0.0

    def sorted_sizes(self, side: int, n: int) -> list[float]:
        """The first n sizes of a side, sorted (cached: wall and ladder share it)."""
        key = (side, n)
        v = self._sorted.get(key)
        if v is None:
            v = self._sorted[key] = sorted(self.sz[side][:n])
        return v

    def head_max(self, side: int, n: int) -> float:
        """The largest size among the first n levels of a side, 0.0 when it has none (wall and
        spoofing both ask, and usually nothing there is big enough to look further). Read off the
        shared sorted sizes: sorting 20 floats costs about what max() does, and ladder reuses it."""
        s = self.sorted_sizes(side, n)
        return s[-1] if s else 0.0

    def median(self, side: int, n: int) -> float:
        s = self.sorted_sizes(side, n)
        k = len(s)
        if k == 0:
            return 0.0
        h = k // 2
        return s[h] if k % 2 else (s[h - 1] + s[h]) / 2.0

    def spread(self) -> int | None:
        b, a = self.best
        return None if b is None or a is None else a - b


def median(values: Sequence[float]) -> float:
    n = len(values)
    if n == 0:
        return 0.0
    s = sorted(values)
    h = n // 2
    return s[h] if n % 2 else (s[h - 1] + s[h]) / 2.0


def grade(ratio: float, base: float, full: float) -> float:
    """0–1 grade of how far a value passed its threshold: `base` at the threshold (ratio 1),
    1.0 at `full` × the threshold."""
    if ratio <= 1.0:
        return base if ratio >= 1.0 else 0.0
    return min(1.0, base + (1.0 - base) * (ratio - 1.0) / max(full - 1.0, 1e-9))


class EventFactory:
    """Builds PatternEvents for one instrument (price ticks -> display price). Detectors pass
    price-valued evidence through `px` so an event's evidence is in the same units as its
    `price` (4807.25, not 19229); tick distances stay ticks under keys ending in `_ticks`."""

    __slots__ = ("decimals", "symbol", "tick")

    def __init__(self, instrument: Instrument) -> None:
        self.symbol = instrument.symbol
        self.tick = instrument.tick_size
        self.decimals = tick_decimals(instrument.tick_size)

    def px(self, ticks: float) -> float:
        """Display price of a price in ticks, rounded to the tick's decimals."""
        return round(ticks * self.tick, self.decimals)

    def __call__(self, ts_us: int, family: str, pattern: str, direction: str, price_ticks: int,
                 strength: float, confidence: float, evidence: dict[str, Any]) -> PatternEvent:
        price = round(price_ticks * self.tick, 10)
        return PatternEvent(ts_us, self.symbol, family, pattern, direction, price,
                            max(0.0, min(1.0, strength)), max(0.0, min(1.0, confidence)), evidence)
