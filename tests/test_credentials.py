"""storage/credentials.py with a real in-memory keyring backend: passwords in the keyring only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from keyring_memory import MemoryKeyring

from mia_desktop.config.settings import Settings, default_instance
from mia_desktop.storage import credentials
from mia_desktop.storage.settings_store import SettingsStore


def test_set_get_delete(memkeyring: MemoryKeyring) -> None:
    credentials.set_password("ES", "trader", "s3cret-ÉS")
    assert memkeyring.store == {("MIA Desktop", "ES/trader"): "s3cret-ÉS"}
    assert credentials.get_password("ES", "trader") == "s3cret-ÉS"
    assert credentials.get_password("NQ", "trader") is None  # per instance
    assert credentials.get_password("ES", "") is None
    assert credentials.delete_password("ES", "trader") is True
    assert credentials.delete_password("ES", "trader") is False
    assert credentials.get_password("ES", "trader") is None
    assert credentials.keyring_usable()


def test_password_in_keyring_not_in_settings_file(memkeyring: MemoryKeyring, tmp_path: Path) -> None:
    secret = "hunter2-very-unique"
    s = Settings(instances=(dataclasses.replace(default_instance("ES"), username="trader"),))
    credentials.set_password("ES", "trader", secret)
    store = SettingsStore(tmp_path)
    store.save(s)
    assert secret.encode() not in store.path.read_bytes()
    assert memkeyring.get_password("MIA Desktop", "ES/trader") == secret


def test_keyring_failure_is_a_clear_error() -> None:
    old = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        assert not credentials.keyring_usable()
        with pytest.raises(credentials.CredentialsError, match="OS keyring"):
            credentials.set_password("ES", "u", "p")
    finally:
        keyring.set_keyring(old)
