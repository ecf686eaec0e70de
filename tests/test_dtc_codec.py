"""Golden vectors and codec round trips for every DTC message type."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mia_desktop.dtc import (
    COMPACT_TYPES,
    MESSAGE_CLASSES,
    DtcBadMessage,
    DtcEncodeError,
    DtcInvalidJson,
    Encoding,
    Message,
    UnknownMessage,
    decode_binary,
    decode_json,
    encode,
    encode_binary,
    encode_compact,
    encode_json,
)
from mia_desktop.dtc.messages import (
    MarketDataSnapshot,
    MarketDataUpdateBidAsk,
    MarketDataUpdateBidAskCompact,
    MarketDepthUpdateLevel,
    SecurityDefinitionResponse,
)
from tests.conftest import DTC_DIR

PKG = Path(__file__).resolve().parents[1] / "mia_desktop" / "dtc"
VECTORS: list[dict[str, Any]] = json.loads((DTC_DIR / "vectors.json").read_text()) if DTC_DIR.exists() else []
UNSET = {1.7976931348623157e308, 3.4028234663852886e38, 4294967295}


def _expected(fields: dict[str, Any], cls: type[Message]) -> dict[str, Any]:
    """The vector's fields as this codec reports them: unset sentinels of nullable fields -> None."""
    out = {k: v for k, v in fields.items() if k not in ("Size", "Type")}
    nullable = {f.name for f in msgspec.structs.fields(cls) if "None" in str(f.type)}
    return {k: (None if k in nullable and v in UNSET else v) for k, v in out.items()}


def _fields(msg: Message) -> dict[str, Any]:
    return msgspec.structs.asdict(msg)


def _vid(v: dict[str, Any]) -> str:
    return f"{v['type']}-{v['note'][:30]}"


@pytest.mark.skipif(not VECTORS, reason="shared/dtc/vectors.json not found")
@pytest.mark.parametrize("vec", VECTORS, ids=_vid)
def test_vector_binary_decodes_and_reencodes_identically(vec: dict[str, Any]) -> None:
    raw = bytes.fromhex(vec["hex"])
    msg = decode_binary(raw)
    assert isinstance(msg, Message)
    mtype = msg.TYPE
    assert mtype == vec["type"]
    assert _fields(msg) == _expected(vec["fields"], type(msg))
    assert encode_binary(msg) == raw


@pytest.mark.skipif(not VECTORS, reason="shared/dtc/vectors.json not found")
@pytest.mark.parametrize("vec", [v for v in VECTORS if "json" in v], ids=_vid)
def test_vector_json_forms_decode_to_the_same_fields(vec: dict[str, Any]) -> None:
    binary = decode_binary(bytes.fromhex(vec["hex"]))
    plain = decode_json(vec["json"].encode())
    assert plain == binary
    if "compact_json" in vec:
        assert decode_json(vec["compact_json"].encode()) == binary
    # our own encodings carry the same values as the vector's
    assert json.loads(encode_json(binary)[:-1]) == json.loads(vec["json"])
    if "compact_json" in vec:
        assert json.loads(encode_compact(binary)[:-1]) == json.loads(vec["compact_json"])


def test_layout_copies_match_shared() -> None:
    if not DTC_DIR.exists():
        pytest.skip("shared/dtc not found")
    for name in ("layouts.json", "compact_json_fields.json"):
        assert json.loads((PKG / name).read_text()) == json.loads((DTC_DIR / name).read_text()), name


def test_generated_code_is_up_to_date() -> None:
    from mia_desktop.dtc import _codegen

    msgs = _codegen.load()
    assert (PKG / "messages.py").read_text() == _codegen.gen_messages(msgs)
    assert (PKG / "_binary_table.py").read_text() == _codegen.gen_table(msgs)


def test_every_layout_type_has_a_class_of_the_right_size() -> None:
    layouts = json.loads((PKG / "layouts.json").read_text())["messages"]
    assert {m["type"] for m in layouts} == set(MESSAGE_CLASSES)
    for m in layouts:
        cls = MESSAGE_CLASSES[m["type"]]
        raw = encode_binary(cls())
        assert len(raw) == m["size"] == struct.calcsize(m["struct_format"])
        assert struct.unpack_from("<HH", raw) == (m["size"], m["type"])


@pytest.mark.parametrize("mtype", sorted(MESSAGE_CLASSES))
@pytest.mark.parametrize("encoding", [Encoding.BINARY, Encoding.JSON, Encoding.JSON_COMPACT])
def test_default_message_round_trips_in_every_encoding(mtype: int, encoding: Encoding) -> None:
    msg = MESSAGE_CLASSES[mtype]()
    data = encode(msg, encoding)
    back = decode_binary(data) if encoding is Encoding.BINARY else decode_json(data[:-1])
    assert back == msg
    if encoding is Encoding.JSON_COMPACT and mtype in COMPACT_TYPES:
        assert b'"F":[' in data
    elif encoding is not Encoding.BINARY:
        assert data.startswith(b'{"Type":%d,' % mtype) and data.endswith(b"\0")


