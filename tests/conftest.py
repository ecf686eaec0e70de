"""Shared test set-up: offscreen Qt, the shared data folder, an in-memory keyring."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
ES_DEPTH = DATA / "ESH4.CME.2023-12-25.depth"
ES_SCID = DATA / "ESH4.CME.scid"
VIX_CSV = DATA / "vix-daily.csv"
DTC_DIR = SHARED / "dtc"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not ES_DEPTH.exists():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


# `memkeyring`: a real in-memory keyring for tests that store passwords
from keyring_memory import memkeyring  # noqa: E402, F401
