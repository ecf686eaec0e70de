"""Named protocol errors: the only exceptions the codec, framer and session raise on bad input."""

from __future__ import annotations

from typing import Any


class DtcProtocolError(Exception):
    """Base of every DTC protocol error. `decoded` holds the messages decoded from the same
    chunk before the error, so a caller can still act on them before closing the connection."""

    def __init__(self, message: str, *, decoded: list[Any] | None = None) -> None:
        super().__init__(message)
        self.decoded: list[Any] = decoded if decoded is not None else []


class DtcBadSize(DtcProtocolError):
    """A binary header's Size is below 4 or above the largest accepted message."""


class DtcFrameTooLarge(DtcProtocolError):
    """A JSON message grew past the limit without its 0x00 terminator."""


class DtcInvalidJson(DtcProtocolError):
    """A JSON frame is not valid JSON, not an object, or has no numeric Type."""


class DtcBadMessage(DtcProtocolError):
    """A message of a known type whose fields have the wrong types or values."""


class DtcUnsupportedEncoding(DtcProtocolError):
    """An encoding this implementation does not speak (binary VLS, protocol buffers, unknown)."""


class DtcEncodeError(DtcProtocolError):
    """A message could not be encoded (a field out of its binary range)."""


class DtcSessionError(DtcProtocolError):
    """The peer broke the session rules (e.g. an unexpected message during negotiation)."""
