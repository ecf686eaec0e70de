"""Replay of Sierra Chart recordings (`.depth` + optional `.scid`) at 1×, 10×, … or max speed.

How this works: the depth file is read in chunks, its records cut into batches that end at a
BATCH_END flag and a change of timestamp (the book is consistent between them), and the `.scid`
trades of the same span (found by binary search, read in chunks too) are merged in between by
time. ``ReplayFeed`` is a ``MarketFeed``: its ``run`` paces events with a ``ReplayClock`` (exchange
time at the chosen speed) and pushes them into a sink — which is what
`mia-desktop serve --source replay` serves over DTC. The served symbol is the
instrument root taken from the file name ("ESH4.CME.2023-12-25.depth" -> "ES").
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mia_desktop.market.events import BATCH_END, DepthBatch, MarketEvent, Trade
from mia_desktop.market.instrument import Instrument, instrument_for
from mia_desktop.sources.clock import ReplayClock
from mia_desktop.sources.scfiles import (
    SCID_HEADER_SIZE,
    DepthReader,
    ScidReader,
    depth_info,
    parse_header,
    read_depth,
    read_scid_range,
)
from mia_desktop.sources.tail import now_us, symbol_from_path

_MAX_BATCH = 4096          # records per DepthBatch at most (bounded message sizes downstream)
_YIELD_EVERY = 256         # at max speed, let the event loop breathe this often


@dataclass(frozen=True, slots=True)
class Recording:
    symbol: str
    instrument: Instrument
    records: npt.NDArray[np.void]          # DEPTH_DTYPE
    trades: list[Trade] = field(default_factory=list)

    @property
    def start_us(self) -> int:
        firsts = ([int(self.records["ts_us"][0])] if len(self.records) else []) + \
            ([self.trades[0].ts_us] if self.trades else [])
        return min(firsts) if firsts else 0

    @property
    def end_us(self) -> int:
        lasts = ([int(self.records["ts_us"][-1])] if len(self.records) else []) + \
            ([self.trades[-1].ts_us] if self.trades else [])
        return max(lasts) if lasts else 0


def load_recording(depth_path: str | Path, scid_path: str | Path | None = None, *,
                   instrument: Instrument | None = None, symbol: str | None = None) -> Recording:
    """Read the files of a recording (ScFileError on a bad or truncated file)."""
    sym = symbol or symbol_from_path(depth_path)
    inst = instrument or instrument_for(sym)
    depth = read_depth(depth_path, inst)
    trades: list[Trade] = []
    if scid_path and len(depth.records):
        # only the recording's own time span: an .scid holds the contract's whole history
        start, end = int(depth.records["ts_us"][0]), int(depth.records["ts_us"][-1])
        trades, _bad = read_scid_range(scid_path, inst, sym, start - 1_000_000, end + 1_000_000)
        trades.sort(key=lambda t: t.ts_us)
    return Recording(sym, inst, depth.records, trades)


def batch_cuts(records: npt.NDArray[np.void], max_batch: int = _MAX_BATCH) -> list[int]:
    """End indices of consistent batches: after a BATCH_END row whose successor has a later time
    (or at the end), and at most max_batch rows apart."""
    n = len(records)
    if n == 0:
        return []
    ts = records["ts_us"]
    ends = (records["flags"] & BATCH_END) != 0
    later = np.empty(n, dtype=bool)
    later[:-1] = ts[1:] != ts[:-1]
    later[-1] = True
    cuts = (np.flatnonzero(ends & later) + 1).tolist()
    if not cuts or cuts[-1] != n:
        cuts.append(n)
    out: list[int] = []
    start = 0
    for c in cuts:
        while c - start > max_batch:
            start += max_batch
            out.append(start)
        out.append(c)
        start = c
    return out


def recording_events(rec: Recording, *, max_batch: int = _MAX_BATCH) -> Iterator[tuple[int, MarketEvent]]:
    """(exchange time, event) in time order: depth batches and trades merged (depth first on ties)."""
    trades = rec.trades
    ti = 0
    start = 0
    for cut in batch_cuts(rec.records, max_batch):
        ts = int(rec.records["ts_us"][start])
        while ti < len(trades) and trades[ti].ts_us < ts:
            yield trades[ti].ts_us, trades[ti]
            ti += 1
        yield ts, DepthBatch(rec.symbol, rec.records[start:cut])
        start = cut
    while ti < len(trades):
        yield trades[ti].ts_us, trades[ti]
        ti += 1


def _stamped(ev: MarketEvent, recv: int) -> MarketEvent:
    if isinstance(ev, DepthBatch):
        return DepthBatch(ev.symbol, ev.records, recv)
    if isinstance(ev, Trade):
        return Trade(ev.symbol, ev.ts_us, ev.price, ev.size, ev.aggressor, recv)
    return ev


class _TradeStream:
    """Trades of one span from an `.scid`, read in chunks as the replay reaches them."""

    def __init__(self, path: str | Path | None, inst: Instrument, symbol: str, start_us: int, end_us: int,
                 chunk: int) -> None:
        self._reader = ScidReader(path, inst, symbol) if path else None
        self._end = end_us
        self._chunk = chunk
        self._buf: list[Trade] = []
        self._i = 0
        self._done = self._reader is None
        if self._reader is not None:
            self._reader.seek_time(start_us)

    def _refill(self) -> bool:
        if self._done or self._reader is None:
            return False
        before = self._reader.records_read
        got = self._reader.poll(self._chunk)
        if self._reader.records_read == before:
            self._done = True
            return False
        got.sort(key=lambda t: t.ts_us)
        if got and got[-1].ts_us > self._end:
            got = [t for t in got if t.ts_us <= self._end]
            self._done = True
        self._buf, self._i = got, 0
        return True

    def until(self, ts_us: int | None) -> Iterator[Trade]:
        """Trades stamped before ts_us (all that are left when None)."""
        while True:
            while self._i < len(self._buf):
                t = self._buf[self._i]
                if ts_us is not None and t.ts_us >= ts_us:
                    return
                self._i += 1
                yield t
            if not self._refill():
                return

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


class ReplayFeed:
    """A recording as a MarketFeed, paced by a ReplayClock (speed 0 = as fast as possible).

    The files are validated up front (ScFileError, a ValueError, for a bad or truncated one) and
    then streamed in chunks, so a whole day of a busy contract replays in bounded memory."""

    def __init__(self, depth_path: str | Path, scid_path: str | Path | None = None, *, speed: float = 1.0,
                 instrument: Instrument | None = None, symbol: str | None = None, loop: bool = False,
                 chunk: int = 65_536) -> None:
        self.depth_path = Path(depth_path)
        self.scid_path = Path(scid_path) if scid_path else None
        self.info = depth_info(self.depth_path)
        self.symbol = (symbol or symbol_from_path(depth_path)).upper()
        self.inst = instrument or instrument_for(self.symbol)
        if self.scid_path is not None:
            with self.scid_path.open("rb") as fh:
                parse_header(fh.read(SCID_HEADER_SIZE), "scid", self.scid_path.name)
        self.chunk = chunk
        self.clock = ReplayClock(speed)
        self.loop = loop
        self.events_sent = 0
        self.finished = False

    def symbols(self) -> list[str]:
        return [self.symbol]

    def instrument(self, symbol: str) -> Instrument:
        if symbol.upper() != self.symbol:
            raise KeyError(f"replay serves {self.symbol}, not {symbol!r}")
        return self.inst

    def _events(self) -> Iterator[tuple[int, MarketEvent]]:
        """One pass over the files: (exchange time, event), depth batches and trades merged."""
        first = self.info.first_us if self.info.first_us is not None else 0
        last = self.info.last_us if self.info.last_us is not None else 0
        reader = DepthReader(self.depth_path, self.inst)
        trades = _TradeStream(self.scid_path, self.inst, self.symbol, first - 1_000_000, last + 1_000_000,
                              self.chunk)
        try:
            while True:
                recs = reader.poll(self.chunk)
                if not len(recs):
                    break
                start = 0
                for cut in batch_cuts(recs):
                    ts = int(recs["ts_us"][start])
                    for t in trades.until(ts):
                        yield t.ts_us, t
                    yield ts, DepthBatch(self.symbol, recs[start:cut])
                    start = cut
            for t in trades.until(None):
                yield t.ts_us, t
        finally:
            reader.close()
            trades.close()

    def _paced(self) -> Iterator[tuple[float, MarketEvent]]:
        """(seconds to wait first, event); each loop pass shifts time so the clock runs on."""
        shift = 0
        first = self.info.first_us or 0
        span = (self.info.last_us or 0) - first + 1_000_000
        while True:
            for ts, ev in self._events():
                t = ts + shift
                wait = self.clock.wait_s(t)
                self.clock.observe(t)
                if shift:
                    ev = _shifted(ev, shift)
                yield wait, ev
            if not self.loop:
                return
            shift += span

    async def run(self, sink: Callable[[MarketEvent], None]) -> None:
        for n, (wait, ev) in enumerate(self._paced()):
            if wait > 0.0005:
                await asyncio.sleep(wait)
            elif n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            sink(_stamped(ev, now_us()))
            self.events_sent += 1
        self.finished = True

    def play(self, sink: Callable[[MarketEvent], None], stop: threading.Event | None = None) -> None:
        """Blocking variant of run() for a plain thread (or a test)."""
        for wait, ev in self._paced():
            if wait > 0.0005:
                if stop is not None:
                    if stop.wait(wait):
                        return
                else:
                    time.sleep(wait)
            elif stop is not None and stop.is_set():
                return
            sink(_stamped(ev, now_us()))
            self.events_sent += 1
        self.finished = True


def _shifted(ev: MarketEvent, shift: int) -> MarketEvent:
    if isinstance(ev, DepthBatch):
        recs = ev.records.copy()
        recs["ts_us"] += shift
        return DepthBatch(ev.symbol, recs, ev.recv_us)
    if isinstance(ev, Trade):
        return Trade(ev.symbol, ev.ts_us + shift, ev.price, ev.size, ev.aggressor, ev.recv_us)
    return ev
