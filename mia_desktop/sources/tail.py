"""Live tail of Sierra Chart's files: the day's `.depth` file and the `.scid` trades file.

How this works: plain polling (no inotify, works the same on Windows). Each ``poll()`` reads the
complete records appended since the last one (``DepthReader``/``ScidReader`` keep the offsets; a
partial record waits). Sierra Chart writes one depth file per UTC day, ``SYMBOL.YYYY-MM-DD.depth``;
when the current file has nothing new and a later day's file for the same symbol has appeared
(checked at most once a second), the tail drains the old file and moves to it — its first record
is a CLEAR, so the book restarts cleanly. Trades start at the depth file's first time (a binary
search in the `.scid`, which holds months of history), and are merged with depth in time order.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mia_desktop.market.events import DepthBatch, MarketEvent, SourceStatus, Trade
from mia_desktop.market.instrument import Instrument, instrument_for, root_symbol
from mia_desktop.sources.scfiles import DepthReader, ScFileError, ScidReader

_DAY_FILE = re.compile(r"^(?P<prefix>.+)\.(?P<day>\d{4}-\d{2}-\d{2})\.depth$", re.IGNORECASE)


def now_us() -> int:
    return time.time_ns() // 1000


def symbol_from_path(path: str | Path) -> str:
    """'ESH4.CME.2023-12-25.depth' -> 'ES' (the instrument root, used as the served symbol)."""
    return root_symbol(Path(path).name.split(".")[0])


def day_of(path: str | Path) -> date | None:
    m = _DAY_FILE.match(Path(path).name)
    if not m:
        return None
    try:
        return date.fromisoformat(m["day"])
    except ValueError:
        return None


def day_path(path: str | Path, day: date) -> Path:
    """The same symbol's depth file for another UTC day."""
    p = Path(path)
    m = _DAY_FILE.match(p.name)
    if not m:
        raise ValueError(f"{p.name}: not a SYMBOL.YYYY-MM-DD.depth file name")
    return p.with_name(f"{m['prefix']}.{day.isoformat()}.depth")


def next_day_path(path: str | Path) -> Path | None:
    """The earliest existing depth file of the same symbol dated after this one (the next trading
    day may be several calendar days later over a weekend), or None."""
    p = Path(path)
    m = _DAY_FILE.match(p.name)
    day = day_of(p)
    if not m or day is None:
        return None
    nxt = day_path(p, day + timedelta(days=1))
    if nxt.exists():
        return nxt
    later: list[tuple[date, Path]] = []
    for cand in p.parent.glob(f"{m['prefix']}.*.depth"):
        d = day_of(cand)
        if d is not None and d > day and _DAY_FILE.match(cand.name)["prefix"] == m["prefix"]:  # type: ignore[index]
            later.append((d, cand))
    return min(later)[1] if later else None


def merge_in_time(symbol: str, records: npt.NDArray[np.void], trades: list[Trade],
                  recv_us: int = 0) -> list[MarketEvent]:
    """Depth records and trades as one time-ordered event list (depth first on equal times)."""
    if not trades:
        return [DepthBatch(symbol, records, recv_us)] if len(records) else []
    out: list[MarketEvent] = []
    ts = records["ts_us"]
    cuts = np.searchsorted(ts, [t.ts_us for t in trades], side="right").tolist()
    start = 0
    for cut, trade in zip(cuts, trades, strict=True):
        if cut > start:
            out.append(DepthBatch(symbol, records[start:cut], recv_us))
            start = cut
        out.append(trade)
    if start < len(records):
        out.append(DepthBatch(symbol, records[start:], recv_us))
    return out


class DepthTail:
    """Follows a `.depth` file and rolls over to the next UTC day's file when it appears."""

    def __init__(self, path: str | Path, instrument: Instrument, symbol: str | None = None,
                 *, rollover_check_s: float = 1.0) -> None:
        self.path = Path(path)
        self.instrument = instrument
        self.symbol = symbol or symbol_from_path(path)
        self.reader = DepthReader(self.path, instrument)
        self.rollover_check_s = rollover_check_s
        self.rollovers = 0
        self._next_check = 0.0

    def poll(self) -> npt.NDArray[np.void]:
        """New DEPTH_DTYPE records (possibly from the next day's file after a rollover)."""
        recs = self.reader.poll()
        if len(recs):
            return recs
        mono = time.monotonic()
        if mono < self._next_check:
            return recs
        self._next_check = mono + self.rollover_check_s
        nxt = next_day_path(self.path)
        if nxt is None:
            return recs
        tail = self.reader.poll()          # anything appended since the check started
        if len(tail):
            return tail
        self.reader.close()
        self.path = nxt
        self.reader = DepthReader(nxt, self.instrument)
        self.rollovers += 1
        return self.reader.poll()

    def close(self) -> None:
        self.reader.close()


class FilesTail:
    """A live Sierra Chart files source for one instrument: `.depth` tail + optional `.scid` tail."""

    def __init__(self, depth_path: str | Path, scid_path: str | Path | None = None, *,
                 instrument: Instrument | None = None, symbol: str | None = None, poll_s: float = 0.05,
                 name: str = "scfiles") -> None:
        self.symbol = symbol or symbol_from_path(depth_path)
        self.inst = instrument or instrument_for(self.symbol)
        self.depth = DepthTail(depth_path, self.inst, self.symbol)
        self.scid = ScidReader(scid_path, self.inst, self.symbol) if scid_path else None
        self.poll_s = poll_s
        self.name = name
        self._scid_started = False

    def symbols(self) -> list[str]:
        return [self.symbol]

    def instrument(self, symbol: str) -> Instrument:
        return self.inst

    def poll(self) -> list[MarketEvent]:
        recs = self.depth.poll()
        trades: list[Trade] = []
        if self.scid is not None:
            if not self._scid_started and len(recs):
                self.scid.seek_time(int(recs["ts_us"][0]))
                self._scid_started = True
            if self._scid_started:
                trades = self.scid.poll()
        return merge_in_time(self.symbol, recs, trades, now_us())

    async def run(self, sink: Callable[[MarketEvent], None]) -> None:
        """Poll until cancelled; a bad file is reported as a SourceStatus error and retried."""
        sink(SourceStatus(self.name, "connected", f"following {self.depth.path.name}"))
        last_error = ""
        try:
            while True:
                try:
                    for ev in self.poll():
                        sink(ev)
                    last_error = ""
                except (ScFileError, OSError) as e:
                    if str(e) != last_error:
                        last_error = str(e)
                        sink(SourceStatus(self.name, "error", last_error))
                await asyncio.sleep(self.poll_s)
        finally:
            self.close()
            sink(SourceStatus(self.name, "stopped", ""))

    def close(self) -> None:
        self.depth.close()
        if self.scid is not None:
            self.scid.close()
