"""Prices keep their ticks wherever the UI prints them (NQ 21001.25 is not 21001.2 or 21001)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from signal_factory import make_signal

from mia_desktop.ui.blotter_model import COL, BlotterModel
from mia_desktop.ui.details_dialog import _fmt


def test_evidence_numbers_keep_tick_precision() -> None:
    assert _fmt(21001.25) == "21001.25"
    assert _fmt(4807.75) == "4807.75"
    assert _fmt(3.0) == "3"
    assert _fmt(0.56789) == "0.5679"


def test_blotter_pattern_tooltip_shows_quarter_ticks(qtbot) -> None:
    model = BlotterModel()
    sig = make_signal(5, instrument="NQ")          # price 17001.25
    model.add_signals([sig])
    tip = model.data(model.index(0, COL["Patterns"]), Qt.ItemDataRole.ToolTipRole)
    assert "@ 17001.25" in tip


def test_sizing_text_says_why_atr_is_missing() -> None:
    from dataclasses import replace

    from mia_desktop.ui.details_dialog import sizing_lines

    sig = make_signal(1)
    no_atr = replace(sig, sizing_breakdown={**sig.sizing_breakdown, "atr14_ticks": None})
    text = "\n".join(sizing_lines(no_atr))
    assert "None" not in text and "fewer than 14 closed bars" in text
    assert "ATR14 11.5 ticks" in "\n".join(sizing_lines(sig))
