"""config package: typed settings with defaults in code (pure).

Public names: Profile, PROFILES, ProfileError, get_profile, validate_profile, custom_profile,
profile_from_dict (profiles.py); RiskSettings (risk.py).
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

__all__ = [
    "PROFILES",
    "Profile",
    "ProfileError",
    "RiskSettings",
    "custom_profile",
    "get_profile",
    "profile_from_dict",
    "validate_profile",
]
