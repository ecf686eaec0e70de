"""The immutable market events every source emits and every consumer reads.

Times: `ts_us` is the *exchange* time (µs since the Unix epoch, UTC) as the source reports it;
`recv_us` is when this process received it (µs since the Unix epoch, wall clock). They are never
mixed: latency and data age come from the difference, ordering and bars from `ts_us`.

Depth arrives in batches (`DepthBatch`, a numpy structured array) because one Python object per
book update is the real cost at 50k+ updates/s; trades and everything else are small frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt


class Side(IntEnum):
    BID = 0
    ASK = 1

    @property
    def opposite(self) -> Side:
        return Side.ASK if self is Side.BID else Side.BID


class DepthCommand(IntEnum):
    """Same numbering as Sierra Chart's .depth file commands."""

    CLEAR = 1
    ADD_BID = 2
    ADD_ASK = 3
    MODIFY_BID = 4
    MODIFY_ASK = 5
    DELETE_BID = 6
    DELETE_ASK = 7


BATCH_END = 0x01  # flag: the book is consistent after this record

# One row per book change. price is integer ticks; qty 0 with a DELETE command removes the level.
DEPTH_DTYPE = np.dtype([
    ("ts_us", "<i8"),      # exchange time, µs since Unix epoch
    ("command", "u1"),     # DepthCommand
    ("flags", "u1"),       # BATCH_END
    ("num_orders", "<u2"),
    ("price", "<i8"),      # ticks
    ("qty", "<u4"),
])


def depth_side(command: int) -> Side | None:
    """Side a depth command touches (None for CLEAR)."""
    if command == DepthCommand.CLEAR:
        return None
    return Side.BID if command % 2 == 0 else Side.ASK


@dataclass(frozen=True, slots=True)
class DepthBatch:
    """A run of depth records for one symbol (read-only numpy structured array of DEPTH_DTYPE)."""

    symbol: str
    records: npt.NDArray[np.void]
    recv_us: int = 0

    def __post_init__(self) -> None:
        if self.records.dtype != DEPTH_DTYPE:
            raise TypeError(f"DepthBatch needs dtype DEPTH_DTYPE, got {self.records.dtype}")
        self.records.flags.writeable = False

    def __len__(self) -> int:
        return len(self.records)


def make_depth(rows: list[tuple[int, int, int, int, int, int]]) -> npt.NDArray[np.void]:
    """Build a DEPTH_DTYPE array from (ts_us, command, flags, num_orders, price_ticks, qty) tuples."""
    return np.array(rows, dtype=DEPTH_DTYPE)


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    ts_us: int
    price: int  # ticks
    size: int
    aggressor: Side  # ASK = buyer lifted the offer, BID = seller hit the bid
    recv_us: int = 0


@dataclass(frozen=True, slots=True)
class Quote:
    """Best bid/ask as a source reports it (DTC 108/117/144). None = unset."""

    symbol: str
    ts_us: int
    bid: int | None
    bid_size: int | None
    ask: int | None
    ask_size: int | None
    recv_us: int = 0


@dataclass(frozen=True, slots=True)
class VixReading:
    ts_us: int
    value: float
    recv_us: int = 0


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """Connection state of a source, for the status bar. state: connecting, connected, rejected,
    reconnecting, stopped, error. `retry_in_s` is set while reconnecting."""

    source: str
    state: str
    text: str = ""
    retry_in_s: float | None = None
    details: dict[str, str] = field(default_factory=dict)


MarketEvent = DepthBatch | Trade | Quote | VixReading | SourceStatus
