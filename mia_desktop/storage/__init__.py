"""storage package: settings file, keyring credentials, signal journal, app folders.

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so
asking for the app folders does not load keyring or sqlite3.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "CredentialsError": "credentials",
    "delete_password": "credentials",
    "get_password": "credentials",
    "set_password": "credentials",
    "Journal": "journal",
    "JournalCorruptError": "journal",
    "JournalError": "journal",
    "JournalLockedError": "journal",
    "JournalRecord": "journal",
    "AppPaths": "paths",
    "app_paths": "paths",
    "LoadResult": "settings_store",
    "SettingsStore": "settings_store",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
