"""Main window without the engine: title, panes, shortcuts, banner, blotter click -> details."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from signal_factory import make_signal

from mia_desktop import __version__
from mia_desktop.ui.blotter_model import COL
from mia_desktop.ui.details_dialog import HeatPatch
from mia_desktop.ui.main_window import MainWindow, window_title


def test_title_panes_and_shortcuts(qtbot) -> None:
    w = MainWindow(demo=True)
    qtbot.addWidget(w)
    assert w.windowTitle() == f"MIA Desktop {__version__} — DEMO (simulated market)"
    assert window_title(False) == f"MIA Desktop {__version__}"
    w.set_instances(["ES", "NQ"])
    assert list(w.panes) == ["ES", "NQ"] and w.heat_split.count() == 2
    w.set_instances(["NQ"])
    assert list(w.panes) == ["NQ"]
    keys = {a.shortcut().toString() for a in w.actions()}
    assert {"Ctrl+,", "Ctrl+E", "Ctrl+M", "F", "Ctrl+Q", "F1"} <= keys
    assert QKeySequence("Ctrl+M").toString() in keys
    w.show_banner("Settings file was corrupt")
    assert not w.banner.isHidden() and "corrupt" in w.banner_label.text()
    assert not w.status.demo_label.isHidden()


def test_blotter_click_opens_details_with_that_signal(qtbot) -> None:
    w = MainWindow(demo=False)
    qtbot.addWidget(w)
    w.set_instances(["ES", "NQ"])
    seen = []

    def provider(sig):
        seen.append(sig)
        sizes = np.ones((20, 30), np.float32) * 100
        return HeatPatch(sizes, int(sig.entry / 0.25) - 10,
                         np.arange(30, dtype=np.int64) * 1_000_000 + sig.ts_us - 15_000_000, 0.25)

    w.details_provider = provider
    w.show()
    qtbot.waitExposed(w)
    sigs = [make_signal(i, instrument=("ES", "NQ")[i % 2], tier=("elite", "strong")[i % 2]) for i in range(6)]
    w.blotter.add_signals(sigs)
    table = w.blotter.table
    rect = table.visualRect(w.blotter.proxy.index(3, COL["Instr"]))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.details is not None and w.details.isVisible(), timeout=3000)
    assert w.details.signal.signal_id == sigs[3].signal_id
    assert seen[-1] is sigs[3]
    assert "NQ" in w.details.title.text()
    assert not w.details.heat_label.pixmap().isNull()
    assert not w.details.isModal()
    w.details.close()


def test_pattern_tape_is_bounded_and_newest_first(qtbot) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    evs = list(make_signal(0).patterns) * 200
    w.add_patterns(evs[:5])
    assert w.tape.count() == 5
    w.add_patterns(evs, max_items=50)
    assert w.tape.count() == 50
    assert "iceberg" in w.tape.item(1).text() or "long_down_up" in w.tape.item(1).text()


def test_ctrl_e_asks_for_a_file_and_exports(qtbot, tmp_path) -> None:
    from PySide6.QtWidgets import QFileDialog

    w = MainWindow()
    qtbot.addWidget(w)
    w.blotter.add_signals([make_signal(i) for i in range(3)])
    w.act_export.trigger()
    dlg = w.blotter.findChild(QFileDialog)
    assert dlg is not None and dlg.isVisible()          # opened with open(): no nested event loop
    assert dlg.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    out = tmp_path / "out.csv"
    with qtbot.waitSignal(w.blotter.exported, timeout=3000) as blocker:
        dlg.fileSelected.emit(str(out))     # what the dialog emits when the user picks a file
    assert blocker.args == [str(out), 3]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    dlg.close()


def test_pattern_tape_items_carry_the_full_text_and_price(qtbot) -> None:
    import dataclasses

    w = MainWindow()
    qtbot.addWidget(w)
    ev = dataclasses.replace(make_signal(0).patterns[0], pattern="vix_regime_change", price=20.5)
    w.add_patterns([ev])
    item = w.tape.item(0)
    assert "20.50" in item.text()                      # the price is in the visible text, not elided last
    assert "vix_regime_change @ 20.50" in item.toolTip()
    assert "vix_reg_chg" in item.text()


def test_flash_status_is_visible_in_the_status_panel(qtbot) -> None:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.flash_status("Alerts muted", 200)
    lbl = w.status.message_label
    assert lbl.isVisible() and lbl.text() == "Alerts muted"
    assert lbl.visibleRegion().boundingRect().width() > 20     # actually painted, not under the panel
    qtbot.waitUntil(lambda: not lbl.isVisible(), timeout=3000)   # cleared by its timer
    w.flash_status("Alert (no audio): sig-1", 5000, "alert")
    assert lbl.isVisible() and "sig-1" in lbl.text() and "background" in lbl.styleSheet()
