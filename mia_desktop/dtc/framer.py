"""Stream framing: bytes in any chunking (one byte at a time included) -> decoded messages.

Binary frames are walked by their Size header; JSON frames end at a 0x00 byte. The buffer never
holds more than one incomplete frame between calls, and an incomplete frame is bounded
(MAX_MESSAGE_SIZE binary, MAX_JSON_SIZE JSON), so memory stays bounded whatever the peer sends.
After a protocol error the decoder refuses further input: the connection has to be closed.
"""

from __future__ import annotations

from mia_desktop.dtc.binary import DecodedMessage, decode_stream, encode_binary
from mia_desktop.dtc.constants import MAX_JSON_SIZE, SUPPORTED_ENCODINGS, Encoding
from mia_desktop.dtc.errors import DtcFrameTooLarge, DtcProtocolError, DtcUnsupportedEncoding
from mia_desktop.dtc.jsoncodec import decode_json, encode_compact, encode_json
from mia_desktop.dtc.messages import Message


def check_encoding(encoding: int) -> Encoding:
    if encoding not in SUPPORTED_ENCODINGS:
        name = Encoding(encoding).name if encoding in Encoding._value2member_map_ else str(encoding)
        raise DtcUnsupportedEncoding(f"DTC encoding {name} is not supported (binary, JSON, compact JSON are)")
    return Encoding(encoding)


def encode(msg: Message, encoding: Encoding) -> bytes:
    """One message, framed, in the given encoding (compact JSON falls back to plain JSON for the
    types it does not compact)."""
    if encoding is Encoding.BINARY:
        return encode_binary(msg)
    if encoding is Encoding.JSON:
        return encode_json(msg)
    if encoding is Encoding.JSON_COMPACT:
        return encode_compact(msg)
    raise DtcUnsupportedEncoding(f"cannot encode in {encoding!r}")


class StreamDecoder:
    """Incremental decoder for one direction of one connection."""

    def __init__(self, encoding: Encoding = Encoding.BINARY, *, max_json_size: int = MAX_JSON_SIZE) -> None:
        self._encoding = check_encoding(encoding)
        self._buf = bytearray()
        self._max_json = max_json_size
        self._failed: DtcProtocolError | None = None
        self._pending = False  # buffered bytes may hold whole frames (after a stop or a switch)

    @property
    def encoding(self) -> Encoding:
        return self._encoding

    def set_encoding(self, encoding: int) -> None:
        """Switch encoding; bytes already buffered are decoded in the new one by the next feed."""
        self._encoding = check_encoding(encoding)
        self._pending = bool(self._buf)

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def peek(self, n: int) -> bytes:
        return bytes(self._buf[:n])

    def feed(self, data: bytes = b"", stop_types: frozenset[int] = frozenset()) -> list[DecodedMessage]:
        """Decode every complete message in the buffered bytes plus `data`. With `stop_types`,
        stop right after the first message of one of those types and keep the rest buffered."""
        if self._failed is not None:
            raise DtcProtocolError(f"stream already failed: {self._failed}")
        try:
            if self._encoding is Encoding.BINARY:
                return self._feed_binary(data, stop_types)
            return self._feed_json(data, stop_types)
        except DtcProtocolError as exc:
            self._failed = exc
            self._buf = bytearray()
            raise

    def _feed_binary(self, data: bytes, stop_types: frozenset[int]) -> list[DecodedMessage]:
        if not self._buf:
            msgs, pos = decode_stream(data, 0, stop_types)
            if pos < len(data):
                self._buf = bytearray(data[pos:])
            return msgs
        self._buf += data
        msgs, pos = decode_stream(self._buf, 0, stop_types)
        del self._buf[:pos]
        return msgs

    def _feed_json(self, data: bytes, stop_types: frozenset[int]) -> list[DecodedMessage]:
        if not self._pending and b"\0" not in data:
            # no terminator: only buffer (never rescan), bounded by the frame limit
            self._buf += data
            if len(self._buf) > self._max_json:
                raise DtcFrameTooLarge(f"JSON message over {self._max_json} bytes without a 0x00 terminator")
            return []
        self._pending = False
        chunk = bytes(self._buf) + data if self._buf else data
        parts = chunk.split(b"\0")
        rest = parts.pop()
        out: list[DecodedMessage] = []
        for i, frame in enumerate(parts):
            if len(frame) > self._max_json:
                raise DtcFrameTooLarge(f"JSON message of {len(frame)} bytes over the {self._max_json} limit",
                                       decoded=out)
            if not frame.strip():
                continue  # tolerate empty frames / stray newlines between messages
            try:
                msg = decode_json(frame)
            except DtcProtocolError as exc:
                exc.decoded = out
                raise
            out.append(msg)
            if stop_types and _type_of(msg) in stop_types:
                rest = b"\0".join([*parts[i + 1:], rest])
                self._pending = True
                break
        if len(rest) > self._max_json:
            raise DtcFrameTooLarge(f"JSON message over {self._max_json} bytes without a 0x00 terminator",
                                   decoded=out)
        self._buf = bytearray(rest)
        return out


def _type_of(msg: DecodedMessage) -> int:
    return msg.type if not isinstance(msg, Message) else msg.TYPE
