"""storage: app folders and the settings file (atomic save, corrupt files kept, defaults + warning)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mia_desktop.config.settings import (
    AlertSettings,
    Settings,
    SettingsError,
    default_instance,
    settings_to_dict,
)
from mia_desktop.storage.paths import app_paths
from mia_desktop.storage.settings_store import SettingsStore


def configured() -> Settings:
    return Settings(
        instances=(default_instance("ES"), default_instance("NQ")), alerts=AlertSettings(volume=0.4)
    )


def test_override_folder_holds_everything(tmp_path: Path) -> None:
    p = app_paths(tmp_path / "cfg").ensure()
    assert p.config_dir == (tmp_path / "cfg").resolve()
    assert p.settings_file.parent == p.config_dir and p.journal_file.parent.is_dir() and p.log_dir.is_dir()
    default = app_paths()
    assert "MIA Desktop" in str(default.config_dir) and "MIA Desktop" in str(default.data_dir)


def test_missing_file_is_a_fresh_install(tmp_path: Path) -> None:
    r = SettingsStore(tmp_path).load()
    assert r.settings == Settings() and r.settings.is_demo and r.warning is None


def test_save_load_round_trip_and_no_temp_left(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "new")
    store.save(configured())
    r = store.load()
    assert r.warning is None and r.settings == configured()
    assert sorted(p.name for p in store.folder.iterdir()) == ["settings.json"]
    assert json.loads(store.path.read_text(encoding="utf-8"))["schema_version"] == 2
    # a second save replaces the first
    store.save(dataclasses.replace(configured(), profile="scalping"))
    assert store.load().settings.profile == "scalping"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (
            json.dumps({"schema_version": 1, "instances": [{"name": "ES", "port": "eleven"}]}).encode(),
            "instances[ES].port",
        ),
        (json.dumps({"schema_version": 1, "instances": [{"name": "ES", "port": 99999}]}).encode(), "1–65535"),
        (json.dumps({"schema_version": 1, "alerts": {"volume": 40}}).encode(), "alerts.volume"),
        (json.dumps({"schema_version": 7}).encode(), "newer"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
    ],
    ids=["syntax", "binary", "list", "type", "port", "volume", "newer", "deep"],
)
def test_corrupt_file_backed_up_defaults_loaded_user_told(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_bytes(content)
    r = store.load()
    assert r.settings == Settings()
    assert r.warning is not None and needle in r.warning and "kept as" in r.warning
    assert r.backup is not None and r.backup.read_bytes() == content
    assert r.backup.name.startswith("settings.corrupt-") and r.backup.suffix == ".json"
    assert not store.path.exists()
    # saving afterwards writes a good file and keeps the backup
    store.save(configured())
    assert store.load().settings == configured() and r.backup.exists()


def test_two_corrupt_files_in_the_same_second_both_kept(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_text("{", encoding="utf-8")
    b1 = store.load().backup
    store.path.write_text("{{", encoding="utf-8")
    b2 = store.load().backup
    assert b1 and b2 and b1 != b2 and b1.read_text() == "{" and b2.read_text() == "{{"


def test_file_is_plain_json_without_passwords(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    s = Settings(instances=(dataclasses.replace(default_instance("ES"), username="trader"),))
    store.save(s)
    data = json.loads(store.path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(settings_to_dict(s)))
    assert "password" not in store.path.read_text(encoding="utf-8").lower()


def test_failed_save_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.save(configured())
    before = store.path.read_bytes()
    bad = dataclasses.replace(configured(), alerts=AlertSettings(volume=float("nan")))
    with pytest.raises(SettingsError, match=r"alerts\.volume"):  # refused before anything is written
        store.save(bad)
    dup = Settings(instances=(default_instance("ES"), default_instance("ES")))
    with pytest.raises(SettingsError, match="already named"):
        store.save(dup)
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
