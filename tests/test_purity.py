"""The pure packages import neither Qt nor asyncio, nor anything that does I/O on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mia_desktop"
FORBIDDEN = {"PySide6", "asyncio", "qasync", "pyqtgraph", "socket", "sqlite3", "shiboken6", "threading"}


@pytest.mark.parametrize("package", ["dtc", "market", "analysis", "config"])
def test_pure_package_has_no_qt_or_asyncio(package: str) -> None:
    files = sorted((PKG / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    offenders = []
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{f.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
