"""Where MIA Desktop keeps its files: platformdirs folders, or one override folder.

The override (`--config-dir DIR`, and every test via tmp_path) puts settings, journal and logs under
one folder so nothing touches the user's real profile. Folders are created on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "MIA Desktop"
SETTINGS_FILE = "settings.json"
JOURNAL_FILE = "journal.sqlite3"


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / SETTINGS_FILE

    @property
    def journal_file(self) -> Path:
        return self.data_dir / JOURNAL_FILE

    def ensure(self) -> AppPaths:
        """Create the three folders (no error if they exist); returns self."""
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(override: str | Path | None = None) -> AppPaths:
    """The platformdirs folders (roaming config on Windows), or `override`, `override/data`,
    `override/logs` when a folder is given. Does not create anything; call `.ensure()`."""
    if override:
        root = Path(override).expanduser().resolve()
        return AppPaths(root, root / "data", root / "logs")
    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
