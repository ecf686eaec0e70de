"""Dark trading palette, semantic colours and the tabular-number font every widget shares.

Colour carries meaning and nothing else: blue-green is the bid / buyers / long, red-orange the
ask / sellers / short, gold is "elite". Widgets import the constants here instead of writing hex
literals, so a palette change is one edit.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

# Surfaces
BG = "#0b0e14"            # window / heatmap background
PANEL = "#121722"         # panels, table background
PANEL_ALT = "#171d2a"     # alternating rows
GRID = "#242c3b"          # grid lines, separators
BORDER = "#2d3648"
TEXT = "#d8dee9"          # primary text
TEXT_DIM = "#8a93a6"      # secondary text, axis labels
ACCENT = "#4c9aff"        # focus, selection

# Meaning
BID = "#2fa8ff"           # resting bid, sell aggressor hitting the bid
ASK = "#ff5a4e"           # resting ask, buy aggressor lifting the offer
LONG = "#26d07c"          # long signal / buyers winning
SHORT = "#ff4d5e"         # short signal / sellers winning
BUY_TRADE = "#3ee07f"     # aggressive buy (lifted the offer)
SELL_TRADE = "#ff6b4a"    # aggressive sell (hit the bid)
ELITE = "#ffd24a"         # elite tier emphasis
NEUTRAL = "#b0b8c8"
WARN = "#ffb020"
ERROR = "#ff4d5e"
OK = "#26d07c"

# VIX regime bands (SIGNALS.md): calm green through red
REGIME_COLORS: dict[str, str] = {
    "ultra_low": "#3fb6ff",
    "low": "#26d07c",
    "normal": "#c9d34a",
    "high": "#ff9a3c",
    "extreme": "#ff3b4e",
}


def qcolor(hex_or_name: str, alpha: int = 255) -> QColor:
    c = QColor(hex_or_name)
    c.setAlpha(alpha)
    return c


def tabular_font(point_size: float = 9.0, bold: bool = False) -> QFont:
    """A font whose digits all have the same width, so columns of prices line up.

    The system fixed font is always tabular; on top we ask for the OpenType `tnum` feature when
    the Qt version has it (proportional UI fonts then also get tabular digits).
    """
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(point_size)
    font.setBold(bold)
    font.setStyleHint(QFont.StyleHint.Monospace)
    try:
        tag = QFont.Tag("tnum")  # Qt >= 6.7
        font.setFeature(tag, 1)
    except (AttributeError, TypeError):
        pass
    return font


def dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(BG))
    p.setColor(role.WindowText, QColor(TEXT))
    p.setColor(role.Base, QColor(PANEL))
    p.setColor(role.AlternateBase, QColor(PANEL_ALT))
    p.setColor(role.ToolTipBase, QColor(PANEL))
    p.setColor(role.ToolTipText, QColor(TEXT))
    p.setColor(role.Text, QColor(TEXT))
    p.setColor(role.Button, QColor(PANEL))
    p.setColor(role.ButtonText, QColor(TEXT))
    p.setColor(role.BrightText, QColor(ERROR))
    p.setColor(role.Highlight, QColor(ACCENT))
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.PlaceholderText, QColor(TEXT_DIM))
    p.setColor(role.Link, QColor(ACCENT))
    dis = QPalette.ColorGroup.Disabled
    p.setColor(dis, role.Text, QColor(TEXT_DIM))
    p.setColor(dis, role.ButtonText, QColor(TEXT_DIM))
    p.setColor(dis, role.WindowText, QColor(TEXT_DIM))
    return p


STYLESHEET = f"""
QToolTip {{ color: {TEXT}; background: {PANEL}; border: 1px solid {BORDER}; }}
QTabBar::tab {{ background: {PANEL}; color: {TEXT_DIM}; padding: 5px 12px; border: 1px solid {BORDER}; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QHeaderView::section {{ background: {PANEL}; color: {TEXT_DIM}; border: 0; border-right: 1px solid {GRID};
    padding: 3px 6px; }}
QTableView {{ gridline-color: {GRID}; selection-background-color: #23395d; }}
QStatusBar {{ color: {TEXT_DIM}; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style + dark palette + a small stylesheet; call once at start-up."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLESHEET)
