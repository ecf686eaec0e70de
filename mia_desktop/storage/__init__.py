"""storage package: settings file, keyring credentials, signal journal, app folders.

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so
asking for the app folders does not load keyring or sqlite3.
"""

from __future__ import annotations

from mia_desktop._lazy import lazy_exports

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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
