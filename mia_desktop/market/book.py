"""The order book: a numpy-backed price ladder on integer ticks.

How this works: both sides live in one dense ``(2, capacity)`` int64 array indexed by
``price_tick - lo`` (row 0 bids, row 1 asks). The window grows (doubling, re-centred) when a price
falls outside it, up to ``max_span`` ticks; a record beyond that is counted in ``rejected`` and
skipped, so an absurd price never turns into unbounded memory. Best bid/ask and level counts are
kept incrementally.

``apply`` takes DEPTH_DTYPE rows in order. Small batches go through a plain loop; larger ones are
vectorised: everything before the last CLEAR is irrelevant, and after it the final size of each
(side, price) is simply the last record that touched it ("last write wins" is exactly in-order
application), so one ``np.unique`` over the reversed keys gives every level's final size at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mia_desktop.market.events import BATCH_END, DepthCommand, Side

_SMALL_BATCH = 12          # below this a Python loop beats numpy's per-call overhead
_SCAN_CHUNK = 256          # first look this far from the old best before scanning everything
_INITIAL_CAPACITY = 1024


class OrderBook:
    """Price ladder for one instrument. Prices are integer ticks, sizes integer contracts."""

    def __init__(self, *, max_span: int = 1 << 20) -> None:
        self.max_span = max_span
        self._lo = 0
        self._qty: npt.NDArray[np.int64] = np.zeros((2, 0), dtype=np.int64)
        self._best: list[int | None] = [None, None]   # absolute ticks
        self._count = [0, 0]
        self.consistent = True
        self.rejected = 0          # records skipped: unknown command or price beyond max_span
        self.updates = 0           # records applied
        self.ts_us = 0             # exchange time of the last applied record

    # ---- mutation -------------------------------------------------------------------------------
    def clear(self) -> None:
        self._qty[:] = 0
        self._best = [None, None]
        self._count = [0, 0]

    def set_level(self, side: Side, price: int, qty: int) -> None:
        """Set the resting size at a price; qty 0 deletes the level."""
        if not self._ensure(price, price):
            self.rejected += 1
            return
        self._set(int(side), price - self._lo, qty)

    def apply(self, records: npt.NDArray[np.void]) -> None:
        """Apply DEPTH_DTYPE rows in order. The book is `consistent` after a BATCH_END row."""
        n = len(records)
        if n == 0:
            return
        if n < _SMALL_BATCH:
            rows = records.tolist()
            self._apply_rows(rows)
            last = rows[-1]
            self.ts_us = last[0]
            self.consistent = bool(last[2] & BATCH_END)
        else:
            cmds = records["command"]
            start = 0
            clears = np.flatnonzero(cmds == DepthCommand.CLEAR)
            if len(clears):
                self.clear()
                start = int(clears[-1]) + 1
            body = records[start:]
            if len(body) < _SMALL_BATCH:
                self._apply_rows(body.tolist())
            else:
                self._apply_vector(body)
            self.ts_us = int(records["ts_us"][-1])
            self.consistent = bool(int(records["flags"][-1]) & BATCH_END)
        self.updates += n

    def _apply_rows(self, rows: list[tuple[int, int, int, int, int, int]]) -> None:
        """The plain in-order loop (small batches, and the fallback for absurd price spreads)."""
        for _ts, cmd, _fl, _no, price, qty in rows:
            if cmd < 2 or cmd > 7:
                if cmd == 1:
                    self.clear()
                else:
                    self.rejected += 1
                continue
            i = price - self._lo
            if not 0 <= i < self._qty.shape[1]:
                if not self._ensure(price, price):
                    self.rejected += 1
                    continue
                i = price - self._lo
            self._set(cmd & 1, i, 0 if cmd >= 6 else qty)

    def _apply_vector(self, body: npt.NDArray[np.void]) -> None:
        cmd = body["command"]
        price = body["price"]
        valid = (cmd >= 2) & (cmd <= 7)
        if not valid.all():
            self.rejected += int((~valid).sum())
            cmd, price, body = cmd[valid], price[valid], body[valid]
            if len(body) == 0:
                return
        if not self._ensure(int(price.min()), int(price.max())):
            # some prices are absurdly far apart: fall back to the loop, which rejects them one by one
            self._apply_rows(body.tolist())
            return
        side = (cmd & 1).astype(np.int64)
        qty = np.where(cmd >= 6, 0, body["qty"]).astype(np.int64)
        cap = self._qty.shape[1]
        keys = side * cap + (price - self._lo)
        rev_keys = keys[::-1]
        uniq, first = np.unique(rev_keys, return_index=True)
        vals = qty[::-1][first]
        flat = self._qty.reshape(-1)
        old = flat[uniq]
        flat[uniq] = vals
        uside = uniq >= cap
        born = (vals > 0) & (old == 0)
        died = (vals == 0) & (old > 0)
        for s in (0, 1):
            mask = uside == bool(s)
            if not mask.any():
                continue
            self._count[s] += int(born[mask].sum()) - int(died[mask].sum())
            idx = uniq[mask] - s * cap
            alive = idx[vals[mask] > 0]
            best = self._best[s]
            if len(alive):
                cand = int(alive.max() if s == 0 else alive.min()) + self._lo
                if best is None or (cand > best if s == 0 else cand < best):
                    best = cand
            self._best[s] = best
            if best is not None and self._qty[s, best - self._lo] == 0:
                self._best[s] = self._scan(s, best - self._lo)

    def _set(self, s: int, i: int, qty: int) -> None:
        row = self._qty[s]
        old = row.item(i)
        row[i] = qty
        if qty > 0:
            if old == 0:
                self._count[s] += 1
            p = i + self._lo
            best = self._best[s]
            if best is None or (p > best if s == 0 else p < best):
                self._best[s] = p
        elif old > 0:
            self._count[s] -= 1
            if self._best[s] == i + self._lo:
                self._best[s] = self._scan(s, i)

    def _scan(self, s: int, i: int) -> int | None:
        """Next live level from index i outward (down for bids, up for asks)."""
        row = self._qty[s]
        if self._count[s] == 0:
            return None
        if s == 0:
            lo = max(0, i - _SCAN_CHUNK)
            nz = np.flatnonzero(row[lo:i + 1])
            if len(nz):
                return int(nz[-1]) + lo + self._lo
            nz = np.flatnonzero(row[:lo])
            return int(nz[-1]) + self._lo if len(nz) else None
        hi = i + _SCAN_CHUNK
        nz = np.flatnonzero(row[i:hi])
        if len(nz):
            return int(nz[0]) + i + self._lo
        nz = np.flatnonzero(row[hi:])
        return int(nz[0]) + hi + self._lo if len(nz) else None

    def _ensure(self, pmin: int, pmax: int) -> bool:
        """Grow the window to cover [pmin, pmax]; False when that would exceed max_span."""
        cap = self._qty.shape[1]
        if cap and pmin >= self._lo and pmax < self._lo + cap:
            return True
        lo = min(pmin, self._lo) if cap else pmin
        hi = max(pmax, self._lo + cap - 1) if cap else pmax
        need = hi - lo + 1
        if need > self.max_span:
            return False
        new_cap = max(_INITIAL_CAPACITY, cap)
        while new_cap < need * 2 and new_cap < self.max_span:
            new_cap *= 2
        new_cap = min(new_cap, self.max_span)
        new_lo = lo - (new_cap - need) // 2
        grown = np.zeros((2, new_cap), dtype=np.int64)
        if cap:
            off = self._lo - new_lo
            grown[:, off:off + cap] = self._qty
        self._qty = grown
        self._lo = new_lo
        return True

    # ---- queries --------------------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return self._best[0]

    def best_ask(self) -> int | None:
        return self._best[1]

    def size_at(self, side: Side, price: int) -> int:
        i = price - self._lo
        if 0 <= i < self._qty.shape[1]:
            return int(self._qty[int(side), i])
        return 0

    def level_count(self, side: Side) -> int:
        return self._count[int(side)]

    def top(self, side: Side, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """First n levels from the touch outward: (prices in ticks, sizes)."""
        s = int(side)
        best = self._best[s]
        if best is None or n <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        row = self._qty[s]
        b = best - self._lo
        width = max(4 * n, 64)
        while True:
            if s == 0:
                lo = max(0, b + 1 - width)
                nz = np.flatnonzero(row[lo:b + 1])[::-1] + lo
                done = lo == 0
            else:
                hi = min(len(row), b + width)
                nz = np.flatnonzero(row[b:hi]) + b
                done = hi == len(row)
            if len(nz) >= n or done:
                break
            width *= 4
        nz = nz[:n]
        return (nz + self._lo).astype(np.int64), row[nz].astype(np.float64)

    def items(self, side: Side) -> list[tuple[int, int]]:
        """Every (price, qty) from the touch outward."""
        prices, sizes = self.top(side, max(self._count[int(side)], 1))
        return list(zip(prices.tolist(), sizes.astype(np.int64).tolist(), strict=True))

    def window(self, side: Side, base: int, rows: int) -> npt.NDArray[np.int64]:
        """Sizes for ticks base .. base+rows-1 (zeros outside the ladder) — a heatmap column."""
        out = np.zeros(rows, dtype=np.int64)
        cap = self._qty.shape[1]
        a = max(base, self._lo)
        b = min(base + rows, self._lo + cap)
        if a < b:
            out[a - base:b - base] = self._qty[int(side), a - self._lo:b - self._lo]
        return out

    def window_into(self, side: Side, base: int, out: npt.NDArray[np.generic], qmax: int) -> None:
        """Write sizes for ticks base .. base+len(out)-1 into ``out`` (any numeric dtype), clipped to
        qmax — the heatmap's sampling path, one numpy call when the window lies inside the ladder."""
        rows = len(out)
        cap = self._qty.shape[1]
        i = base - self._lo
        if i >= 0 and i + rows <= cap:
            np.minimum(self._qty[int(side), i:i + rows], qmax, out=out, casting="unsafe")
            return
        np.minimum(self.window(side, base, rows), qmax, out=out, casting="unsafe")

    def sides_into(self, base: int, out: npt.NDArray[np.generic], qmax: int) -> None:
        """Both sides' sizes for ticks base .. base+rows-1 into ``out`` of shape (2, rows), clipped to
        qmax — one numpy call when the window lies inside the ladder."""
        rows = out.shape[1]
        i = base - self._lo
        if i >= 0 and i + rows <= self._qty.shape[1]:
            np.minimum(self._qty[:, i:i + rows], qmax, out=out, casting="unsafe")
            return
        self.window_into(Side.BID, base, out[0], qmax)
        self.window_into(Side.ASK, base, out[1], qmax)

    def integrity(self) -> str | None:
        """'crossed: …' / 'locked: …' when the touch is inverted or equal, else None."""
        bid, ask = self._best
        if bid is None or ask is None:
            return None
        if bid > ask:
            return f"crossed: best bid {bid} > best ask {ask} (ticks)"
        if bid == ask:
            return f"locked: best bid = best ask = {bid} (ticks)"
        return None
