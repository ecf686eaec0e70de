"""Typed application settings: defaults in code, schema version, migration, validation.

How this works: `Settings` is a frozen tree of small dataclasses (instances, alerts, heatmap, risk,
custom profiles). `settings_to_dict` / `settings_from_dict` convert it to and from plain JSON-able
dicts; `settings_from_dict` first migrates an older schema, then checks every field's type (a
wrong type is a `SettingsError` naming the field), then runs `validate_settings`, which refuses
absurd values with one message per field. Nothing here touches files (storage/settings_store.py
does) and passwords never appear in these types (storage/credentials.py keeps them in the keyring).
An empty `instances` tuple is a fresh install: the app runs its demo.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from mia_desktop.config.profiles import (
    PROFILES,
    Profile,
    ProfileError,
    get_profile,
    profile_from_dict,
    validate_profile,
)
from mia_desktop.config.risk import RiskSettings

SCHEMA_VERSION = 2

INSTRUMENTS = ("ES", "NQ", "MES", "MNQ", "custom")
SOURCES = ("dtc", "scfiles", "sim", "replay")
SOURCE_LABELS = {
    "dtc": "DTC server",
    "scfiles": "Sierra Chart files",
    "sim": "Simulator",
    "replay": "Replay file",
}
ENCODINGS = ("binary", "json", "compact")
VIX_SOURCES = ("sim", "dtc", "scid", "csv", "none")
COLORMAPS = ("bookmap", "viridis", "inferno", "grey")  # = ui/heatmap/colormaps.py COLORMAP_NAMES
SCALES = ("log", "linear")
RENDERERS = ("auto", "gpu", "cpu")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORTS = {"ES": 11099, "MES": 11099, "NQ": 11199, "MNQ": 11199, "custom": 11099}
HEARTBEAT_RANGE = (5, 60)
MAX_NAME_LEN = 40


@dataclass(frozen=True, slots=True)
class InstanceConfig:
    """One market instance. The password is not here: it lives in the OS keyring."""

    name: str
    instrument: str = "ES"  # one of INSTRUMENTS
    source: str = "dtc"  # one of SOURCES
    host: str = DEFAULT_HOST
    port: int = 11099
    encoding: str = "binary"  # one of ENCODINGS
    heartbeat_s: int = 10
    relay: bool = False
    symbol: str = "ES"
    username: str = ""
    data_folder: str = ""  # Sierra Chart Data folder (scfiles source)
    replay_file: str = ""  # a .depth file (replay source)
    replay_speed: float = 1.0  # 0 = as fast as possible
    vix_source: str = "sim"  # one of VIX_SOURCES
    vix_path: str = ""  # .scid or .csv for those VIX sources
    profile: str = "production"
    enabled: bool = True
    custom_tick_size: float = 0.25  # used when instrument == "custom"
    custom_tick_value: float = 12.5


@dataclass(frozen=True, slots=True)
class AlertSettings:
    enabled: bool = True
    muted: bool = False
    volume: float = 0.8  # 0–1
    cooldown_s: float = 30.0  # per instrument and direction
    sound_elite_long: bool = True
    sound_elite_short: bool = True
    sound_strong_long: bool = False  # schema 2: was one `sound_strong` for both directions
    sound_strong_short: bool = False


@dataclass(frozen=True, slots=True)
class HeatmapSettings:
    colormap: str = "bookmap"
    scale: str = "log"
    low_cut: float = 0.0  # fraction of the size range shown as "empty"
    high_cut: float = 1.0  # fraction above which colour saturates
    contrast: float = 1.0
    history_minutes: int = 60
    renderer: str = "auto"
    column_ms: int = 100
    auto_follow: bool = True


@dataclass(frozen=True, slots=True)
class Settings:
    schema_version: int = SCHEMA_VERSION
    instances: tuple[InstanceConfig, ...] = ()
    profile: str = "production"  # default profile for new instances and the demo
    custom_profiles: tuple[Profile, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)
    heatmap: HeatmapSettings = field(default_factory=HeatmapSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)

    @property
    def is_demo(self) -> bool:
        """True on a fresh install (nothing configured): the app runs the demo."""
        return not self.instances

    def profile_names(self) -> list[str]:
        return list(PROFILES) + [p.name for p in self.custom_profiles]

    def get_profile(self, name: str) -> Profile:
        """Built-in (case-insensitive) or custom profile; KeyError names the choices."""
        return get_profile(name, {p.name: p for p in self.custom_profiles})

    def instance(self, name: str) -> InstanceConfig:
        for i in self.instances:
            if i.name == name:
                return i
        raise KeyError(f"unknown instance {name!r}")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # dotted path, e.g. "instances[ES].port", "alerts.volume"
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class SettingsError(ValueError):
    """Settings data that cannot be used; `errors` names each bad field."""

    def __init__(self, errors: list[FieldError] | tuple[FieldError, ...]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "invalid settings")


def default_instance(instrument: str = "ES", name: str | None = None) -> InstanceConfig:
    """A new DTC instance with the documented defaults (ES 11099, NQ 11199 on 127.0.0.1)."""
    symbol = instrument if instrument != "custom" else ""
    return InstanceConfig(
        name=name or instrument,
        instrument=instrument,
        port=DEFAULT_PORTS.get(instrument, 11099),
        symbol=symbol,
    )


def copy_profile(base: Profile, new_name: str) -> Profile:
    """A user profile made from `base` (built-in or custom), every field kept; `base` records the
    built-in it descends from (profiles.profile_from_dict fills missing fields from it)."""
    return dataclasses.replace(base, name=new_name, base=base.base or base.name)


# ---------------------------------------------------------------- validation


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def validate_instance(inst: InstanceConfig) -> dict[str, str]:
    """Field name -> message for each bad field of one instance (empty dict: valid)."""
    err: dict[str, str] = {}
    name = inst.name.strip()
    if not name:
        err["name"] = "Name must not be empty."
    elif len(name) > MAX_NAME_LEN:
        err["name"] = f"Name is too long ({len(name)} characters, at most {MAX_NAME_LEN})."
    elif name != inst.name or any(ord(c) < 32 for c in name):
        err["name"] = "Name must not start or end with spaces or contain control characters."
    if inst.instrument not in INSTRUMENTS:
        err["instrument"] = f"Instrument must be one of {', '.join(INSTRUMENTS)}."
    if inst.source not in SOURCES:
        err["source"] = f"Source must be one of {', '.join(SOURCES)}."
    if inst.encoding not in ENCODINGS:
        err["encoding"] = f"Encoding must be one of {', '.join(ENCODINGS)}."
    if inst.vix_source not in VIX_SOURCES:
        err["vix_source"] = f"VIX source must be one of {', '.join(VIX_SOURCES)}."
    if not inst.symbol.strip():
        err["symbol"] = "Symbol must not be empty (e.g. ESZ6 or ESZ26_FUT_CME)."
    elif any(c.isspace() for c in inst.symbol):
        err["symbol"] = "Symbol must not contain spaces."
    lo, hi = HEARTBEAT_RANGE
    if not lo <= inst.heartbeat_s <= hi:
        err["heartbeat_s"] = f"Heartbeat interval must be {lo}–{hi} seconds (got {inst.heartbeat_s})."
    if inst.source == "dtc":
        host = inst.host.strip()
        if not host:
            err["host"] = "Host must not be empty (Sierra Chart on this PC: 127.0.0.1)."
        elif any(c.isspace() for c in inst.host) or len(host) > 253:
            err["host"] = "Host must be a name or IP address without spaces."
    if not 1 <= inst.port <= 65535:
        err["port"] = f"Port must be 1–65535 (got {inst.port})."
    if inst.source == "scfiles" and not inst.data_folder.strip():
        err["data_folder"] = "Choose the Sierra Chart Data folder (it holds MarketDepthData)."
    if inst.source == "replay" and not inst.replay_file.strip():
        err["replay_file"] = "Choose a .depth file to replay."
    if not _finite(inst.replay_speed) or not 0 <= inst.replay_speed <= 1000:
        err["replay_speed"] = "Replay speed must be 0 (as fast as possible) to 1000×."
    if inst.vix_source in ("scid", "csv") and not inst.vix_path.strip():
        err["vix_path"] = f"Choose the VIX .{inst.vix_source} file."
    if not inst.profile.strip():
        err["profile"] = "Choose a profile."
    if inst.instrument == "custom":
        if not _finite(inst.custom_tick_size) or not 0 < inst.custom_tick_size <= 10_000:
            err["custom_tick_size"] = "Tick size must be a positive number."
        if not _finite(inst.custom_tick_value) or not 0 < inst.custom_tick_value <= 100_000:
            err["custom_tick_value"] = "Tick value must be a positive number of USD."
    return err


def validate_alerts(a: AlertSettings) -> dict[str, str]:
    err: dict[str, str] = {}
    if not _finite(a.volume) or not 0.0 <= a.volume <= 1.0:
        err["volume"] = "Volume must be 0–100 %."
    if not _finite(a.cooldown_s) or not 0 <= a.cooldown_s <= 3600:
        err["cooldown_s"] = "Cooldown must be 0–3600 seconds."
    return err


def validate_heatmap(h: HeatmapSettings) -> dict[str, str]:
    err: dict[str, str] = {}
    if h.colormap not in COLORMAPS:
        err["colormap"] = f"Colour map must be one of {', '.join(COLORMAPS)}."
    if h.scale not in SCALES:
        err["scale"] = "Scale must be log or linear."
    if h.renderer not in RENDERERS:
        err["renderer"] = "Renderer must be auto, gpu or cpu."
    if not _finite(h.low_cut) or not 0.0 <= h.low_cut < 1.0:
        err["low_cut"] = "Lower cut-off must be 0–99 %."
    if not _finite(h.high_cut) or not 0.0 < h.high_cut <= 1.0:
        err["high_cut"] = "Upper cut-off must be 1–100 %."
    elif "low_cut" not in err and h.low_cut >= h.high_cut:
        err["high_cut"] = "Upper cut-off must be above the lower cut-off."
    if not _finite(h.contrast) or not 0.1 <= h.contrast <= 10.0:
        err["contrast"] = "Contrast must be 0.1–10."
    if not 1 <= h.history_minutes <= 480:
        err["history_minutes"] = "History length must be 1–480 minutes."
    if not 10 <= h.column_ms <= 10_000:
        err["column_ms"] = "Column width must be 10–10000 ms."
    return err


def validate_risk(r: RiskSettings) -> dict[str, str]:
    err: dict[str, str] = {}
    if not _finite(r.risk_per_trade_usd) or not 0 < r.risk_per_trade_usd <= 1_000_000:
        err["risk_per_trade_usd"] = "Risk per trade must be above $0 and at most $1,000,000."
    if not _finite(r.max_daily_loss_usd) or not 0 < r.max_daily_loss_usd <= 10_000_000:
        err["max_daily_loss_usd"] = "Daily loss limit must be above $0 and at most $10,000,000."
    if not 1 <= r.base_contracts <= 1000:
        err["base_contracts"] = "Base contracts must be 1–1000."
    if not 1 <= r.max_contracts <= 1000:
        err["max_contracts"] = "Max contracts must be 1–1000."
    elif "base_contracts" not in err and r.max_contracts < r.base_contracts:
        err["max_contracts"] = f"Max contracts must be at least the base contracts ({r.base_contracts})."
    if not 1 <= r.max_trades_per_day <= 1000:
        err["max_trades_per_day"] = "Trades per day must be 1–1000."
    return err


def validate_profile_fields(p: Profile) -> dict[str, str]:
    """Field name -> message for a (custom) profile (config.profiles.validate_profile's checks,
    plus a name that must not shadow a built-in, whatever its case)."""
    err: dict[str, str] = {}
    try:
        validate_profile(p)
    except ProfileError as exc:
        err.update({k: _sentence(v) for k, v in exc.errors.items()})
    except (TypeError, ValueError) as exc:  # a field of the wrong type in data read from disk
        err["(profile)"] = _sentence(str(exc))
    if "name" not in err:
        if len(p.name) > MAX_NAME_LEN:
            err["name"] = f"Profile name is too long (at most {MAX_NAME_LEN} characters)."
        elif p.name.strip().lower() in PROFILES and PROFILES[p.name.strip().lower()] is not p:
            err["name"] = f"{p.name!r} is a built-in profile's name; pick another name for a copy."
    return err


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text


def _key(host: str) -> str:
    h = host.strip().lower()
    return "127.0.0.1" if h in ("localhost", "::1", "127.0.0.1") else h


def custom_profile_errors(s: Settings) -> list[dict[str, str]]:
    """Per custom profile (same order): field name -> message, including duplicate names."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for p in s.custom_profiles:
        errs = validate_profile_fields(p)
        if "name" not in errs and p.name.casefold() in seen:
            errs["name"] = f"Another custom profile is already named {p.name!r}."
        seen.add(p.name.casefold())
        out.append(errs)
    return out


