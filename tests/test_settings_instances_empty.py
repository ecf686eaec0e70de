"""Instances page on a fresh install (no instances): no unbound form on show; rows follow the source;
tick size and value shown with sensible decimals."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt

from mia_desktop.config.settings import Settings
from mia_desktop.ui.settings_dialog import SettingsDialog


def test_no_instances_hides_the_form_until_add(qtbot) -> None:  # type: ignore[no-untyped-def]
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.open()
    ip = d.instances_page
    assert not ip.rows
    assert not ip.form.isVisibleTo(d) and not ip.form.isEnabled()   # nothing to edit yet
    assert ip.empty_note.isVisibleTo(d)
    rows = ip.form.rows
    # source-dependent rows already applied (a DTC template): no replay / Sierra Chart folder rows
    assert not rows["replay_file"].isVisibleTo(ip.form) and not rows["data_folder"].isVisibleTo(ip.form)
    assert not rows["custom_tick_size"].isVisibleTo(ip.form)

    qtbot.mouseClick(ip.add_button, Qt.MouseButton.LeftButton)
    assert ip.form.isVisibleTo(d) and ip.form.isEnabled()
    assert ip.form.rows["host"].isVisibleTo(d) and not ip.form.rows["replay_file"].isVisibleTo(d)
    ip.remove_current()
    assert not ip.form.isVisibleTo(d)


def test_tick_size_and_value_decimals(qtbot) -> None:  # type: ignore[no-untyped-def]
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.open()
    ip = d.instances_page
    ip.add_instance()
    w = ip.form.widgets
    w["instrument"].setCurrentIndex(w["instrument"].findData("custom"))
    w["custom_tick_size"].setValue(0.25)
    w["custom_tick_value"].setValue(12.5)
    assert w["custom_tick_size"].text() == "0.25"
    assert w["custom_tick_value"].text() == "12.50 USD"
    w["custom_tick_size"].setValue(0.000125)
    assert w["custom_tick_size"].text() == "0.000125"         # precision kept, zeros trimmed
    cfg = ip.instances()[-1]
    assert dataclasses.asdict(cfg)["custom_tick_size"] == 0.000125
