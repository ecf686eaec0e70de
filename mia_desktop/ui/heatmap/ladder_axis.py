"""Price ladder (right) and time axis (bottom) painted with QPainter in tabular digits."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from mia_desktop.market.instrument import format_price
from mia_desktop.ui import theme

_LEFT_VCENTER = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_NICE = (1, 2, 4, 5, 10, 20, 25, 40, 50, 100, 200, 250, 400, 500, 1000, 2000, 4000, 5000, 10000)


def label_step(span_ticks: float, height_px: float, min_px: float = 22.0) -> int:
    """Smallest 'nice' tick step whose labels are at least min_px apart."""
    if span_ticks <= 0 or height_px <= 0:
        return 1
    for step in _NICE:
        if step * height_px / span_ticks >= min_px:
            return step
    return _NICE[-1]


class PriceLadderAxis(QWidget):
    def __init__(self, tick_size: float = 0.25, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tick_size = tick_size
        self.y0, self.y1 = 0.0, 100.0
        self.bid: int | None = None
        self.ask: int | None = None
        self.blank = True          # no data yet: no made-up prices
        self._font = theme.tabular_font(8.5)
        self._bold = theme.tabular_font(8.5, bold=True)
        fm = QFontMetrics(self._font)
        self._w = fm.horizontalAdvance("0" * 9) + 14
        self.setMinimumWidth(self._w)
        self.setAutoFillBackground(False)

    def sizeHint(self) -> QSize:
        return QSize(self._w, 200)

    def set_range(self, y0: float, y1: float) -> None:
        if (y0, y1) != (self.y0, self.y1):
            self.y0, self.y1 = y0, y1
            self.update()

    def set_blank(self, blank: bool) -> None:
        if blank != self.blank:
            self.blank = blank
            self.update()

    def set_best(self, bid: int | None, ask: int | None) -> None:
        if (bid, ask) != (self.bid, self.ask):
            self.bid, self.ask = bid, ask
            self.update()

    def _py(self, tick: float) -> float:
        return self.height() - (tick - self.y0) * self.height() / max(self.y1 - self.y0, 1e-9)

    def paintEvent(self, ev: QPaintEvent) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), theme.qcolor(theme.PANEL))
        p.setPen(QPen(theme.qcolor(theme.GRID)))
        p.drawLine(0, 0, 0, h)
        if self.blank:
            p.end()
            return
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        step = label_step(self.y1 - self.y0, h, fm.height() + 6)
        first = math.ceil(self.y0 / step) * step
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        t = first
        while t <= self.y1:
            y = self._py(t)
            p.drawLine(0, round(y), 4, round(y))
            p.drawText(QRectF(7, y - fm.height() / 2, w - 9, fm.height()), _LEFT_VCENTER,
                       format_price(t, self.tick_size))
            t += step
        p.setFont(self._bold)
        fh = fm.height() + 2
        ya = self._py(self.ask) if self.ask is not None else None
        yb = self._py(self.bid) if self.bid is not None else None
        if ya is not None and yb is not None and yb - ya < fh:   # keep both boxes readable
            mid = (ya + yb) / 2
            ya, yb = mid - fh / 2, mid + fh / 2
        for tick, y, color in ((self.bid, yb, theme.BID), (self.ask, ya, theme.ASK)):
            if tick is None or y is None or not (self.y0 <= tick <= self.y1):
                continue
            box = QRectF(1, y - fm.height() / 2 - 1, w - 2, fm.height() + 2)
            p.fillRect(box, theme.qcolor(color))
            p.setPen(QPen(theme.qcolor("#000000")))
            p.drawText(box.adjusted(6, 0, 0, 0), _LEFT_VCENTER, format_price(tick, self.tick_size))
        p.end()


class TimeAxis(QWidget):
    """Bottom axis: UTC clock labels of the visible columns (exchange time)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._font = theme.tabular_font(8.0)
        self.setFixedHeight(QFontMetrics(self._font).height() + 8)
        self.x0, self.x1 = 0.0, 1.0
        self.ts_for_g: Callable[[float], int | None] = lambda g: None

    def set_range(self, x0: float, x1: float) -> None:
        if (x0, x1) != (self.x0, self.x1):
            self.x0, self.x1 = x0, x1
            self.update()

    def paintEvent(self, ev: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), theme.qcolor(theme.PANEL))
        p.setPen(QPen(theme.qcolor(theme.GRID)))
        p.drawLine(0, 0, self.width(), 0)
        p.setFont(self._font)
        fm = QFontMetrics(self._font)
        label_w = fm.horizontalAdvance("00:00:00") + 24
        n = max(int(self.width() / label_w), 1)
        span = self.x1 - self.x0
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        for i in range(n):
            x = (i + 0.5) * self.width() / n
            ts = self.ts_for_g(self.x0 + span * x / max(self.width(), 1))
            if ts is None:
                continue
            text = datetime.fromtimestamp(ts / 1e6, tz=UTC).strftime("%H:%M:%S")
            p.drawLine(round(x), 0, round(x), 3)
            p.drawText(QRectF(x - label_w / 2, 2, label_w, self.height() - 2),
                       Qt.AlignmentFlag.AlignCenter, text)
        p.end()
