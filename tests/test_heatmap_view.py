"""HeatmapView on the CPU (pyqtgraph) path, offscreen: pixels, overlays, navigation, frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from mia_desktop.market.instrument import BUILTIN
from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.colormaps import colormap_lut
from mia_desktop.ui.heatmap.gl_probe import gl_available, probe
from mia_desktop.ui.heatmap.gl_selftest import PATTERN_VIEW, pattern_view, render_cells
from mia_desktop.ui.heatmap.scale import ScaleParams, color_index, dequantize, quantize
from mia_desktop.ui.heatmap.synthetic import PATTERN_BID, PATTERN_BLOCKS, market_session
from mia_desktop.ui.heatmap.view import HeatmapView


@dataclass
class Settings:
    colormap: str = "bookmap"
    scale: str = "log"
    low_cut: float = 0.0
    high_cut: float = 1.0
    contrast: float = 1.0
    renderer: str = "cpu"
    history_minutes: int = 10
    auto_follow: bool = True
    column_ms: int = 100


def rgb(img: QImage, x: float, y: float) -> tuple[int, int, int]:
    c = img.pixelColor(int(x), int(y))
    return c.red(), c.green(), c.blue()


def cell_xy(img: QImage, col: float, tick: float) -> tuple[float, float]:
    x0, x1, y0, y1 = PATTERN_VIEW
    return (col + 0.5 - x0) / (x1 - x0) * img.width(), img.height() - (tick - y0) / (y1 - y0) * img.height()


def close(a: tuple[int, int, int], b: tuple[int, int, int], tol: int = 8) -> bool:
    return max(abs(int(i) - int(j)) for i, j in zip(a, b, strict=True)) <= tol


@pytest.fixture
def view(qtbot):  # type: ignore[no-untyped-def]
    v = HeatmapView(BUILTIN["ES"], Settings(), capacity=6000, rows=512)
    qtbot.addWidget(v)
    yield v
    v.shutdown()


def test_offscreen_has_no_gl_and_cpu_is_chosen(qtbot) -> None:  # type: ignore[no-untyped-def]
    assert gl_available() is False
    assert "offscreen" in probe()[1]
    v = HeatmapView(BUILTIN["ES"], Settings(renderer="gpu"))
    qtbot.addWidget(v)
    assert v.renderer_name == "CPU (pyqtgraph)"
    assert "unavailable" in v.renderer_note
    v.shutdown()


def test_cpu_pixels_where_liquidity_is(qtbot) -> None:  # type: ignore[no-untyped-def]
    v = pattern_view("cpu")
    qtbot.addWidget(v)
    img = render_cells(v)
    lut = colormap_lut("bookmap")
    norm = float(dequantize(quantize([2000])[0]))       # largest visible block
    bg = tuple(int(c) for c in lut[0, :3])
    for b in PATTERN_BLOCKS:
        c = max(b.col0, int(PATTERN_VIEW[0])) + 10
        x, y = cell_xy(img, c, (b.tick0 + b.tick1 - 1) / 2)
        want_idx = color_index(dequantize(quantize([b.size])), norm, ScaleParams())[0]
        want = tuple(int(ch) for ch in lut[want_idx, :3])
        assert close(rgb(img, x, y), want), (b, rgb(img, x, y), want)
        assert not close(rgb(img, x, y), bg, 20)
    # an empty row and an empty time range stay background
    x, y = cell_xy(img, 200, PATTERN_BID - 15)
    assert close(rgb(img, x, y), bg, 2)
    x, y = cell_xy(img, 390, 20_000 + 71)     # the ask wall ended at column 150
    assert close(rgb(img, x, y), bg, 2)
    v.shutdown()


def test_trades_markers_and_best_lines_drawn(qtbot) -> None:  # type: ignore[no-untyped-def]
    v = pattern_view("cpu", overlays=True)
    qtbot.addWidget(v)
    v.add_marker(1_700_000_000_000_000 + 350 * 100_000, PATTERN_BID - 20, "long", elite=True)
    img = render_cells(v, overlays=True)
    lut_bg = tuple(int(c) for c in colormap_lut("bookmap")[0, :3])
    # the bid line runs along the best bid row
    x, y = cell_xy(img, 200, PATTERN_BID)
    row = [rgb(img, x, yy) for yy in range(int(y) - 3, int(y) + 4)]
    assert any(close(c, theme.qcolor(theme.BID).getRgb()[:3], 40) for c in row)
    # trade bubbles: green (buy) or orange-red (sell) pixels near the touch
    band = [rgb(img, xx, yy) for xx in range(0, img.width(), 2) for yy in range(int(y) - 8, int(y) + 8)]
    buy = theme.qcolor(theme.BUY_TRADE)
    assert sum(1 for c in band if c[1] > 150 and c[0] < 150) > 20
    assert sum(1 for c in band if c[0] > 180 and c[1] < 140) > 20
    # the elite long marker: gold outline pixels near its price
    mx, my = cell_xy(img, 350, PATTERN_BID - 20)
    patch = [rgb(img, xx, yy) for xx in range(int(mx) - 15, int(mx) + 15)
             for yy in range(int(my) - 30, int(my) + 30)]
    assert any(close(c, theme.qcolor(theme.ELITE).getRgb()[:3], 40) for c in patch)
    assert any(close(c, theme.qcolor(theme.LONG).getRgb()[:3], 40) for c in patch)
    assert buy.isValid() and lut_bg != (255, 255, 255)
    v.shutdown()


def test_render_to_image_has_axes_and_liquidity(view: HeatmapView, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cols, trades = market_session(600)
    view.add_columns(cols)
    view.add_trades(trades)
    view.set_best(cols[-1].best_bid, cols[-1].best_ask)
    img = view.render_to_image(800, 480)
    assert (img.width(), img.height()) == (800, 480)
    img.save(str(tmp_path / "view.png"))
    arr = np.array([[img.pixelColor(x, y).value() for x in range(0, 700, 7)] for y in range(0, 440, 7)])
    assert (arr > 60).mean() > 0.1          # plenty of non-background cells
    assert view.renderer_name == "CPU (pyqtgraph)"
    assert view.frames_rendered >= 1


def test_zoom_pan_follow(view: HeatmapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    cols, _ = market_session(1000)
    view.add_columns(cols[:500])
    view.render_to_image(600, 400)
    x0, x1, _y0, _y1 = view.view_range()
    assert view.follow and x1 > 499 >= x0            # newest column in view
    view.add_columns(cols[500:])
    view.render_now()
    assert view.view_range()[1] > 999                 # followed the new columns
    w = view.view_range()[1] - view.view_range()[0]
    view.zoom_time(2.0)
    assert abs((view.view_range()[1] - view.view_range()[0]) - w / 2) < 1e-6
    h = view.view_range()[3] - view.view_range()[2]
    view.zoom_price(0.5)
    assert abs((view.view_range()[3] - view.view_range()[2]) - 2 * h) < 1e-6
    view.pan_time(-100)
    assert not view.follow                            # manual pan in time stops following
    before = view.view_range()
    view.add_columns([])
    view.render_now()
    assert view.view_range() == before
    # keyboard: F toggles follow, Home resets, arrows pan price
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F)
    assert view.follow
    y_before = view.view_range()[2]
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.view_range()[2] > y_before
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert not view.follow
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.follow and abs((view.view_range()[1] - view.view_range()[0]) - 1000 / 0.94) < 1e-6
    # the follow button mirrors the state
    assert view.follow_button.isChecked()


def test_mouse_wheel_and_drag(view: HeatmapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    cols, _ = market_session(800)
    view.add_columns(cols)
    view.render_to_image(600, 400)
    target = view.renderer.widget.viewport()
    w0 = view.view_range()[1] - view.view_range()[0]
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication
    pos = QPointF(200, 150)
    ev = QWheelEvent(pos, target.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(target, ev)
    assert view.view_range()[1] - view.view_range()[0] < w0
    x0 = view.view_range()[0]
    qtbot.mousePress(target, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    qtbot.mouseMove(target, QPoint(360, 230))
    qtbot.mouseRelease(target, Qt.MouseButton.LeftButton, pos=QPoint(360, 230))
    assert view.view_range()[0] < x0 and not view.follow


def test_frames_skipped_when_nothing_changed(view: HeatmapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    cols, _ = market_session(50)
    view.add_columns(cols)
    view.render_now()
    rendered = view.frames_rendered
    for _ in range(5):
        assert view.render_now() is False
    assert view.frames_rendered == rendered and view.frames_skipped >= 5
    view.add_columns(market_session(51)[0][50:])
    assert view.render_now() is True
    qtbot.wait(120)                                    # the timer keeps skipping while idle
    assert view.stats()["frames_skipped"] > 5


def test_settings_colormap_scale_and_invalid(view: HeatmapView) -> None:
    view.set_settings(Settings(colormap="viridis", scale="linear", low_cut=0.1, high_cut=0.8, contrast=2.0))
    assert view.colormap == "viridis" and view.params == ScaleParams("linear", 0.1, 0.8, 2.0)
    view.set_settings(Settings(colormap="nope", low_cut=0.9, high_cut=0.1))
    assert "unknown colormap" in view.settings_error or "cut-offs" in view.settings_error
    assert view.colormap == "viridis"                  # kept the last good one
    view.set_settings(Settings(auto_follow=False))
    assert not view.follow


def test_history_length_change_keeps_newest(view: HeatmapView) -> None:
    cols, _ = market_session(700)
    view.add_columns(cols)
    view.set_settings(Settings(history_minutes=1))     # 600 columns at 100 ms
    assert view.store.capacity == 600 and view.store.count == 600
    assert view.store.newest_ts == cols[-1].ts_us


def test_snapshot_region(view: HeatmapView) -> None:
    cols, trades = market_session(900)
    view.add_columns(cols)
    view.add_trades(trades)
    view.add_marker(cols[450].ts_us, cols[450].best_bid, "short", elite=True)
    img = view.snapshot_region(cols[300].ts_us, cols[600].ts_us, 480, 240, mark_ts_us=cols[450].ts_us)
    assert (img.width(), img.height()) == (480, 240)
    bright = sum(1 for x in range(0, 400, 5) for y in range(0, 240, 5) if img.pixelColor(x, y).value() > 80)
    assert bright > 100
    empty = view.snapshot_region(0, 10, 200, 100)
    assert empty.width() == 200


def test_hover_readout_names_price_time_and_size(qtbot) -> None:  # type: ignore[no-untyped-def]
    v = pattern_view("cpu")
    qtbot.addWidget(v)
    img = render_cells(v)
    b = PATTERN_BLOCKS[1]                              # 400 lots at 20030..20032
    x, y = cell_xy(img, 200, b.tick0 + 1)
    text = v.describe_at(QPointF(x, y))
    assert text.startswith("5007.75")                  # 20031 ticks x 0.25
    assert "size ≈ 4" in text and ":" in text          # ~400 (quantised), a clock time
    ex, ey = cell_xy(img, 200, b.tick0 - 10)
    assert "no size" in v.describe_at(QPointF(ex, ey))
    v.shutdown()


def test_software_gl_is_not_auto_picked() -> None:
    from mia_desktop.ui.heatmap.gl_probe import is_software

    assert is_software("OpenGL 4.5 (llvmpipe (LLVM 15.0.6, 256 bits))")
    assert is_software("OpenGL 1.1 (GDI Generic)")
    assert not is_software("OpenGL 4.6 (NVIDIA GeForce RTX 3060/PCIe/SSE2)")
    assert not is_software("OpenGL 4.6 (Intel(R) UHD Graphics 620)")


def test_load_history_view_from_the_engine_history(view: HeatmapView) -> None:
    from mia_desktop.market.book import OrderBook
    from mia_desktop.market.events import Side as S
    from mia_desktop.market.heatmap import HeatmapHistory

    hist = HeatmapHistory(rows=200, column_ms=100, history_s=60)
    book = OrderBook()
    t0 = 1_700_000_000_000_000
    for i in range(30):
        ts = t0 + i * 100_000
        hist.advance(ts, book)
        book.set_level(S.BID, 20_000, 100 + i)
        book.set_level(S.ASK, 20_001, 50)
        book.set_level(S.ASK, 20_010, 900)
        hist.add_trade(ts + 10, 20_001, 7, S.ASK)
    hist.advance(t0 + 30 * 100_000, book)
    hv = hist.view()
    n = view.load_history_view(hv)
    assert n == len(hv) >= 29
    st = view.store
    assert st.q[st.newest_g % st.capacity, 20_010 - st.anchor] == quantize([900])[0]
    x, price, size, buy = st.visible_trades(st.oldest_g, st.next_g, 19_990, 20_020)
    assert len(x) >= 29 and set(price) == {20_001} and buy.all() and size.max() >= 7


def test_grab_window_with_a_heatmap_inside(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from mia_desktop.ui.heatmap.view import grab_window

    top = QWidget()
    qtbot.addWidget(top)
    lay = QVBoxLayout(top)
    v = HeatmapView(BUILTIN["ES"], Settings(), capacity=1000, rows=256)
    lay.addWidget(v)
    v.add_columns(market_session(300)[0])
    top.resize(640, 400)
    top.show()
    v.render_now()
    img = grab_window(top)
    assert (img.width(), img.height()) == (640, 400)
    lit = sum(1 for x in range(0, 600, 6) for y in range(0, 380, 6) if img.pixelColor(x, y).value() > 60)
    assert lit > 50
    v.shutdown()


def test_short_history_fills_the_width_until_the_user_zooms(view: HeatmapView) -> None:
    cols, _ = market_session(3500)
    view.add_columns(cols[:50])
    view.render_now()
    assert view.view_range()[1] - view.view_range()[0] == 200          # start width
    view.add_columns(cols[50:1000])
    view.render_now()
    assert abs((view.view_range()[1] - view.view_range()[0]) - 1000 / 0.94) < 1e-6   # grows with data
    view.add_columns(cols[1000:])
    view.render_now()
    assert view.view_range()[1] - view.view_range()[0] == 3000         # capped at 5 minutes
    view.zoom_time(2.0)
    view.add_columns(market_session(3600)[0][3500:])
    view.render_now()
    assert view.view_range()[1] - view.view_range()[0] == 1500         # the user's zoom is kept


def test_seq_gap_is_signalled(view: HeatmapView, qtbot) -> None:  # type: ignore[no-untyped-def]
    cols, _ = market_session(20)
    view.add_columns(cols[:10])
    with qtbot.waitSignal(view.history_gap, timeout=1000):
        view.add_columns(cols[12:])          # 10 and 11 never arrived
    assert view.stats()["seq_gaps"] == 1
