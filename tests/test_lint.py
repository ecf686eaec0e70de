"""ruff is clean on the whole tree and mypy (strict, per pyproject) on the pure packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    r = _run("ruff", "check", "mia_desktop", "tests", "benchmarks", "packaging", "docs")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_pure_packages() -> None:
    pytest.importorskip("mypy")
    r = _run("mypy")
    assert r.returncode == 0, r.stdout + r.stderr
