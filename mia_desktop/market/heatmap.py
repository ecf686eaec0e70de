"""Heatmap history: a ring buffer of order-book columns on an absolute tick grid.

How this works: time is cut into columns of ``column_ms`` on the exchange/replay clock. The caller
calls ``advance(ts_us, book)`` *before* applying events stamped ``ts_us``; when ``ts_us`` falls in
a later column, the open column is closed by sampling the book (the state at the column's end) into
the next ring slot — ``rows`` resting sizes per side, starting at the slot's own ``base_tick``.
Rows are absolute ticks (row i = base_tick + i), so old columns never move when price does; the
window re-anchors (a new base for *new* columns only) when the mid drifts past a quarter of the
height, which costs nothing — no matrix is ever rolled or shifted. Sizes are stored fixed-point
(``qty_dtype``, default uint16, saturating) to keep an hour of history small.

A gap with no events leaves the book unchanged: up to ``fill_gap`` empty columns get a slot each (a
uniform picture in a live market) but share the data of the column before them (``_src`` points at
it; a shared column about to be overwritten in the ring is copied into its dependants first); a
longer silence becomes one wide column whose ``[ts_start, ts_end)`` spans the whole gap (equal runs
merged), so a quiet night costs one slot.

``ingest(records, book)`` does the same for a whole run of depth records at once: it computes every
column boundary's sample with a few numpy passes (market/heatmap_bulk.py) and falls back to the
column-by-column path whenever that could differ (a re-anchor, a CLEAR, the touch leaving the
window). Traded volume (aggressive buy/sell per price) is kept sparse in a second ring keyed by
column index, so trades never need the book and never close a column. Readers get numbered
``HeatColumn`` values built on demand (``columns(first_seq)``; runs are merged when a reader is too
far behind, and the number merged is reported) or a full ``view()`` copy.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import DepthCommand, Side
from mia_desktop.market.heatmap_bulk import sample_blocks, transitions
from mia_desktop.market.heatmap_view import NO_PRICE, HeatmapHistoryView, _opt

__all__ = ["NO_PRICE", "HeatmapHistory", "HeatmapHistoryView"]

_BULK_MIN = 64   # records: below this the column-by-column path is cheaper
TradeEntries = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32],
                     npt.NDArray[np.float32]]

if TYPE_CHECKING:
    from mia_desktop.engine.snapshot import HeatColumn

class HeatmapHistory:
    def __init__(self, *, rows: int = 800, column_ms: int = 100, history_s: float = 3600,
                 qty_dtype: npt.DTypeLike = np.uint16, fill_gap: int = 50) -> None:
        if rows <= 0 or column_ms <= 0 or history_s <= 0:
            raise ValueError("heatmap rows, column_ms and history_s must be positive")
        self.rows = rows
        self.column_us = column_ms * 1000
        self.capacity = max(1, int(history_s * 1000 // column_ms))
        self.fill_gap = max(0, min(fill_gap, self.capacity - 1))
        self.qty_dtype = np.dtype(qty_dtype)
        self._qmax = int(np.iinfo(self.qty_dtype).max) if self.qty_dtype.kind in "ui" else 1 << 62
        cap = self.capacity
        # one (2, rows) block per slot: both sides are sampled with a single numpy call
        self._planes = np.zeros((cap, 2, rows), self.qty_dtype)
        self._bid = self._planes[:, 0]
        self._ask = self._planes[:, 1]
        self._src = np.arange(cap, dtype=np.int64)    # slot whose planes this slot shows
        # per-slot metadata in one row, written with one assignment: base, t0, t1, bb, ba
        self._meta = np.zeros((cap, 5), np.int64)
        self._meta[:, 3:5] = NO_PRICE
        self._base, self._t0, self._t1, self._bb, self._ba = self._meta.T
        self.trade_capacity = max(1024, cap * 8)
        self._tc = np.zeros(self.trade_capacity, np.int64)      # column index (non-decreasing)
        self._tt = np.zeros(self.trade_capacity, np.int64)
        self._tbuy = np.zeros(self.trade_capacity, np.float32)
        self._tsell = np.zeros(self.trade_capacity, np.float32)
        self._tn = 0                  # trade entries ever written
        self.seq = 0                  # columns ever written; next column gets this number
        self.base_tick: int | None = None
        self.reanchors = 0
        self._col: int | None = None  # index (ts // column_us) of the open column
        self._acc: dict[int, list[float]] = {}
        self._acc_col = 0

    # ---- writing --------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        arrays = (self._planes, self._src, self._meta, self._tc, self._tt, self._tbuy, self._tsell)
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

    def add_trade(self, ts_us: int, price: int, size: float, aggressor: Side,
                  book: OrderBook | None = None) -> None:
        """Record aggressive volume at a price in the column ts_us falls in (a late trade counts in
        the newest column seen so far). Needs no book and closes no column."""
        c = ts_us // self.column_us
        if c != self._acc_col:
            if c < self._acc_col:
                c = self._acc_col
            else:
                self._flush_trades()
                self._acc_col = c
        acc = self._acc.get(price)
        if acc is None:
            acc = self._acc[price] = [0.0, 0.0]
        acc[0 if aggressor is Side.ASK else 1] += size

    def _flush_trades(self) -> None:
        if not self._acc:
            return
        cap = self.trade_capacity
        for tick, (buy, sell) in self._acc.items():
            j = self._tn % cap
            self._tc[j] = self._acc_col
            self._tt[j] = tick
            self._tbuy[j] = buy
            self._tsell[j] = sell
            self._tn += 1
        self._acc = {}

    def ingest(self, recs: npt.NDArray[np.void], book: OrderBook) -> None:
        """Apply a run of depth records to the book, closing every column they cross — the same
        result as ``advance`` + ``book.apply`` per column, computed in bulk where that is exact."""
        n = len(recs)
        if n == 0:
            return
        ts = recs["ts_us"]
        cu = self.column_us
        if self._col is None:
            self._col = int(ts[0]) // cu
        cmds = recs["command"]
        clears = np.flatnonzero(cmds == DepthCommand.CLEAR)
        if len(clears):
            # a CLEAR (session start, reconnect) and its column go the exact way; the rest in bulk
            c_clear = int(ts[clears[-1]]) // cu
            cut = int(np.searchsorted(ts, (c_clear + 1) * cu))
            if clears[-1] < cut < n and bool((np.diff(ts[cut - 1:]) >= 0).all()):
                self._ingest_slow(recs[:cut], book)
                self.ingest(recs[cut:], book)
                return
        elif n >= _BULK_MIN and int(ts[-1]) // cu > self._col:
            if self.base_tick is None:
                # the grid anchors when the first column closes: finish the open column the exact
                # way, so the bulk run starts at a boundary and anchors on the book as it is then
                b = int(np.argmax(ts // cu > self._col))
                self._ingest_slow(recs[:b], book)
                recs = recs[b:]
            if self._ingest_bulk(recs, book):
                return
        self._ingest_slow(recs, book)

    def _ingest_slow(self, recs: npt.NDArray[np.void], book: OrderBook) -> None:
        n = len(recs)
        if n == 0:
            return
        ts = recs["ts_us"]
        cu = self.column_us
        cols = ts // cu
        starts = [0, *(np.flatnonzero(np.diff(cols)) + 1).tolist(), n]
        for a, b in itertools.pairwise(starts):
            self.advance(int(ts[a]), book)
            book.apply(recs[a:b])

    def _ingest_bulk(self, recs: npt.NDArray[np.void], book: OrderBook) -> bool:
        cu = self.column_us
        if self._col is None:
            return False
        if int(recs["ts_us"][0]) // cu > self._col:
            self._anchor(book)   # the first sample is the book as it is now: anchor as _close would
        base, rows = self.base_tick, self.rows
        bb0, ba0 = book.best_bid(), book.best_ask()
        if base is None or bb0 is None or ba0 is None or not (base <= bb0 < base + rows) \
                or not (base <= ba0 < base + rows):
            return False
        tr = transitions(recs, self._col, cu)
        if tr is None:
            return False
        gap = tr.col_to - tr.col_from - 1
        fill = gap <= self.fill_gap
        counts = np.where(fill, gap + 1, 1)
        cum = np.concatenate(([0], np.cumsum(counts)))      # first slot of each sample
        skip = max(0, int(cum[-1]) - self.capacity)          # older than the ring holds
        s0 = np.stack((book.window(Side.BID, base, rows), book.window(Side.ASK, base, rows)))
        seq0, cap = self.seq, self.capacity
        # slot layout of the whole run: sample k fills slots cum[k] .. cum[k+1]-1 (after the run's
        # start); its first stored slot holds its planes and the others point at it
        sample = np.repeat(np.arange(len(counts)), counts)
        data_pos = (seq0 + np.maximum(cum[:-1], skip)) % cap
        bb_all = np.empty(len(counts), np.int64)
        ba_all = np.empty(len(counts), np.int64)
        done = 0
        for k0, k1, vals, bb, ba in sample_blocks(recs, tr, s0, base, rows, self._qmax, self.qty_dtype):
            bb_all[k0:k1] = bb
            ba_all[k0:k1] = ba
            j0, j1 = max(int(cum[k0]), skip), int(cum[k1])
            if j0 < j1:
                pieces = self._pieces(seq0 + j0, j1 - j0)
                for a, b, _o0, _o1 in pieces:
                    self._materialise(a, b - a)
                stored = np.flatnonzero(cum[k0 + 1:k1 + 1] > skip)
                self._planes[data_pos[k0 + stored]] = vals[stored]
                src = data_pos[sample[j0:j1]]
                for a, b, o0, o1 in pieces:
                    self._src[a:b] = src[o0:o1]
            done = k1
        j0, j1 = skip, int(cum[done])
        if j0 < j1:
            k = sample[j0:j1]
            offs = np.arange(j0, j1) - cum[k]
            t0 = (tr.col_from[k] + offs) * cu
            t1 = np.where(fill[k], t0 + cu, tr.col_to[k] * cu)
            for a, b, o0, o1 in self._pieces(seq0 + j0, j1 - j0):
                meta = self._meta[a:b]
                meta[:, 0] = base
                meta[:, 1] = t0[o0:o1]
                meta[:, 2] = t1[o0:o1]
                meta[:, 3] = bb_all[k[o0:o1]]
                meta[:, 4] = ba_all[k[o0:o1]]
        if done == 0:
            return False
        self.seq = seq0 + int(cum[done])
        if done == len(tr.pos):
            self._col = int(tr.col_to[-1])
            book.apply(recs)
            return True
        # stopped early (a re-anchor, the touch leaving the window): the exact path from here on
        p = int(tr.pos[done])
        book.apply(recs[:p])
        self._col = int(tr.col_from[done])
        self._ingest_slow(recs[p:], book)
        return True

    def _pieces(self, g: int, n: int) -> list[tuple[int, int, int, int]]:
        """Ring slots of global numbers g .. g+n-1 as at most two slices: (slot lo, slot hi, offset
        lo, offset hi)."""
        a = g % self.capacity
        head = min(n, self.capacity - a)
        out = [(a, a + head, 0, head)]
        if head < n:
            out.append((0, n - head, head, n))
        return out

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
        self._materialise(slot, 1)
        book.sides_into(base, self._planes[slot], self._qmax)
        self._src[slot] = slot
        bb, ba = book.best_bid(), book.best_ask()
        self._meta[slot] = (base, t0, t1, NO_PRICE if bb is None else bb, NO_PRICE if ba is None else ba)
        self.seq += 1

    def _repeat(self, k: int) -> None:
        """Append k slots showing the last column (an unchanged book, no trades) without copying it."""
        cap = self.capacity
        last = (self.seq - 1) % cap
        data = int(self._src[last])
        first = self.seq % cap
        slots = np.arange(self.seq, self.seq + k, dtype=np.int64) % cap
        head = min(k, cap - first)
        self._materialise(first, head)
        if head < k:
            self._materialise(0, k - head)
        if (data - first) % cap < k:       # a tiny ring would overwrite the shared column: copy it
            self._planes[slots] = self._planes[data]
            self._src[slots] = slots
        else:
            self._src[slots] = data
        steps = np.arange(1, k + 1, dtype=np.int64) * self.column_us
        self._meta[slots] = self._meta[last]
        self._t0[slots] = self._t0[last] + steps
        self._t1[slots] = self._t1[last] + steps
        self.seq += k

    def _materialise(self, a: int, m: int) -> None:
        """Before slots a .. a+m-1 are overwritten, give the slots after them that still share their
        planes (gap fills lie at most fill_gap slots after the column they show) their own copy."""
        f = min(self.fill_gap, self.capacity - m)
        if f <= 0 or self.seq == 0:
            return
        idx = (a + m + np.arange(f)) % self.capacity
        s = self._src[idx]
        dep = (s != idx) & (s >= a) & (s < a + m)
        if dep.any():
            j = idx[dep]
            self._planes[j] = self._planes[s[dep]]
            self._src[j] = j

    # ---- reading --------------------------------------------------------------------------------
    @property
    def first_seq(self) -> int:
        """Oldest column still held."""
        return max(0, self.seq - self.capacity)

    def _trade_entries(self, c0: int | None = None) -> TradeEntries:
        """Held trade entries oldest first, (column index, tick, buy, sell); from column c0 on."""
        self._flush_trades()
        cap = self.trade_capacity
        lo = max(0, self._tn - cap)
        if c0 is not None:   # binary search in the ring (column indices never decrease)
            hi = self._tn
            while lo < hi:
                mid = (lo + hi) // 2
                if self._tc[mid % cap] < c0:
                    lo = mid + 1
                else:
                    hi = mid
        idx = np.arange(lo, self._tn, dtype=np.int64) % cap
        return self._tc[idx], self._tt[idx], self._tbuy[idx], self._tsell[idx]

    def _dense_trades(self, c_edges: npt.NDArray[np.int64], bases: npt.NDArray[np.int64]
                      ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Buy/sell volume per row for column groups [c_edges[g], c_edges[g+1]) on the grid of
        bases[g]: two (groups × rows) arrays."""
        g_n = len(bases)
        buy = np.zeros((g_n, self.rows), np.float32)
        sell = np.zeros((g_n, self.rows), np.float32)
        tc, tt, tb, ts = self._trade_entries(int(c_edges[0]))
        if len(tc):
            g = np.searchsorted(c_edges, tc, side="right") - 1
            r = tt - bases[np.clip(g, 0, g_n - 1)]
            ok = (g >= 0) & (g < g_n) & (r >= 0) & (r < self.rows)
            np.add.at(buy, (g[ok], r[ok]), tb[ok])
            np.add.at(sell, (g[ok], r[ok]), ts[ok])
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
        cu = self.column_us
        cap = self.capacity
        lasts = (edges[1:] - 1) % cap
        bases = self._base[lasts]
        c_edges = np.append(self._t0[edges[:-1] % cap], self._t1[lasts[-1]]) // cu
        buy, sell = self._dense_trades(c_edges, bases)
        data = self._src[lasts]
        bids = self._bid[data].astype(np.float32)
        asks = self._ask[data].astype(np.float32)
        for g, (seq, ts, base, bb, ba) in enumerate(zip(
                (edges[1:] - 1).tolist(), self._t1[lasts].tolist(), bases.tolist(), self._bb[lasts].tolist(),
                self._ba[lasts].tolist(), strict=True)):
            out.append(HeatColumn(seq=seq, ts_us=ts, base_tick=base, bid=bids[g], ask=asks[g], buy=buy[g],
                                  sell=sell[g], best_bid=_opt(bb), best_ask=_opt(ba)))
        return out, n - groups

    def view(self) -> HeatmapHistoryView:
        """A full copy, oldest column first."""
        lo = self.first_seq
        slots = np.arange(lo, self.seq, dtype=np.int64) % self.capacity
        tc, tt, tb, tsl = self._trade_entries()
        t0c = self._t0[slots] // self.column_us
        t1c = self._t1[slots] // self.column_us
        if len(slots):
            keep = (tc >= t0c[0]) & (tc < t1c[-1])
            tc, tt, tb, tsl = tc[keep], tt[keep], tb[keep], tsl[keep]
            tcol = np.searchsorted(t1c, tc, side="right")
        else:
            tcol = tt = np.zeros(0, np.int64)
            tb = tsl = np.zeros(0, np.float32)
        return HeatmapHistoryView(
            first_seq=lo, column_us=self.column_us, ts_start=self._t0[slots], ts_end=self._t1[slots],
            base=self._base[slots], bid=self._bid[self._src[slots]], ask=self._ask[self._src[slots]],
            best_bid=self._bb[slots],
            best_ask=self._ba[slots], trade_col=tcol.astype(np.int64), trade_tick=tt, trade_buy=tb,
            trade_sell=tsl)
