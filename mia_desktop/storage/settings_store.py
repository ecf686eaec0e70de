"""The settings file: JSON in the config folder, written atomically, corrupt files kept.

How this works: `save` writes the whole document to a temp file in the same folder, fsyncs it and
`os.replace`s it over settings.json (then fsyncs the folder where the OS allows), so a crash leaves
either the old or the new file, never half of one. `load` reads it with the json module only (no
pickle, no eval). A file that is not valid JSON, has wrong types, absurd values or a newer schema is
renamed to `settings.corrupt-YYYYmmdd-HHMMSS.json` (never deleted), defaults are returned, and
`LoadResult.warning` carries a sentence the UI shows the user. A missing file is a fresh install:
defaults, no warning.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mia_desktop.config.settings import (
    Settings,
    SettingsError,
    settings_from_dict,
    settings_to_dict,
    validate_settings,
)
from mia_desktop.storage.paths import SETTINGS_FILE

MAX_SETTINGS_BYTES = 4 * 1024 * 1024  # a settings file is a few KB; refuse to parse anything huge


@dataclass(frozen=True, slots=True)
class LoadResult:
    settings: Settings
    warning: str | None = None  # shown to the user when not None
    backup: Path | None = None  # where a corrupt file was moved


class SettingsStore:
    def __init__(self, folder: str | Path, filename: str = SETTINGS_FILE) -> None:
        self.folder = Path(folder)
        self.path = self.folder / filename

    def load(self) -> LoadResult:
        if not self.path.exists():
            return LoadResult(Settings())
        try:
            size = self.path.stat().st_size
            raw = self.path.read_bytes() if size <= MAX_SETTINGS_BYTES else None
        except OSError as exc:
            # unreadable (permissions, locked by another program): keep the file untouched
            return LoadResult(
                Settings(),
                f"Could not read the settings file {self.path}: {exc}. "
                "Defaults are in use; saving will try to write it again.",
            )
        if raw is None:
            return self._corrupt(f"it is {size:,} bytes, far larger than a settings file")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._corrupt(f"it is not valid JSON ({exc})")
        except RecursionError:
            return self._corrupt("it is nested too deeply")
        try:
            return LoadResult(settings_from_dict(data))
        except SettingsError as exc:
            return self._corrupt(str(exc))
        except RecursionError:
            return self._corrupt("it is nested too deeply")

    def save(self, settings: Settings) -> None:
        """Atomic replace. Raises SettingsError (nothing written) for settings that would not load
        back, OSError when the folder cannot be written."""
        errors = validate_settings(settings)
        if errors:
            raise SettingsError(errors)
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False, allow_nan=False)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text + "\n")
                f.flush()
                os.fsync(f.fileno())
            _replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.folder)

    def _corrupt(self, reason: str) -> LoadResult:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = self.folder / f"{self.path.stem}.corrupt-{stamp}.json"
        n = 1
        while backup.exists():
            backup = self.folder / f"{self.path.stem}.corrupt-{stamp}-{n}.json"
            n += 1
        try:
            os.replace(self.path, backup)
        except OSError as exc:
            return LoadResult(
                Settings(),
                f"The settings file {self.path} is damaged ({reason}) and could not be "
                f"moved aside ({exc}). Defaults are in use.",
            )
        return LoadResult(
            Settings(),
            f"The settings file was damaged ({reason}). It was kept as {backup.name} "
            "and the default settings were loaded.",
            backup,
        )


def _replace(src: str, dst: Path, attempts: int = 5) -> None:
    """os.replace, retried briefly: on Windows a virus scanner or an editor holding settings.json
    open makes the rename fail with PermissionError for a moment."""
    for n in range(attempts):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if n == attempts - 1:
                raise
            time.sleep(0.05 * (n + 1))


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; Windows cannot open a folder for fsync, so skip there."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