def test_unset_prices_are_none_never_prices() -> None:
    q = MarketDataUpdateBidAsk(SymbolID=3, BidPrice=None, BidQuantity=0.0, AskPrice=6001.5, AskQuantity=4.0)
    raw = encode_binary(q)
    assert struct.unpack_from("<d", raw, 8)[0] == 1.7976931348623157e308  # written as DBL_MAX
    assert decode_binary(raw) == q
    c = MarketDataUpdateBidAskCompact(BidPrice=None, AskPrice=None, SymbolID=1)
    assert struct.unpack_from("<f", encode_binary(c), 4)[0] == struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
    assert decode_binary(encode_binary(c)) == c
    # JSON: sentinel, null and missing all mean unset
    for text in (b'{"Type":108,"SymbolID":3,"BidPrice":1.7976931348623157e308,"AskPrice":6001.5}',
                 b'{"Type":108,"SymbolID":3,"BidPrice":null,"AskPrice":6001.5}',
                 b'{"Type":108,"SymbolID":3,"AskPrice":6001.5}',
                 b'{"Type":108,"F":[3,null,0,6001.5]}'):
        m = decode_json(text)
        assert isinstance(m, MarketDataUpdateBidAsk)
        assert m.BidPrice is None and m.AskPrice == 6001.5 and m.SymbolID == 3
    # NaN / inf in binary are not prices either
    nan = bytearray(encode_binary(MarketDepthUpdateLevel(1, 1, 1.0, 2.0)))
    struct.pack_into("<d", nan, 16, math.nan)
    struct.pack_into("<d", nan, 24, math.inf)
    m = decode_binary(bytes(nan))
    assert isinstance(m, MarketDepthUpdateLevel) and m.Price is None and m.Quantity is None


def test_uint_max_counts_are_none() -> None:
    snap = MarketDataSnapshot(SymbolID=1, SessionNumTrades=None, OpenInterest=12)
    back = decode_binary(encode_binary(snap))
    assert isinstance(back, MarketDataSnapshot)
    assert back.SessionNumTrades is None and back.OpenInterest == 12 and back.SessionSettlementPrice is None


def test_short_message_from_older_server_takes_defaults() -> None:
    full = encode_binary(SecurityDefinitionResponse(RequestID=7, Symbol="ESZ6", MinPriceIncrement=0.25,
                                                    DisplayPriceMultiplier=2.0, HasMarketDepthData=0))
    # cut after MinPriceIncrement (offset 156 + 4), plus half of the next field
    short = bytearray(full[:162])
    struct.pack_into("<H", short, 0, 162)
    m = decode_binary(bytes(short))
    assert isinstance(m, SecurityDefinitionResponse)
    assert (m.RequestID, m.Symbol, m.MinPriceIncrement) == (7, "ESZ6", 0.25)
    assert m.PriceDisplayFormat == -1  # half-present field: default
    assert m.DisplayPriceMultiplier == 1.0 and m.HasMarketDepthData == 1  # defaults, not the sender's


def test_longer_message_ignores_extra_bytes() -> None:
    raw = encode_binary(MarketDepthUpdateLevel(1, 2, 6002.0, 250.0, 1, 1.5, 3))
    longer = bytearray(raw + b"\xaa" * 10)
    struct.pack_into("<H", longer, 0, len(longer))
    assert decode_binary(bytes(longer)) == decode_binary(raw)


def test_unknown_type_is_reported_not_raised() -> None:
    assert decode_binary(struct.pack("<HH4s", 8, 9999, b"abcd")) == UnknownMessage(9999, 8)
    assert decode_json(b'{"Type":9999,"Foo":1}') == UnknownMessage(9999, 21)


def test_strings_are_nul_terminated_and_truncated() -> None:
    from mia_desktop.dtc.messages import MarketDataReject

    long_text = "é" * 80  # 160 bytes of UTF-8 for a 96-byte field
    m = decode_binary(encode_binary(MarketDataReject(1, long_text)))
    assert isinstance(m, MarketDataReject)
    assert m.RejectText == "é" * 47  # 94 bytes + NUL: never half a character


@pytest.mark.parametrize("bad", [b"{", b"[1,2]", b'{"Type":"106"}', b'{"NoType":1}', b"\xff\xfe",
                                 b'{"Type":true}'])
def test_bad_json_raises_named_error(bad: bytes) -> None:
    with pytest.raises(DtcInvalidJson):
        decode_json(bad)


def test_wrong_field_types_raise_bad_message() -> None:
    with pytest.raises(DtcBadMessage):
        decode_json(b'{"Type":106,"Price":"high"}')
    with pytest.raises(DtcBadMessage):
        decode_json(b'{"Type":106,"F":[1,2,"x"]}')
    # tolerant where harmless: ints as floats, extra fields, short compact arrays, nulls
    m = decode_json(b'{"Type":106,"SymbolID":2.0,"Price":6001,"Extra":[1],"NumOrders":null}')
    assert m == MarketDepthUpdateLevel(SymbolID=2, Price=6001.0)


def test_encode_out_of_range_raises_named_error() -> None:
    with pytest.raises(DtcEncodeError):
        encode_binary(MarketDepthUpdateLevel(SymbolID=-1))
    with pytest.raises(DtcEncodeError):
        encode_binary(MarketDepthUpdateLevel(SymbolID=2**40))
