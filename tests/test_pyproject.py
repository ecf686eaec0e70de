"""pyproject lists packages explicitly (resources/ is mapped in): a new subpackage must be listed,
or a built wheel/installer silently lacks it while the editable install hides the gap."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject() -> None:
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "mia_desktop").rglob("__init__.py")}
    assert found - listed == set()
    assert "mia_desktop.resources" in listed
    assert conf["tool"]["setuptools"]["package-dir"]["mia_desktop.resources"] == "resources"
