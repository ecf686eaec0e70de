"""config/settings.py: defaults, round-trip, migration, per-field validation."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mia_desktop.config.settings import (
    SCHEMA_VERSION,
    AlertSettings,
    HeatmapSettings,
    InstanceConfig,
    Settings,
    SettingsError,
    changed_instances,
    copy_profile,
    default_instance,
    settings_from_dict,
    settings_to_dict,
    validate_instance,
    validate_settings,
)


def two() -> Settings:
    return Settings(instances=(default_instance("ES"), default_instance("NQ")))


def test_fresh_settings_mean_demo_and_documented_defaults() -> None:
    s = Settings()
    assert s.is_demo and s.instances == ()
    es, nq = default_instance("ES"), default_instance("NQ")
    assert (es.host, es.port, nq.host, nq.port) == ("127.0.0.1", 11099, "127.0.0.1", 11199)
    assert validate_settings(two()) == []


def test_round_trip_through_json_is_equal() -> None:
    s = two()
    base = s.get_profile("scalping")
    custom = copy_profile(base, "mine")
    s = dataclasses.replace(
        s,
        custom_profiles=(custom,),
        profile="mine",
        alerts=AlertSettings(volume=0.3, cooldown_s=12.5, muted=True),
        heatmap=HeatmapSettings(colormap="viridis", scale="linear", history_minutes=30),
    )
    back = settings_from_dict(json.loads(json.dumps(settings_to_dict(s))))
    assert back == s
    assert back.get_profile("mine") == custom and back.get_profile("mine").name == "mine"


def test_password_is_not_a_settings_field() -> None:
    names = {f.name for f in dataclasses.fields(InstanceConfig)}
    assert "password" not in names and "username" in names


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("port", 0, "1–65535"),
        ("port", 70000, "1–65535"),
        ("heartbeat_s", 4, "5–60"),
        ("heartbeat_s", 61, "5–60"),
        ("name", "", "empty"),
        ("host", "", "Host"),
        ("symbol", "E S", "spaces"),
        ("encoding", "xml", "Encoding"),
        ("replay_speed", -1.0, "Replay speed"),
    ],
)
def test_instance_field_refused_with_its_own_message(field: str, value: object, needle: str) -> None:
    bad = dataclasses.replace(default_instance("ES"), **{field: value})
    errs = validate_instance(bad)
    assert set(errs) == {field}
    assert needle in errs[field]


def test_source_specific_requirements() -> None:
    sc = dataclasses.replace(default_instance("ES"), source="scfiles")
    assert "data_folder" in validate_instance(sc)
    rp = dataclasses.replace(default_instance("ES"), source="replay")
    assert "replay_file" in validate_instance(rp)
    vx = dataclasses.replace(default_instance("ES"), vix_source="csv")
    assert "vix_path" in validate_instance(vx)
    cu = dataclasses.replace(default_instance("custom", "CL"), symbol="CLZ6", custom_tick_size=0.0)
    assert set(validate_instance(cu)) == {"custom_tick_size"}


def test_duplicate_names_and_endpoints_refused() -> None:
    es = default_instance("ES")
    dup_name = Settings(instances=(es, dataclasses.replace(default_instance("NQ"), name="es")))
    errs = validate_settings(dup_name)
    assert [e.field for e in errs] == ["instances[ES].name", "instances[es].name"]
    assert "also named 'es'" in errs[0].message and "already named 'ES'" in errs[1].message
    dup_ep = Settings(
        instances=(es, dataclasses.replace(default_instance("NQ"), port=11099, host="localhost"))
    )
    errs = validate_settings(dup_ep)
    assert [e.field for e in errs] == ["instances[ES].port", "instances[NQ].port"]
    assert "'NQ' already uses" in errs[0].message and "'ES' already uses" in errs[1].message
    # a disabled duplicate endpoint is harmless
    ok = Settings(instances=(es, dataclasses.replace(default_instance("NQ"), port=11099, enabled=False)))
    assert validate_settings(ok) == []


def test_unknown_profile_refused() -> None:
    s = Settings(instances=(dataclasses.replace(default_instance("ES"), profile="nope"),))
    assert [e.field for e in validate_settings(s)] == ["instances[ES].profile"]


def test_global_sections_validated() -> None:
    s = dataclasses.replace(
        Settings(),
        alerts=AlertSettings(volume=1.5),
        heatmap=HeatmapSettings(low_cut=0.6, high_cut=0.5, colormap="nope"),
    )
    fields = {e.field for e in validate_settings(s)}
    assert fields == {"alerts.volume", "heatmap.high_cut", "heatmap.colormap"}
    r = dataclasses.replace(Settings().risk, base_contracts=5, max_contracts=3)
    errs = validate_settings(dataclasses.replace(Settings(), risk=r))
    assert [e.field for e in errs] == ["risk.max_contracts"]


def test_custom_profile_validation_and_name_clash() -> None:
    base = Settings().get_profile("production")
    clash = copy_profile(base, "production")
    assert "custom_profiles[production].name" in {
        e.field for e in validate_settings(Settings(custom_profiles=(clash,)))
    }
    bad = dataclasses.replace(copy_profile(base, "x"), min_elite_score=1.7)
    assert {e.field for e in validate_settings(Settings(custom_profiles=(bad,)))} == {
        "custom_profiles[x].min_elite_score"
    }


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["instances"][0].__setitem__("port", "11099"), "instances[ES].port"),
        (lambda d: d["instances"][0].__setitem__("enabled", 1), "instances[ES].enabled"),
        (lambda d: d["alerts"].__setitem__("volume", None), "alerts.volume"),
        (lambda d: d.__setitem__("instances", {}), "instances"),
        (lambda d: d["instances"][0].__setitem__("port", 0), "instances[ES].port"),
        (lambda d: d.__setitem__("schema_version", 99), "schema_version"),
    ],
)
def test_from_dict_names_the_bad_field(mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    d = settings_to_dict(two())
    mutate(d)
    with pytest.raises(SettingsError) as info:
        settings_from_dict(d)
    assert field in {e.field for e in info.value.errors}


def test_unknown_keys_ignored_and_missing_keys_default() -> None:
    d = settings_to_dict(two())
    d["instances"][0]["future_field"] = 1
    del d["instances"][1]["encoding"]
    del d["heatmap"]
    s = settings_from_dict(d)
    assert s.instances[1].encoding == "binary" and s.heatmap == HeatmapSettings()


def test_migration_from_schema_0() -> None:
    old = {
        "instances": [{"name": "ES", "heartbeat": 20, "port": 11099, "symbol": "ESZ6"}],
        "alert": {"volume": 50, "muted": True},
    }
    s = settings_from_dict(old)
    assert s.schema_version == SCHEMA_VERSION
    assert s.instances[0].heartbeat_s == 20 and s.instances[0].symbol == "ESZ6"
    assert s.alerts.volume == pytest.approx(0.5) and s.alerts.muted


def test_changed_instances_only_the_ones_that_changed() -> None:
    old = two()
    assert changed_instances(old, old) == set()
    nq2 = dataclasses.replace(old.instances[1], heartbeat_s=30)
    assert changed_instances(old, dataclasses.replace(old, instances=(old.instances[0], nq2))) == {"NQ"}
    added = dataclasses.replace(old, instances=(*old.instances, default_instance("MES")))
    assert changed_instances(old, added) == {"MES"}
    assert changed_instances(old, dataclasses.replace(old, instances=old.instances[:1])) == {"NQ"}
    # alerts and colour map restart nothing; risk restarts every instance
    quiet = dataclasses.replace(
        old, alerts=AlertSettings(muted=True), heatmap=HeatmapSettings(colormap="grey")
    )
    assert changed_instances(old, quiet) == set()
    risk = dataclasses.replace(old, risk=dataclasses.replace(old.risk, base_contracts=1))
    assert changed_instances(old, risk) == {"ES", "NQ"}


def test_changed_profile_content_restarts_its_users() -> None:
    base = Settings().get_profile("production")
    mine = copy_profile(base, "mine")
    es = dataclasses.replace(default_instance("ES"), profile="mine")
    old = Settings(instances=(es, default_instance("NQ")), custom_profiles=(mine,))
    new = dataclasses.replace(old, custom_profiles=(dataclasses.replace(mine, depth_levels=7),))
    assert changed_instances(old, new) == {"ES"}
