"""Theme: palette, semantic colours, tabular digits."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFontMetrics, QPalette

from mia_desktop.ui import theme


def test_semantic_colours_distinct_and_meaningful() -> None:
    bid, ask = QColor(theme.BID), QColor(theme.ASK)
    assert bid.blue() > bid.red() and ask.red() > ask.blue()          # bid blue, ask red
    long_, short = QColor(theme.LONG), QColor(theme.SHORT)
    assert long_.green() > long_.red() and short.red() > short.green()
    assert set(theme.REGIME_COLORS) == {"ultra_low", "low", "normal", "high", "extreme"}
    assert len(set(theme.REGIME_COLORS.values())) == 5


def test_tabular_font_digits_same_width(qapp) -> None:  # type: ignore[no-untyped-def]
    fm = QFontMetrics(theme.tabular_font(10))
    widths = {fm.horizontalAdvance(d) for d in "0123456789"}
    assert len(widths) == 1


def test_dark_palette_applies(qapp) -> None:  # type: ignore[no-untyped-def]
    saved = (qapp.palette(), qapp.styleSheet(), qapp.style().name())
    try:
        theme.apply_dark_theme(qapp)
        win = qapp.palette().color(QPalette.ColorRole.Window)
        assert win.lightness() < 40
        assert qapp.palette().color(QPalette.ColorRole.Text).lightness() > 180
        assert "QToolTip" in qapp.styleSheet()
    finally:                      # leave the shared application as other tests expect it
        qapp.setPalette(saved[0])
        qapp.setStyleSheet(saved[1])
        qapp.setStyle(saved[2])