def profile_known(s: Settings, name: str) -> bool:
    return name.strip().lower() in PROFILES or any(p.name == name for p in s.custom_profiles)


def instance_errors(s: Settings) -> list[dict[str, str]]:
    """Per instance (same order): field name -> message, including the cross-instance checks
    (duplicate names, two enabled DTC instances on one host:port, unknown profile)."""
    out: list[dict[str, str]] = [validate_instance(inst) for inst in s.instances]
    by_name: dict[str, list[int]] = {}
    by_endpoint: dict[tuple[str, int], list[int]] = {}
    for n, inst in enumerate(s.instances):
        by_name.setdefault(inst.name.strip().casefold(), []).append(n)
        if inst.source == "dtc" and inst.enabled:
            by_endpoint.setdefault((_key(inst.host), inst.port), []).append(n)
        if "profile" not in out[n] and not profile_known(s, inst.profile):
            out[n]["profile"] = f"Unknown profile {inst.profile!r}."
    # both sides of a clash get the message, so it shows next to the field being edited
    for group in by_name.values():
        for n in group[1:] if len(group) > 1 else ():
            out[n].setdefault("name", f"Another instance is already named {s.instances[group[0]].name!r}.")
        if len(group) > 1:
            out[group[0]].setdefault(
                "name", f"Another instance is also named {s.instances[group[1]].name!r}."
            )
    for group in by_endpoint.values():
        if len(group) > 1:
            for n in group:
                other = s.instances[group[1] if n == group[0] else group[0]]
                inst = s.instances[n]
                out[n].setdefault("port", f"Instance {other.name!r} already uses {inst.host}:{inst.port}.")
    return out


