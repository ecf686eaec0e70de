"""The bridge: the one place Qt meets the engine.

How this works: the bridge holds the running instances and pulls from them on two QTimers in the
GUI thread — never one Qt signal per market message:

* fast (default 30 Hz): each worker's latest immutable snapshot. When it changed, the new heatmap
  columns (deduplicated by their sequence number: a snapshot carries a window of the newest ones),
  the trades not yet shown, best bid/ask and the VIX reading go out as Qt signals. A gap in the
  numbers (only a max-speed replay outruns a 30 Hz reader) is counted, and the view is redrawn
  from the worker's full history copy (at most once a second), so no column is silently lost.
* slow (default 4 Hz): each worker's `output` queue, drained to the end (it is the authoritative
  stream of pattern events and signals), status reports, message rates and data age. Every signal
  is appended to the journal (durable on return) *before* the alert player sees it, then handed to
  the views in one batch.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from mia_desktop.analysis.types import PatternEvent
from mia_desktop.analysis.types import Signal as TradeSignal
from mia_desktop.analysis.vix import regime_multiplier

log = logging.getLogger(__name__)

MAX_DRAIN = 5000   # per instance per slow tick: a flood cannot freeze the GUI (the rest waits a tick)


class _Tracked:
    """What the bridge remembers about one instance between ticks."""

    __slots__ = ("last_col_seq", "last_msgs", "last_msgs_t", "last_reset", "last_snap", "last_trade",
                 "runner")

    def __init__(self, runner: Any) -> None:
        self.runner = runner
        self.last_snap: Any = None
        self.last_col_seq: int | None = None
        self.last_trade: Any = None
        self.last_msgs = 0
        self.last_msgs_t = time.monotonic()
        self.last_reset = 0.0


class Bridge(QObject):
    columns_ready = Signal(str, object)        # name, tuple[HeatColumn, ...] new since the last tick
    history_reset = Signal(str, object)        # name, HeatmapHistoryView: redraw all (after a gap)
    trades_ready = Signal(str, object)         # name, tuple[Trade, ...] new since last tick
    best_changed = Signal(str, object, object)  # name, best bid ticks | None, best ask ticks | None
    snapshot_ready = Signal(str, object)       # name, InstrumentSnapshot (4 Hz, for headers)
    vix_changed = Signal(float, str, float)    # value, regime, size multiplier
    patterns_ready = Signal(str, object)       # name, list[PatternEvent]
    signals_ready = Signal(object)             # list[Signal], already journaled
    outcome_changed = Signal(str, str, object)  # signal id, outcome, pnl USD | None
    status_changed = Signal(str, object)       # name, SourceStatus
    stats_changed = Signal(str, float, object)  # name, messages/s, data age s | None
    journal_failed = Signal(str)               # text: the journal could not be written

    def __init__(self, journal: Any = None, alert: Any = None, parent: QObject | None = None, *,
                 fast_hz: float = 30.0, slow_hz: float = 4.0) -> None:
        super().__init__(parent)
        self.journal = journal
        self.alert = alert
        self._tracked: dict[str, _Tracked] = {}
        self._vix: tuple[float, str] | None = None
        self.signals_seen = 0
        self.column_gaps = 0
        self.fast = QTimer(self)
        self.fast.setInterval(max(1, round(1000 / fast_hz)))
        self.fast.timeout.connect(self.tick_fast)
        self.slow = QTimer(self)
        self.slow.setInterval(max(1, round(1000 / slow_hz)))
        self.slow.timeout.connect(self.tick_slow)
        self.on_signal_hook: Callable[[TradeSignal], None] | None = None

    # -- instances ----------------------------------------------------------------------------
    def add(self, runner: Any) -> None:
        self._tracked[runner.name] = _Tracked(runner)

    def remove(self, name: str) -> Any:
        """Forget an instance (after draining what it already produced). Returns its runner."""
        t = self._tracked.get(name)
        if t is None:
            return None
        self._drain(t)
        del self._tracked[name]
        return t.runner

    def runner(self, name: str) -> Any:
        return self._tracked[name].runner

    @property
    def names(self) -> list[str]:
        return list(self._tracked)

    def start(self) -> None:
        self.fast.start()
        self.slow.start()

    def stop(self) -> None:
        self.fast.stop()
        self.slow.stop()
        for t in self._tracked.values():   # whatever the workers produced is journaled, not lost
            self._drain(t)

    # -- fast path: snapshots -------------------------------------------------------------------
    def tick_fast(self) -> None:
        for name, t in self._tracked.items():
            snap = getattr(t.runner.worker, "snapshot", None)
            if snap is None or snap is t.last_snap:
                continue
            prev, t.last_snap = t.last_snap, snap
            self._columns(name, t, snap)
            self._trades(name, t, snap)
            if prev is None or (prev.best_bid, prev.best_ask) != (snap.best_bid, snap.best_ask):
                self.best_changed.emit(name, snap.best_bid, snap.best_ask)
            if snap.vix is not None:
                regime = snap.vix_regime or ""
                if self._vix != (snap.vix, regime):
                    self._vix = (snap.vix, regime)
                    self.vix_changed.emit(float(snap.vix), regime, regime_multiplier(regime))

    def _columns(self, name: str, t: _Tracked, snap: Any) -> None:
        cols = snap.columns   # a bounded window of the newest columns, numbered: dedupe by seq
        if not cols:
            return
        last = t.last_col_seq
        if last is not None and cols[-1].seq <= last:
            return   # same columns as before (the snapshot changed for another reason)
        if last is not None and cols[0].seq > last + 1:
            # the worker made more columns than its window holds between two of our ticks (only a
            # max-speed replay does): redraw from its full history copy, at most once a second;
            # in between the view gets what is there and counts the gap in its own stats
            self.column_gaps += 1
            now = time.monotonic()
            copy = getattr(t.runner.worker, "history_copy", None)
            if copy is not None and now - t.last_reset >= 1.0:
                t.last_reset = now
                view = copy()
                t.last_col_seq = max(cols[-1].seq, int(view.first_seq) + len(view) - 1)
                self.history_reset.emit(name, view)
                return
        fresh = cols if last is None else tuple(c for c in cols if c.seq > last)
        t.last_col_seq = cols[-1].seq
        if fresh:
            self.columns_ready.emit(name, fresh)

    def _trades(self, name: str, t: _Tracked, snap: Any) -> None:
        trades = snap.trades
        if not trades:
            return
        start = 0
        if t.last_trade is not None:
            for i in range(len(trades) - 1, -1, -1):   # the bounded tuple overlaps the last one seen
                if trades[i] is t.last_trade:
                    start = i + 1
                    break
        t.last_trade = trades[-1]
        if start < len(trades):
            self.trades_ready.emit(name, trades[start:])

    # -- slow path: signals, statuses, stats ------------------------------------------------------
    def tick_slow(self) -> None:
        now = time.monotonic()
        now_us = time.time_ns() // 1000
        for name, t in self._tracked.items():
            self._drain(t)
            st = t.runner.statuses
            while True:
                try:
                    status = st.get_nowait()
                except queue.Empty:
                    break
                self.status_changed.emit(name, status)
            msgs = t.runner.messages
            dt = max(1e-3, now - t.last_msgs_t)
            rate = (msgs - t.last_msgs) / dt
            t.last_msgs, t.last_msgs_t = msgs, now
            snap = t.last_snap
            age = None
            if snap is not None and snap.recv_us:
                age = max(0.0, (now_us - snap.recv_us) / 1e6)
            self.stats_changed.emit(name, rate, age)
            if snap is not None:
                self.snapshot_ready.emit(name, snap)

    def _drain(self, t: _Tracked) -> None:
        out = getattr(t.runner.worker, "output", None)
        if out is None:
            return
        signals: list[TradeSignal] = []
        patterns: list[PatternEvent] = []
        outcomes: list[Any] = []
        for _ in range(MAX_DRAIN):
            try:
                item = out.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, TradeSignal):
                signals.append(item)
            elif isinstance(item, PatternEvent):
                patterns.append(item)
            elif hasattr(item, "outcome") and hasattr(item, "signal_id"):
                outcomes.append(item)
        if patterns:
            self.patterns_ready.emit(t.runner.name, patterns)
        if signals:
            self._deliver(signals)
        for item in outcomes:          # after the signals: an outcome updates a journaled row
            self._outcome(item)

    def _outcome(self, item: Any) -> None:
        pnl = getattr(item, "pnl_usd", None)
        if self.journal is not None:
            try:
                self.journal.set_outcome(item.signal_id, item.outcome, float(pnl or 0.0))
            except Exception as exc:
                self.journal_failed.emit(f"journal: paper outcome not saved: {exc}")
        self.outcome_changed.emit(item.signal_id, item.outcome, pnl)

    def _journal(self, signals: list[TradeSignal]) -> None:
        """The whole batch in one durable transaction; one by one if the batch is refused."""
        j = self.journal
        if j is None:
            return
        many = getattr(j, "append_many", None)
        if many is not None and len(signals) > 1:
            try:
                many(signals)
                return
            except Exception:
                log.exception("journal batch failed; appending one by one")
        for sig in signals:
            try:
                j.append(sig)
            except Exception as exc:
                log.exception("journal append failed")
                self.journal_failed.emit(f"journal: signal not saved: {exc}")

    def _deliver(self, signals: list[TradeSignal]) -> None:
        self._journal(signals)          # durable before anything can sound
        for sig in signals:
            if self.alert is not None:
                try:
                    self.alert.alert(sig)
                except Exception:
                    log.exception("alert failed")
            if self.on_signal_hook is not None:
                self.on_signal_hook(sig)
        self.signals_seen += len(signals)
        self.signals_ready.emit(signals)
