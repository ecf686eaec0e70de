"""Passwords in the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service).

Service name "MIA Desktop"; the account is "<instance>/<username>" so two instances may log on as
the same user to different servers with different passwords. Passwords never enter the settings
file. Keyring failures (no backend, locked store) become `CredentialsError` with a readable text.
"""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "MIA Desktop"


class CredentialsError(RuntimeError):
    """The OS keyring refused or is unavailable; the text says which."""


def account(instance: str, username: str) -> str:
    if not instance or not username:
        raise ValueError("instance and username must not be empty")
    return f"{instance}/{username}"


def set_password(instance: str, username: str, password: str) -> None:
    try:
        keyring.set_password(SERVICE, account(instance, username), password)
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"could not store the password in the OS keyring: {exc}") from exc


def get_password(instance: str, username: str) -> str | None:
    """The stored password, or None when there is none (or no user name)."""
    if not instance or not username:
        return None
    try:
        return keyring.get_password(SERVICE, account(instance, username))
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"could not read the password from the OS keyring: {exc}") from exc


def delete_password(instance: str, username: str) -> bool:
    """Remove it; False when there was nothing to remove."""
    if not instance or not username:
        return False
    try:
        keyring.delete_password(SERVICE, account(instance, username))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"could not delete the password from the OS keyring: {exc}") from exc
    return True


def keyring_name() -> str:
    """The active backend's name, for the settings dialog ("no keyring" warnings)."""
    kr = keyring.get_keyring()
    return f"{type(kr).__module__}.{type(kr).__name__}"


def keyring_usable() -> bool:
    """False for keyring's fail/null backends, which cannot keep a password."""
    name = keyring_name()
    return not (name.startswith("keyring.backends.fail") or name.startswith("keyring.backends.null"))
