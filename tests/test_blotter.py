"""Blotter model, filters, CSV export, auto-scroll and row click (real widgets, offscreen)."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from signal_factory import make_signal

from mia_desktop.ui.blotter_model import COL, COLUMNS, BlotterModel, SignalRole
from mia_desktop.ui.blotter_view import BlotterView


def _mixed() -> list:
    return [make_signal(0, instrument="ES", direction="long", tier="elite", score=0.8),
            make_signal(1, instrument="NQ", direction="short", tier="strong"),
            make_signal(2, instrument="ES", direction="short", tier="watch", score=0.45),
            make_signal(3, instrument="NQ", direction="long", tier="elite", score=0.75)]


def test_model_shows_signal_fields_and_highlights_elite(qtbot) -> None:
    m = BlotterModel()
    assert m.add_signals(_mixed()) == 4
    assert m.add_signals([make_signal(0, instrument="ES", direction="long")]) == 0  # same id: no dup
    assert m.rowCount() == 4 and m.columnCount() == len(COLUMNS)
    assert m.data(m.index(0, COL["Dir"])) == "LONG"
    assert m.data(m.index(1, COL["Instr"])) == "NQ"
    assert m.data(m.index(0, COL["Score"])) == "80%"
    assert m.data(m.index(0, COL["Patterns"])) == "iceberg, long_down_up"
    assert m.data(m.index(0, COL["Entry"])) == "4800.00"
    assert m.data(m.index(0, Qt.ItemDataRole.BackgroundRole)) is not None  # elite row highlighted
    assert m.data(m.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert m.data(m.index(2, 0), SignalRole).signal_id == _mixed()[2].signal_id
    long_fg = m.data(m.index(0, COL["Dir"]), Qt.ItemDataRole.ForegroundRole).color().name()
    short_fg = m.data(m.index(1, COL["Dir"]), Qt.ItemDataRole.ForegroundRole).color().name()
    assert long_fg != short_fg
    assert m.set_outcome(_mixed()[0].signal_id, "target", 250.0)
    assert m.data(m.index(0, COL["Paper outcome"])) == "target +250 $"
    assert not m.set_outcome("nope", "stop", -1.0)


def test_model_is_bounded() -> None:
    m = BlotterModel(max_rows=50)
    m.add_signals([make_signal(i) for i in range(120)])
    assert m.rowCount() <= 50
    assert m.signal_at(m.rowCount() - 1).signal_id == make_signal(119).signal_id


def test_filters_and_csv_export(qtbot, tmp_path) -> None:
    v = BlotterView()
    qtbot.addWidget(v)
    v.add_signals(_mixed())
    assert v.proxy.rowCount() == 4
    v.set_filters(instrument="ES")
    assert {v.proxy.signal_at(r).instrument for r in range(v.proxy.rowCount())} == {"ES"}
    assert v.proxy.rowCount() == 2
    v.set_filters(tier="elite")
    assert v.proxy.rowCount() == 1 and v.proxy.signal_at(0).direction == "long"
    v.set_filters(instrument="", tier="", direction="short")
    assert v.proxy.rowCount() == 2
    assert "2 of 4" in v.count_label.text()

    out = tmp_path / "signals.csv"
    assert v.export_csv(out) == 2
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert [r["direction"] for r in rows] == ["short", "short"]
    assert [r["instrument"] for r in rows] == ["NQ", "ES"]
    assert rows[0]["id"] == _mixed()[1].signal_id and rows[0]["time_utc"].endswith("Z")
    assert rows[0]["patterns"] == "iceberg long_down_up"


def test_auto_scroll_only_when_newest_row_in_view(qtbot) -> None:
    v = BlotterView()
    qtbot.addWidget(v)
    v.resize(800, 200)
    v.show()
    qtbot.waitExposed(v)
    sb = v.table.verticalScrollBar()
    v.add_signals([make_signal(i) for i in range(40)])
    qtbot.wait(20)
    assert sb.maximum() > 0
    v.table.scrollToBottom()
    qtbot.wait(20)
    v.add_signals([make_signal(i) for i in range(40, 45)])
    qtbot.waitUntil(lambda: sb.value() == sb.maximum(), timeout=2000)
    qtbot.wait(30)
    assert v.newest_in_view()
    # the trader scrolls up to read an old row: new signals must not move the view
    sb.setValue(0)
    v.add_signals([make_signal(i) for i in range(45, 50)])
    qtbot.wait(50)
    assert sb.value() == 0
    assert not v.newest_in_view()


def test_click_on_row_emits_its_signal(qtbot) -> None:
    v = BlotterView()
    qtbot.addWidget(v)
    v.resize(900, 300)
    v.show()
    qtbot.waitExposed(v)
    sigs = _mixed()
    v.add_signals(sigs)
    rect = v.table.visualRect(v.proxy.index(2, COL["Patterns"]))
    with qtbot.waitSignal(v.signal_clicked, timeout=2000) as blocker:
        qtbot.mouseClick(v.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0].signal_id == sigs[2].signal_id
