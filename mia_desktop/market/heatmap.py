"""Heatmap history: a ring buffer of order-book columns on an absolute tick grid.

How this works: time is cut into columns of ``column_ms`` on the exchange/replay clock. The caller
calls ``advance(ts_us, book)`` *before* applying events stamped ``ts_us``; when ``ts_us`` falls in
a later column, the open column is closed by sampling the book (the state at the column's end) into
the next ring slot — ``rows`` resting sizes per side, starting at the slot's own ``base_tick``.
Rows are absolute ticks (row i = base_tick + i), so old columns never move when price does; the
window re-anchors (a new base for *new* columns only) when the mid drifts past a quarter of the
height, which costs nothing — no matrix is ever rolled or shifted. Sizes are stored fixed-point
(``qty_dtype``, default uint16, saturating) to keep an hour of history small.

A gap with no events leaves the book unchanged: up to ``fill_gap`` empty columns are written one by
one (a uniform picture in a live market); a longer silence becomes one wide column whose
``[ts_start, ts_end)`` spans the whole gap (equal runs merged), so a quiet night costs one slot.

Traded volume (aggressive buy/sell per price) is kept sparse in a second ring, indexed per slot.
Readers get numbered ``HeatColumn`` values built on demand (``columns(first_seq)``; runs are merged
when a reader is too far behind, and the number merged is reported) or a full ``view()`` copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import Side

if TYPE_CHECKING:
    from mia_desktop.engine.snapshot import HeatColumn

NO_PRICE = np.iinfo(np.int64).min   # "no best bid/ask" in the per-slot int64 arrays


def _opt(v: int) -> int | None:
    return None if v == NO_PRICE else int(v)


@dataclass(frozen=True, slots=True)
class HeatmapHistoryView:
    """A full copy of the history, oldest column first (for a redraw or a details snapshot).

    Column j covers ``[ts_start[j], ts_end[j])`` and row i of ``bid[j]``/``ask[j]`` is tick
    ``base[j] + i``. ``trade_col`` indexes columns; trades are (tick, buy, sell) per column.
    """

    first_seq: int
    column_us: int
    ts_start: npt.NDArray[np.int64]
    ts_end: npt.NDArray[np.int64]
    base: npt.NDArray[np.int64]
    bid: npt.NDArray[np.generic]
    ask: npt.NDArray[np.generic]
    best_bid: npt.NDArray[np.int64]     # NO_PRICE where none
    best_ask: npt.NDArray[np.int64]
    trade_col: npt.NDArray[np.int64]
    trade_tick: npt.NDArray[np.int64]
    trade_buy: npt.NDArray[np.float32]
    trade_sell: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.ts_end)

    def aligned(self, base: int | None = None, rows: int | None = None
                ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """(bid, ask) as float32 (columns × rows) on one common grid starting at tick ``base``."""
        n = len(self)
        if rows is None:
            rows = self.bid.shape[1] if n else 0
        if base is None:
            base = int(self.base[-1]) if n else 0
        out_b = np.zeros((n, rows), np.float32)
        out_a = np.zeros((n, rows), np.float32)
        width = self.bid.shape[1] if n else 0
        # few distinct bases (one per re-anchor): shift each group in one slice
        for b in np.unique(self.base):
            cols = np.flatnonzero(self.base == b)
            off = int(b) - base          # destination row of source row 0
            s0, s1 = max(0, -off), min(width, rows - off)
            if s0 >= s1:
                continue
            out_b[cols, s0 + off:s1 + off] = self.bid[cols, s0:s1]
            out_a[cols, s0 + off:s1 + off] = self.ask[cols, s0:s1]
        return out_b, out_a


class HeatmapHistory:
    def __init__(self, *, rows: int = 800, column_ms: int = 100, history_s: float = 3600,
                 qty_dtype: npt.DTypeLike = np.uint16, fill_gap: int = 50) -> None:
        if rows <= 0 or column_ms <= 0 or history_s <= 0:
            raise ValueError("heatmap rows, column_ms and history_s must be positive")
        self.rows = rows
        self.column_us = column_ms * 1000
        self.capacity = max(1, int(history_s * 1000 // column_ms))
        self.fill_gap = max(0, min(fill_gap, self.capacity))
        self.qty_dtype = np.dtype(qty_dtype)
        self._qmax = int(np.iinfo(self.qty_dtype).max) if self.qty_dtype.kind in "ui" else 1 << 62
        cap = self.capacity
        # one (2, rows) block per slot: both sides are sampled with a single numpy call
        self._planes = np.zeros((cap, 2, rows), self.qty_dtype)
        self._bid = self._planes[:, 0]
        self._ask = self._planes[:, 1]
        # per-slot metadata in one row, written with one assignment: base, t0, t1, bb, ba, tr_lo, tr_hi
        self._meta = np.zeros((cap, 7), np.int64)
        self._meta[:, 3:5] = NO_PRICE
        self._base, self._t0, self._t1, self._bb, self._ba, self._tr_lo, self._tr_hi = self._meta.T
        self.trade_capacity = max(1024, cap * 4)
        self._tt = np.zeros(self.trade_capacity, np.int64)
        self._tbuy = np.zeros(self.trade_capacity, np.float32)
        self._tsell = np.zeros(self.trade_capacity, np.float32)
        self._tn = 0                  # trade entries ever written
        self.seq = 0                  # columns ever written; next column gets this number
        self.base_tick: int | None = None
        self.reanchors = 0
        self._col: int | None = None  # index (ts // column_us) of the open column
        self._acc: dict[int, list[float]] = {}

    # ---- writing --------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        arrays = (self._planes, self._meta, self._tt, self._tbuy, self._tsell)
        return sum(a.nbytes for a in arrays)

    def advance(self, ts_us: int, book: OrderBook) -> int:
        """Move the clock to ts_us, closing columns that ended before it; returns columns written."""
        c = ts_us // self.column_us
        if self._col is None:
            self._col = c
            return 0
        if c <= self._col:
            return 0
        gap = c - self._col - 1
        start = self._col * self.column_us
        self._col = c
        if gap > self.fill_gap:
            # the closed column plus the silent gap after it: one wide column
            self._close(start, c * self.column_us, book)
            return 1
        self._close(start, start + self.column_us, book)
        if gap:
            self._repeat(gap)
        return gap + 1

    def add_trade(self, ts_us: int, price: int, size: float, aggressor: Side, book: OrderBook) -> None:
        """Record aggressive volume at a price in the column ts_us falls in."""
        self.advance(ts_us, book)
        acc = self._acc.get(price)
        if acc is None:
            acc = self._acc[price] = [0.0, 0.0]
        acc[0 if aggressor is Side.ASK else 1] += size

    def _anchor(self, book: OrderBook) -> int:
        bb, ba = book.best_bid(), book.best_ask()
        if bb is None and ba is None:
            return self.base_tick if self.base_tick is not None else 0
        mid = (bb + ba) // 2 if bb is not None and ba is not None else (bb if bb is not None else ba)
        assert mid is not None
        q = self.rows // 4
        base = self.base_tick
        if base is None or not (base + q <= mid < base + self.rows - q):
            if base is not None:
                self.reanchors += 1
            base = self.base_tick = mid - self.rows // 2
        return base

    def _close(self, t0: int, t1: int, book: OrderBook) -> None:
        slot = self.seq % self.capacity
        base = self._anchor(book)
        book.sides_into(base, self._planes[slot], self._qmax)
        bb, ba = book.best_bid(), book.best_ask()
        lo = self._tn
        if self._acc:
            for tick, (buy, sell) in self._acc.items():
                j = self._tn % self.trade_capacity
                self._tt[j] = tick
                self._tbuy[j] = buy
                self._tsell[j] = sell
                self._tn += 1
            self._acc = {}
        self._meta[slot] = (base, t0, t1, NO_PRICE if bb is None else bb, NO_PRICE if ba is None else ba,
                            lo, self._tn)
        self.seq += 1

    def _repeat(self, k: int) -> None:
        """Append k copies of the last column (an unchanged book, no trades), one numpy call each."""
        last = (self.seq - 1) % self.capacity
        first = self.seq % self.capacity
        # contiguous slots (the usual case) are a slice; a run that wraps needs an index array
        slots: slice | npt.NDArray[np.int64] = (
            slice(first, first + k) if first + k <= self.capacity
            else np.arange(self.seq, self.seq + k, dtype=np.int64) % self.capacity)
        steps = np.arange(1, k + 1, dtype=np.int64) * self.column_us
        self._planes[slots] = self._planes[last]
        self._meta[slots] = self._meta[last]
        self._t0[slots] = self._t0[last] + steps
        self._t1[slots] = self._t1[last] + steps
        self._tr_lo[slots] = self._tn
        self._tr_hi[slots] = self._tn
        self.seq += k

    # ---- reading --------------------------------------------------------------------------------
    @property
    def first_seq(self) -> int:
        """Oldest column still held."""
        return max(0, self.seq - self.capacity)

    def _dense_trades(self, slots: npt.NDArray[np.int64], base: int
                      ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        buy = np.zeros(self.rows, np.float32)
        sell = np.zeros(self.rows, np.float32)
        floor = self._tn - self.trade_capacity
        for slot in slots.tolist():
            lo, hi = max(int(self._tr_lo[slot]), floor), int(self._tr_hi[slot])
            for j in range(lo, hi):
                k = j % self.trade_capacity
                r = int(self._tt[k]) - base
                if 0 <= r < self.rows:
                    buy[r] += self._tbuy[k]
                    sell[r] += self._tsell[k]
        return buy, sell

    def columns(self, first_seq: int, max_columns: int = 0) -> tuple[list[HeatColumn], int]:
        """HeatColumns numbered first_seq .. seq-1 (clamped to what is held). With max_columns > 0
        and more pending, consecutive runs are merged (book at the run's end, trades summed) so at
        most max_columns come back; returns (columns, number of columns merged away)."""
        from mia_desktop.engine.snapshot import HeatColumn  # value type owned by the engine layer

        lo = max(first_seq, self.first_seq)
        n = self.seq - lo
        if n <= 0:
            return [], 0
        groups = max_columns if 0 < max_columns < n else n
        # group g holds seqs [edges[g], edges[g+1])
        edges = lo + (np.arange(groups + 1, dtype=np.int64) * n) // groups
        out: list[HeatColumn] = []
        for g in range(groups):
            a, b = int(edges[g]), int(edges[g + 1])
            last = (b - 1) % self.capacity
            base = int(self._base[last])
            slots = np.arange(a, b, dtype=np.int64) % self.capacity
            buy, sell = self._dense_trades(slots, base)
            out.append(HeatColumn(
                seq=b - 1, ts_us=int(self._t1[last]), base_tick=base,
                bid=self._bid[last].astype(np.float32), ask=self._ask[last].astype(np.float32),
                buy=buy, sell=sell, best_bid=_opt(int(self._bb[last])), best_ask=_opt(int(self._ba[last]))))
        return out, n - groups

    def view(self) -> HeatmapHistoryView:
        """A full copy, oldest column first."""
        lo = self.first_seq
        slots = np.arange(lo, self.seq, dtype=np.int64) % self.capacity
        tcol: list[int] = []
        tj: list[int] = []
        floor = self._tn - self.trade_capacity
        for i, slot in enumerate(slots.tolist()):
            a, b = max(int(self._tr_lo[slot]), floor), int(self._tr_hi[slot])
            tcol += [i] * max(0, b - a)
            tj += [j % self.trade_capacity for j in range(a, b)]
        idx = np.array(tj, dtype=np.int64)
        return HeatmapHistoryView(
            first_seq=lo, column_us=self.column_us, ts_start=self._t0[slots], ts_end=self._t1[slots],
            base=self._base[slots], bid=self._bid[slots], ask=self._ask[slots], best_bid=self._bb[slots],
            best_ask=self._ba[slots], trade_col=np.array(tcol, dtype=np.int64), trade_tick=self._tt[idx],
            trade_buy=self._tbuy[idx], trade_sell=self._tsell[idx])
