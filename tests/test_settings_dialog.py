"""ui/settings_dialog.py with real widgets (offscreen): round trip through the dialog and the file,
inline messages for invalid input, passwords in the keyring only, the Sierra Chart folder check."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from keyring_memory import MemoryKeyring
from PySide6.QtCore import Qt

from mia_desktop.config.settings import Settings, changed_instances, default_instance
from mia_desktop.storage.settings_store import SettingsStore
from mia_desktop.ui.alerts import AlertPlayer
from mia_desktop.ui.settings_dialog import SettingsDialog


def make(qtbot, settings: Settings, **kw) -> SettingsDialog:  # type: ignore[no-untyped-def]
    d = SettingsDialog(settings, **kw)
    qtbot.addWidget(d)
    d.open()
    return d


def test_round_trip_through_widgets_and_file(qtbot, tmp_path: Path, memkeyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path)
    d = make(qtbot, store.load().settings, store=store)
    assert d.isVisible() and not d.isModal()
    ip = d.instances_page
    assert ip.empty_note.isVisibleTo(d) and not ip.form.isEnabled()  # fresh install: demo

    qtbot.mouseClick(ip.add_button, Qt.MouseButton.LeftButton)
    f = ip.form.widgets
    f["name"].setText("ES live")
    f["symbol"].setText("ESZ26_FUT_CME")
    f["heartbeat_s"].setValue(20)
    f["encoding"].setCurrentIndex(f["encoding"].findData("json"))
    f["username"].setText("trader")
    ip.password.setText("s3cret-pw")
    ip.password.textEdited.emit("s3cret-pw")
    qtbot.mouseClick(ip.add_button, Qt.MouseButton.LeftButton)  # second instance: NQ on 11199
    assert ip.form.widgets["port"].value() == 11199

    pp = d.profiles_page
    pp.select("scalping")
    copied = pp.copy_current()
    pf = pp.form.widgets
    pf["name"].setText("my scalp")
    pf["wall_min_size"].setValue(750)
    pp.auto_boxes["iceberg_min_volume"].setChecked(True)
    assert copied.name == "scalping copy" and pp.custom_profiles()[0].name == "my scalp"
    ip.list.setCurrentRow(0)
    f["profile"].setCurrentIndex(f["profile"].findData("my scalp"))

    d.alerts_form.widgets["volume"].setValue(35)
    d.alerts_form.widgets["cooldown_s"].setValue(12)
    d.alerts_form.widgets["muted"].setChecked(True)
    hm = d.heatmap_form.widgets
    hm["colormap"].setCurrentIndex(hm["colormap"].findData("viridis"))
    hm["scale"].setCurrentIndex(hm["scale"].findData("linear"))
    hm["history_minutes"].setValue(90)
    d.risk_form.widgets["base_contracts"].setValue(3)
    d.risk_form.widgets["risk_per_trade_usd"].setValue(400)

    assert d.is_valid(), d.errors()
    with qtbot.waitSignal(d.applied, timeout=2000) as blocker:
        qtbot.mouseClick(d.apply_button, Qt.MouseButton.LeftButton)
    new: Settings = blocker.args[0]
    es, nq = new.instances
    assert (es.name, es.symbol, es.heartbeat_s, es.encoding, es.username, es.profile, es.port) == (
        "ES live",
        "ESZ26_FUT_CME",
        20,
        "json",
        "trader",
        "my scalp",
        11099,
    )
    assert nq.instrument == "NQ" and nq.port == 11199
    (mine,) = new.custom_profiles
    assert mine.wall_min_size == 750 and mine.auto == ("iceberg_min_volume",) and mine.base == "scalping"
    assert mine.analysis_interval_ms == 100  # copied from scalping
    assert (new.alerts.volume, new.alerts.cooldown_s, new.alerts.muted) == (0.35, 12.0, True)
    assert (new.heatmap.colormap, new.heatmap.scale, new.heatmap.history_minutes) == ("viridis", "linear", 90)
    assert (new.risk.base_contracts, new.risk.risk_per_trade_usd) == (3, 400.0)

    reloaded = SettingsStore(tmp_path).load()
    assert reloaded.warning is None and reloaded.settings == new
    assert memkeyring.store == {("MIA Desktop", "ES live/trader"): "s3cret-pw"}
    assert b"s3cret-pw" not in store.path.read_bytes()

    # reopening the dialog on the saved settings and applying unchanged gives the same settings
    d2 = make(qtbot, reloaded.settings)
    assert d2.current_settings() == new
    assert "keyring" in d2.instances_page.password.placeholderText()


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("port", 0, "Port must be 1–65535"),
        ("port", 70000, "Port must be 1–65535"),
        ("heartbeat_s", 61, "5–60"),
        ("name", "", "must not be empty"),
        ("name", "nq", "also named"),
        ("host", "", "Host must not be empty"),
    ],
)
def test_invalid_instance_field_refused_next_to_the_field(
    qtbot, field: str, value: object, needle: str
) -> None:  # type: ignore[no-untyped-def]
    d = make(qtbot, Settings(instances=(default_instance("ES"), default_instance("NQ"))))
    w = d.instances_page.form.widgets[field]
    applied: list[object] = []
    d.applied.connect(applied.append)
    if isinstance(value, str):
        w.setText(value)
    else:
        w.setValue(value)
    row = d.instances_page.form.rows[field]
    assert needle in row.error and row.message.isVisibleTo(d) and needle in row.message.text()
    assert not d.ok_button.isEnabled() and not d.apply_button.isEnabled()
    assert d.apply() is False and applied == []
    assert d.tabs.tabText(0) == "Instances ⚠"
    # fixing it clears the message and enables the buttons
    if field == "name":
        w.setText("ES")
    elif field == "host":
        w.setText("127.0.0.1")
    else:
        w.setValue(11099 if field == "port" else 10)
    assert row.error == "" and d.ok_button.isEnabled() and d.tabs.tabText(0) == "Instances"


def test_same_endpoint_and_global_pages_refused(qtbot) -> None:  # type: ignore[no-untyped-def]
    d = make(qtbot, Settings(instances=(default_instance("ES"), default_instance("NQ"))))
    d.instances_page.list.setCurrentRow(1)
    d.instances_page.form.widgets["port"].setValue(11099)
    assert "already uses 127.0.0.1:11099" in d.instances_page.form.rows["port"].error
    d.instances_page.form.widgets["enabled"].setChecked(False)  # disabled: no clash
    assert d.is_valid()
    d.risk_form.widgets["max_contracts"].setValue(1)  # below base contracts (2)
    assert "at least the base contracts" in d.risk_form.rows["max_contracts"].error
    d.risk_form.widgets["max_contracts"].setValue(10)
    d.heatmap_form.widgets["low_cut"].setValue(80)
    d.heatmap_form.widgets["high_cut"].setValue(50)
    assert "above the lower" in d.heatmap_form.rows["high_cut"].error and not d.apply_button.isEnabled()
    d.heatmap_form.widgets["high_cut"].setValue(100)
    d.alerts_form.widgets["cooldown_s"].setValue(-1)
    assert "Cooldown" in d.alerts_form.rows["cooldown_s"].error
    d.alerts_form.widgets["cooldown_s"].setValue(5)
    assert d.is_valid()


def test_custom_profile_fields_validated_and_builtins_read_only(qtbot) -> None:  # type: ignore[no-untyped-def]
    d = make(qtbot, Settings())
    pp = d.profiles_page
    pp.select("production")
    assert not pp.form.isEnabled() and not pp.readonly_note.isHidden()
    pp.copy_current()
    assert pp.form.isEnabled()
    pp.form.widgets["min_elite_score"].setValue(1.5)
    assert pp.form.rows["min_elite_score"].error and not d.apply_button.isEnabled()
    pp.form.widgets["min_elite_score"].setValue(0.8)
    pp.form.widgets["name"].setText("Budget")
    assert "built-in" in pp.form.rows["name"].error
    pp.form.widgets["name"].setText("mine")
    assert d.is_valid()
    assert d.current_settings().custom_profiles[0].min_elite_score == pytest.approx(0.8)


def test_profile_rename_follows_into_instances(qtbot) -> None:  # type: ignore[no-untyped-def]
    base = Settings()
    mine = dataclasses.replace(base.get_profile("production"), name="mine", base="production")
    s = Settings(
        instances=(dataclasses.replace(default_instance("ES"), profile="mine"),), custom_profiles=(mine,)
    )
    d = make(qtbot, s)
    d.profiles_page.select("mine")
    d.profiles_page.form.widgets["name"].setText("mine2")
    assert d.current_settings().instances[0].profile == "mine2" and d.is_valid()


def test_sierra_chart_folder_check(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = make(qtbot, Settings(instances=(default_instance("ES"),)))
    f = d.instances_page.form
    f.widgets["source"].setCurrentIndex(f.widgets["source"].findData("scfiles"))
    assert "Choose the Sierra Chart Data folder" in f.rows["data_folder"].error
    assert d.instances_page.browse_data.isVisibleTo(d) and not f.rows["host"].isVisibleTo(d)
    data = tmp_path / "Data"
    (data / "MarketDepthData" / "2026").mkdir(parents=True)
    f.widgets["data_folder"].setText(str(data))
    assert "No .depth files" in f.rows["data_folder"].message.text() and d.is_valid()  # warning only
    (data / "MarketDepthData" / "2026" / "ESZ6.CME.2026-11-25.depth").write_bytes(b"\0" * 64)
    f.widgets["data_folder"].setText(str(data) + "/")
    assert "Found 1 .depth file" in f.rows["data_folder"].message.text()
    f.widgets["data_folder"].setText(str(tmp_path / "missing"))
    assert "Folder not found" in f.rows["data_folder"].error and not d.ok_button.isEnabled()


def test_apply_reports_only_changed_instances_and_removal_deletes_password(
    qtbot, memkeyring: MemoryKeyring
) -> None:  # type: ignore[no-untyped-def]
    es = dataclasses.replace(default_instance("ES"), username="u1")
    old = Settings(instances=(es, default_instance("NQ")))
    memkeyring.set_password("MIA Desktop", "ES/u1", "pw")
    d = make(qtbot, old)
    d.instances_page.list.setCurrentRow(1)
    d.instances_page.form.widgets["heartbeat_s"].setValue(30)
    d.alerts_form.widgets["volume"].setValue(10)
    with qtbot.waitSignal(d.applied, timeout=1000) as blocker:
        assert d.apply()
    assert changed_instances(old, blocker.args[0]) == {"NQ"}
    assert d.settings == blocker.args[0]
    d.instances_page.list.setCurrentRow(0)
    qtbot.mouseClick(d.instances_page.remove_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(d.applied, timeout=1000) as blocker2:
        qtbot.mouseClick(d.ok_button, Qt.MouseButton.LeftButton)
    assert [i.name for i in blocker2.args[0].instances] == ["NQ"]
    assert memkeyring.store == {} and not d.isVisible()


def test_test_button_plays_through_the_alert_player(qtbot) -> None:  # type: ignore[no-untyped-def]
    player = AlertPlayer()
    d = make(qtbot, Settings(), player=player)
    d.alerts_form.widgets["muted"].setChecked(True)
    with qtbot.waitSignal(player.played, timeout=1000) as blocker:
        qtbot.mouseClick(d.test_short, Qt.MouseButton.LeftButton)
    assert blocker.args == ["test:elite_short"] and player.last_sound == "elite_short"


def test_colour_maps_offered_are_the_ones_the_heatmap_draws() -> None:
    from mia_desktop.config.settings import COLORMAPS
    from mia_desktop.ui.heatmap.colormaps import COLORMAP_NAMES, colormap_lut

    assert set(COLORMAPS) == set(COLORMAP_NAMES)
    for name in COLORMAPS:
        assert colormap_lut(name).shape == (256, 4)


def test_renamed_instance_keeps_its_password(qtbot, memkeyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    es = dataclasses.replace(default_instance("ES"), username="u1")
    memkeyring.set_password("MIA Desktop", "ES/u1", "pw1")
    d = make(qtbot, Settings(instances=(es,)))
    d.instances_page.form.widgets["name"].setText("ES main")
    assert d.apply()
    assert memkeyring.store == {("MIA Desktop", "ES main/u1"): "pw1"}
    # a typed password wins over the moved one, and an emptied one is removed
    d.instances_page.password.setText("pw2")
    d.instances_page.password.textEdited.emit("pw2")
    assert d.apply()
    assert memkeyring.store == {("MIA Desktop", "ES main/u1"): "pw2"}
    d.instances_page.password.textEdited.emit("")
    assert d.apply() and memkeyring.store == {}


def test_detector_parameters_editable_validated_and_saved(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SettingsStore(tmp_path)
    d = make(qtbot, Settings(), store=store)
    pp = d.profiles_page
    pp.select("production")
    key_item = pp.params._items["dom.wall_ratio"]
    assert not (key_item.flags() & Qt.ItemFlag.ItemIsEditable)  # built-in: read-only
    assert "dom.depth_levels" not in pp.params._items  # table field, edited above
    pp.copy_current()
    assert pp.params._items["dom.wall_ratio"].flags() & Qt.ItemFlag.ItemIsEditable
    pp.params.edit_value("dom.wall_ratio", "abc")
    assert not d.is_valid() and "must be a number" in d.errors()[0].message
    pp.params.edit_value("dom.wall_ratio", "4.5")
    pp.params.edit_value("vix.bounds", "12, 18, 25")
    assert any("needs 4 numbers" in e.message for e in d.errors())
    pp.params.edit_value("vix.bounds", "30, 18, 25, 35")
    assert any(e.field.endswith("vix.bounds") and "increase" in e.message for e in d.errors())
    assert "increase" in pp.params._items["vix.bounds"].toolTip(1) and not d.apply_button.isEnabled()
    pp.params.edit_value("vix.bounds", "11, 17, 26, 36")
    pp.form.widgets["wall_min_size"].setValue(1200)  # table edit keeps the tree edits
    assert d.is_valid(), d.errors()
    with qtbot.waitSignal(d.applied, timeout=1000):
        assert d.apply()
    (p,) = SettingsStore(tmp_path).load().settings.custom_profiles
    assert (p.dom.wall_ratio, p.vix.bounds, p.wall_min_size) == (4.5, (11.0, 17.0, 26.0, 36.0), 1200)
