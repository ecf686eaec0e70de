"""storage/credentials.py with a real in-memory keyring backend: passwords in the keyring only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from mia_desktop.config.settings import Settings, default_instance
from mia_desktop.storage import credentials
from mia_desktop.storage.settings_store import SettingsStore


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that really stores passwords, in a dict (keyring's null backend stores nothing)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture
def memkeyring() -> Iterator[MemoryKeyring]:
    old = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    try:
        yield kr
    finally:
        keyring.set_keyring(old)


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