def validate_settings(s: Settings) -> list[FieldError]:
    """Every problem in `s`, each naming its field. An empty list means valid."""
    out: list[FieldError] = []
    for i, (p, errs) in enumerate(zip(s.custom_profiles, custom_profile_errors(s), strict=True)):
        out += [FieldError(f"custom_profiles[{p.name or i}].{k}", m) for k, m in errs.items()]
    if not profile_known(s, s.profile):
        out.append(FieldError("profile", f"Unknown profile {s.profile!r}."))
    for i, (inst, errs) in enumerate(zip(s.instances, instance_errors(s), strict=True)):
        out += [FieldError(f"instances[{inst.name or i}].{k}", m) for k, m in errs.items()]
    out += [FieldError(f"alerts.{k}", m) for k, m in validate_alerts(s.alerts).items()]
    out += [FieldError(f"heatmap.{k}", m) for k, m in validate_heatmap(s.heatmap).items()]
    out += [FieldError(f"risk.{k}", m) for k, m in validate_risk(s.risk).items()]
    return out


# ---------------------------------------------------------------- what an apply changes


def changed_instances(old: Settings, new: Settings) -> set[str]:
    """Names of instances to (re)start or stop after `old` -> `new`.

    An instance is in the set when it was added, removed, or any of its own fields changed, when
    the content of the profile it uses changed, or when a setting every worker is built with
    changed (risk, heatmap column width or history length). Alert and display-only heatmap changes
    restart nothing."""
    old_by = {i.name: i for i in old.instances}
    new_by = {i.name: i for i in new.instances}
    out = set(old_by) ^ set(new_by)
    shared = (
        old.risk != new.risk
        or old.heatmap.column_ms != new.heatmap.column_ms
        or old.heatmap.history_minutes != new.heatmap.history_minutes
    )
    for name in set(old_by) & set(new_by):
        a, b = old_by[name], new_by[name]
        if a != b or shared or _profile_or_none(old, a.profile) != _profile_or_none(new, b.profile):
            out.add(name)
    return out


