"""HeatmapView: the DOM heatmap widget of one instrument (renderer + price ladder + time axis).

How this works: data calls (`add_columns`, `add_trades`, `set_best`, `add_marker`) only write
into the numpy `HeatStore` and bump its version — they never paint. A QTimer (<= 60 Hz) checks
whether anything changed (data, view window, settings); if so it builds one `Frame` (visible
window, normalisation, overlays) and hands it to the renderer, else it counts a skipped frame.
The renderer is the OpenGL one when `gl_probe` finds a 3.3 context (or settings force "gpu"),
else pyqtgraph's CPU path; a GPU renderer that fails at start-up falls back to CPU by itself.
Mouse: wheel zooms time (Ctrl/Shift + wheel: price), drag pans, double-click resets.
Keys: +/- zoom time, PgUp/PgDn zoom price, arrows pan, F follow on/off, Home reset.
"""

from __future__ import annotations

import atexit
import time
import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton, QWidget

from mia_desktop.engine.snapshot import HeatColumn
from mia_desktop.market.events import Side, Trade
from mia_desktop.market.instrument import Instrument
from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.colormaps import DEFAULT_COLORMAP, colormap_lut
from mia_desktop.ui.heatmap.cpu_renderer import CpuRenderer
from mia_desktop.ui.heatmap.frame import Frame, build_frame
from mia_desktop.ui.heatmap.gl_probe import is_software, probe
from mia_desktop.ui.heatmap.ladder_axis import PriceLadderAxis, TimeAxis
from mia_desktop.ui.heatmap.navigation import NavigationMixin
from mia_desktop.ui.heatmap.scale import ScaleError, ScaleParams
from mia_desktop.ui.heatmap.snapshot import render_region
from mia_desktop.ui.heatmap.store import HeatStore, Marker
from mia_desktop.ui.heatmap.viewport import ViewState

_LIVE_VIEWS: weakref.WeakSet[HeatmapView] = weakref.WeakSet()


@atexit.register
def _shutdown_all() -> None:
    """Free GL widgets before interpreter teardown destroys windows in arbitrary order."""
    for v in list(_LIVE_VIEWS):
        if shiboken6.isValid(v):
            v.shutdown()


def grab_window(window: QWidget) -> QImage:
    """`window.grab()` with every GPU heatmap inside repainted from its own framebuffer.

    QWidget.grab() redirects QPainter, which drops what a QOpenGLWidget paints with QPainter in
    paintGL (trades, best lines, markers); screenshots of a window holding GPU heatmaps should
    use this instead.
    """
    img = window.grab().toImage()
    views = [v for v in window.findChildren(HeatmapView) if v.isVisible()]
    if not views:
        return img
    p = QPainter(img)
    for v in views:
        w = v.renderer.widget
        if hasattr(w, "grabFramebuffer") and w.isVisible():
            top_left = w.mapTo(window, QPoint(0, 0))
            p.drawImage(QRectF(top_left.x(), top_left.y(), w.width(), w.height()), w.grabFramebuffer())
    p.end()
    return img


