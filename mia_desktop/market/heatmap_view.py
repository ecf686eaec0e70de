"""A full copy of the heatmap history, as readers get it (a redraw, a details snapshot).

Plain arrays, oldest column first; ``aligned`` puts every column on one common tick grid (columns
keep the base tick they were sampled on, so a reader re-aligns once, never the writer per update).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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
