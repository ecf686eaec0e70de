"""Still pictures of a stored time window (signal details dialog), rendered on the CPU.

Independent of the live renderer (it may be OpenGL): the window's stored bytes go through the
same scale mapping into an RGBA QImage, then the QPainter overlays, a price scale and a
vertical line at the signal time are drawn on top.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QPen

from mia_desktop.market.instrument import format_price
from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.colormaps import colormap_lut
from mia_desktop.ui.heatmap.frame import build_frame
from mia_desktop.ui.heatmap.overlay import draw_overlays, mapper_for
from mia_desktop.ui.heatmap.scale import ScaleParams, index_table
from mia_desktop.ui.heatmap.store import HeatStore


def cells_image(store: HeatStore, x0: float, x1: float, y0: float, y1: float, norm: float,
                params: ScaleParams, lut: np.ndarray, max_cols: int) -> tuple[QImage, QRectF] | None:
    """RGBA image of the visible cells and its data rectangle (columns, ticks)."""
    vis = store.visible_image(x0, x1, y0, y1, max_cols)
    if vis is None:
        return None
    img, g_first, step, tick0 = vis
    rgba = np.ascontiguousarray(lut[index_table(norm, params)[img[::-1]]])
    h, w = img.shape
    q = QImage(rgba.data, w, h, w * 4, QImage.Format.Format_RGBA8888).copy()
    return q, QRectF(g_first, tick0 - 0.5, w * step, h)


def render_region(store: HeatStore, t0_us: int, t1_us: int, w: int, h: int, *, params: ScaleParams,
                  colormap: str, tick_size: float, mark_ts_us: int | None = None,
                  price_ticks: int | None = None) -> QImage:
    out = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    out.fill(theme.qcolor(theme.BG))
    p = QPainter(out)
    p.setFont(theme.tabular_font(8.0))
    if not store.count or t1_us <= t0_us:
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        p.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, "no heatmap data for this period")
        p.end()
        return out
    gx = store.g_for_ts([t0_us, t1_us])
    x0, x1 = float(gx[0]) - 0.5, float(gx[1]) + 0.5
    _xb, bid, ask = store.best_series(x0, x1)
    prices = np.concatenate([bid[~np.isnan(bid)], ask[~np.isnan(ask)]])
    if price_ticks is not None:
        prices = np.append(prices, price_ticks)
    if len(prices):
        lo, hi = float(prices.min()), float(prices.max())
    else:
        mid = store.mid_tick() or 0.0
        lo = hi = mid
    pad = max(16.0, (hi - lo) * 0.35)
    y0, y1 = lo - pad, hi + pad
    lut = colormap_lut(colormap)
    frame = build_frame(store, (x0, x1, y0, y1), params, colormap, lut)
    axis_w = 64
    pw = max(w - axis_w, 10)
    cells = cells_image(store, x0, x1, y0, y1, frame.norm, params, lut, pw)
    m = mapper_for(frame, pw, h)
    if cells is not None:
        img, rect = cells
        left = float(m.px(np.array([rect.left()]))[0])
        right = float(m.px(np.array([rect.right()]))[0])
        top = float(m.py(np.array([rect.bottom()]))[0])
        bottom = float(m.py(np.array([rect.top()]))[0])
        p.setClipRect(QRectF(0, 0, pw, h))
        p.drawImage(QRectF(left, top, right - left, bottom - top), img)
    draw_overlays(p, frame, pw, h)
    if mark_ts_us is not None:
        xm = float(m.px(store.g_for_ts([mark_ts_us]))[0])
        p.setPen(QPen(theme.qcolor(theme.ELITE, 200), 1.0, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(xm, 0), QPointF(xm, h))
    p.setClipping(False)
    p.fillRect(QRectF(pw, 0, axis_w, h), theme.qcolor(theme.PANEL))
    p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
    step = max(1, round((y1 - y0) / 8))
    for t in range(int(np.ceil(y0)), int(y1) + 1):
        if t % step:
            continue
        y = float(m.py(np.array([t]))[0])
        p.drawText(QRectF(pw + 4, y - 7, axis_w - 6, 14), Qt.AlignmentFlag.AlignVCenter,
                   format_price(t, tick_size))
    for ts, align in ((t0_us, Qt.AlignmentFlag.AlignLeft), (t1_us, Qt.AlignmentFlag.AlignRight)):
        text = datetime.fromtimestamp(ts / 1e6, tz=UTC).strftime("%H:%M:%S")
        p.drawText(QRectF(4, h - 16, pw - 8, 14), align | Qt.AlignmentFlag.AlignVCenter, text)
    p.end()
    return out
