"""QPainter overlays drawn over the heat cells: best bid/ask lines, trade bubbles, signal markers.

Used by the OpenGL renderer (painted over the GL quad in paintGL) and by snapshot images; the
pyqtgraph renderer draws the same things with its own items. Coordinates: data (column, tick)
to widget pixels through `Mapper`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.frame import Frame


@dataclass(frozen=True, slots=True)
class Mapper:
    x0: float
    x1: float
    y0: float
    y1: float
    w: float
    h: float

    def px(self, g: np.ndarray) -> np.ndarray:
        return (np.asarray(g, dtype=np.float64) - self.x0) * (self.w / (self.x1 - self.x0))

    def py(self, tick: np.ndarray) -> np.ndarray:
        return self.h - (np.asarray(tick, dtype=np.float64) - self.y0) * (self.h / (self.y1 - self.y0))


def mapper_for(frame: Frame, w: float, h: float) -> Mapper:
    return Mapper(frame.x0, frame.x1, frame.y0, frame.y1, w, h)


def _step_path(xs: np.ndarray, ys: np.ndarray) -> QPainterPath:
    """A stair line through (x, y) pairs, broken where y is NaN; xs are column left edges."""
    path = QPainterPath()
    pen_down = False
    for i in range(len(xs)):
        y = ys[i]
        if np.isnan(y):
            pen_down = False
            continue
        if not pen_down:
            path.moveTo(xs[i], y)
            pen_down = True
        else:
            path.lineTo(xs[i], y)
        if i + 1 < len(xs):
            path.lineTo(xs[i + 1], y)
    return path


def _decimate(x: np.ndarray, *ys: np.ndarray, max_points: int) -> tuple[np.ndarray, ...]:
    if len(x) <= max_points:
        return (x, *ys)
    step = -(-len(x) // max_points)
    return (x[::step], *(y[::step] for y in ys))


def draw_overlays(p: QPainter, frame: Frame, w: float, h: float) -> None:
    m = mapper_for(frame, w, h)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    # best bid / ask over time
    if len(frame.best_x):
        bx, bb, ba = _decimate(frame.best_x, frame.best_bid, frame.best_ask, max_points=int(w) + 2)
        xs = m.px(bx)
        for ys, color in ((bb, theme.BID), (ba, theme.ASK)):
            p.setPen(QPen(theme.qcolor(color, 230), 1.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(_step_path(xs, m.py(ys)))
    # trade bubbles, largest last so they sit on top: sprites from one atlas drawn with a single
    # drawPixmapFragments call (QPainter on OpenGL would tessellate every antialiased ellipse)
    if len(frame.trade_x):
        d = np.clip(np.round(frame.trade_diameters()).astype(np.int64), MIN_D, MAX_D)
        xs, ys = m.px(frame.trade_x), m.py(frame.trade_y)
        order = np.argsort(d, kind="stable")
        draw_bubbles(p, xs[order], ys[order], d[order], frame.trade_buy[order])
    # signal markers
    for x, mk in frame.markers:
        draw_marker(p, float(m.px(np.array([x]))[0]), float(m.py(np.array([mk.price]))[0]),
                    mk.direction, mk.elite, h)


MIN_D, MAX_D = 3, 25
_CELL = MAX_D + 3
_ATLAS: dict[str, object] = {}


def bubble_atlas() -> QPixmap:
    """All bubble sprites: row 0 buys, row 1 sells, column k = diameter MIN_D + k (antialiased)."""
    pm = _ATLAS.get("pixmap")
    if pm is None:
        n = MAX_D - MIN_D + 1
        img = QImage(n * _CELL, 2 * _CELL, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(0)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for row, color in enumerate((theme.BUY_TRADE, theme.SELL_TRADE)):
            p.setPen(QPen(theme.qcolor(color, 255), 1.0))
            p.setBrush(QBrush(theme.qcolor(color, 150)))
            for k in range(n):
                dia = MIN_D + k
                off = (_CELL - dia) / 2.0
                p.drawEllipse(QRectF(k * _CELL + off, row * _CELL + off, dia, dia))
        p.end()
        pm = QPixmap.fromImage(img)
        _ATLAS["pixmap"] = pm
    return pm  # type: ignore[return-value]


def draw_bubbles(p: QPainter, xs: np.ndarray, ys: np.ndarray, d: np.ndarray, buy: np.ndarray) -> None:
    atlas = bubble_atlas()
    n = len(xs)
    try:
        from pyqtgraph.Qt.internals import PrimitiveArray  # packs fragments into one C array

        arr = _ATLAS.get("frags")
        if arr is None:
            arr = PrimitiveArray(QPainter.PixmapFragment, 10)
            _ATLAS["frags"] = arr
        arr.resize(n)  # type: ignore[attr-defined]
        f = arr.ndarray()  # type: ignore[attr-defined]
        f[:, 0], f[:, 1] = xs, ys
        f[:, 2] = (d - MIN_D) * _CELL
        f[:, 3] = np.where(buy, 0, _CELL)
        f[:, 4:6] = _CELL
        f[:, 6:10] = [1.0, 1.0, 0.0, 1.0]
        p.drawPixmapFragments(*arr.drawargs(), atlas)  # type: ignore[attr-defined]
    except (ImportError, AttributeError, TypeError):
        for i in range(n):       # portable fallback: one call per bubble
            src = QRectF(float((d[i] - MIN_D) * _CELL), 0.0 if buy[i] else float(_CELL), _CELL, _CELL)
            p.drawPixmap(QRectF(xs[i] - _CELL / 2, ys[i] - _CELL / 2, _CELL, _CELL), atlas, src)


def draw_marker(p: QPainter, x: float, y: float, direction: str, elite: bool, h: float) -> None:
    size = 9.0 if not elite else 14.0
    color = theme.LONG if direction == "long" else theme.SHORT if direction == "short" else theme.NEUTRAL
    if elite:
        pen = QPen(theme.qcolor(theme.ELITE, 110), 1.0, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QPointF(x, 0), QPointF(x, h))
    if direction == "long":      # up-triangle under the price
        tip, base = y + 4, y + 4 + 1.7 * size
        pts = [(x, tip), (x - size, base), (x + size, base)]
    elif direction == "short":   # down-triangle above the price
        tip, base = y - 4, y - 4 - 1.7 * size
        pts = [(x, tip), (x - size, base), (x + size, base)]
    else:
        pts = [(x, y - size), (x + size, y), (x, y + size), (x - size, y)]
    poly = QPolygonF([QPointF(a, b) for a, b in pts])
    p.setBrush(QBrush(theme.qcolor(color, 235)))
    p.setPen(QPen(theme.qcolor(theme.ELITE if elite else "#0b0e14", 255), 2.0 if elite else 1.0))
    p.drawPolygon(poly)
    if elite:
        p.setPen(QPen(theme.qcolor(theme.ELITE), 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF(x - 4, y - 4, 8, 8))
