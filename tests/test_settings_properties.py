"""Property tests: any valid settings survive the file; any JSON garbage loads defaults, never raises."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mia_desktop.config.settings import (
    ENCODINGS,
    INSTRUMENTS,
    SOURCES,
    AlertSettings,
    InstanceConfig,
    Settings,
    settings_from_dict,
    settings_to_dict,
    validate_settings,
)
from mia_desktop.storage.settings_store import SettingsStore

names = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=20)
instance = st.builds(
    InstanceConfig,
    name=names,
    instrument=st.sampled_from([i for i in INSTRUMENTS if i != "custom"]),
    source=st.sampled_from(SOURCES),
    port=st.integers(1, 65535),
    encoding=st.sampled_from(ENCODINGS),
    heartbeat_s=st.integers(5, 60),
    relay=st.booleans(),
    symbol=st.from_regex(r"[A-Z]{2,3}[FGHJKMNQUVXZ][0-9]{1,2}", fullmatch=True),
    username=st.text(max_size=10),
    data_folder=st.just("C:/SierraChart/Data"),
    replay_file=st.just("ES.depth"),
    replay_speed=st.floats(0, 1000),
    enabled=st.booleans(),
)


@given(
    st.lists(instance, max_size=4, unique_by=lambda i: (i.name.casefold(), i.port)),
    st.floats(0, 1),
    st.floats(0, 3600),
)
@settings(max_examples=60, deadline=None)
def test_valid_settings_round_trip(insts: list[InstanceConfig], volume: float, cooldown: float) -> None:
    s = Settings(instances=tuple(insts), alerts=AlertSettings(volume=volume, cooldown_s=cooldown))
    if validate_settings(s):  # e.g. two enabled DTC instances on one port: not what this test is about
        return
    assert settings_from_dict(json.loads(json.dumps(settings_to_dict(s)))) == s


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["schema_version", "instances", "alerts", "heatmap", "risk", "profile", "custom_profiles", "x"]
        ),
        json_values,
        max_size=6,
    )
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_json_loads_or_falls_back_to_defaults(tmp_path: Path, data: dict[str, object]) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_text(json.dumps(data), encoding="utf-8")
    r = store.load()
    if r.warning is None:
        assert validate_settings(r.settings) == []
    else:
        assert r.settings == Settings() and r.backup is not None and r.backup.exists()
        r.backup.unlink()
    assert dataclasses.is_dataclass(r.settings)
