"""Heatmap history for one view: a ring of time columns on a fixed absolute tick grid (numpy only).

How this works: column number `g` (0, 1, 2, ... in arrival order) lives in ring slot
`g % capacity`; row `r` of every slot is price tick `anchor + r`. Incoming `HeatColumn`s (whose
rows start at their own `base_tick`) are written into that grid, so old columns never move when
price moves. Only when price drifts into the outer eighth of the grid does the grid re-anchor
around price: stored rows shift once (a single memmove) and renderers re-upload everything
(`take_dirty()` says so). Sizes are stored as log-quantised bytes (`scale.quantize`), one byte
per cell: 36,000 columns x 1024 rows = 36 MiB per view for an hour at 100 ms.

Trades and signal markers are kept in their own bounded rings; x positions come from the column
timestamps (a trade belongs to the first column ending at or after it). Nothing here grows
without bound and bad input is counted, not raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mia_desktop.ui.heatmap.scale import quantize

NONE_TICK = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class Marker:
    ts_us: int
    price: int
    direction: str   # "long" | "short" | "neutral"
    elite: bool
    label: str = ""


@dataclass(slots=True)
class StoreCounters:
    columns: int = 0
    rejected_columns: int = 0
    out_of_order: int = 0
    seq_gaps: int = 0
    reanchors: int = 0
    trades: int = 0
    rejected_trades: int = 0


def _pieces(next_i: int, count: int, cap: int) -> list[tuple[int, int]]:
    """Slot ranges (start, stop) holding the ring's items oldest-first."""
    if count == 0:
        return []
    start = (next_i - count) % cap
    if start + count <= cap:
        return [(start, start + count)]
    return [(start, cap), (0, (start + count) - cap)]


