"""The main window: heatmaps side by side, the VIX gauge, the blotter, the status bar, menus.

How this works: the window only lays out widgets and turns user intent into Qt signals
(`settings_requested`, `mute_toggled`, `follow_toggled`, `export_requested`, `closing`); the app
controller and the bridge do the work. `set_instances` builds one pane (header + heatmap) per
instance. The heatmap and gauge come from their owners' modules; if one cannot be imported the pane
shows a labelled placeholder instead of failing to start. A click on a blotter row opens the one
reusable, non-modal details dialog, filled by `details_provider` (the bridge cuts the heatmap
around the signal from the worker's history).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mia_desktop.__version__ import __version__
from mia_desktop.analysis.types import Signal as TradeSignal
from mia_desktop.ui import theme
from mia_desktop.ui.blotter_model import row_key
from mia_desktop.ui.blotter_view import BlotterView
from mia_desktop.ui.details_dialog import DetailsDialog, HeatPatch
from mia_desktop.ui.status_panel import StatusPanel

log = logging.getLogger(__name__)

DEMO_SUFFIX = "DEMO (simulated market)"


def window_title(demo: bool) -> str:
    base = f"MIA Desktop {__version__}"
    return f"{base} — {DEMO_SUFFIX}" if demo else base


class Placeholder(QLabel):
    """Stands in for a view that could not be created; accepts (and ignores) the same calls."""

    renderer_name = "none"

    def __init__(self, what: str, why: str = "") -> None:
        super().__init__(f"{what} unavailable" + (f"\n{why}" if why else ""))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(f"color: {theme.TEXT_DIM}; background: {theme.BG};")
        self.setMinimumSize(200, 150)

    def __getattr__(self, name: str) -> Callable[..., None]:
        # any view method (add_columns, set_reading, …) is a no-op on the placeholder
        return lambda *a, **k: None


_SHORT_WORDS = {"regime": "reg", "change": "chg", "absorption": "absorb", "battle_navale": "BN",
                "spoofing": "spoof", "exhaustion": "exhaust"}


def _short(pattern: str) -> str:
    """A tape-width pattern label (vix_regime_change -> vix_reg_chg); the tooltip has the full name."""
    for long_word, short in _SHORT_WORDS.items():
        pattern = pattern.replace(long_word, short)
    return pattern


def make_heatmap(settings: Any = None, renderer: str | None = None, instrument: Any = None) -> QWidget:
    try:
        from mia_desktop.ui.heatmap.view import HeatmapView
    except ImportError as exc:
        log.warning("heatmap view not available: %s", exc)
        return Placeholder("Heatmap", str(exc))
    try:
        return _construct(HeatmapView, instrument=instrument, settings=settings, renderer=renderer)
    except Exception as exc:  # a broken GPU driver must not stop the app: say so, keep running
        log.exception("heatmap view failed to start")
        return Placeholder("Heatmap", f"{type(exc).__name__}: {exc}")


def _construct(cls: Any, **kwargs: Any) -> QWidget:
    """Call cls with the keyword arguments it accepts (the views' constructors are theirs to shape)."""
    import inspect

    params = inspect.signature(cls).parameters
    accepted = {k: v for k, v in kwargs.items() if k in params and v is not None}
    w: QWidget = cls(**accepted)
    return w


def make_gauge() -> QWidget:
    try:
        from mia_desktop.ui.vix_gauge import VixGauge
    except ImportError as exc:
        log.warning("VIX gauge not available: %s", exc)
        return Placeholder("VIX gauge", str(exc))
    return VixGauge()


class InstancePane(QWidget):
    """One instance: a one-line header (name, bid/ask, profile, source) above its heatmap."""

    def __init__(self, name: str, heatmap: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.heatmap = heatmap
        self.header = QLabel(name)
        self.header.setObjectName(f"paneHeader_{name}")
        self.header.setFont(theme.tabular_font(10, bold=True))
        self.header.setStyleSheet(f"color: {theme.TEXT}; background: {theme.PANEL}; padding: 3px 6px;")
        # a long header must never widen the window: it is clipped instead
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(0)
        self.box.addWidget(self.header)
        self.box.addWidget(heatmap, 1)


class MainWindow(QMainWindow):
    settings_requested = Signal()
    export_requested = Signal()
    mute_toggled = Signal(bool)
    follow_toggled = Signal(bool)
    closing = Signal()

    def __init__(self, *, demo: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.demo = demo
        self.setWindowTitle(window_title(demo))
        self.resize(1600, 1000)
        self.details_provider: Callable[[TradeSignal], HeatPatch | QImage | None] | None = None
        self.heatmap_factory: Callable[[str], QWidget] = lambda name: make_heatmap()
        self.panes: dict[str, InstancePane] = {}
        self._details: DetailsDialog | None = None

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet(f"QFrame#banner {{ background: #3a2a00; border-bottom: 1px solid "
                                  f"{theme.WARN}; }} QLabel {{ color: {theme.WARN}; }}")
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.banner.hide)
        bl = QHBoxLayout(self.banner)
        bl.setContentsMargins(8, 4, 8, 4)
        bl.addWidget(self.banner_label, 1)
        bl.addWidget(close)
        self.banner.hide()

        self.heat_split = QSplitter(Qt.Orientation.Horizontal)
        self.heat_split.setChildrenCollapsible(False)
        self.gauge = make_gauge()
        self.gauge.setMinimumWidth(240)
        side = QWidget()
        side_l = QVBoxLayout(side)
        side_l.setContentsMargins(4, 4, 4, 4)
        self.gauge.setMinimumHeight(230)
        self.gauge.setMaximumHeight(300)
        side_l.addWidget(self.gauge)
        tape_title = QLabel("Pattern tape")
        tape_title.setStyleSheet(f"color: {theme.TEXT_DIM}; padding-top: 6px;")
        side_l.addWidget(tape_title)
        self.tape = QListWidget()
        self.tape.setObjectName("patternTape")
        self.tape.setFont(theme.tabular_font(8.5))
        self.tape.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.tape.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tape.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tape.setTextElideMode(Qt.TextElideMode.ElideRight)
        side_l.addWidget(self.tape, 1)
        side.setMinimumWidth(260)
        side.setMaximumWidth(320)

        self.top_split = QSplitter(Qt.Orientation.Horizontal)
        self.top_split.addWidget(self.heat_split)
        self.top_split.addWidget(side)
        self.top_split.setStretchFactor(0, 1)
        self.top_split.setStretchFactor(1, 0)

        self.blotter = BlotterView()
        self.blotter.signal_clicked.connect(self.open_details)
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(self.top_split)
        self.main_split.addWidget(self.blotter)
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([660, 300])

        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.banner)
        cl.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        self.status = StatusPanel()
        self.statusBar().addPermanentWidget(self.status, 1)
        self.status.set_demo(demo)
        self._build_actions()

    # -- menus and shortcuts --------------------------------------------------------------------
    def _action(self, text: str, shortcut: QKeySequence | str | None, slot: Callable[..., Any],
                checkable: bool = False, checked: bool = False) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(checkable)
        if checkable:
            act.setChecked(checked)
            act.toggled.connect(slot)
        else:
            act.triggered.connect(slot)
        self.addAction(act)   # shortcuts work even with the menu bar hidden
        return act

    def _build_actions(self) -> None:
        self.act_settings = self._action("&Settings…", "Ctrl+,", self.settings_requested.emit)
        self.act_export = self._action("&Export signals to CSV…", "Ctrl+E", self.export_requested.emit)
        self.act_quit = self._action("&Quit", "Ctrl+Q", self.close)
        self.act_mute = self._action("&Mute alerts", "Ctrl+M", self.mute_toggled.emit, checkable=True)
        self.act_follow = self._action("&Follow price", "F", self.follow_toggled.emit, checkable=True,
                                       checked=True)
        self.act_about = self._action("&About MIA Desktop", "F1", self.show_about)
        mb = self.menuBar()
        m_file = mb.addMenu("&File")
        for a in (self.act_export, self.act_settings):
            m_file.addAction(a)
        m_file.addSeparator()
        m_file.addAction(self.act_quit)
        m_view = mb.addMenu("&View")
        m_view.addAction(self.act_follow)
        m_view.addAction(self.act_mute)
        m_help = mb.addMenu("&Help")
        m_help.addAction(self.act_about)
        self.export_requested.connect(self.blotter.export_dialog)

    def show_about(self) -> None:
        try:
            from mia_desktop.ui.about import show_about
        except ImportError:
            from PySide6.QtWidgets import QMessageBox

            box = QMessageBox(QMessageBox.Icon.Information, "About MIA Desktop",
                              f"MIA Desktop {__version__}\nOrder-flow companion for Sierra Chart. "
                              "It never sends orders.", QMessageBox.StandardButton.Ok, self)
            box.open()
            return
        show_about(self)

    # -- instances -----------------------------------------------------------------------------
    def set_instances(self, names: list[str]) -> None:
        """One pane per instance, in order; panes of removed instances are deleted."""
        for name in list(self.panes):
            if name not in names:
                pane = self.panes.pop(name)
                pane.setParent(None)
                pane.deleteLater()
        for name in names:
            if name not in self.panes:
                pane = InstancePane(name, self.heatmap_factory(name))
                self.panes[name] = pane
                self.heat_split.addWidget(pane)
        for i, name in enumerate(names):
            self.heat_split.insertWidget(i, self.panes[name])
        self.blotter.add_instruments(names)
        self.status.set_instances(names)

    def replace_heatmap(self, name: str) -> QWidget:
        """A fresh heatmap for a restarted instance (its old history belongs to the old worker)."""
        pane = self.panes[name]
        new = self.heatmap_factory(name)
        pane.box.replaceWidget(pane.heatmap, new)
        pane.heatmap.deleteLater()
        pane.heatmap = new
        return new

    def heatmap(self, name: str) -> QWidget:
        return self.panes[name].heatmap

    def set_header(self, name: str, text: str) -> None:
        pane = self.panes.get(name)
        if pane is not None and pane.header.text() != text:
            pane.header.setText(text)

    def add_patterns(self, events: list[Any], max_items: int = 300) -> None:
        """Newest pattern events on top of the tape (bounded), coloured by direction."""
        from datetime import datetime

        for ev in events[-max_items:]:
            when = datetime.fromtimestamp(ev.ts_us / 1e6).strftime("%H:%M:%S")
            arrow = {"long": "▲", "short": "▼"}.get(ev.direction, "•")
            # price before the (long) pattern name: if the narrow tape elides, it cuts the name, and
            # the tooltip always carries the whole line
            full = f"{when} {ev.instrument} {arrow} {ev.pattern} @ {ev.price:.2f}"
            item = QListWidgetItem(f"{when} {ev.instrument:<3} {arrow} {ev.price:.2f} {_short(ev.pattern)}")
            item.setForeground(theme.qcolor(theme.LONG if ev.direction == "long" else
                                            theme.SHORT if ev.direction == "short" else theme.NEUTRAL))
            item.setToolTip(f"{full}\n{ev.family}/{ev.pattern} strength {ev.strength:.2f} "
                            f"confidence {ev.confidence:.2f}\n" +
                            ", ".join(f"{k}={v}" for k, v in ev.evidence.items()))
            self.tape.insertItem(0, item)
        while self.tape.count() > max_items:
            self.tape.takeItem(self.tape.count() - 1)

    # -- messages ------------------------------------------------------------------------------
    def show_banner(self, text: str) -> None:
        self.banner_label.setText(text)
        self.banner.show()

    def flash_status(self, text: str, ms: int = 4000, level: str = "info") -> None:
        # the status panel fills the bar (a permanent widget), so messages go to its own label
        self.status.show_message(text, ms, level)

    # -- details -------------------------------------------------------------------------------
    def open_details(self, sig: TradeSignal) -> DetailsDialog:
        if self._details is None:
            self._details = DetailsDialog(self)
        heat = None
        if self.details_provider is not None:
            try:
                heat = self.details_provider(sig)
            except Exception:   # a missing snapshot must not stop the dialog from opening
                log.exception("heatmap snapshot for details failed")
        self._details.show_signal(sig, self.blotter.model.outcome_of(row_key(sig)), heat)
        self._details.open()
        return self._details

    @property
    def details(self) -> DetailsDialog | None:
        return self._details

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
