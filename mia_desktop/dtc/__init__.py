"""DTC protocol (Sierra Chart's Data and Trading Communications), sans-I/O.

Public names:
- messages: `Message` and one class per DTC message (`messages.py`, generated from layouts.json;
  field names are the DTC names; unset numbers are None); `MESSAGE_CLASSES` type -> class.
- codecs: `encode(msg, encoding) -> bytes` (framed), `encode_binary`, `encode_json`,
  `encode_compact`, `decode_binary(frame)`, `decode_json(frame)`, `decode_stream(buf, pos)`.
- framing: `StreamDecoder(encoding).feed(bytes) -> list[Message | UnknownMessage]`.
- session: `DtcSession(Role.CLIENT | Role.SERVER, ...)` with `receive_data(bytes, now)`,
  `send(msg)`, `data_to_send()`, `tick(now)`, `next_deadline()`; events `EncodingNegotiated`,
  `PeerTimedOut`.
- errors: `DtcProtocolError` and its subclasses; constants and enums in `constants.py`.
"""

from __future__ import annotations

from mia_desktop.dtc.binary import DecodedMessage, UnknownMessage, decode_binary, decode_stream, encode_binary
from mia_desktop.dtc.constants import (
    ENCODING_NAMES,
    LOGON_BIDASK_144,
    LOGON_DEPTH_SNAPSHOT_145,
    LOGON_DEPTH_UPDATES_140,
    LOGON_RELAY_SERVER,
    LOGON_TRADES_146,
    LOGON_UNBUNDLED_TRADES,
    MAX_JSON_SIZE,
    MAX_MESSAGE_SIZE,
    PROTOCOL_VERSION,
    SUPPORTED_ENCODINGS,
    AtBidOrAsk,
    DepthUpdateType,
    Encoding,
    FeedStatus,
    FinalUpdateInBatch,
    LogonStatus,
    MessageType,
    RequestAction,
)
from mia_desktop.dtc.errors import (
    DtcBadMessage,
    DtcBadSize,
    DtcEncodeError,
    DtcFrameTooLarge,
    DtcInvalidJson,
    DtcProtocolError,
    DtcSessionError,
    DtcUnsupportedEncoding,
)
from mia_desktop.dtc.framer import StreamDecoder, check_encoding, encode
from mia_desktop.dtc.jsoncodec import decode_json, encode_compact, encode_json
from mia_desktop.dtc.messages import COMPACT_TYPES, MESSAGE_CLASSES, Message
from mia_desktop.dtc.session import (
    DtcSession,
    EncodingNegotiated,
    Event,
    PeerTimedOut,
    Role,
    SessionEvent,
    SessionState,
    Subscription,
)

__all__ = [
    "COMPACT_TYPES",
    "ENCODING_NAMES",
    "LOGON_BIDASK_144",
    "LOGON_DEPTH_SNAPSHOT_145",
    "LOGON_DEPTH_UPDATES_140",
    "LOGON_RELAY_SERVER",
    "LOGON_TRADES_146",
    "LOGON_UNBUNDLED_TRADES",
    "MAX_JSON_SIZE",
    "MAX_MESSAGE_SIZE",
    "MESSAGE_CLASSES",
    "PROTOCOL_VERSION",
    "SUPPORTED_ENCODINGS",
    "AtBidOrAsk",
    "DecodedMessage",
    "DepthUpdateType",
    "DtcBadMessage",
    "DtcBadSize",
    "DtcEncodeError",
    "DtcFrameTooLarge",
    "DtcInvalidJson",
    "DtcProtocolError",
    "DtcSession",
    "DtcSessionError",
    "DtcUnsupportedEncoding",
    "Encoding",
    "EncodingNegotiated",
    "Event",
    "FeedStatus",
    "FinalUpdateInBatch",
    "LogonStatus",
    "Message",
    "MessageType",
    "PeerTimedOut",
    "RequestAction",
    "Role",
    "SessionEvent",
    "SessionState",
    "StreamDecoder",
    "Subscription",
    "UnknownMessage",
    "check_encoding",
    "decode_binary",
    "decode_json",
    "decode_stream",
    "encode",
    "encode_binary",
    "encode_compact",
    "encode_json",
]