class HeatStore:
    def __init__(self, capacity: int = 36_000, rows: int = 1024, *, trade_capacity: int = 200_000,
                 marker_capacity: int = 2_000) -> None:
        if capacity < 16 or rows < 16:
            raise ValueError(f"heatmap store too small: capacity={capacity}, rows={rows}")
        self.capacity = capacity
        self.rows = rows
        self.q = np.zeros((capacity, rows), dtype=np.uint8)
        self.colmax = np.zeros(capacity, dtype=np.uint8)
        self.ts = np.zeros(capacity, dtype=np.int64)
        self.best_bid = np.full(capacity, NONE_TICK, dtype=np.int64)
        self.best_ask = np.full(capacity, NONE_TICK, dtype=np.int64)
        self.anchor: int | None = None
        self.next_g = 0
        self.count = 0
        self.last_seq: int | None = None
        self.live_bid: int | None = None
        self.live_ask: int | None = None
        self.version = 0                 # bumps on every visible change (frame skipping)
        self.counters = StoreCounters()
        self._dirty_from: int | None = None  # first g not yet taken by the renderer
        self._full_dirty = True
        self.trade_capacity = trade_capacity
        self.t_ts = np.zeros(trade_capacity, dtype=np.int64)
        self.t_price = np.zeros(trade_capacity, dtype=np.int64)
        self.t_size = np.zeros(trade_capacity, dtype=np.float32)
        self.t_buy = np.zeros(trade_capacity, dtype=np.bool_)   # True = aggressive buyer
        self.t_next = 0
        self.t_count = 0
        self.markers: deque[Marker] = deque(maxlen=marker_capacity)

    # ---- geometry -------------------------------------------------------------------------
    @property
    def oldest_g(self) -> int:
        return self.next_g - self.count

    @property
    def newest_g(self) -> int:
        return self.next_g - 1

    @property
    def newest_ts(self) -> int | None:
        return int(self.ts[(self.next_g - 1) % self.capacity]) if self.count else None

    def mid_tick(self) -> float | None:
        """Live mid if known, else the last column's mid, else the grid centre."""
        bid, ask = self.live_bid, self.live_ask
        if bid is None and ask is None and self.count:
            s = (self.next_g - 1) % self.capacity
            bid = None if self.best_bid[s] == NONE_TICK else int(self.best_bid[s])
            ask = None if self.best_ask[s] == NONE_TICK else int(self.best_ask[s])
        if bid is not None and ask is not None:
            return (bid + ask) / 2.0
        if bid is not None or ask is not None:
            return float(bid if bid is not None else ask)  # type: ignore[arg-type]
        if self.anchor is not None:
            return self.anchor + self.rows / 2.0
        return None

    # ---- input ----------------------------------------------------------------------------
    def reset(self) -> None:
        self.q.fill(0)
        self.colmax.fill(0)
        self.best_bid.fill(NONE_TICK)
        self.best_ask.fill(NONE_TICK)
        self.anchor = None
        self.count = 0
        self.last_seq = None
        self.t_count = 0
        self.markers.clear()
        self._dirty_from = None
        self._full_dirty = True
        self.version += 1

    def add_columns(self, columns: Iterable[object]) -> int:
        added = 0
        for col in columns:
            if self._add_column(col):
                added += 1
        if added:
            self.version += 1
        return added

    def _add_column(self, col: object) -> bool:
        try:
            ts = int(col.ts_us)  # type: ignore[attr-defined]
            base = int(col.base_tick)  # type: ignore[attr-defined]
            bid = np.asarray(col.bid, dtype=np.float32)  # type: ignore[attr-defined]
            ask = np.asarray(col.ask, dtype=np.float32)  # type: ignore[attr-defined]
            seq = int(col.seq)  # type: ignore[attr-defined]
            bb = col.best_bid  # type: ignore[attr-defined]
            ba = col.best_ask  # type: ignore[attr-defined]
        except (AttributeError, TypeError, ValueError):
            self.counters.rejected_columns += 1
            return False
        if bid.ndim != 1 or bid.shape != ask.shape:
            self.counters.rejected_columns += 1
            return False
        if self.count and ts < int(self.ts[(self.next_g - 1) % self.capacity]):
            self.counters.out_of_order += 1
            return False
        if self.last_seq is not None and seq != self.last_seq + 1:
            self.counters.seq_gaps += 1
        self.last_seq = seq
        size = bid + ask
        center = self._center(bb, ba, base, size)
        self._ensure_anchor(center)
        assert self.anchor is not None
        g = self.next_g
        slot = g % self.capacity
        row = self.q[slot]
        row.fill(0)
        lo = base - self.anchor
        hi = lo + len(size)
        a, b = max(lo, 0), min(hi, self.rows)
        if a < b:
            row[a:b] = quantize(size[a - lo:b - lo])
        self.colmax[slot] = row.max() if a < b else 0
        self.ts[slot] = ts
        self.best_bid[slot] = NONE_TICK if bb is None else int(bb)
        self.best_ask[slot] = NONE_TICK if ba is None else int(ba)
        self.next_g = g + 1
        self.count = min(self.count + 1, self.capacity)
        if self._dirty_from is None:
            self._dirty_from = g
        self.counters.columns += 1
        return True

    @staticmethod
    def _center(bb: object, ba: object, base: int, size: npt.NDArray[np.float32]) -> int:
        if bb is not None and ba is not None:
            return (int(bb) + int(ba)) // 2  # type: ignore[call-overload]
        if bb is not None or ba is not None:
            return int(bb if bb is not None else ba)  # type: ignore[call-overload]
        nz = np.flatnonzero(size)
        return base + (int(nz[len(nz) // 2]) if len(nz) else len(size) // 2)

    def _ensure_anchor(self, center: int) -> None:
        margin = self.rows // 8
        if self.anchor is not None and self.anchor + margin <= center < self.anchor + self.rows - margin:
            return
        new_anchor = center - self.rows // 2
        if self.anchor is not None:
            delta = new_anchor - self.anchor
            if abs(delta) >= self.rows:
                self.q.fill(0)
            elif delta > 0:
                self.q[:, :-delta] = self.q[:, delta:]
                self.q[:, -delta:] = 0
            else:
                self.q[:, -delta:] = self.q[:, :delta].copy()
                self.q[:, :-delta] = 0
            self.colmax[:] = self.q.max(axis=1)
            self.counters.reanchors += 1
        self.anchor = new_anchor
        self._full_dirty = True

    def add_trades(self, trades: Iterable[object]) -> int:
        n = 0
        for t in trades:
            try:
                ts, price, size = int(t.ts_us), int(t.price), float(t.size)  # type: ignore[attr-defined]
                buy = int(t.aggressor) == 1  # type: ignore[attr-defined]  # Side.ASK = buyer lifted
            except (AttributeError, TypeError, ValueError):
                self.counters.rejected_trades += 1
                continue
            if not size > 0:
                self.counters.rejected_trades += 1
                continue
            i = self.t_next
            self.t_ts[i], self.t_price[i], self.t_size[i], self.t_buy[i] = ts, price, size, buy
            self.t_next = (i + 1) % self.trade_capacity
            self.t_count = min(self.t_count + 1, self.trade_capacity)
            n += 1
        if n:
            self.counters.trades += n
            self.version += 1
        return n

    def set_best(self, bid: int | None, ask: int | None) -> None:
        if (bid, ask) != (self.live_bid, self.live_ask):
            self.live_bid, self.live_ask = bid, ask
            self.version += 1

    def add_marker(self, marker: Marker) -> None:
        self.markers.append(marker)
        self.version += 1

    def resized(self, capacity: int) -> HeatStore:
        """A store of another capacity holding the newest columns, the trades and the markers."""
        new = HeatStore(capacity, self.rows, trade_capacity=self.trade_capacity,
                        marker_capacity=self.markers.maxlen or 2000)
        keep = min(self.count, capacity)
        if keep:
            idx = (self.next_g - keep + np.arange(keep)) % self.capacity
            new.q[:keep] = self.q[idx]
            new.colmax[:keep] = self.colmax[idx]
            new.ts[:keep] = self.ts[idx]
            new.best_bid[:keep] = self.best_bid[idx]
            new.best_ask[:keep] = self.best_ask[idx]
            new.anchor, new.count, new.next_g, new.last_seq = self.anchor, keep, keep, self.last_seq
        new.t_ts, new.t_price, new.t_size, new.t_buy = self.t_ts, self.t_price, self.t_size, self.t_buy
        new.t_next, new.t_count = self.t_next, self.t_count
        new.markers.extend(self.markers)
        new.live_bid, new.live_ask = self.live_bid, self.live_ask
        new.counters = self.counters
        return new

    # ---- output ---------------------------------------------------------------------------
    def take_dirty(self) -> tuple[bool, list[tuple[int, int]]]:
        """(full re-upload needed, [(first_slot, n_slots)] written since the last call)."""
        full, first = self._full_dirty, self._dirty_from
        self._full_dirty, self._dirty_from = False, None
        if full or first is None:
            return full, []
        n = min(self.next_g - first, self.capacity)
        return False, _pieces_from(first % self.capacity, n, self.capacity)

    def ordered_ts(self) -> npt.NDArray[np.int64]:
        parts = [self.ts[a:b] for a, b in _pieces(self.next_g, self.count, self.capacity)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def g_for_ts(self, ts_us: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Column position (x) of exchange times: centre of the first column ending at/after it."""
        t = np.asarray(ts_us, dtype=np.int64)
        idx = np.searchsorted(self.ordered_ts(), t, side="left")
        return (self.oldest_g + idx).astype(np.float64) + 0.5

    def ts_for_g(self, g: float) -> int | None:
        if not self.count:
            return None
        gi = int(np.floor(g))
        if not self.oldest_g <= gi <= self.newest_g:
            return None
        return int(self.ts[gi % self.capacity])

    def _visible_g(self, g0: float, g1: float) -> tuple[int, int]:
        a = max(int(np.floor(g0)), self.oldest_g)
        b = min(int(np.ceil(g1)), self.next_g)
        return a, b

    def _visible_rows(self, t0: float, t1: float) -> tuple[int, int]:
        if self.anchor is None:
            return 0, 0
        a = max(int(np.floor(t0 + 0.5)) - self.anchor, 0)
        b = min(int(np.floor(t1 + 0.5)) - self.anchor + 1, self.rows)
        return a, max(a, b)

    def visible_max_q(self, g0: float, g1: float, t0: float, t1: float, quantile: float = 1.0) -> int:
        """Normalisation `max_visible_depth` as a stored byte: the largest visible cell, or with
        quantile < 1 a robust maximum (that quantile of the non-empty visible cells), so one
        outsized wall saturates instead of dimming everything else."""
        a, b = self._visible_g(g0, g1)
        r0, r1 = self._visible_rows(t0, t1)
        if a >= b or r0 >= r1:
            return 0
        hist = np.zeros(256, dtype=np.int64)
        for s0, s1 in _pieces_from(a % self.capacity, b - a, self.capacity):
            if (s1 - s0) * (r1 - r0) > 2_000_000:   # huge window: per-column maxima are close enough
                hist += np.bincount(self.colmax[s0:s1], minlength=256)
            else:
                hist += np.bincount(self.q[s0:s1, r0:r1].ravel(), minlength=256)
        hist[0] = 0
        total = int(hist.sum())
        if total == 0:
            return 0
        if quantile >= 1.0:
            return int(np.flatnonzero(hist)[-1])
        return int(np.searchsorted(np.cumsum(hist), quantile * total))

    def visible_image(self, g0: float, g1: float, t0: float, t1: float, max_cols: int
                      ) -> tuple[npt.NDArray[np.uint8], int, int, int] | None:
        """Row-major uint8 image [rows, cols] of the window, columns max-reduced to <= max_cols.

        Returns (image, first_g, g_per_col, first_tick) or None when nothing is visible.
        """
        a, b = self._visible_g(g0, g1)
        r0, r1 = self._visible_rows(t0, t1)
        if a >= b or r0 >= r1 or self.anchor is None:
            return None
        step = max(1, -(-(b - a) // max(max_cols, 1)))
        a -= a % step      # align to the step so columns do not shimmer while scrolling
        a = max(a, self.oldest_g)
        parts = [self.q[s0:s1, r0:r1] for s0, s1 in _pieces_from(a % self.capacity, b - a, self.capacity)]
        block = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if step > 1:
            n = (len(block) // step) * step
            head = block[:n].reshape(-1, step, r1 - r0).max(axis=1)
            if n < len(block):
                head = np.concatenate([head, block[n:].max(axis=0, keepdims=True)])
            block = head
        return np.ascontiguousarray(block.T), a, step, self.anchor + r0

    def best_series(self, g0: float, g1: float) -> tuple[npt.NDArray[np.float64], ...]:
        """(x, bid, ask) per visible column; NaN where unknown."""
        a, b = self._visible_g(g0, g1)
        if a >= b:
            e = np.zeros(0)
            return e, e, e
        idx = np.arange(a, b) % self.capacity
        bid = self.best_bid[idx].astype(np.float64)
        ask = self.best_ask[idx].astype(np.float64)
        bid[self.best_bid[idx] == NONE_TICK] = np.nan
        ask[self.best_ask[idx] == NONE_TICK] = np.nan
        return np.arange(a, b, dtype=np.float64), bid, ask

    def visible_trades(self, g0: float, g1: float, t0: float, t1: float, limit: int = 4000
                       ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64],
                                  npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
        """(x, price, size, is_buy) of trades in the window; the `limit` largest when crowded."""
        if not self.t_count or not self.count:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.bool_)
        ots = self.ordered_ts()
        ga, gb = self._visible_g(g0, g1)
        lo_ts = int(ots[max(ga - self.oldest_g - 1, 0)]) if ga > self.oldest_g else -(2**62)
        hi_ts = int(ots[gb - self.oldest_g - 1]) if gb <= self.newest_g else 2**62
        sel: list[npt.NDArray[np.int64]] = []
        for a, b in _pieces(self.t_next, self.t_count, self.trade_capacity):
            seg = self.t_ts[a:b]
            i0 = int(np.searchsorted(seg, lo_ts, side="right"))
            i1 = int(np.searchsorted(seg, hi_ts, side="right"))
            if i1 > i0:
                sel.append(np.arange(a + i0, a + i1))
        idx = np.concatenate(sel) if sel else np.zeros(0, dtype=np.int64)
        if len(idx):
            p = self.t_price[idx]
            idx = idx[(p >= t0 - 0.5) & (p <= t1 + 0.5)]
        if len(idx) > limit:
            idx = idx[np.argpartition(self.t_size[idx], -limit)[-limit:]]
            idx.sort()
        x = self.oldest_g + np.searchsorted(ots, self.t_ts[idx], side="left") + 0.5
        return x.astype(np.float64), self.t_price[idx], self.t_size[idx], self.t_buy[idx]

    def visible_markers(self, g0: float, g1: float) -> list[tuple[float, Marker]]:
        if not self.markers or not self.count:
            return []
        ms = list(self.markers)
        xs = self.g_for_ts([m.ts_us for m in ms])
        return [(float(x), m) for x, m in zip(xs, ms, strict=True) if g0 - 1 <= x <= g1 + 1]


def _pieces_from(first_slot: int, n: int, cap: int) -> list[tuple[int, int]]:
    if n <= 0:
        return []
    if first_slot + n <= cap:
        return [(first_slot, first_slot + n)]
    return [(first_slot, cap), (0, first_slot + n - cap)]
