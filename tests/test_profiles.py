"""Profiles: the SIGNALS.md table, custom copies, validation messages, auto mode, risk settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mia_desktop.analysis.keylevels import KeyLevelError, parse_key_levels
from mia_desktop.config import (
    PROFILES,
    ProfileError,
    RiskSettings,
    custom_profile,
    get_profile,
    profile_from_dict,
    validate_profile,
)

TABLE = {  # field: (scalping, production, development, budget) — SIGNALS.md
    "analysis_interval_ms": (100, 250, 500, 1000),
    "depth_levels": (20, 10, 10, 5),
    "iceberg_min_volume": (300, 500, 200, 500),
    "wall_min_size": (600, 1000, 400, 1000),
    "absorption_min_volume": (150, 300, 100, 300),
    "min_size_threshold": (50, 50, 10, 100),
    "max_signals_per_hour": (12, 6, 20, 4),
    "min_elite_score": (0.65, 0.70, 0.50, 0.75),
}


@pytest.mark.parametrize("i,name", list(enumerate(["scalping", "production", "development", "budget"])))
def test_builtin_profiles_match_the_table(i: int, name: str) -> None:
    p = get_profile(name)
    for f, vals in TABLE.items():
        assert getattr(p, f) == vals[i], f
    assert validate_profile(p) is p
    assert p.builtin
    assert p.dom_params().wall_min_size == p.wall_min_size


def test_get_profile_is_case_insensitive_and_names_choices() -> None:
    assert get_profile("Production") is PROFILES["production"]
    with pytest.raises(KeyError, match="scalping"):
        get_profile("turbo")


def test_custom_profile_copies_a_builtin() -> None:
    p = custom_profile("my es", base="scalping", wall_min_size=800)
    assert p.wall_min_size == 800 and p.base == "scalping" and not p.builtin
    assert p.depth_levels == 20
    assert get_profile("my es", {"my es": p}) is p


def test_validation_lists_every_bad_field() -> None:
    bad = replace(PROFILES["production"], name="x", base="production", depth_levels=0, min_elite_score=1.5,
                  wall_min_size=float("nan"), auto=("nope",), analysis_interval_ms=2.5)  # type: ignore[arg-type]
    with pytest.raises(ProfileError) as ei:
        validate_profile(bad)
    errs = ei.value.errors
    assert set(errs) == {"depth_levels", "min_elite_score", "wall_min_size", "auto", "analysis_interval_ms"}
    assert "between 1 and 200" in errs["depth_levels"]
    assert "'nope'" in errs["auto"]
    assert "depth_levels:" in str(ei.value)


def test_custom_profile_cannot_take_a_builtin_name_or_unknown_field() -> None:
    with pytest.raises(ProfileError, match="built-in"):
        custom_profile("production", base="budget")
    with pytest.raises(ProfileError) as ei:
        custom_profile("x", colour="red")
    assert ei.value.errors == {"colour": "no such profile field"}


def test_auto_modes_are_exposed_and_round_trip() -> None:
    p = PROFILES["production"].with_auto(True)
    assert p.threshold_modes()["wall_min_size"] == "auto"
    assert PROFILES["production"].threshold_modes()["wall_min_size"] == "absolute"
    c = custom_profile("thin", auto=["wall_min_size"], wall_min_size=900)
    back = profile_from_dict(c.to_dict())
    assert back == c


def test_profile_from_dict_rejects_bad_nested_values() -> None:
    d = custom_profile("c").to_dict()
    d["dom"]["wall_ratio"] = -1
    with pytest.raises(ProfileError, match=r"dom\.wall_ratio"):
        profile_from_dict(d)


def test_risk_settings_validation() -> None:
    assert RiskSettings().validate() == RiskSettings()
    with pytest.raises(ProfileError) as ei:
        RiskSettings(risk_per_trade_usd=0, base_contracts=20, max_trades_per_day=0).validate()
    assert set(ei.value.errors) == {"risk_per_trade_usd", "max_trades_per_day"}
    with pytest.raises(ProfileError, match="base_contracts"):
        RiskSettings(base_contracts=20).validate()


def test_key_levels_parse_text_with_header_and_comments() -> None:
    lv = parse_key_levels("price,label\n# gamma\n4800, call wall\n\n4750.5;put\n4825\n")
    assert [(k.price, k.label) for k in lv] == [(4800.0, "call wall"), (4750.5, "put"), (4825.0, "4825")]
    with pytest.raises(KeyLevelError, match="line 3"):
        parse_key_levels("4800,a\n4810,b\nabc,c")
    with pytest.raises(KeyLevelError, match="positive"):
        parse_key_levels("-5,x")
