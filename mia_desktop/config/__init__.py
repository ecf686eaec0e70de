"""config package: typed settings with defaults in code (pure).

Public names: Profile, PROFILES, ProfileError, get_profile, validate_profile, custom_profile,
profile_from_dict (profiles.py); RiskSettings (risk.py); Settings, InstanceConfig, AlertSettings,
HeatmapSettings, SettingsError, FieldError, default_instance, validate_settings, changed_instances,
settings_from_dict, settings_to_dict (settings.py).
"""

from mia_desktop.config.profiles import (
    PROFILES,
    Profile,
    ProfileError,
    custom_profile,
    get_profile,
    profile_from_dict,
    validate_profile,
)
from mia_desktop.config.risk import RiskSettings
from mia_desktop.config.settings import (
    AlertSettings,
    FieldError,
    HeatmapSettings,
    InstanceConfig,
    Settings,
    SettingsError,
    changed_instances,
    default_instance,
    settings_from_dict,
    settings_to_dict,
    validate_settings,
)

__all__ = [
    "PROFILES",
    "AlertSettings",
    "FieldError",
    "HeatmapSettings",
    "InstanceConfig",
    "Profile",
    "ProfileError",
    "RiskSettings",
    "Settings",
    "SettingsError",
    "changed_instances",
    "custom_profile",
    "default_instance",
    "get_profile",
    "profile_from_dict",
    "settings_from_dict",
    "settings_to_dict",
    "validate_profile",
    "validate_settings",
]
