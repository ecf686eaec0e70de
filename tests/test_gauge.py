"""VixGauge: needle in the right band, texts, sparkline, fading badges."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from mia_desktop.ui import theme
from mia_desktop.ui.vix_gauge import REGIMES, VixGauge, regime_for


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def near(c: QColor, hex_color: str, tol: int = 30) -> bool:
    w = QColor(hex_color)
    return max(abs(c.red() - w.red()), abs(c.green() - w.green()), abs(c.blue() - w.blue())) <= tol


@pytest.mark.parametrize("value,regime", [(10.5, "ultra_low"), (14.0, "low"), (21.0, "normal"),
                                          (30.0, "high"), (42.0, "extreme")])
def test_needle_in_the_right_band(qtbot, value: float, regime: str) -> None:  # type: ignore[no-untyped-def]
    g = VixGauge()
    qtbot.addWidget(g)
    g.resize(300, 280)
    g.set_reading(value)
    img: QImage = g.grab().toImage()
    tip = g.band_point(value)
    assert near(img.pixelColor(int(tip.x()), int(tip.y())), theme.TEXT, 40)      # the needle is here
    beside = g.band_point(value + 1.2)
    assert near(img.pixelColor(int(beside.x()), int(beside.y())), theme.REGIME_COLORS[regime], 40)
    assert g.regime == regime
    assert regime.replace("_", " ").upper() in g.display_texts()


def test_texts_multiplier_and_analyzer_regime_wins(qtbot) -> None:  # type: ignore[no-untyped-def]
    g = VixGauge()
    qtbot.addWidget(g)
    assert g.display_texts()[1] == "no reading"
    g.set_reading(17.9, "normal", 1.0)     # hysteresis: analyzer still says normal
    assert g.display_texts()[:3] == ["17.90", "NORMAL", "size ×1.0"]
    g.set_reading(13.0)
    assert g.display_texts()[:3] == ["13.00", "LOW", "size ×1.2"]
    g.set_reading(float("nan"))            # ignored, not shown
    assert g.value == 13.0
    assert [r[3] for r in REGIMES] == [0.8, 1.2, 1.0, 0.7, 0.5]
    assert regime_for(35.0) == ("extreme", 0.5) and regime_for(11.99) == ("ultra_low", 0.8)


def test_sparkline_bounded_and_drawn(qtbot) -> None:  # type: ignore[no-untyped-def]
    g = VixGauge(history=50)
    qtbot.addWidget(g)
    g.resize(300, 280)
    for i in range(120):
        g.set_reading(15 + (i % 20) * 0.5)
    assert len(g.readings) == 50
    img = g.grab().toImage()
    c = g._dial()[0]
    color = theme.REGIME_COLORS[g.regime or "low"]
    ys = range(int(c.y() + 76), 280 - 30)
    hits = sum(1 for x in range(10, 290, 3) for y in ys if near(img.pixelColor(x, y), color, 50))
    assert hits > 20


def test_badges_fade_and_expire(qtbot) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    g = VixGauge(badge_ttl_s=100, clock=clock)
    qtbot.addWidget(g)
    g.set_reading(27.0, "high", 0.7)
    g.add_badge("vix_spike_reversal")
    assert g.active_badges() == [("Spike reversal", 1.0)]
    assert "Spike reversal" in g.display_texts()
    clock.t += 75
    (_text, alpha), = g.active_badges()
    assert 0.4 < alpha < 0.6
    g.add_badge("vix_regime_change")
    clock.t += 30
    assert [t for t, _ in g.active_badges()] == ["Regime change"]
    clock.t += 100
    g._expire()
    assert g.active_badges() == [] and not g._fade.isActive()
