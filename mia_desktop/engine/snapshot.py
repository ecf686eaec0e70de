"""The immutable snapshot an instrument worker publishes for readers (UI, bridge, tests).

The worker replaces its `snapshot` attribute with a new object (an atomic reference swap under the
GIL), so readers never lock on the hot path and never see a half-updated book. Heatmap columns
travel as a tuple of new columns since the previous snapshot, each numbered: a reader that sees a
gap in `HeatColumn.seq` fetches the full history copy instead (nothing is silently lost).
Signals and pattern events are *not* delivered through snapshots (a reader may skip one): the
worker puts each one on its output queue, which the bridge drains and journals before alerting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.market.events import Trade


@dataclass(frozen=True, slots=True)
class HeatColumn:
    """One time column of the heatmap on the absolute price grid.

    Row i of `bid`/`ask` is price tick `base_tick + i`. Sizes are resting quantity at the column's
    end; `buy`/`sell` are aggressive volume traded at that price during the column.
    """

    seq: int
    ts_us: int                      # column end time (exchange/replay clock)
    base_tick: int
    bid: npt.NDArray[np.float32]
    ask: npt.NDArray[np.float32]
    buy: npt.NDArray[np.float32]
    sell: npt.NDArray[np.float32]
    best_bid: int | None
    best_ask: int | None


@dataclass(frozen=True, slots=True)
class InstrumentSnapshot:
    instrument: str
    seq: int
    ts_us: int                      # exchange/replay clock of the last applied event
    recv_us: int                    # wall clock when the last event was received
    best_bid: int | None            # ticks
    best_ask: int | None
    bid_prices: npt.NDArray[np.int64]   # first N levels from the touch outward (ticks)
    bid_sizes: npt.NDArray[np.float64]
    ask_prices: npt.NDArray[np.int64]
    ask_sizes: npt.NDArray[np.float64]
    columns: tuple[HeatColumn, ...]     # new since previous snapshot
    trades: tuple[Trade, ...]           # last trades (bounded)
    bar: object | None                  # bar in progress (market.bars.Bar)
    vix: float | None
    vix_regime: str | None
    patterns: tuple[PatternEvent, ...]  # recent (bounded), for display only
    signals: tuple[Signal, ...]         # recent (bounded), for display only
    events_processed: int
    coalesced_columns: int              # heatmap columns merged under backpressure (counted, exposed)
    book_problem: str | None            # integrity check result (crossed / locked), None when sound
    # batch ends seen crossed / locked so far (every batch end, not only this snapshot's book) and
    # the exchange time of the first and last of them
    crossed_batches: int = 0
    locked_batches: int = 0
    problem_first_us: int | None = None
    problem_last_us: int | None = None