def _profile_or_none(s: Settings, name: str) -> Profile | None:
    try:
        return s.get_profile(name)
    except KeyError:
        return None


# ---------------------------------------------------------------- dict conversion and migration


def settings_to_dict(s: Settings) -> dict[str, Any]:
    """A JSON-able dict (no passwords exist in Settings, so none can leak here)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "instances": [dataclasses.asdict(i) for i in s.instances],
        "profile": s.profile,
        "custom_profiles": [p.to_dict() for p in s.custom_profiles],
        "alerts": dataclasses.asdict(s.alerts),
        "heatmap": dataclasses.asdict(s.heatmap),
        "risk": dataclasses.asdict(s.risk),
    }


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings dict up to SCHEMA_VERSION (returns a new dict).

    Version 0 (files without "schema_version", from the pre-release builds) named the alert block
    "alert", the heartbeat "heartbeat" and kept the volume as 0–100. Version 1 had one
    `alerts.sound_strong` for both directions; version 2 splits it into `sound_strong_long` and
    `sound_strong_short`, both taking the old value."""
    d = dict(data)
    version = d.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise SettingsError([FieldError("schema_version", f"must be a whole number, got {version!r}")])
    if version > SCHEMA_VERSION:
        raise SettingsError(
            [
                FieldError(
                    "schema_version",
                    f"written by a newer MIA Desktop (schema {version}, "
                    f"this version reads up to {SCHEMA_VERSION})",
                )
            ]
        )
    if version < 1:
        if "alert" in d and "alerts" not in d:
            d["alerts"] = d.pop("alert")
        alerts = d.get("alerts")
        if (
            isinstance(alerts, dict)
            and isinstance(alerts.get("volume"), int | float)
            and alerts["volume"] > 1
        ):
            d["alerts"] = {**alerts, "volume": alerts["volume"] / 100.0}
        insts = d.get("instances")
        if isinstance(insts, list):
            d["instances"] = [
                (
                    {**{k: v for k, v in i.items() if k != "heartbeat"}, "heartbeat_s": i["heartbeat"]}
                    if isinstance(i, dict) and "heartbeat" in i
                    else i
                )
                for i in insts
            ]
    if version < 2:
        alerts = d.get("alerts")
        if isinstance(alerts, dict) and "sound_strong" in alerts:
            old = alerts["sound_strong"]
            rest = {k: v for k, v in alerts.items() if k != "sound_strong"}
            d["alerts"] = {"sound_strong_long": old, "sound_strong_short": old, **rest}  # explicit keys win
    d["schema_version"] = SCHEMA_VERSION
    return d


