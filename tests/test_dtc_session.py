"""Client and server sessions talking to each other in memory (the I/O-free state machine)."""

from __future__ import annotations

import pytest

from mia_desktop.dtc import (
    DtcProtocolError,
    DtcSession,
    DtcUnsupportedEncoding,
    Encoding,
    EncodingNegotiated,
    PeerTimedOut,
    Role,
    SessionState,
    encode,
    encode_binary,
)
from mia_desktop.dtc.messages import (
    EncodingRequest,
    EncodingResponse,
    Heartbeat,
    Logoff,
    LogonRequest,
    LogonResponse,
    MarketDataReject,
    MarketDataRequest,
    MarketDepthRequest,
    MarketDepthUpdateLevel,
)


def _pump(a: DtcSession, b: DtcSession, now: float, chunk: int = 0) -> tuple[list[object], list[object]]:
    """Move bytes both ways until quiet; returns events seen by a and by b."""
    ea: list[object] = []
    eb: list[object] = []
    for _ in range(10):
        da, db = a.data_to_send(), b.data_to_send()
        if not da and not db:
            break
        if chunk:
            for i in range(0, len(da), chunk):
                eb += b.receive_data(da[i:i + chunk], now)
            for i in range(0, len(db), chunk):
                ea += a.receive_data(db[i:i + chunk], now)
        else:
            eb += b.receive_data(da, now)
            ea += a.receive_data(db, now)
    return ea, eb


def _logon(encoding: Encoding, chunk: int = 0) -> tuple[DtcSession, DtcSession, list[object], list[object]]:
    client = DtcSession(Role.CLIENT, encoding=encoding, heartbeat_s=5,
                        logon=LogonRequest(HeartbeatIntervalInSeconds=5, ClientName="test"))
    client.subscribe("ES", depth_levels=20)
    server = DtcSession(Role.SERVER)
    ec, es = _pump(client, server, 0.0, chunk)
    assert server.peer_logon is not None and server.peer_logon.ClientName == "test"
    server.accept_logon(0.0, ServerName="unit")
    ec2, es2 = _pump(client, server, 0.0, chunk)
    return client, server, ec + ec2, es + es2


@pytest.mark.parametrize("encoding", [Encoding.BINARY, Encoding.JSON, Encoding.JSON_COMPACT])
@pytest.mark.parametrize("chunk", [0, 1])
def test_negotiate_logon_subscribe(encoding: Encoding, chunk: int) -> None:
    client, server, ec, es = _logon(encoding, chunk)
    assert client.encoding is server.encoding is encoding
    assert client.state is server.state is SessionState.ACTIVE
    assert EncodingNegotiated(encoding, int(encoding)) in ec
    assert any(isinstance(e, LogonResponse) and e.ServerName == "unit" for e in ec)
    # subscriptions went out after the logon response, with the same SymbolID both ways
    assert [type(e) for e in es if isinstance(e, MarketDataRequest | MarketDepthRequest)] == [
        MarketDataRequest, MarketDepthRequest]
    assert server.subscriptions[1].symbol == "ES" and server.depth_subscriptions[1].depth_levels == 20
    # data flows in the negotiated encoding
    server.send(MarketDepthUpdateLevel(1, 1, 6001.25, 7.0, 1))
    ec, _ = _pump(client, server, 1.0, chunk)
    assert ec == [MarketDepthUpdateLevel(1, 1, 6001.25, 7.0, 1)]
    assert client.symbol_for(1) == "ES"


def test_encoding_request_is_binary_whatever_is_asked() -> None:
    client = DtcSession(Role.CLIENT, encoding=Encoding.JSON)
    assert client.data_to_send() == bytes.fromhex("10000600080000000200000044544300")


def test_data_after_encoding_response_in_same_read_uses_new_encoding() -> None:
    client = DtcSession(Role.CLIENT, encoding=Encoding.JSON, logon=LogonRequest())
    client.data_to_send()
    data = encode_binary(EncodingResponse(Encoding=2)) + encode(LogonResponse(Result=1), Encoding.JSON)
    events = client.receive_data(data, 0.0)
    assert isinstance(events[-1], LogonResponse) and client.state is SessionState.ACTIVE


def test_server_refusing_an_encoding_answers_its_current_one() -> None:
    server = DtcSession(Role.SERVER, allowed_encodings=frozenset({Encoding.BINARY}))
    server.receive_data(encode_binary(EncodingRequest(Encoding=2)), 0.0)
    assert server.data_to_send() == encode_binary(EncodingResponse(Encoding=0))
    assert server.encoding is Encoding.BINARY
    # and VLS binary is never granted
    server = DtcSession(Role.SERVER)
    server.receive_data(encode_binary(EncodingRequest(Encoding=1)), 0.0)
    assert server.data_to_send() == encode_binary(EncodingResponse(Encoding=0))


def test_client_rejects_unsupported_granted_encoding() -> None:
    client = DtcSession(Role.CLIENT)
    with pytest.raises(DtcUnsupportedEncoding):
        client.receive_data(encode_binary(EncodingResponse(Encoding=4)), 0.0)
    assert client.state is SessionState.CLOSED


