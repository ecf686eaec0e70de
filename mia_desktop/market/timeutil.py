"""Time units: everything inside is int µs since the Unix epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

# Sierra Chart's SCDateTime epoch is 1899-12-30; its files store µs since then.
SC_EPOCH_OFFSET_US = 2_209_161_600 * 1_000_000


def sc_to_unix_us(sc_us: int) -> int:
    return sc_us - SC_EPOCH_OFFSET_US


def unix_us_to_sc(us: int) -> int:
    return us + SC_EPOCH_OFFSET_US


def iso_utc(us: int) -> str:
    """ISO-8601 UTC with milliseconds, e.g. 2023-12-25T22:00:00.125Z."""
    dt = datetime.fromtimestamp(us / 1e6, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
