"""JSON (encoding 2) and compact JSON (encoding 3) codecs for one 0x00-delimited frame.

Decoding tries the fast path first: one msgspec call that parses and validates straight into the
message class (plain JSON) or into a typed `F` tuple (compact). Anything the fast path refuses
(nulls for non-nullable fields, short `F` arrays, ints given as floats, unknown types) goes through
a tolerant slow path; only genuinely bad input raises a named protocol error. Unset numbers arrive
as the type's maximum, as null, or not at all; all three become None (or the field's default).
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import msgspec

from mia_desktop.dtc._binary_table import DBL_MAX, FLT_MAX, UINT_MAX
from mia_desktop.dtc.binary import DecodedMessage, UnknownMessage
from mia_desktop.dtc.errors import DtcBadMessage, DtcEncodeError, DtcInvalidJson
from mia_desktop.dtc.messages import COMPACT_TYPES, MESSAGE_CLASSES, NULLABLE, Message

_SENTINEL = {"d": DBL_MAX, "f": FLT_MAX, "I": UINT_MAX}
_NULLABLE_NAMES: dict[int, frozenset[str]] = {
    t: frozenset(n for n, _ in spec) for t, spec in NULLABLE.items()
}

_any_message: Any = functools.reduce(operator.or_, MESSAGE_CLASSES.values())
_plain_decoder = msgspec.json.Decoder(_any_message)


def _compact_class(mtype: int, cls: type[Message]) -> Any:
    # {"Type": N, "F": [...]} validated in C: F is a tuple typed like the message's fields
    ftypes = tuple(f.type for f in msgspec.structs.fields(cls))
    return msgspec.defstruct(f"_Compact{mtype}", [("F", tuple.__class_getitem__(ftypes))],
                             tag_field="Type", tag=mtype, gc=False)


_compact_target: dict[Any, type[Message]] = {
    _compact_class(t, MESSAGE_CLASSES[t]): MESSAGE_CLASSES[t] for t in sorted(COMPACT_TYPES)
}
_compact_decoder = msgspec.json.Decoder(functools.reduce(operator.or_, _compact_target))
_encoder = msgspec.json.Encoder()


def _normalize(msg: Message) -> Message:
    """Out-of-range floats (DBL_MAX, FLT_MAX, inf, NaN) and UINT_MAX counts -> None."""
    spec = NULLABLE.get(msg.TYPE)
    if spec is None:
        return msg
    bad: dict[str, None] | None = None
    for name, code in spec:
        v = getattr(msg, name)
        if v is None:
            continue
        if code == "I":
            ok = v != UINT_MAX
        elif code == "d":
            ok = -DBL_MAX < v < DBL_MAX
        else:
            ok = -FLT_MAX < v < FLT_MAX
        if not ok:
            if bad is None:
                bad = {}
            bad[name] = None
    return msgspec.structs.replace(msg, **bad) if bad else msg


def _slow(frame: bytes) -> DecodedMessage:
    try:
        obj = msgspec.json.decode(frame)
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: invalid UTF-8
        raise DtcInvalidJson(f"invalid JSON ({len(frame)} bytes): {exc}") from None
    if not isinstance(obj, dict):
        raise DtcInvalidJson(f"JSON message is not an object ({len(frame)} bytes)")
    mtype = obj.get("Type")
    if type(mtype) is not int:
        raise DtcInvalidJson(f"JSON message without a numeric Type ({len(frame)} bytes)")
    cls = MESSAGE_CLASSES.get(mtype)
    if cls is None:
        return UnknownMessage(mtype, len(frame))
    fields = obj.get("F")
    if isinstance(fields, list):
        obj = dict(zip(cls.__struct_fields__, fields, strict=False))
    nullable = _NULLABLE_NAMES.get(mtype, frozenset())
    clean = {k: v for k, v in obj.items() if k != "Type" and (v is not None or k in nullable)}
    try:
        msg = msgspec.convert(clean, cls, strict=False)
    except (msgspec.ValidationError, ValueError, TypeError) as exc:
        raise DtcBadMessage(f"type {mtype} ({cls.__name__}): {exc}") from None
    return _normalize(msg)


def decode_json(frame: bytes) -> DecodedMessage:
    """Decode one JSON frame (without its 0x00), plain or compact form."""
    try:
        if b'"F"' in frame:
            env = _compact_decoder.decode(frame)
            return _normalize(_compact_target[type(env)](*env.F))
        return _normalize(_plain_decoder.decode(frame))
    except (msgspec.MsgspecError, ValueError):
        return _slow(frame)


def _with_sentinels(msg: Message) -> Message:
    spec = NULLABLE.get(msg.TYPE)
    if spec is None:
        return msg
    unset = {name: _SENTINEL[code] for name, code in spec if getattr(msg, name) is None}
    return msgspec.structs.replace(msg, **unset) if unset else msg


def encode_json(msg: Message) -> bytes:
    """Plain JSON, 0x00-terminated. Unset numbers are written as the type's maximum, as Sierra Chart
    does, so any DTC reader understands them."""
    try:
        return _encoder.encode(_with_sentinels(msg)) + b"\0"
    except (TypeError, msgspec.EncodeError) as exc:
        raise DtcEncodeError(f"cannot encode {type(msg).__name__} in JSON: {exc}") from None


def encode_compact(msg: Message) -> bytes:
    """Compact JSON for the compacted types, plain JSON for every other, 0x00-terminated."""
    if msg.TYPE not in COMPACT_TYPES:
        return encode_json(msg)
    try:
        values = _encoder.encode(msgspec.structs.astuple(_with_sentinels(msg)))
    except (TypeError, msgspec.EncodeError) as exc:
        raise DtcEncodeError(f"cannot encode {type(msg).__name__} in compact JSON: {exc}") from None
    return b'{"Type":%d,"F":%s}\0' % (msg.TYPE, values)