def test_server_accepts_clients_that_skip_negotiation() -> None:
    server = DtcSession(Role.SERVER)
    events = server.receive_data(encode_binary(LogonRequest(HeartbeatIntervalInSeconds=7)), 0.0)
    assert isinstance(events[0], LogonRequest) and server.heartbeat_s == 7
    assert server.encoding is Encoding.BINARY
    server = DtcSession(Role.SERVER)
    events = server.receive_data(encode(LogonRequest(ClientName="j"), Encoding.JSON), 0.0)
    assert server.encoding is Encoding.JSON and server.peer_logon is not None
    assert server.peer_logon.ClientName == "j"


def test_heartbeats_and_peer_timeout() -> None:
    client, server, _, _ = _logon(Encoding.BINARY)
    assert client.next_deadline() == 5.0
    assert client.tick(4.9) == [] and client.data_to_send() == b""
    assert client.tick(5.0, wall_s=1700000000.0) == []
    assert client.data_to_send() == encode_binary(Heartbeat(0, 1700000000))
    # server's heartbeat keeps the client alive
    server.tick(5.0)
    client.receive_data(server.data_to_send(), 5.0)
    assert client.tick(14.9) == []
    events = client.tick(15.1)
    assert len(events) == 1 and isinstance(events[0], PeerTimedOut)
    assert client.state is SessionState.CLOSED and "heartbeat 5 s" in client.close_reason
    # the server times out a silent client after 2x the client's interval
    assert isinstance(server.tick(15.1)[0], PeerTimedOut)


def test_negotiation_timeout() -> None:
    client = DtcSession(Role.CLIENT, now=100.0, negotiation_timeout_s=20)
    assert client.tick(119.0) == []
    assert isinstance(client.tick(120.5)[0], PeerTimedOut)
    assert "encoding response" in client.close_reason


def test_logon_failure_closes_and_keeps_text() -> None:
    client = DtcSession(Role.CLIENT, logon=LogonRequest())
    server = DtcSession(Role.SERVER)
    _pump(client, server, 0.0)
    server.reject_logon("Invalid username or password", do_not_reconnect=True)
    _pump(client, server, 0.0)
    assert client.state is SessionState.CLOSED
    assert client.logon_response is not None and client.logon_response.Result == 3
    assert "Invalid username or password" in client.close_reason


def test_market_data_reject_is_recorded_with_text() -> None:
    client, server, _, _ = _logon(Encoding.JSON)
    server.reject_market_data(1, "CME data is not available through the DTC server.")
    ec, _ = _pump(client, server, 1.0)
    assert ec == [MarketDataReject(1, "CME data is not available through the DTC server.")]
    assert client.rejects == [(1, "ES", "CME data is not available through the DTC server.")]
    assert 1 not in server.subscriptions


def test_protocol_error_closes_the_session() -> None:
    client, _server, _, _ = _logon(Encoding.BINARY)
    with pytest.raises(DtcProtocolError):
        client.receive_data(b"\x02\x00\x03\x00", 1.0)
    assert client.state is SessionState.CLOSED
    assert client.receive_data(b"more", 2.0) == []


def test_logoff() -> None:
    client, server, _, _ = _logon(Encoding.BINARY)
    client.logoff("bye")
    server.receive_data(client.data_to_send(), 1.0)
    assert server.state is SessionState.CLOSED and "bye" in server.close_reason


# ---- fuzz: whatever arrives, a session raises only named protocol errors ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _valid(enc: Encoding) -> st.SearchStrategy[bytes]:
    from mia_desktop.dtc import MESSAGE_CLASSES

    return st.sampled_from(sorted(MESSAGE_CLASSES)).map(lambda t: encode(MESSAGE_CLASSES[t](), enc))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([Role.CLIENT, Role.SERVER]), st.sampled_from([Encoding.BINARY, Encoding.JSON]),
       st.data(), st.booleans())
def test_fuzz_session_input(role: Role, enc: Encoding, data: st.DataObject, prefix: bool) -> None:
    chunks = data.draw(st.lists(st.binary(max_size=80) | _valid(enc), max_size=10))
    session = DtcSession(role, encoding=enc, logon=LogonRequest())
    if prefix:  # get past negotiation first so the fuzz reaches the later states
        first = encode_binary(EncodingResponse(Encoding=int(enc)) if role is Role.CLIENT
                              else EncodingRequest(Encoding=int(enc)))
        session.receive_data(first, 0.0)
    for i, chunk in enumerate(chunks):
        try:
            session.receive_data(chunk, float(i))
        except DtcProtocolError:
            assert session.state is SessionState.CLOSED
            break
        session.tick(float(i))
        session.data_to_send()


def test_client_tolerates_heartbeat_and_sees_logoff_during_negotiation() -> None:
    client = DtcSession(Role.CLIENT)
    client.receive_data(encode_binary(Heartbeat(0, 1)), 0.0)
    assert client.state is SessionState.NEGOTIATING
    client.receive_data(encode_binary(Logoff("too many clients", 1)), 0.0)
    assert client.state is SessionState.CLOSED and "too many clients" in client.close_reason
    with pytest.raises(DtcProtocolError):
        DtcSession(Role.CLIENT).receive_data(encode_binary(MarketDepthUpdateLevel()), 0.0)
