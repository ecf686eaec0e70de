"""Binary DTC codec (encoding 0): fixed-layout little-endian structs behind a uint16 Size/Type header.

`decode_stream` is the hot path: it walks a buffer by Size and builds one message per frame with
the generated per-type decoders (which also map DBL_MAX/FLT_MAX/UINT_MAX to None). Short frames
(older servers) are completed with the type's default bytes, whole fields only; longer frames have
their extra bytes ignored; unknown types become `UnknownMessage` records and are skipped by Size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from mia_desktop.dtc._binary_table import DECODERS, ENCODERS, FIELD_ENDS
from mia_desktop.dtc.constants import HEADER_SIZE, MAX_MESSAGE_SIZE
from mia_desktop.dtc.errors import DtcBadSize, DtcEncodeError, DtcProtocolError
from mia_desktop.dtc.messages import MESSAGE_CLASSES, Message

_HEADER = struct.Struct("<HH")
_unpack_header = _HEADER.unpack_from


@dataclass(frozen=True, slots=True)
class UnknownMessage:
    """A frame of a type this codec does not know; skipped, reported so it can be counted."""

    type: int
    size: int


DecodedMessage = Message | UnknownMessage

_default_bytes: dict[int, bytes] = {}


def encode_binary(msg: Message) -> bytes:
    """Encode one message in binary. Raises DtcEncodeError for a value outside its field's range."""
    try:
        return ENCODERS[msg.TYPE](msg)
    except (struct.error, TypeError, KeyError, AttributeError) as exc:
        raise DtcEncodeError(f"cannot encode {type(msg).__name__} in binary: {exc}") from None


def _complete_short(buf: bytes | bytearray | memoryview, pos: int, size: int, mtype: int) -> bytes:
    template = _default_bytes.get(mtype)
    if template is None:
        template = _default_bytes[mtype] = encode_binary(MESSAGE_CLASSES[mtype]())
    cut = HEADER_SIZE
    for end in FIELD_ENDS[mtype]:
        if end <= size:
            cut = end
    return bytes(buf[pos:pos + cut]) + template[cut:]


def decode_stream(buf: bytes | bytearray, pos: int = 0,
                  stop_types: frozenset[int] = frozenset()) -> tuple[list[DecodedMessage], int]:
    """Decode every complete frame in `buf[pos:]`. Returns the messages and the position of the
    first byte not consumed (a partial frame stays for the next call). Stops right after a
    message whose type is in `stop_types` (the encoding switch). Raises DtcBadSize, with the
    messages decoded so far in `.decoded`."""
    out: list[DecodedMessage] = []
    append = out.append
    get = DECODERS.get
    n = len(buf)
    while pos + 4 <= n:
        size, mtype = _unpack_header(buf, pos)
        if size < HEADER_SIZE or size > MAX_MESSAGE_SIZE:
            raise DtcBadSize(f"binary frame Size {size} (type {mtype}) outside 4..{MAX_MESSAGE_SIZE}",
                             decoded=out)
        end = pos + size
        if end > n:
            break
        spec = get(mtype)
        if spec is None:
            append(UnknownMessage(mtype, size))
        elif size >= spec[2]:
            append(spec[1](spec[0](buf, pos)))
        else:
            append(spec[1](spec[0](_complete_short(buf, pos, size, mtype), 0)))
        pos = end
        if stop_types and mtype in stop_types:
            break
    return out, pos


def decode_binary(frame: bytes | bytearray) -> DecodedMessage:
    """Decode exactly one binary frame (header included)."""
    if len(frame) < HEADER_SIZE:
        raise DtcBadSize(f"binary frame of {len(frame)} bytes is shorter than its header")
    size = _unpack_header(frame, 0)[0]
    if size != len(frame):
        raise DtcProtocolError(f"binary frame Size {size} but {len(frame)} bytes given")
    msgs, _ = decode_stream(frame)
    return msgs[0]
