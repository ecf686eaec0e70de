"""VIX regime gauge: a dial with the five regime bands, a needle, the reading, regime and size
multiplier, a sparkline of recent readings and fading badges for VIX patterns.

How this works: everything is painted with QPainter from a little state (current value, regime,
multiplier, a bounded deque of readings, badges with their fire time). A 1 s timer repaints only
while badges are fading. Geometry helpers (`value_angle`, `band_point`) are public so tests can
check pixels at known places.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from mia_desktop.ui import theme

# (name, lower bound, upper bound, size multiplier) — SIGNALS.md defaults
REGIMES: tuple[tuple[str, float, float, float], ...] = (
    ("ultra_low", 0.0, 12.0, 0.8),
    ("low", 12.0, 18.0, 1.2),
    ("normal", 18.0, 25.0, 1.0),
    ("high", 25.0, 35.0, 0.7),
    ("extreme", 35.0, math.inf, 0.5),
)
DIAL_MIN, DIAL_MAX = 8.0, 50.0
BADGE_LABELS = {
    "vix_spike_reversal": "Spike reversal",
    "vix_complacency": "Complacency",
    "vix_regime_change": "Regime change",
}


def regime_for(value: float) -> tuple[str, float]:
    """(regime, size multiplier) for a VIX value, without hysteresis (display fallback)."""
    for name, lo, hi, mult in REGIMES:
        if lo <= value < hi:
            return name, mult
    return REGIMES[0][0], REGIMES[0][3]


def regime_label(name: str) -> str:
    return name.replace("_", " ").upper()


@dataclass(slots=True)
class Badge:
    pattern: str
    text: str
    fired_at: float


class VixGauge(QWidget):
    def __init__(self, parent: QWidget | None = None, *, history: int = 180, badge_ttl_s: float = 120.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.value: float | None = None
        self.regime: str | None = None
        self.multiplier: float | None = None
        self.readings: deque[float] = deque(maxlen=history)
        self.badges: list[Badge] = []
        self.badge_ttl_s = badge_ttl_s
        self.clock = clock
        self._fade = QTimer(self)
        self._fade.setInterval(1000)
        self._fade.timeout.connect(self._expire)
        self.setMinimumSize(220, 200)
        self._num_font = theme.tabular_font(20.0, bold=True)
        self._small = theme.tabular_font(8.0)
        self._label = QFont(self.font())
        self._label.setPointSizeF(9.0)
        self._label.setBold(True)

    def sizeHint(self) -> QSize:
        return QSize(260, 240)

    # ---- API ------------------------------------------------------------------------------
    def set_reading(self, value: float, regime: str | None = None, multiplier: float | None = None) -> None:
        """Show a VIX reading. Regime/multiplier come from the analyzer (with hysteresis); when
        missing they are derived from the value."""
        if not math.isfinite(value):
            return
        self.value = float(value)
        derived, mult = regime_for(self.value)
        self.regime = regime or derived
        self.multiplier = multiplier if multiplier is not None else (
            dict((r[0], r[3]) for r in REGIMES).get(self.regime, mult))
        self.readings.append(self.value)
        self.update()

    def add_badge(self, pattern_name: str, text: str | None = None) -> None:
        """Flash a badge for a fired VIX pattern; it fades out over `badge_ttl_s`."""
        label = text or BADGE_LABELS.get(pattern_name, pattern_name.replace("_", " ").capitalize())
        self.badges = [b for b in self.badges if b.pattern != pattern_name]
        self.badges.append(Badge(pattern_name, label, self.clock()))
        self.badges = self.badges[-3:]
        if not self._fade.isActive():
            self._fade.start()
        self.update()

    def active_badges(self) -> list[tuple[str, float]]:
        """(text, opacity 0..1) of badges still visible."""
        now = self.clock()
        out = []
        for b in self.badges:
            age = now - b.fired_at
            if age < self.badge_ttl_s:
                fade_from = self.badge_ttl_s * 0.5
                alpha = 1.0 if age < fade_from else 1.0 - (age - fade_from) / (self.badge_ttl_s - fade_from)
                out.append((b.text, max(alpha, 0.0)))
        return out

    def display_texts(self) -> list[str]:
        """The strings the gauge shows now (value, regime, multiplier, badges)."""
        if self.value is None:
            return ["VIX —", "no reading"]
        texts = [f"{self.value:.2f}", regime_label(self.regime or ""), f"size ×{self.multiplier:.1f}"]
        return texts + [t for t, _ in self.active_badges()]

    def _expire(self) -> None:
        self.badges = [b for b in self.badges if self.clock() - b.fired_at < self.badge_ttl_s]
        if not self.badges:
            self._fade.stop()
        self.update()

    # ---- geometry -------------------------------------------------------------------------
    def _dial(self) -> tuple[QPointF, float, float]:
        """(centre, outer radius, band thickness) of the semicircular dial."""
        w, h = self.width(), self.height()
        dial_h = h * 0.5
        r = max(min(w / 2 - 12, dial_h - 16), 20.0)
        return QPointF(w / 2, 12 + r), r, max(r * 0.16, 6.0)

    @staticmethod
    def value_angle(value: float) -> float:
        """Degrees, 180 (left, DIAL_MIN) to 0 (right, DIAL_MAX)."""
        v = min(max(value, DIAL_MIN), DIAL_MAX)
        return 180.0 - (v - DIAL_MIN) / (DIAL_MAX - DIAL_MIN) * 180.0

    def band_point(self, value: float) -> QPointF:
        """Pixel in the middle of the coloured band ring at `value`."""
        c, r, t = self._dial()
        a = math.radians(self.value_angle(value))
        rr = r - t / 2
        return QPointF(c.x() + rr * math.cos(a), c.y() - rr * math.sin(a))

    # ---- painting -------------------------------------------------------------------------
    def paintEvent(self, ev: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), theme.qcolor(theme.PANEL))
        c, r, t = self._dial()
        arc = QRectF(c.x() - r + t / 2, c.y() - r + t / 2, 2 * r - t, 2 * r - t)
        for name, lo, hi, _ in REGIMES:
            a0, a1 = self.value_angle(max(lo, DIAL_MIN)), self.value_angle(min(hi, DIAL_MAX))
            active = name == self.regime
            pen = QPen(theme.qcolor(theme.REGIME_COLORS[name], 255 if active else 150), t)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            p.drawArc(arc, int(a1 * 16), int((a0 - a1) * 16))
        # scale labels at the band bounds
        p.setFont(self._small)
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        for v in (12, 18, 25, 35):
            a = math.radians(self.value_angle(v))
            pt = QPointF(c.x() + (r - t - 12) * math.cos(a), c.y() - (r - t - 12) * math.sin(a))
            p.drawText(QRectF(pt.x() - 12, pt.y() - 7, 24, 14), Qt.AlignmentFlag.AlignCenter, str(v))
        if self.value is not None:
            a = math.radians(self.value_angle(self.value))
            tip = QPointF(c.x() + r * math.cos(a), c.y() - r * math.sin(a))
            p.setPen(QPen(theme.qcolor(theme.TEXT), 3.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(c, tip)
            p.setBrush(theme.qcolor(theme.TEXT))
            p.drawEllipse(c, 5, 5)
        self._paint_texts(p, c, r)
        spark = QRectF(10, c.y() + 76, self.width() - 20, max(self.height() - c.y() - 106, 16))
        self._paint_sparkline(p, spark)
        self._paint_badges(p)
        p.end()

    def _paint_texts(self, p: QPainter, c: QPointF, r: float) -> None:
        w = self.width()
        p.setFont(self._small)
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        p.drawText(QRectF(8, 4, 60, 14), Qt.AlignmentFlag.AlignLeft, "VIX")
        p.setFont(self._num_font)
        p.setPen(QPen(theme.qcolor(theme.TEXT)))
        value = f"{self.value:.2f}" if self.value is not None else "—"
        p.drawText(QRectF(0, c.y() + 8, w, 32), Qt.AlignmentFlag.AlignCenter, value)
        line = QRectF(0, c.y() + 42, w, 20)
        if self.value is None:
            p.setFont(self._label)
            p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
            p.drawText(line, Qt.AlignmentFlag.AlignCenter, "no reading")
            return
        color = theme.REGIME_COLORS.get(self.regime or "", theme.TEXT)
        p.setFont(self._label)
        p.setPen(QPen(theme.qcolor(color)))
        right_v = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        left_v = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        p.drawText(QRectF(0, line.y(), w / 2 - 4, line.height()), right_v, regime_label(self.regime or ""))
        p.setFont(self._small)
        p.setPen(QPen(theme.qcolor(theme.TEXT)))
        p.drawText(QRectF(w / 2 + 4, line.y(), w / 2 - 4, line.height()), left_v,
                   f"size ×{self.multiplier:.1f}")

    def _paint_sparkline(self, p: QPainter, box: QRectF) -> None:
        if len(self.readings) < 2 or box.height() < 8:
            return
        vals = list(self.readings)
        lo, hi = min(vals), max(vals)
        if hi - lo < 0.5:
            lo, hi = lo - 0.25, hi + 0.25
        # regime bound lines inside the sparkline range
        p.setPen(QPen(theme.qcolor(theme.GRID), 1.0, Qt.PenStyle.DotLine))
        for _, b, _, _ in REGIMES[1:]:
            if lo < b < hi:
                y = box.bottom() - (b - lo) / (hi - lo) * box.height()
                p.drawLine(QPointF(box.left(), y), QPointF(box.right(), y))
        path = QPainterPath()
        n = len(vals)
        for i, v in enumerate(vals):
            x = box.left() + i / (n - 1) * box.width()
            y = box.bottom() - (v - lo) / (hi - lo) * box.height()
            if i == 0:
                path.moveTo(x, y)
            else:
                path.lineTo(x, y)
        color = theme.REGIME_COLORS.get(self.regime or "", theme.ACCENT)
        p.setPen(QPen(theme.qcolor(color), 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setFont(self._small)
        p.setPen(QPen(theme.qcolor(theme.TEXT_DIM)))
        p.drawText(QRectF(box.left(), box.top() - 14, box.width(), 12), Qt.AlignmentFlag.AlignRight,
                   f"{lo:.1f} – {hi:.1f}")

    def _paint_badges(self, p: QPainter) -> None:
        badges = self.active_badges()
        if not badges:
            return
        p.setFont(self._small)
        fm = p.fontMetrics()
        x, y = 8.0, self.height() - 22.0
        for text, alpha in badges:
            bw = fm.horizontalAdvance(text) + 16
            rect = QRectF(x, y, bw, 18)
            p.setPen(QPen(theme.qcolor(theme.ELITE, int(255 * alpha)), 1.2))
            p.setBrush(theme.qcolor("#3a2f0b", int(220 * alpha)))
            p.drawRoundedRect(rect, 9, 9)
            p.setPen(QPen(theme.qcolor(theme.ELITE, int(255 * alpha))))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            x += bw + 6
