"""The signal blotter's table model, its filter proxy and CSV export.

How this works: `BlotterModel` keeps one `BlotterRow` per signal in arrival order (oldest first,
bounded: the oldest rows are dropped in chunks past `max_rows`, the journal keeps them all). The
bridge appends signals in batches at display rate, so each batch is one `beginInsertRows`. Paper
outcomes arrive later by signal id and only repaint their own cell. `BlotterFilter` hides rows by
instrument, tier and direction; `export_csv` writes what the filter shows, in full precision.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from mia_desktop.analysis.types import Signal
from mia_desktop.market.timeutil import iso_utc
from mia_desktop.ui import theme

COLUMNS = ("Time", "Instr", "Dir", "Tier", "Score", "Patterns", "VIX regime", "Qty", "Entry", "Stop",
           "Target", "Paper outcome", "Risk")
COL = {name: i for i, name in enumerate(COLUMNS)}
NUMERIC = {COL["Score"], COL["Qty"], COL["Entry"], COL["Stop"], COL["Target"]}
SignalRole = int(Qt.ItemDataRole.UserRole) + 1   # the Signal behind a row
SortRole = int(Qt.ItemDataRole.UserRole) + 2

_Index = QModelIndex | QPersistentModelIndex


class colors:
    """What colour means in the app's tables and labels (theme.py's palette, plus row tints)."""

    LONG = theme.LONG
    SHORT = theme.SHORT
    ELITE = theme.ELITE
    ELITE_LONG_BG = "#163a2a"    # elite rows: a tint of their direction, gold bold text on top
    ELITE_SHORT_BG = "#421d25"
    FLASH_BG = "#7a5a00"         # alert flash when there is no audio
    WARN = theme.WARN
    MUTED = theme.TEXT_DIM


@dataclass(slots=True)
class BlotterRow:
    signal: Signal
    outcome: str = "open"       # open / target / stop / session end / …
    pnl_usd: float | None = None


def row_key(sig: Signal) -> str:
    """Same key as the journal's (storage/journal.py signal_key)."""
    return sig.signal_id or f"{sig.instrument}-{sig.ts_us}-{sig.direction}"


def pattern_names(sig: Signal) -> str:
    seen: list[str] = []
    for p in sig.patterns:
        if p.pattern not in seen:
            seen.append(p.pattern)
    return ", ".join(seen)


def outcome_text(row: BlotterRow) -> str:
    if row.pnl_usd is None:
        return row.outcome
    return f"{row.outcome} {row.pnl_usd:+,.0f} $"


def _tabular_font() -> QFont:
    f = QFont()
    f.setFeature(QFont.Tag("tnum"), 1)   # digits of equal width so columns of prices line up
    return f



class BlotterModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None, *, max_rows: int = 20_000) -> None:
        super().__init__(parent)
        self._rows: list[BlotterRow] = []
        self._by_id: dict[str, BlotterRow] = {}
        self.max_rows = max_rows
        self._font = _tabular_font()
        self._bold = _tabular_font()
        self._bold.setBold(True)
        self._flash: set[str] = set()   # signal ids flashing (alert fallback when there is no audio)

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        sig = row.signal
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == SignalRole:
            return sig
        if role == SortRole:
            return self._sort_key(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(row, col)
        if role == Qt.ItemDataRole.BackgroundRole:
            if sig.signal_id in self._flash:
                return QBrush(QColor(colors.FLASH_BG))
            if sig.elite:
                long = sig.direction == "long"
                return QBrush(QColor(colors.ELITE_LONG_BG if long else colors.ELITE_SHORT_BG))
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if sig.elite else self._font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL["Patterns"]:
            return "\n".join(f"{p.family}/{p.pattern} {p.direction} @ {p.price:.2f}" for p in sig.patterns)
        return None

    def _display(self, row: BlotterRow, col: int) -> str:
        sig = row.signal
        if col == 0:
            return datetime.fromtimestamp(sig.ts_us / 1e6).strftime("%H:%M:%S")
        values = (None, sig.instrument, sig.direction.upper(), sig.tier, f"{sig.score * 100:.0f}%",
                  pattern_names(sig), sig.vix_regime, str(sig.contracts), f"{sig.entry:.2f}",
                  f"{sig.stop:.2f}", f"{sig.target:.2f}", outcome_text(row), sig.risk_state)
        return str(values[col])

    def _sort_key(self, row: BlotterRow, col: int) -> Any:
        sig = row.signal
        keyed: dict[int, Any] = {0: sig.ts_us, COL["Score"]: sig.score, COL["Qty"]: sig.contracts,
                                 COL["Entry"]: sig.entry, COL["Stop"]: sig.stop, COL["Target"]: sig.target}
        return keyed.get(col, self._display(row, col))

    def _foreground(self, row: BlotterRow, col: int) -> QBrush | None:
        sig = row.signal
        if col == COL["Dir"]:
            return QBrush(QColor(colors.LONG if sig.direction == "long" else colors.SHORT))
        if col == COL["Tier"] and sig.elite:
            return QBrush(QColor(colors.ELITE))
        if col == COL["Risk"] and sig.risk_state != "ok":
            return QBrush(QColor(colors.WARN))
        if col == COL["Paper outcome"] and row.pnl_usd is not None:
            return QBrush(QColor(colors.LONG if row.pnl_usd >= 0 else colors.SHORT))
        if col == COL["Paper outcome"] and row.outcome == "open":
            return QBrush(QColor(colors.MUTED))
        return None

    # -- feeding ------------------------------------------------------------------------------
    def load_history(self, records: Iterable[Any]) -> int:
        """Append journal records (anything with .signal, .outcome, .pnl_usd), oldest first."""
        recs = list(records)
        n = self.add_signals(r.signal for r in recs)
        for r in recs:
            row = self._by_id.get(row_key(r.signal))
            if row is not None and getattr(r, "outcome", None):
                row.outcome, row.pnl_usd = r.outcome, r.pnl_usd
        if recs:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, len(COLUMNS) - 1))
        return n

    def add_signals(self, signals: Iterable[Signal]) -> int:
        """Append new signals (a repeat of a known signal id is ignored). Returns rows added."""
        fresh: list[BlotterRow] = []
        for sig in signals:
            key = row_key(sig)
            if key in self._by_id:
                continue
            row = BlotterRow(sig)
            self._by_id[key] = row
            fresh.append(row)
        if not fresh:
            return 0
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()
        self._trim()
        return len(fresh)

    def _trim(self) -> None:
        excess = len(self._rows) - self.max_rows
        if excess <= 0:
            return
        excess = max(excess, self.max_rows // 10)  # drop in chunks: one remove per many inserts
        self.beginRemoveRows(QModelIndex(), 0, excess - 1)
        for row in self._rows[:excess]:
            sig = row.signal
            self._by_id.pop(row_key(sig), None)
        del self._rows[:excess]
        self.endRemoveRows()

    def set_outcome(self, signal_id: str, outcome: str, pnl_usd: float | None = None) -> bool:
        row = self._by_id.get(signal_id)
        if row is None:
            return False
        row.outcome, row.pnl_usd = outcome, pnl_usd
        r = self._rows.index(row) if len(self._rows) < 2000 else self._find_row(row)
        idx = self.index(r, COL["Paper outcome"])
        self.dataChanged.emit(idx, idx)
        return True

    def _find_row(self, row: BlotterRow) -> int:
        for i in range(len(self._rows) - 1, -1, -1):   # outcomes settle on recent signals
            if self._rows[i] is row:
                return i
        raise ValueError("row vanished")

    def set_flash(self, signal_id: str, on: bool) -> None:
        if on:
            self._flash.add(signal_id)
        else:
            self._flash.discard(signal_id)
        row = self._by_id.get(signal_id)
        if row is not None:
            r = self._find_row(row)
            self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def row_at(self, r: int) -> BlotterRow:
        return self._rows[r]

    def signal_at(self, r: int) -> Signal:
        return self._rows[r].signal

    def row_of(self, signal_id: str) -> int | None:
        row = self._by_id.get(signal_id)
        return None if row is None else self._find_row(row)

    def outcome_of(self, signal_id: str) -> BlotterRow | None:
        return self._by_id.get(signal_id)

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._by_id.clear()
        self.endResetModel()


class BlotterFilter(QSortFilterProxyModel):
    """Filters by instrument, tier and direction; '' (or None) means any."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._instrument = ""
        self._tier = ""
        self._direction = ""
        self.setSortRole(SortRole)

    def set_filters(self, *, instrument: str | None = None, tier: str | None = None,
                    direction: str | None = None) -> None:
        self.beginFilterChange()
        if instrument is not None:
            self._instrument = instrument
        if tier is not None:
            self._tier = tier
        if direction is not None:
            self._direction = direction
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    @property
    def filters(self) -> tuple[str, str, str]:
        return self._instrument, self._tier, self._direction

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, BlotterModel):
            return True
        sig = model.signal_at(source_row)
        if self._instrument and sig.instrument != self._instrument:
            return False
        if self._tier and sig.tier != self._tier:
            return False
        return not (self._direction and sig.direction != self._direction)

    def signal_at(self, proxy_row: int) -> Signal:
        src = self.mapToSource(self.index(proxy_row, 0))
        model = self.sourceModel()
        assert isinstance(model, BlotterModel)
        return model.signal_at(src.row())


CSV_HEADER = ("time_utc", "id", "instrument", "direction", "tier", "elite", "score", "patterns",
              "vix_regime", "contracts", "entry", "stop", "target", "paper_outcome", "paper_pnl_usd",
              "risk_state")


def export_csv(proxy: QSortFilterProxyModel, path: Path | str) -> int:
    """Write the rows the proxy shows (in its order) to `path`. Returns the number of rows."""
    model = proxy.sourceModel()
    if not isinstance(model, BlotterModel):
        raise TypeError("export_csv needs a proxy over a BlotterModel")
    out = Path(path)
    n = 0
    # newline="" so csv writes \r\n itself on every platform (what Excel expects)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_HEADER)
        for r in range(proxy.rowCount()):
            row = model.row_at(proxy.mapToSource(proxy.index(r, 0)).row())
            s = row.signal
            w.writerow((iso_utc(s.ts_us), s.signal_id, s.instrument, s.direction, s.tier, int(s.elite),
                        f"{s.score:.4f}", " ".join(p.pattern for p in s.patterns), s.vix_regime,
                        s.contracts, s.entry, s.stop, s.target, row.outcome,
                        "" if row.pnl_usd is None else f"{row.pnl_usd:.2f}", s.risk_state))
            n += 1
    return n
