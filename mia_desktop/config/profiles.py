"""Analysis profiles: Scalping, Production, Development, Budget (SIGNALS.md table) and custom copies.

A profile is an immutable value: the SIGNALS.md table fields, which absolute size thresholds run
in `auto` mode (scaled to the session's own size distribution, see `AutoParams`), and one params
dataclass per detector family holding every window, ratio and weight. Custom profiles are copies of
a built-in with some fields changed; `validate_profile` reports every bad field at once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from mia_desktop.analysis.params import (
    AUTO_FIELDS,
    AdvancedParams,
    AutoParams,
    BattleParams,
    ConfluenceParams,
    DomParams,
    VixParams,
)

TABLE_FIELDS = ("analysis_interval_ms", "depth_levels", "iceberg_min_volume", "wall_min_size",
                "absorption_min_volume", "min_size_threshold", "max_signals_per_hour", "min_elite_score")


class ProfileError(ValueError):
    """A profile failed validation; `errors` maps field name -> message."""

    def __init__(self, errors: dict[str, str], name: str = "") -> None:
        self.errors = dict(errors)
        lines = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        super().__init__(f"invalid profile {name!r}: {lines}" if name else f"invalid profile: {lines}")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    analysis_interval_ms: int
    depth_levels: int
    iceberg_min_volume: float
    wall_min_size: float
    absorption_min_volume: float
    min_size_threshold: float
    max_signals_per_hour: int
    min_elite_score: float
    auto: tuple[str, ...] = ()              # names from AUTO_FIELDS running in auto mode
    base: str = ""                          # the built-in a custom profile was copied from
    auto_params: AutoParams = field(default_factory=AutoParams)
    dom: DomParams = field(default_factory=DomParams)
    vix: VixParams = field(default_factory=VixParams)
    battle: BattleParams = field(default_factory=BattleParams)
    advanced: AdvancedParams = field(default_factory=AdvancedParams)
    confluence: ConfluenceParams = field(default_factory=ConfluenceParams)

    @property
    def builtin(self) -> bool:
        return self.name in PROFILES and PROFILES[self.name] == self

    def is_auto(self, field_name: str) -> bool:
        return field_name in self.auto

    def threshold_modes(self) -> dict[str, str]:
        """Which mode each absolute size threshold runs in ("auto" or "absolute"), for the UI."""
        return {f: ("auto" if f in self.auto else "absolute") for f in AUTO_FIELDS}

    def dom_params(self) -> DomParams:
        return self.dom.with_thresholds(
            depth_levels=self.depth_levels, iceberg_min_volume=self.iceberg_min_volume,
            wall_min_size=self.wall_min_size, absorption_min_volume=self.absorption_min_volume,
            min_size_threshold=self.min_size_threshold)

    def with_auto(self, enabled: bool = True, fields_: tuple[str, ...] = AUTO_FIELDS) -> Profile:
        return replace(self, auto=tuple(fields_) if enabled else ())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["auto"] = list(self.auto)
        return d


def _p(name: str, interval: int, depth: int, ice: float, wall: float, absorb: float, min_size: float,
       per_hour: int, elite: float) -> Profile:
    return Profile(name, interval, depth, ice, wall, absorb, min_size, per_hour, elite)


PROFILES: dict[str, Profile] = {
    "scalping": _p("scalping", 100, 20, 300, 600, 150, 50, 12, 0.65),
    "production": _p("production", 250, 10, 500, 1000, 300, 50, 6, 0.70),
    "development": _p("development", 500, 10, 200, 400, 100, 10, 20, 0.50),
    "budget": _p("budget", 1000, 5, 500, 1000, 300, 100, 4, 0.75),
}


def get_profile(name: str, custom: dict[str, Profile] | None = None) -> Profile:
    """Built-in (case-insensitive) or custom profile by name; KeyError names the choices."""
    key = name.strip().lower()
    if key in PROFILES:
        return PROFILES[key]
    if custom and name in custom:
        return custom[name]
    choices = sorted(PROFILES) + sorted(custom or {})
    raise KeyError(f"unknown profile {name!r}; choose one of {', '.join(choices)}")


def _check_params(prefix: str, obj: Any, errors: dict[str, str]) -> None:
    for f in fields(obj):
        v = getattr(obj, f.name)
        vals = v if isinstance(v, tuple) else (v,)
        for x in vals:
            if isinstance(x, bool) or not isinstance(x, int | float):
                errors[f"{prefix}.{f.name}"] = f"must be a number, got {x!r}"
                break
            if not math.isfinite(x) or x < 0:
                errors[f"{prefix}.{f.name}"] = f"must be a finite number ≥ 0, got {x!r}"
                break


def validate_profile(p: Profile) -> Profile:
    """Return `p` unchanged, or raise ProfileError listing every bad field with its reason."""
    e: dict[str, str] = {}
    if not isinstance(p.name, str) or not p.name.strip():
        e["name"] = "must not be empty"
    elif p.name.strip().lower() in PROFILES and p.base:
        e["name"] = f"{p.name!r} is a built-in profile's name; pick another name for a copy"

    def num(fname: str, lo: float, hi: float, integer: bool = False) -> None:
        v = getattr(p, fname)
        if isinstance(v, bool) or not isinstance(v, int | float) or (integer and not isinstance(v, int)):
            e[fname] = f"must be {'an integer' if integer else 'a number'}, got {v!r}"
        elif not math.isfinite(v) or not lo <= v <= hi:
            e[fname] = f"must be between {lo:g} and {hi:g}, got {v!r}"

    num("analysis_interval_ms", 10, 60_000, integer=True)
    num("depth_levels", 1, 200, integer=True)
    num("iceberg_min_volume", 1, 1e7)
    num("wall_min_size", 1, 1e7)
    num("absorption_min_volume", 1, 1e7)
    num("min_size_threshold", 0, 1e7)
    num("max_signals_per_hour", 0, 3600, integer=True)
    num("min_elite_score", 0.0, 1.0)
    if "min_elite_score" not in e and p.min_elite_score < p.confluence.watch:
        e["min_elite_score"] = (f"must be ≥ the watch threshold {p.confluence.watch:g}, "
                                f"got {p.min_elite_score!r}")
    bad_auto = [a for a in p.auto if a not in AUTO_FIELDS]
    if bad_auto:
        e["auto"] = (f"unknown threshold(s) {', '.join(map(repr, bad_auto))}; "
                     f"auto applies to {', '.join(AUTO_FIELDS)}")
    for prefix, obj in (("auto_params", p.auto_params), ("dom", p.dom), ("vix", p.vix),
                        ("battle", p.battle), ("advanced", p.advanced), ("confluence", p.confluence)):
        _check_params(prefix, obj, e)
    b = p.vix.bounds
    if "vix.bounds" not in e and list(b) != sorted(b):
        e["vix.bounds"] = f"regime bounds must increase, got {b!r}"
    if e:
        raise ProfileError(e, str(p.name))
    return p


def custom_profile(name: str, base: str = "production", **changes: Any) -> Profile:
    """Copy built-in `base` under a new name with `changes` applied, validated."""
    src = get_profile(base)
    known = {f.name for f in fields(Profile)} - {"name", "base"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ProfileError({k: "no such profile field" for k in unknown}, name)
    if "auto" in changes:
        changes["auto"] = tuple(changes["auto"])
    return validate_profile(replace(src, name=name, base=src.name, **changes))


def profile_from_dict(d: dict[str, Any]) -> Profile:
    """Rebuild a (custom) profile from `to_dict` output; missing fields come from its base."""
    base = get_profile(str(d.get("base") or "production"))
    nested = {"auto_params": AutoParams, "dom": DomParams, "vix": VixParams, "battle": BattleParams,
              "advanced": AdvancedParams, "confluence": ConfluenceParams}
    kw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields(Profile):
        if f.name not in d:
            continue
        v = d[f.name]
        if f.name in nested:
            cls = nested[f.name]
            if not isinstance(v, dict):
                errors[f.name] = "must be an object"
                continue
            known = {x.name for x in fields(cls)}
            sub = {k: (tuple(x) if isinstance(x, list) else x) for k, x in v.items() if k in known}
            kw[f.name] = replace(getattr(base, f.name), **sub)
        elif f.name == "auto":
            kw[f.name] = tuple(v) if isinstance(v, list | tuple) else v
        else:
            kw[f.name] = v
    if errors:
        raise ProfileError(errors, str(d.get("name", "")))
    return validate_profile(replace(base, **kw))