class HeatmapView(NavigationMixin, QWidget):
    renderer_changed = Signal(str)
    follow_changed = Signal(bool)
    history_gap = Signal()      # HeatColumn.seq jumped: fetch worker.history_copy() -> load_history_view

    def __init__(self, instrument: Instrument | None = None, settings: object | None = None,
                 parent: QWidget | None = None, *, rows: int = 1024, capacity: int | None = None,
                 fps: int = 60, renderer: str | None = None) -> None:
        super().__init__(parent)
        self.instrument = instrument
        self.tick_size = instrument.tick_size if instrument is not None else 0.25
        self.column_ms = int(getattr(settings, "column_ms", 100) or 100)
        minutes = float(getattr(settings, "history_minutes", 60) or 60)
        cap = capacity or max(int(minutes * 60_000 / self.column_ms), 600)
        self.store = HeatStore(cap, rows)
        self.view = ViewState(max_cols=float(cap), max_ticks=float(rows))
        self.params = ScaleParams()
        self.colormap = DEFAULT_COLORMAP
        self.lut = colormap_lut(self.colormap)
        self.renderer_request = "auto"
        self.renderer_note = ""
        self.frames_rendered = 0
        self.frames_skipped = 0
        self.last_frame: Frame | None = None
        self._seen_version = -1
        self._dirty = True
        self._started = False
        self._drag: QPointF | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 160)
        self.setAutoFillBackground(True)
        self.setPalette(theme.dark_palette())

        self.ladder = PriceLadderAxis(self.tick_size, self)
        self.time_axis = TimeAxis(self)
        self.time_axis.ts_for_g = self.store.ts_for_g
        self.follow_button = QToolButton(self)
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Auto-follow price (F); Home resets the view")
        self.follow_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.follow_button.toggled.connect(self.set_follow)
        self.readout = QLabel(self)
        self.readout.setFont(theme.tabular_font(8.5))
        self.readout.setStyleSheet(f"color: {theme.TEXT}; background: rgba(18, 23, 34, 210); "
                                   f"border: 1px solid {theme.BORDER}; padding: 2px 6px;")
        self.readout.move(6, 6)
        self.readout.hide()
        self.empty_label = QLabel("Waiting for market data…", self)
        self.empty_label.setStyleSheet(f"color: {theme.TEXT_DIM}; background: transparent;")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(0)
        self._grid.addWidget(self.ladder, 0, 1)
        self._grid.addWidget(self.time_axis, 1, 0)
        self._grid.addWidget(self.follow_button, 1, 1)
        self._grid.setColumnStretch(0, 1)
        self._grid.setRowStretch(0, 1)
        self.renderer: Any = None
        if settings is not None:
            self.set_settings(settings)
        self._install_renderer(renderer or self.renderer_request)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(max(int(1000 / max(min(fps, 60), 1)), 16))
        self.timer.timeout.connect(self._on_timer)
        self.timer.start()
        self._shut = False
        _LIVE_VIEWS.add(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- public API -----------------------------------------------------------------------
    @property
    def renderer_name(self) -> str:
        return str(self.renderer.name)

    @property
    def follow(self) -> bool:
        return self.view.follow

    def add_columns(self, cols: Iterable[object]) -> int:
        gaps = self.store.counters.seq_gaps
        n = self.store.add_columns(cols)
        if self.store.counters.seq_gaps != gaps:
            self.history_gap.emit()
        if n and not self._started:
            self._started = True
            self.view.reset(self.store.newest_g, self.store.mid_tick(), self.store.count)
        return n

    def load_history(self, cols: Iterable[object]) -> int:
        """Replace everything with a full history (after a gap in HeatColumn.seq)."""
        trades_markers = list(self.store.markers)
        self.store.reset()   # trades go too: they are re-sent with the history
        self._started = False
        n = self.add_columns(cols)
        for m in trades_markers:
            self.store.add_marker(m)
        return n

    def load_history_view(self, hv: Any) -> int:
        """Replace everything with a worker's full history copy (market.heatmap.HeatmapHistoryView):
        its columns, and its per-column traded volume as one bubble per price and side."""
        n = len(hv)
        empty = np.zeros(0, np.float32)
        none = np.iinfo(np.int64).min

        def cols() -> Iterable[HeatColumn]:
            for j in range(n):
                bb, ba = int(hv.best_bid[j]), int(hv.best_ask[j])
                yield HeatColumn(int(hv.first_seq) + j, int(hv.ts_end[j]), int(hv.base[j]),
                                 np.asarray(hv.bid[j], np.float32), np.asarray(hv.ask[j], np.float32),
                                 empty, empty, None if bb == none else bb, None if ba == none else ba)

        added = self.load_history(cols())
        trades = []
        for c, tick, buy, sell in zip(hv.trade_col, hv.trade_tick, hv.trade_buy, hv.trade_sell, strict=True):
            ts = int(hv.ts_end[int(c)]) - 1
            if buy > 0:
                trades.append(Trade("", ts, int(tick), max(1, round(float(buy))), Side.ASK))
            if sell > 0:
                trades.append(Trade("", ts, int(tick), max(1, round(float(sell))), Side.BID))
        self.store.add_trades(trades)
        return added

    def add_trades(self, trades: Iterable[object]) -> int:
        return self.store.add_trades(trades)

    def set_best(self, bid: int | None, ask: int | None) -> None:
        self.store.set_best(bid, ask)

    def add_marker(self, ts_us: int, price_ticks: int, direction: str, elite: bool = False,
                   label: str = "") -> None:
        self.store.add_marker(Marker(int(ts_us), int(price_ticks), str(direction), bool(elite), label))

    def set_settings(self, s: object) -> None:
        """Duck-typed HeatmapSettings: colormap, scale, low_cut, high_cut, contrast, renderer,
        history_minutes, auto_follow. Invalid values keep the previous ones (reported in
        `settings_error`)."""
        self.settings_error = ""
        try:
            self.params = ScaleParams.from_settings(s)
        except (ScaleError, TypeError, ValueError) as e:
            self.settings_error = str(e)
        name = str(getattr(s, "colormap", self.colormap) or DEFAULT_COLORMAP)
        try:
            self.lut = colormap_lut(name)
            self.colormap = name.lower()
        except KeyError as e:
            self.settings_error = str(e)
        follow = getattr(s, "auto_follow", None)
        if follow is not None:
            self.set_follow(bool(follow))
        minutes = getattr(s, "history_minutes", None)
        if minutes:
            cap = max(int(float(minutes) * 60_000 / self.column_ms), 600)
            if cap != self.store.capacity:
                self._resize_history(cap)
        req = str(getattr(s, "renderer", "auto") or "auto").lower()
        if req != self.renderer_request:
            self.renderer_request = req
            if self.renderer is not None:
                self._install_renderer(req)
        self._dirty = True

    def set_follow(self, on: bool) -> None:
        if self.view.follow != on:
            self.view.follow = on
            if on:
                self.view.follow_to(self.store.newest_g, self.store.mid_tick(), self.store.count)
            self._dirty = True
            self.follow_changed.emit(on)
        if self.follow_button.isChecked() != on:
            self.follow_button.setChecked(on)

    def reset_view(self) -> None:
        self.view.reset(self.store.newest_g, self.store.mid_tick(), self.store.count)
        self.set_follow(True)
        self._dirty = True

    def zoom_time(self, factor: float, anchor: float | None = None) -> None:
        self.view.zoom_time(factor, anchor)
        self._dirty = True

    def zoom_price(self, factor: float, anchor: float | None = None) -> None:
        self.view.zoom_price(factor, anchor)
        self._dirty = True

    def pan_time(self, dcols: float) -> None:
        was = self.view.follow
        self.view.pan_time(dcols)
        if was and not self.view.follow:
            self.set_follow(False)
        self._dirty = True

    def pan_price(self, dticks: float) -> None:
        self.view.pan_price(dticks)
        self._dirty = True

    def view_range(self) -> tuple[float, float, float, float]:
        return self.view.as_tuple()

    def stats(self) -> dict[str, object]:
        c = self.store.counters
        return {"renderer": self.renderer_name, "frames_rendered": self.frames_rendered,
                "frames_skipped": self.frames_skipped, "columns": c.columns, "trades": c.trades,
                "rejected_columns": c.rejected_columns, "out_of_order": c.out_of_order,
                "seq_gaps": c.seq_gaps, "reanchors": c.reanchors, "note": self.renderer_note}

    def render_now(self) -> bool:
        """Build and hand over a frame now if anything changed (what the timer does)."""
        return self._tick()

    def render_to_image(self, w: int, h: int) -> QImage:
        """The widget as it looks at w x h (a standalone view is resized; an embedded one scaled)."""
        if self.parentWidget() is None or not self.isVisible():
            self.resize(w, h)
            if self.layout() is not None:
                self.layout().activate()
        self._dirty = True
        self._tick()
        img = self.grab().toImage()
        w_gl = self.renderer.widget
        if hasattr(w_gl, "grabFramebuffer"):
            # QWidget.grab() redirects QPainter, which loses the overlays painted inside paintGL:
            # put the GL widget's own framebuffer (cells + overlays) in its place.
            fb = w_gl.grabFramebuffer()
            p = QPainter(img)
            p.drawImage(QRectF(w_gl.geometry()), fb)
            p.end()
        if (img.width(), img.height()) != (w, h):
            img = img.scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        return img

    def snapshot_region(self, t0_us: int, t1_us: int, w: int = 720, h: int = 360, *,
                        mark_ts_us: int | None = None, price_ticks: int | None = None) -> QImage:
        """A still picture of [t0_us, t1_us] (e.g. the minutes around a signal), CPU-rendered."""
        return render_region(self.store, t0_us, t1_us, w, h, params=self.params, colormap=self.colormap,
                             tick_size=self.tick_size, mark_ts_us=mark_ts_us, price_ticks=price_ticks)

    def resizeEvent(self, ev: Any) -> None:
        super().resizeEvent(ev)
        self._dirty = True          # the next timer frame re-lays overlays for the new size

    def sizeHint(self) -> QSize:
        return QSize(900, 520)

    # ---- frames ---------------------------------------------------------------------------
    def _on_timer(self) -> None:
        if not self.isVisible():        # a hidden tab costs nothing; it catches up when shown
            self.frames_skipped += 1
            return
        self._tick()

    def _tick(self) -> bool:
        if self._shut:
            return False
        if self.store.version == self._seen_version and not self._dirty:
            self.frames_skipped += 1
            return False
        self._seen_version = self.store.version
        self._dirty = False
        if self.view.follow and self.store.count:
            self.view.follow_to(self.store.newest_g, self.store.mid_tick(), self.store.count)
        frame = build_frame(self.store, self.view.as_tuple(), self.params, self.colormap, self.lut,
                            max_trades=int(getattr(self.renderer, "max_trades", 4000)))
        frame.stamp = time.perf_counter()
        self.last_frame = frame
        self.renderer.render_frame(frame)
        empty = self.store.count == 0
        self.ladder.set_blank(empty)
        if empty != self.empty_label.isVisible():
            self.empty_label.setVisible(empty)
        if empty:
            self.empty_label.setGeometry(self.renderer.widget.geometry())
            self.empty_label.raise_()
        self.ladder.set_range(frame.y0, frame.y1)
        self.ladder.set_best(frame.live_bid, frame.live_ask)
        self.time_axis.set_range(frame.x0, frame.x1)
        self.frames_rendered += 1
        return True

    # ---- renderer choice ------------------------------------------------------------------
    def _install_renderer(self, request: str) -> None:
        ok, text = probe()
        want_gpu = request == "gpu" or (request == "auto" and ok and not is_software(text))
        self.renderer_note = ""
        if want_gpu and not ok:
            self.renderer_note = f"GPU renderer requested but unavailable: {text}"
            want_gpu = False
        elif request == "auto" and ok and not want_gpu:
            self.renderer_note = f"software OpenGL ({text}) is slower than the CPU path: using CPU"
        new: Any
        if want_gpu:
            from mia_desktop.ui.heatmap.gl_renderer import GlRenderer  # needs QtOpenGL only here
            new = GlRenderer(self.store, self)
            new.on_failed = self._gl_failed
        else:
            new = CpuRenderer(self.store, self)
        old = self.renderer
        if old is not None:
            self._grid.removeWidget(old.widget)
            old.widget.removeEventFilter(self)
            old.widget.hide()
            old.close()
            if shiboken6.isValid(old.widget):
                old.widget.deleteLater()
        self.renderer = new
        self._grid.addWidget(new.widget, 0, 0)
        new.widget.setFocusProxy(self)
        new.widget.installEventFilter(self)
        new.widget.setMouseTracking(True)
        if hasattr(new.widget, "viewport"):
            new.widget.viewport().installEventFilter(self)
            new.widget.viewport().setMouseTracking(True)
        self.store._full_dirty = True
        self._dirty = True
        self.renderer_changed.emit(self.renderer_name)

    def _gl_failed(self, why: str) -> None:
        note = f"GPU renderer failed ({why}); using CPU"
        QTimer.singleShot(0, lambda: self._fallback_cpu(note))

    def _fallback_cpu(self, note: str) -> None:
        self._install_renderer("cpu")
        self.renderer_note = note

    def _resize_history(self, capacity: int) -> None:
        new = self.store.resized(capacity)
        self.store = new
        self.view.max_cols = float(capacity)
        self.time_axis.ts_for_g = new.ts_for_g
        self._started = new.count > 0
        if new.count:
            self.view.reset(new.newest_g, new.mid_tick(), new.count)
        if self.renderer is not None:
            self._install_renderer(self.renderer_request)

    def shutdown(self) -> None:
        """Stop the frame timer and free the renderer (GL textures, GL widget) now. Final: call
        it when the window closes (also hooked to QApplication.aboutToQuit)."""
        self.timer.stop()
        if self.renderer is not None and not self._shut:
            self._shut = True
            self._grid.removeWidget(self.renderer.widget)
            self.renderer.close()

    def closeEvent(self, ev: Any) -> None:
        self.shutdown()
        super().closeEvent(ev)