def _check(value: Any, template: Any, path: str) -> Any:
    """`value` if it has the template's JSON type (ints accepted for floats), else SettingsError."""
    if isinstance(template, bool):
        ok = isinstance(value, bool)
    elif isinstance(template, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(template, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
            if not math.isfinite(value):
                raise SettingsError([FieldError(path, "must be a finite number")])
    elif isinstance(template, str):
        ok = isinstance(value, str)
    elif isinstance(template, tuple | list):
        ok = isinstance(value, list)
        if ok and template:
            value = tuple(_check(v, template[0], f"{path}[{n}]") for n, v in enumerate(value))
        elif ok:
            value = tuple(value)
    elif isinstance(template, dict):
        ok = isinstance(value, dict) and all(isinstance(k, str) for k in value)
        if ok and template:
            proto = next(iter(template.values()))
            value = {k: _check(v, proto, f"{path}.{k}") for k, v in value.items()}
    elif template is None:
        ok = value is None or isinstance(value, str | int | float | bool)
    else:
        ok = False
    if not ok:
        raise SettingsError(
            [FieldError(path, f"expected {type(template).__name__}, got {type(value).__name__}")]
        )
    return value


def _build(cls: Any, data: Any, template: Any, path: str) -> Any:
    """Instance of dataclass `cls` from `data`; missing keys take `template`'s values, unknown keys
    are ignored (a newer minor version may add some)."""
    if not isinstance(data, dict):
        raise SettingsError([FieldError(path, f"expected an object, got {type(data).__name__}")])
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _check(data[f.name], getattr(template, f.name), f"{path}.{f.name}")
    try:
        return dataclasses.replace(template, **kwargs)
    except (TypeError, ValueError) as exc:
        raise SettingsError([FieldError(path, str(exc))]) from exc


def settings_from_dict(data: Any) -> Settings:
    """Migrate, type-check and validate; raises SettingsError naming each bad field."""
    if not isinstance(data, dict):
        raise SettingsError([FieldError("(file)", f"expected a JSON object, got {type(data).__name__}")])
    d = migrate(data)
    insts = d.get("instances", [])
    if not isinstance(insts, list):
        raise SettingsError([FieldError("instances", "expected a list")])
    instances = []
    for n, raw in enumerate(insts):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            raise SettingsError([FieldError(f"instances[{n}].name", "missing or not text")])
        instances.append(_build(InstanceConfig, raw, InstanceConfig(name=name), f"instances[{name}]"))
    customs_raw = d.get("custom_profiles", [])
    if not isinstance(customs_raw, list):
        raise SettingsError([FieldError("custom_profiles", "expected a list")])
    customs = []
    for n, raw in enumerate(customs_raw):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str):
            raise SettingsError([FieldError(f"custom_profiles[{n}].name", "missing or not text")])
        try:
            customs.append(profile_from_dict(raw))
        except ProfileError as exc:
            raise SettingsError(
                [FieldError(f"custom_profiles[{name}].{k}", v) for k, v in exc.errors.items()]
            ) from exc
        except (TypeError, ValueError, KeyError) as exc:
            raise SettingsError([FieldError(f"custom_profiles[{name}]", str(exc))]) from exc
    profile = d.get("profile", "production")
    if not isinstance(profile, str):
        raise SettingsError([FieldError("profile", "expected text")])
    s = Settings(
        schema_version=SCHEMA_VERSION,
        instances=tuple(instances),
        profile=profile,
        custom_profiles=tuple(customs),
        alerts=_build(AlertSettings, d.get("alerts", {}), AlertSettings(), "alerts"),
        heatmap=_build(HeatmapSettings, d.get("heatmap", {}), HeatmapSettings(), "heatmap"),
        risk=_build(RiskSettings, d.get("risk", {}), RiskSettings(), "risk"),
    )
    errors = validate_settings(s)
    if errors:
        raise SettingsError(errors)
    return s
