"""Strong-tier sound per direction: schema 2 splits `sound_strong`, migrating v1 files, and the
player and the Alerts page honour each direction."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from test_alerts import Clock, sig

from mia_desktop.config.settings import SCHEMA_VERSION, AlertSettings, Settings, settings_from_dict
from mia_desktop.storage.settings_store import SettingsStore
from mia_desktop.ui.alerts import AlertPlayer, sound_for
from mia_desktop.ui.settings_dialog import SettingsDialog


def test_v1_file_migrates_sound_strong_to_both_directions(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 2
    for old in (True, False):
        s = settings_from_dict({"schema_version": 1, "alerts": {"sound_strong": old, "volume": 0.5}})
        assert (s.alerts.sound_strong_long, s.alerts.sound_strong_short) == (old, old)
        assert s.alerts.volume == 0.5 and s.schema_version == 2
    # through a real file, and it is written back in the new form
    store = SettingsStore(tmp_path)
    v1 = {"schema_version": 1, "alerts": {"sound_strong": True}}
    store.path.write_text(json.dumps(v1), encoding="utf-8")
    loaded = store.load().settings
    assert loaded.alerts.sound_strong_long and loaded.alerts.sound_strong_short
    store.save(loaded)
    saved = json.loads(store.path.read_text(encoding="utf-8"))
    assert saved["schema_version"] == 2 and "sound_strong" not in saved["alerts"]
    assert saved["alerts"]["sound_strong_long"] is True and saved["alerts"]["sound_strong_short"] is True


def test_v0_file_also_migrates_and_new_keys_win() -> None:
    s = settings_from_dict({"alert": {"sound_strong": True, "volume": 80}})  # pre-release, no version
    assert s.alerts.sound_strong_long and s.alerts.sound_strong_short and s.alerts.volume == 0.8
    s = settings_from_dict({"schema_version": 2, "alerts": {"sound_strong_long": True}})
    assert s.alerts.sound_strong_long and not s.alerts.sound_strong_short


def test_player_honours_each_strong_direction(qtbot) -> None:  # type: ignore[no-untyped-def]
    long_only = AlertSettings(sound_strong_long=True, sound_strong_short=False)
    short_only = AlertSettings(sound_strong_long=False, sound_strong_short=True)
    assert sound_for(sig(1, tier="strong"), long_only) == "strong"
    assert sound_for(sig(2, direction="short", tier="strong"), long_only) is None
    assert sound_for(sig(3, tier="strong"), short_only) is None
    assert sound_for(sig(4, direction="short", tier="strong"), short_only) == "strong"
    p = AlertPlayer(AlertSettings(cooldown_s=0, sound_strong_long=True), clock=Clock())
    assert p.alert(sig(5, tier="strong")) and p.last_sound == "strong"
    assert not p.alert(sig(6, direction="short", tier="strong"))
    p.set_settings(AlertSettings(cooldown_s=0, sound_strong_short=True))
    assert not p.alert(sig(7, tier="strong"))
    assert p.alert(sig(8, direction="short", tier="strong"))


def test_alerts_page_has_a_toggle_per_strong_direction(qtbot) -> None:  # type: ignore[no-untyped-def]
    d = SettingsDialog(Settings())
    qtbot.addWidget(d)
    d.open()
    w = d.alerts_form.widgets
    assert "sound_strong" not in w
    assert not w["sound_strong_long"].isChecked() and not w["sound_strong_short"].isChecked()
    w["sound_strong_short"].setChecked(True)
    assert d.is_valid(), d.errors()
    with qtbot.waitSignal(d.applied, timeout=2000) as blocker:
        qtbot.mouseClick(d.apply_button, Qt.MouseButton.LeftButton)
    new: Settings = blocker.args[0]
    assert (new.alerts.sound_strong_long, new.alerts.sound_strong_short) == (False, True)
