"""Package `__all__` lists: every name resolves, and importing a package alone stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["mia_desktop.engine", "mia_desktop.sources", "mia_desktop.storage", "mia_desktop.ui",
            "mia_desktop.ui.heatmap"]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_resolves(name: str) -> None:
    pkg = importlib.import_module(name)
    assert pkg.__doc__ and pkg.__doc__.strip()
    assert pkg.__all__, f"{name} states no public names"
    assert len(set(pkg.__all__)) == len(pkg.__all__)
    for attr in pkg.__all__:
        value = getattr(pkg, attr)
        assert value is not None
        if hasattr(value, "__module__"):
            assert value.__module__.startswith(name), (attr, value.__module__)
        assert attr in dir(pkg)
    with pytest.raises(AttributeError, match="no attribute 'NotAName'"):
        pkg.NotAName  # noqa: B018


def test_from_import_works() -> None:
    from mia_desktop.sources import Backoff, DtcClient
    from mia_desktop.storage import SettingsStore

    assert Backoff.__name__ == "Backoff" and DtcClient.__name__ == "DtcClient"
    assert SettingsStore.__module__ == "mia_desktop.storage.settings_store"


def test_importing_packages_loads_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        f"for p in {PACKAGES!r}: __import__(p)\n"
        "heavy = [m for m in ('PySide6', 'asyncio', 'qasync', 'pyqtgraph', 'sqlite3', 'keyring',\n"
        "                     'mia_desktop.engine.worker', 'mia_desktop.sources.dtc_client')\n"
        "         if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""
