"""The per-instrument engine worker: book, bars, heatmap history and detectors on one thread.

How this works: sources call ``put(event)`` from any thread (a ``SimpleQueue``, never blocking).
The worker thread takes whatever has queued up (up to ``max_drain`` events) and processes it as one
batch. Depth records are held back and applied as one run per analysis interval (trades, which
need no book, go straight to bars and the heatmap's trade ring): the heatmap's ``ingest`` applies
the run to the book and writes every column boundary it crosses with a few numpy passes. Time is
the events' exchange time (a replay's clock), never the wall clock, so a replay at any speed yields
the same columns, bars and detections. Every ``analysis_interval_ms`` of exchange time, at a batch
end (book consistent), the Analyzer runs; every PatternEvent and Signal goes on ``output`` in
order. An analyzer exception is counted (``errors``, ``last_error``), never fatal.

After a batch (at most every ``publish_ms``) the worker publishes a new immutable
``InstrumentSnapshot`` by swapping one attribute, so readers never lock. The snapshot carries a
bounded window of the newest heatmap columns (numbered; readers dedupe by ``seq``). When more
columns were produced since the last publication than the window holds (a consumer that cannot
keep up with a max-speed replay), runs of columns are merged into one — book at the run's end,
trades summed — and the number merged is counted in ``coalesced_columns``; nothing is dropped
silently, and ``history_copy()`` still has every column.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.engine.snapshot import HeatColumn, InstrumentSnapshot
from mia_desktop.market.bars import Bar, BarBuilder
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import (
    BATCH_END,
    DEPTH_DTYPE,
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    Side,
    SourceStatus,
    Trade,
    VixReading,
)
from mia_desktop.market.heatmap import HeatmapHistory, HeatmapHistoryView
from mia_desktop.market.instrument import Instrument

log = logging.getLogger(__name__)

_STOP = object()
_MAX_RUN = 500_000     # depth records held back at most before they are applied (bounded memory)
_EMPTY_I = np.zeros(0, np.int64)
_EMPTY_F = np.zeros(0, np.float64)


_TOUCH_CELLS = 1 << 21   # price x batch-end cells per step of the touch check (bounded memory)
_TOUCH_SMALL = 32        # below this many records the band test runs as a Python loop
_TOUCH_RUN = 4096        # records per touch check (and per book/heatmap application) in a long run


def touch_problems(recs: npt.NDArray[np.void], book: OrderBook) -> tuple[list[int], list[int]]:
    """Indices (into ``recs``) of the batch ends at which the book is crossed / locked, for a run
    about to be applied to ``book`` (which still holds the state before it).

    Only prices between the lowest the ask can reach and the highest the bid can reach during the
    run can cross; that band is empty for nearly every run of a sound book (a bid never set at or
    above the ask), which costs a few numpy passes. Otherwise each batch end's touch is worked out
    on the band alone: every band price's live state at every batch end by last write + forward fill.
    """
    n = len(recs)
    if n == 0:
        return [], []
    if n < _TOUCH_SMALL and _cannot_cross(recs.tolist(), book):
        return [], []
    cmds = recs["command"]
    clears = np.flatnonzero(cmds == DepthCommand.CLEAR).tolist()
    crossed: list[int] = []
    locked: list[int] = []
    # a CLEAR empties the book: the records after it start from nothing
    bounds = [0, *clears, len(recs)]
    for k in range(len(bounds) - 1):
        a, b = bounds[k], bounds[k + 1]
        if a < b:
            _segment(recs[a:b], book if k == 0 else None, a, crossed, locked)
    return crossed, locked


def _cannot_cross(rows: list[tuple[int, int, int, int, int, int]], book: OrderBook) -> bool:
    """The band test in plain Python, for the few-record runs of an analysis-paced replay."""
    hi = book.best_bid()
    lo = book.best_ask()
    for _ts, cmd, _fl, _no, price, qty in rows:
        if cmd == DepthCommand.CLEAR:
            return False
        if 2 <= cmd <= 5 and qty > 0:
            if cmd & 1:
                lo = price if lo is None or price < lo else lo
            else:
                hi = price if hi is None or price > hi else hi
    return hi is None or lo is None or hi < lo


def _segment(recs: npt.NDArray[np.void], book: OrderBook | None, off: int,
             crossed: list[int], locked: list[int]) -> None:
    ends = np.flatnonzero(recs["flags"] & BATCH_END)
    if not len(ends):
        return
    recs = recs[:int(ends[-1]) + 1]
    cmd = recs["command"]
    price = recs["price"]
    qty = recs["qty"]
    sets = (cmd >= 2) & (cmd <= 5) & (qty > 0)
    ask = (cmd & 1).astype(bool)
    b0 = book.best_bid() if book is not None else None
    a0 = book.best_ask() if book is not None else None
    bid_set = price[sets & ~ask]
    ask_set = price[sets & ask]
    his = [int(bid_set.max())] if len(bid_set) else []
    los = [int(ask_set.min())] if len(ask_set) else []
    hi = max([*his, b0] if b0 is not None else his, default=None)
    lo = min([*los, a0] if a0 is not None else los, default=None)
    if hi is None or lo is None or hi < lo:
        return          # no bid can reach any ask during this run
    width = hi - lo + 1
    idx = np.flatnonzero((cmd >= 2) & (cmd <= 7) & (price >= lo) & (price <= hi))
    # one matrix row per batch end whose batch touches the band (others repeat the row before),
    # columns: the band's bid prices then its ask prices; row 0 is the state before the run
    slot = np.searchsorted(ends, idx)            # the first batch end at or after each record
    change = np.ones(len(slot), bool)
    change[1:] = slot[1:] != slot[:-1]
    uslots = slot[change]
    row_of = np.cumsum(change) - 1
    col = (cmd[idx] & 1).astype(np.int64) * width + (price[idx] - lo)
    live = ((cmd[idx] <= 5) & (qty[idx] > 0)).astype(np.int8)
    state = np.zeros(2 * width, np.int8)
    if book is not None:
        state[:width] = book.window(Side.BID, lo, width) > 0
        state[width:] = book.window(Side.ASK, lo, width) > 0
    n_rows = len(uslots)
    bad = np.zeros((2, n_rows + 1), bool)        # crossed / locked after each row
    bad[:, :1] = _touch(state[None, :], width)
    step = max(1, _TOUCH_CELLS // (2 * width))
    for p0 in range(0, n_rows, step):
        p1 = min(n_rows, p0 + step)
        r0, r1 = np.searchsorted(row_of, [p0, p1])
        rows = p1 - p0 + 1
        m = np.full((rows, 2 * width), -1, np.int8)
        m[0] = state
        keys = (row_of[r0:r1] - p0 + 1) * (2 * width) + col[r0:r1]
        uniq, first = np.unique(keys[::-1], return_index=True)     # last write wins
        m.reshape(-1)[uniq] = live[r0:r1][::-1][first]
        at = np.where(m >= 0, np.arange(rows, dtype=np.int32)[:, None], np.int32(0))
        np.maximum.accumulate(at, axis=0, out=at)
        filled = np.take_along_axis(m, at, axis=0)
        state = filled[-1].copy()
        bad[:, p0 + 1:p1 + 1] = _touch(filled[1:], width)
    row_at_end = np.searchsorted(uslots, np.arange(len(ends)), side="right")
    at_end = ends + off
    crossed += at_end[bad[0][row_at_end]].tolist()
    locked += at_end[bad[1][row_at_end]].tolist()


def _touch(live: npt.NDArray[np.int8], width: int) -> npt.NDArray[np.bool_]:
    """(crossed, locked) per row of a live-state matrix [bids of the band | asks of the band]."""
    alive = live.view(np.bool_)
    bid, ask = alive[:, :width], alive[:, width:]
    bb = width - 1 - np.argmax(bid[:, ::-1], axis=1)
    ba = np.argmax(ask, axis=1)
    both = bid.any(axis=1) & ask.any(axis=1)
    return np.stack((both & (bb > ba), both & (bb == ba)))

class InstrumentWorker:
    def __init__(self, instrument: Instrument, profile: Any, *, analyzer: Any | None = None,
                 column_ms: int = 100, history_s: int = 3600, levels: int = 20, name: str = "",
                 rows: int = 800, bar_period_s: float = 60, column_window: int = 600,
                 max_drain: int = 50_000, publish_ms: float = 10.0, heatmap: bool = True) -> None:
        self.instrument = instrument
        self.profile = profile
        self.analyzer = analyzer
        self.name = name or instrument.symbol
        self.levels = levels
        interval_ms = (getattr(analyzer, "interval_us", 0) // 1000
                       or getattr(profile, "analysis_interval_ms", 250))
        self.interval_us = max(1, int(interval_ms)) * 1000
        self.book = OrderBook()
        self.bars = BarBuilder(bar_period_s)
        self.heat = HeatmapHistory(rows=rows, column_ms=column_ms, history_s=history_s) if heatmap else None
        self.column_us = column_ms * 1000
        self.output: queue.SimpleQueue[PatternEvent | Signal] = queue.SimpleQueue()
        self.status: SourceStatus | None = None
        self.events_processed = 0
        self.coalesced_columns = 0
        self.errors = 0
        self.last_error: str | None = None      # the first analyzer error, for the status line
        self.pattern_counts: dict[str, int] = {}
        self.signals_count = 0
        self.elite_count = 0        # every elite signal, whatever its risk state
        self.elite_ok_count = 0     # elite signals with risk_state "ok" (the ones a trader acts on)
        self.rate_limited_count = 0  # signals held back by the per-hour elite cap
        # batch ends at which the book was crossed / locked (pre-open, a bad feed), and the exchange
        # time of the first and last such batch end; every batch end counts, not just the final book
        self.crossed_batches = 0
        self.locked_batches = 0
        self.problem_first_us: int | None = None
        self.problem_last_us: int | None = None
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()          # guards the heatmap ring against history_copy()
        self._next_analysis = 0
        self._ts_us = 0
        self._recv_us = 0
        self._last_price: int | None = None
        self._trades: deque[Trade] = deque(maxlen=200)
        self._patterns: deque[PatternEvent] = deque(maxlen=100)
        self._signals: deque[Signal] = deque(maxlen=100)
        self._columns: deque[HeatColumn] = deque(maxlen=max(1, column_window))
        self._published_seq = 0
        self._seq = 0
        self._vix: float | None = None
        self._book_problem: str | None = None
        self.max_drain = max_drain
        self.publish_s = publish_ms / 1000
        self.snapshot: InstrumentSnapshot = self._make_snapshot()

    # ---- thread ---------------------------------------------------------------------------------
    def put(self, event: MarketEvent) -> None:
        """Thread-safe and non-blocking."""
        self._inbox.put(event)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        th = self._thread
        if th is None:
            return
        self._inbox.put(_STOP)
        th.join(timeout)
        self._thread = None

    @property
    def backlog(self) -> int:
        """Events queued and not yet processed (for the status bar: a worker falling behind)."""
        return self._inbox.qsize()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        last_pub = 0.0
        dirty = False
        while True:
            try:
                first = self._inbox.get(timeout=self.publish_s if dirty else 0.25)
            except queue.Empty:
                if dirty:
                    self._publish()
                    last_pub, dirty = time.monotonic(), False
                continue
            batch = [first]
            while len(batch) < self.max_drain:
                try:
                    batch.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            stop = any(e is _STOP for e in batch)
            try:
                self._process([e for e in batch if e is not _STOP])
            except Exception:      # a detector bug must not kill the instrument: count and go on
                self.errors += 1
                log.exception("%s: processing a batch failed", self.name)
            dirty = True
            now = time.monotonic()
            if stop or now - last_pub >= self.publish_s:
                self._publish()
                last_pub, dirty = now, False
            if stop:
                return

    # ---- processing -----------------------------------------------------------------------------
    def process(self, events: Iterable[MarketEvent]) -> None:
        """Synchronous processing (analyze command, tests), then one snapshot."""
        self._process(events)
        self._publish()

    def _process(self, events: Iterable[MarketEvent]) -> None:
        # Depth waits in `pend` until the next analysis time is reached (or a trade stamped at or
        # after it arrives), then goes to the book and heatmap as one run: one batch per interval.
        pend: list[npt.NDArray[np.void]] = []
        pend_n = 0
        timed = self.analyzer is not None
        for ev in events:
            if isinstance(ev, DepthBatch):
                n = len(ev.records)
                if n:
                    self.events_processed += n
                    self._recv_us = ev.recv_us or self._recv_us
                    pend.append(ev.records)
                    pend_n += n
                    if (timed and int(ev.records["ts_us"][-1]) >= self._next_analysis) or pend_n >= _MAX_RUN:
                        self._depth(pend)
                        pend, pend_n = [], 0
                continue
            self.events_processed += 1
            if isinstance(ev, Trade):
                if pend and timed and ev.ts_us >= self._next_analysis:
                    self._depth(pend)
                    pend, pend_n = [], 0
                self._trade(ev)
            elif isinstance(ev, VixReading):
                self._vix = ev.value
                if self.analyzer is not None:
                    self._emit_many(self._guard(self.analyzer.on_vix, ev) or ())
            elif isinstance(ev, SourceStatus):
                self.status = ev
            elif isinstance(ev, Quote):
                self._recv_us = ev.recv_us or self._recv_us
        if pend:
            self._depth(pend)

    def _depth(self, runs: list[npt.NDArray[np.void]]) -> None:
        """Apply a run of depth records, stopping at each analysis time (at a batch end)."""
        if len(runs) == 1:
            recs = runs[0]
        else:
            try:   # as raw bytes: np.concatenate re-promotes a structured dtype once per array
                recs = np.concatenate([r.view(np.uint8) for r in runs]).view(DEPTH_DTYPE)
            except ValueError:     # a strided view cannot be seen as bytes: copy row blocks
                recs = np.empty(sum(len(r) for r in runs), dtype=DEPTH_DTYPE)
                i = 0
                for r in runs:
                    recs[i:i + len(r)] = r
                    i += len(r)
        ts = recs["ts_us"]
        if self.analyzer is None:
            # nothing reads the book between analysis times: one run, then the interval bookkeeping
            self._apply(recs)
            self._ts_us = max(self._ts_us, int(ts[-1]))
            if self.book.consistent and int(ts[-1]) >= self._next_analysis:
                self._analyze(int(ts[-1]))
            return
        ends = np.flatnonzero(recs["flags"] & BATCH_END)
        start = 0
        n = len(recs)
        while start < n:
            cut = n
            due = int(np.searchsorted(ts, self._next_analysis))
            if due < n:
                # the analysis sees the book at the end of the batch holding the due record
                e = int(np.searchsorted(ends, max(due, start)))
                if e < len(ends):
                    cut = int(ends[e]) + 1
            self._apply(recs[start:cut])
            t1 = int(ts[cut - 1])
            if t1 > self._ts_us:
                self._ts_us = t1
            if t1 >= self._next_analysis and self.book.consistent:
                self._analyze(t1)
            start = cut

    def _apply(self, recs: npt.NDArray[np.void]) -> None:
        n = len(recs)
        if n <= _TOUCH_RUN:
            self._apply_checked(recs)
            return
        # long runs go in pieces: the touch check's band (the prices the bid and ask both reach)
        # stays a few ticks wide over a short span, where over an hour it would span the range
        for a in range(0, n, _TOUCH_RUN):
            self._apply_checked(recs[a:a + _TOUCH_RUN])

    def _apply_checked(self, recs: npt.NDArray[np.void]) -> None:
        crossed, locked = touch_problems(recs, self.book)
        if crossed or locked:
            self.crossed_batches += len(crossed)
            self.locked_batches += len(locked)
            ts = recs["ts_us"]
            first = int(ts[min(crossed[:1] + locked[:1])])
            last = int(ts[max(crossed[-1:] + locked[-1:])])
            if self.problem_first_us is None:
                self.problem_first_us = first
            self.problem_last_us = last
        if self.heat is None:
            self.book.apply(recs)
            return
        with self._lock:
            self.heat.ingest(recs, self.book)

    def _analyze(self, now: int) -> None:
        self._next_analysis = (now // self.interval_us + 1) * self.interval_us
        self._book_problem = self.book.integrity()
        for bar in self.bars.on_time(now):
            self._bar(bar)
        an = self.analyzer
        if an is not None:
            got = self._guard(an.analyze, now, self.book)
            if got is not None:
                events, signals = got
                self._emit_many(events)
                self._emit_many(signals)
            drain = getattr(an, "drain_outcomes", None)
            if drain is not None:
                for outcome in self._guard(drain) or ():
                    self.output.put(outcome)      # paper outcomes: the bridge journals them

    def _trade(self, t: Trade) -> None:
        if self.heat is not None:
            with self._lock:
                self.heat.add_trade(t.ts_us, t.price, t.size, t.aggressor)
        self._trades.append(t)
        self._recv_us = t.recv_us or self._recv_us
        if t.ts_us > self._ts_us:
            self._ts_us = t.ts_us
        for bar in self.bars.on_trade(t):
            self._bar(bar)
        self._last_price = t.price
        if self.analyzer is not None:
            self._guard(self.analyzer.on_trade, t)
            self._guard(self.analyzer.on_price, t.ts_us, t.price)

    def _bar(self, bar: Bar) -> None:
        if self.analyzer is not None:
            self._emit_many(self._guard(self.analyzer.on_bar, bar) or ())

    def _guard(self, fn: Any, *args: Any) -> Any:
        """Call into the analyzer; a detector bug is counted and logged, and the book, bars and
        heatmap go on (the instrument never stops over one bad detector)."""
        try:
            return fn(*args)
        except Exception as exc:
            self.errors += 1
            if self.last_error is None:
                self.last_error = f"{getattr(fn, '__qualname__', fn)}: {type(exc).__name__}: {exc}"
            if self.errors <= 5 or self.errors % 1000 == 0:
                log.exception("%s: analyzer error #%d", self.name, self.errors)
            return None

    def _emit_many(self, items: Iterable[PatternEvent | Signal]) -> None:
        for item in items:
            self.output.put(item)
            if isinstance(item, Signal):
                self._signals.append(item)
                self.signals_count += 1
                self.elite_count += bool(item.elite)
                self.elite_ok_count += bool(item.elite) and item.risk_state == "ok"
                self.rate_limited_count += item.risk_state == "rate_limited"
            else:
                self._patterns.append(item)
                self.pattern_counts[item.pattern] = self.pattern_counts.get(item.pattern, 0) + 1

    # ---- publishing -----------------------------------------------------------------------------
    def _publish(self) -> None:
        heat = self.heat
        if heat is not None and heat.seq > self._published_seq:
            with self._lock:
                cols, merged = heat.columns(self._published_seq, max_columns=self._columns.maxlen or 1)
                skipped = max(0, heat.first_seq - self._published_seq)   # fell out of the ring itself
                self._published_seq = heat.seq
            self.coalesced_columns += merged + skipped
            self._columns.extend(cols)
        self._seq += 1
        self.snapshot = self._make_snapshot()

    def _make_snapshot(self) -> InstrumentSnapshot:
        book = self.book
        bp, bs = book.top(Side.BID, self.levels) if book.best_bid() is not None else (_EMPTY_I, _EMPTY_F)
        ap, asz = book.top(Side.ASK, self.levels) if book.best_ask() is not None else (_EMPTY_I, _EMPTY_F)
        an = self.analyzer
        if book.consistent:
            self._book_problem = book.integrity()
        vix = getattr(an, "vix_value", None) if an is not None else None
        return InstrumentSnapshot(
            instrument=self.instrument.symbol, seq=self._seq, ts_us=self._ts_us, recv_us=self._recv_us,
            best_bid=book.best_bid(), best_ask=book.best_ask(), bid_prices=bp, bid_sizes=bs,
            ask_prices=ap, ask_sizes=asz, columns=tuple(self._columns), trades=tuple(self._trades),
            bar=self.bars.current, vix=vix if vix is not None else self._vix,
            vix_regime=getattr(an, "vix_regime", None) if an is not None else None,
            patterns=tuple(self._patterns), signals=tuple(self._signals),
            events_processed=self.events_processed, coalesced_columns=self.coalesced_columns,
            book_problem=self._book_problem, crossed_batches=self.crossed_batches,
            locked_batches=self.locked_batches, problem_first_us=self.problem_first_us,
            problem_last_us=self.problem_last_us)

    def history_copy(self) -> HeatmapHistoryView:
        """A full copy of the heatmap history (for a redraw or a details snapshot)."""
        if self.heat is None:
            raise RuntimeError(f"{self.name}: heatmap history is off for this worker")
        with self._lock:
            return self.heat.view()
