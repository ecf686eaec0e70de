"""storage package: settings file, keyring credentials, signal journal, app folders."""

from mia_desktop.storage.credentials import CredentialsError, delete_password, get_password, set_password
from mia_desktop.storage.journal import (
    Journal,
    JournalCorruptError,
    JournalError,
    JournalLockedError,
    JournalRecord,
)
from mia_desktop.storage.paths import AppPaths, app_paths
from mia_desktop.storage.settings_store import LoadResult, SettingsStore

__all__ = [
    "AppPaths",
    "CredentialsError",
    "Journal",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalRecord",
    "LoadResult",
    "SettingsStore",
    "app_paths",
    "delete_password",
    "get_password",
    "set_password",
]
