"""Framing in any chunking, bounded buffers, and fuzzing: only named protocol errors escape."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mia_desktop.dtc import (
    MAX_JSON_SIZE,
    MAX_MESSAGE_SIZE,
    MESSAGE_CLASSES,
    DtcBadSize,
    DtcFrameTooLarge,
    DtcInvalidJson,
    DtcProtocolError,
    DtcUnsupportedEncoding,
    Encoding,
    Message,
    StreamDecoder,
    UnknownMessage,
    encode,
)
from mia_desktop.dtc.messages import (
    Heartbeat,
    LogonResponse,
    MarketDataUpdateBidAsk,
    MarketDataUpdateTrade,
    MarketDepthUpdateLevel,
)

ENCODINGS = [Encoding.BINARY, Encoding.JSON, Encoding.JSON_COMPACT]


def _sample() -> list[Message]:
    return [
        LogonResponse(Result=1, ResultText="Logon successful", ServerName="test"),
        MarketDepthUpdateLevel(1, 1, 6001.25, 10.0, 1, 1764086401.5, 2),
        MarketDepthUpdateLevel(1, 2, 6001.5, 0.0, 2, 1764086401.5, 0),
        MarketDataUpdateTrade(1, 2, 6001.5, 3.0, 1764086401.75),
        MarketDataUpdateBidAsk(1, 6001.25, 10.0, None, 0.0, 1764086402),
        Heartbeat(0, 1764086402),
    ]


def _feed_all(dec: StreamDecoder, data: bytes, chunks: list[int]) -> list[object]:
    out: list[object] = []
    pos = 0
    for n in chunks:
        out += dec.feed(data[pos:pos + n])
        pos += n
    out += dec.feed(data[pos:])
    return out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_byte_at_a_time(encoding: Encoding) -> None:
    msgs = _sample()
    data = b"".join(encode(m, encoding) for m in msgs)
    dec = StreamDecoder(encoding)
    out: list[object] = []
    for i in range(len(data)):
        out += dec.feed(data[i:i + 1])
    assert out == msgs
    assert dec.buffered == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_random_chunking(encoding: Encoding) -> None:
    rng = random.Random(7)
    msgs = _sample() * 20
    data = b"".join(encode(m, encoding) for m in msgs)
    for _ in range(20):
        chunks = [rng.randint(0, 70) for _ in range(rng.randint(1, 60))]
        assert _feed_all(StreamDecoder(encoding), data, chunks) == msgs


def test_unknown_types_skipped_by_size() -> None:
    depth = MarketDepthUpdateLevel(1, 1, 6001.25, 10.0, 1)
    data = struct.pack("<HH6s", 10, 4242, b"xxxxxx") + encode(depth, Encoding.BINARY)
    assert StreamDecoder().feed(data) == [UnknownMessage(4242, 10), depth]


@pytest.mark.parametrize("size", [0, 1, 3, MAX_MESSAGE_SIZE + 1, 65535])
def test_bad_binary_size_is_a_named_error(size: int) -> None:
    good = encode(Heartbeat(0, 1), Encoding.BINARY)
    dec = StreamDecoder()
    with pytest.raises(DtcBadSize) as info:
        dec.feed(good + struct.pack("<HH", size, 3) + b"\0" * 20)
    assert info.value.decoded == [Heartbeat(0, 1)]
    with pytest.raises(DtcProtocolError):  # a failed stream stays failed
        dec.feed(good)


def test_json_without_terminator_is_bounded() -> None:
    dec = StreamDecoder(Encoding.JSON)
    dec.feed(b'{"Type":3,"F":[0,')
    with pytest.raises(DtcFrameTooLarge):
        for _ in range(MAX_JSON_SIZE // 1000 + 2):
            dec.feed(b" " * 1000)
    assert dec.buffered == 0


def test_oversized_terminated_json_is_rejected() -> None:
    with pytest.raises(DtcFrameTooLarge):
        StreamDecoder(Encoding.JSON).feed(b'{"Type":3,"X":"' + b"a" * MAX_JSON_SIZE + b'"}\0')


def test_invalid_json_is_a_named_error_with_earlier_messages() -> None:
    dec = StreamDecoder(Encoding.JSON)
    with pytest.raises(DtcInvalidJson) as info:
        dec.feed(encode(Heartbeat(0, 5), Encoding.JSON) + b"{nope\0")
    assert info.value.decoded == [Heartbeat(0, 5)]


def test_empty_json_frames_are_tolerated() -> None:
    data = b"\0\n\0" + encode(Heartbeat(0, 5), Encoding.JSON) + b"\r\n\0"
    assert StreamDecoder(Encoding.JSON).feed(data) == [Heartbeat(0, 5)]


def test_switching_encoding_mid_buffer() -> None:
    from mia_desktop.dtc.messages import EncodingResponse

    data = encode(EncodingResponse(Encoding=2), Encoding.BINARY) + encode(Heartbeat(0, 9), Encoding.JSON)
    dec = StreamDecoder()
    first = dec.feed(data, stop_types=frozenset({7}))
    assert first == [EncodingResponse(Encoding=2)]
    dec.set_encoding(Encoding.JSON)
    assert dec.feed() == [Heartbeat(0, 9)]


@pytest.mark.parametrize("enc", [1, 4, 99])
def test_unsupported_encodings_rejected_cleanly(enc: int) -> None:
    with pytest.raises(DtcUnsupportedEncoding):
        StreamDecoder(Encoding.BINARY).set_encoding(enc)


# ---- fuzz ----------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_stream(encoding: Encoding, data: bytes, chunk: int) -> None:
    dec = StreamDecoder(encoding)
    try:
        for i in range(0, len(data), chunk):
            for m in dec.feed(data[i:i + chunk]):
                assert isinstance(m, Message | UnknownMessage)
    except DtcProtocolError:
        pass
    assert dec.buffered <= max(MAX_MESSAGE_SIZE, MAX_JSON_SIZE)


@FUZZ
@given(st.binary(max_size=3000), st.integers(1, 64), st.sampled_from(ENCODINGS))
def test_fuzz_random_bytes(data: bytes, chunk: int, encoding: Encoding) -> None:
    _check_stream(encoding, data, chunk)


@st.composite
def _mutated_stream(draw: st.DrawFn) -> tuple[Encoding, bytes]:
    encoding = draw(st.sampled_from(ENCODINGS))
    types = draw(st.lists(st.sampled_from(sorted(MESSAGE_CLASSES)), min_size=1, max_size=6))
    data = bytearray(b"".join(encode(MESSAGE_CLASSES[t](), encoding) for t in types))
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, len(data) - 1))
        data[pos] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return encoding, bytes(data[:cut])


@FUZZ
@given(_mutated_stream(), st.integers(1, 40))
def test_fuzz_mutated_and_truncated_messages(case: tuple[Encoding, bytes], chunk: int) -> None:
    encoding, data = case
    _check_stream(encoding, data, chunk)


@FUZZ
@given(st.sampled_from(sorted(MESSAGE_CLASSES)), st.integers(4, 600), st.binary(min_size=0, max_size=600))
def test_fuzz_binary_any_size_any_body(mtype: int, size: int, body: bytes) -> None:
    data = struct.pack("<HH", size, mtype) + body
    _check_stream(Encoding.BINARY, data, 7)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(st.sampled_from(sorted(MESSAGE_CLASSES)), st.dictionaries(st.sampled_from(
    ["SymbolID", "Price", "Quantity", "Side", "F", "RejectText", "Result", "Encoding", "DateTime", "Symbol"]),
    json_values, max_size=6))
def test_fuzz_json_field_values(mtype: int, fields: dict[str, object]) -> None:
    import json

    frame = json.dumps({"Type": mtype, **fields}, allow_nan=True).encode() + b"\0"
    _check_stream(Encoding.JSON, frame, 1000)
