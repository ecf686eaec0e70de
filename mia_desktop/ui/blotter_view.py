"""The blotter widget: filter bar + table over `BlotterModel`.

How this works: new rows arrive at the bottom. Just before the proxy inserts rows we note whether
the newest row is in view (the vertical scroll bar at its maximum); after the insert we scroll to
the bottom only if it was — a trader reading an older row is never yanked away. A click on a row
emits `signal_clicked(Signal)`; the main window opens the details dialog from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mia_desktop.analysis.types import Signal as TradeSignal
from mia_desktop.ui.blotter_model import COL, BlotterFilter, BlotterModel, export_csv


class BlotterView(QWidget):
    signal_clicked = Signal(object)   # analysis.types.Signal
    exported = Signal(str, int)       # path, rows

    def __init__(self, model: BlotterModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model or BlotterModel(self)
        self.proxy = BlotterFilter(self)
        self.proxy.setSourceModel(self.model)

        self.instrument_box = self._combo("Instrument", [("All", "")])
        self.tier_box = self._combo("Tier", [("All", ""), ("Elite", "elite"), ("Strong", "strong"),
                                             ("Watch", "watch")])
        self.direction_box = self._combo("Direction", [("All", ""), ("Long", "long"), ("Short", "short")])
        self.count_label = QLabel("0 signals")
        self.count_label.setObjectName("blotterCount")

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for text, box in (("Instrument", self.instrument_box), ("Tier", self.tier_box),
                          ("Direction", self.direction_box)):
            bar.addWidget(QLabel(text))
            bar.addWidget(box)
        bar.addStretch(1)
        bar.addWidget(self.count_label)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        widths = {"Time": 72, "Instr": 52, "Dir": 52, "Tier": 56, "Score": 52, "Patterns": 230,
                  "VIX regime": 82, "Qty": 40, "Entry": 76, "Stop": 76, "Target": 76, "Paper outcome": 110}
        for name, w in widths.items():
            self.table.setColumnWidth(COL[name], w)
        self.table.setColumnWidth(COL["Risk"], 120)
        header.setSectionResizeMode(COL["Patterns"], QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._on_clicked)
        self.table.activated.connect(self._on_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self._follow_pending = False
        self.proxy.rowsAboutToBeInserted.connect(self._before_insert)
        self.proxy.rowsInserted.connect(self._after_insert)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._known_instruments: set[str] = set()

    def _combo(self, name: str, items: list[tuple[str, str]]) -> QComboBox:
        box = QComboBox(self)
        box.setObjectName(f"filter{name}")
        for text, value in items:
            box.addItem(text, value)
        box.currentIndexChanged.connect(self._apply_filters)
        return box

    # -- filters ------------------------------------------------------------------------------
    def _apply_filters(self) -> None:
        self.proxy.set_filters(instrument=self.instrument_box.currentData() or "",
                               tier=self.tier_box.currentData() or "",
                               direction=self.direction_box.currentData() or "")
        self._update_count()

    def set_filters(self, *, instrument: str | None = None, tier: str | None = None,
                    direction: str | None = None) -> None:
        """Programmatic filter change (also moves the combo boxes)."""
        if instrument:
            self.add_instruments([instrument])
        for box, value in ((self.instrument_box, instrument), (self.tier_box, tier),
                           (self.direction_box, direction)):
            if value is not None:
                i = box.findData(value)
                if i < 0:
                    raise ValueError(f"unknown filter value {value!r}")
                box.setCurrentIndex(i)
        self._apply_filters()

    def add_instruments(self, names: list[str]) -> None:
        for n in names:
            if n and n not in self._known_instruments:
                self._known_instruments.add(n)
                self.instrument_box.addItem(n, n)

    # -- feeding and auto-scroll ----------------------------------------------------------------
    def add_signals(self, signals: list[TradeSignal]) -> int:
        self.add_instruments(sorted({s.instrument for s in signals}))
        return self.model.add_signals(signals)

    def load_history(self, records: list[Any]) -> int:
        """The journal's history (oldest first): rows with their paper outcomes, filters updated."""
        self.add_instruments(sorted({r.signal.instrument for r in records}))
        n = self.model.load_history(records)
        self.table.scrollToBottom()
        return n

    def newest_in_view(self) -> bool:
        sb = self.table.verticalScrollBar()
        return sb.value() >= sb.maximum() - 2

    def _before_insert(self, *_: object) -> None:
        self._follow_pending = self.newest_in_view()

    def _after_insert(self, *_: object) -> None:
        self._update_count()
        if self._follow_pending:
            self._follow_pending = False
            # scroll after the view has laid out the new rows (the range is updated lazily)
            self.table.scrollToBottom()
            QTimer.singleShot(0, self.table, self.table.scrollToBottom)

    def _update_count(self, *_: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(f"{total} signals" if shown == total else f"{shown} of {total} signals")

    # -- clicks and export ----------------------------------------------------------------------
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.signal_clicked.emit(self.proxy.signal_at(index.row()))

    def export_csv(self, path: Path | str) -> int:
        n = export_csv(self.proxy, path)
        self.exported.emit(str(path), n)
        return n

    def export_dialog(self) -> QFileDialog:
        """Ask for a file (non-modal `open()`), then export the visible rows to it."""
        dlg = QFileDialog(self, "Export signals to CSV", str(Path.home() / "mia-signals.csv"),
                          "CSV files (*.csv)")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix("csv")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.export_csv)
        dlg.open()
        return dlg
