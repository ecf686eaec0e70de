"""DtcClient over real loopback sockets against a small scripted DTC server built on DtcSession."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from mia_desktop.dtc import (
    LOGON_DEPTH_UPDATES_140,
    DtcProtocolError,
    DtcSession,
    PeerTimedOut,
    Role,
    SessionState,
)
from mia_desktop.dtc.messages import (
    Logoff,
    LogonRequest,
    MarketDataRequest,
    MarketDataUpdateBidAsk,
    MarketDataUpdateTrade,
    MarketDataUpdateTradeCompact,
    MarketDepthRequest,
    MarketDepthSnapshotLevel,
    MarketDepthUpdateLevel,
    MarketDepthUpdateLevelFloatWithMilliseconds,
    Message,
    SecurityDefinitionForSymbolRequest,
    SecurityDefinitionReject,
    SecurityDefinitionResponse,
)
from mia_desktop.market.events import (
    BATCH_END,
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    Side,
    SourceStatus,
    Trade,
    VixReading,
)
from mia_desktop.sources.dtc_client import REJECT_HINT, DtcClient

SIERRA_REJECT = "Market data request rejected. CME data is not available through the DTC server."


@dataclass
class ScriptedPeer:
    """A minimal DTC server for tests: logs clients on, answers subscriptions with a depth snapshot,
    a few updates, a trade and a quote; can reject, stay silent, or send garbage."""

    reject_symbols: dict[str, str] = field(default_factory=dict)
    reject_logon: str = ""
    heartbeats: bool = True
    silent_after_logon: bool = False
    garbage_after_logon: bytes = b""
    secdefs: dict[str, tuple[float, float]] = field(default_factory=dict)  # symbol -> (tick, multiplier)
    port: int = 0
    connections: int = 0
    logons: list[LogonRequest] = field(default_factory=list)
    requests: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, action, symbol)
    received_types: list[int] = field(default_factory=list)
    timeouts: int = 0
    _server: asyncio.Server | None = None
    _conns: set[asyncio.StreamWriter] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for w in list(self._conns):
            w.close()
        for t in list(self._tasks):
            t.cancel()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(0.05)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._conns.add(writer)
        self.connections += 1
        session = DtcSession(Role.SERVER, now=time.monotonic())
        ticker = asyncio.create_task(self._ticker(session, writer))
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                try:
                    events = session.receive_data(data, time.monotonic())
                except DtcProtocolError:
                    break
                for ev in events:
                    if isinstance(ev, Message):
                        self.received_types.append(ev.TYPE)
                        self._on(ev, session, writer)
                if session.state is SessionState.CLOSED and session.close_reason.startswith("logoff"):
                    break
                if not writer.is_closing():
                    writer.write(session.data_to_send())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            ticker.cancel()
            writer.close()
            self._conns.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _ticker(self, session: DtcSession, writer: asyncio.StreamWriter) -> None:
        while session.state is not SessionState.CLOSED:
            await asyncio.sleep(0.05)
            if not self.heartbeats and session.state is SessionState.ACTIVE:
                session.next_heartbeat_at = time.monotonic() + 3600
            for ev in session.tick(time.monotonic(), time.time()):
                if isinstance(ev, PeerTimedOut):
                    self.timeouts += 1
                    writer.close()
                    return
            out = session.data_to_send()
            if out and not writer.is_closing():
                writer.write(out)

    def _on(self, ev: Message, session: DtcSession, writer: asyncio.StreamWriter) -> None:
        if isinstance(ev, LogonRequest):
            self.logons.append(ev)
            if self.reject_logon:
                session.reject_logon(self.reject_logon, do_not_reconnect=True)
                return
            session.accept_logon(time.monotonic(), ServerName="scripted peer")
            if self.garbage_after_logon:
                session.send_encoded(self.garbage_after_logon)
            if self.silent_after_logon:
                self.heartbeats = False
        elif isinstance(ev, MarketDataRequest | MarketDepthRequest):
            kind = "data" if isinstance(ev, MarketDataRequest) else "depth"
            self.requests.append((kind, ev.RequestAction, ev.Symbol))
            if ev.RequestAction != 1 or self.silent_after_logon:
                return
            if ev.Symbol in self.reject_symbols:
                text = self.reject_symbols[ev.Symbol]
                if kind == "data":
                    session.reject_market_data(ev.SymbolID, text)
                else:
                    session.reject_market_depth(ev.SymbolID, text)
                return
            sid = ev.SymbolID
            px = 100.0 if ev.Symbol in self.secdefs else 6000.0
            if kind == "depth":
                session.send_many([
                    MarketDepthSnapshotLevel(sid, 1, px, 10.0, 1, 1, 0, 1764086400.5, 3),
                    MarketDepthSnapshotLevel(sid, 1, px - 0.25, 20.0, 2, 0, 0, 1764086400.5, 4),
                    MarketDepthSnapshotLevel(sid, 2, px + 0.25, 15.0, 1, 0, 1, 1764086400.5, 5),
                ])
                flags = session.peer_logon.Integer_1 if session.peer_logon else 0
                if flags & LOGON_DEPTH_UPDATES_140:
                    upd = MarketDepthUpdateLevelFloatWithMilliseconds
                    session.send_many([upd(sid, 1764086401000, px + 0.25, 30.0, 2, 1, 6, 2),
                                       upd(sid, 1764086401000, px - 0.25, 0.0, 1, 2, 0, 1)])
                else:
                    session.send_many([MarketDepthUpdateLevel(sid, 2, px + 0.25, 30.0, 1, 1764086401.0, 6),
                                       MarketDepthUpdateLevel(sid, 1, px - 0.25, 0.0, 2, 1764086401.0, 0)])
            else:
                session.send_many([
                    MarketDataUpdateBidAsk(sid, px, 10.0, px + 0.25, 15.0, 1764086401),
                    MarketDataUpdateTrade(sid, 2, px + 0.25, 3.0, 1764086401.25),
                    MarketDataUpdateTradeCompact(px, 2.0, 1764086402, sid, 1),
                ])
        elif isinstance(ev, SecurityDefinitionForSymbolRequest):
            if ev.Symbol in self.secdefs:
                tick, mult = self.secdefs[ev.Symbol]
                session.send(SecurityDefinitionResponse(ev.RequestID, ev.Symbol, MinPriceIncrement=tick,
                                                        CurrencyValuePerIncrement=5.0, IsFinalMessage=1,
                                                        DisplayPriceMultiplier=mult))
            else:
                session.send(SecurityDefinitionReject(ev.RequestID, f"unknown symbol {ev.Symbol}"))
        elif isinstance(ev, Logoff):
            self.requests.append(("logoff", 0, ev.Reason))


class Collector:
    def __init__(self) -> None:
        self.events: list[MarketEvent] = []

    def __call__(self, ev: MarketEvent) -> None:
        self.events.append(ev)

    def of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    def states(self) -> list[str]:
        return [e.state for e in self.of(SourceStatus)]


async def _until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def _client(port: int, sink: Collector, symbols: list[str] | None = None, **kw: Any) -> DtcClient:
    kw.setdefault("backoff_initial_s", 0.05)
    kw.setdefault("backoff_max_s", 0.2)
    return DtcClient("127.0.0.1", port, symbols or ["ESZ6"], sink, name="t", **kw)


async def _session(peer: ScriptedPeer, sink: Collector, body: Callable[[DtcClient], Any],
                   **kw: Any) -> DtcClient:
    port = await peer.start()
    client = _client(port, sink, **kw)
    task = asyncio.create_task(client.run())
    try:
        await body(client)
    finally:
        await client.close()
        await asyncio.wait_for(task, 5)
        await peer.stop()
    return client


@pytest.mark.parametrize("encoding", ["binary", "json", "compact"])
@pytest.mark.parametrize("flags", [LOGON_DEPTH_UPDATES_140, 0])
def test_market_data_in_every_encoding(encoding: str, flags: int) -> None:
    peer = ScriptedPeer()
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: len(sink.of(Trade)) >= 2 and len(sink.of(DepthBatch)) >= 1)
        await _until(lambda: sum(len(b) for b in sink.of(DepthBatch)) >= 6)

    client = asyncio.run(_session(peer, sink, body, encoding=encoding, logon_flags=flags))
    assert client.stats.encoding == {"binary": "binary", "json": "json", "compact": "json_compact"}[encoding]
    assert client.stats.logon_result == 1 and client.stats.server_name == "scripted peer"
    assert peer.logons[0].ClientName == "MIA Desktop" and peer.logons[0].Integer_1 == flags
    rows = np.concatenate([b.records for b in sink.of(DepthBatch)])
    assert all(b.symbol == "ESZ6" for b in sink.of(DepthBatch))
    # snapshot: CLEAR + 3 adds, BATCH_END on the last add; then modify + delete by price
    assert list(rows["command"]) == [DepthCommand.CLEAR, DepthCommand.ADD_BID, DepthCommand.ADD_BID,
                                     DepthCommand.ADD_ASK, DepthCommand.MODIFY_ASK, DepthCommand.DELETE_BID]
    assert list(rows["price"][1:]) == [24000, 23999, 24001, 24001, 23999]
    assert list(rows["qty"][1:4]) == [10, 20, 15] and rows["qty"][4] == 30
    assert list(rows["flags"][:4] & BATCH_END) == [0, 0, 0, BATCH_END]
    assert rows["flags"][5] & BATCH_END
    assert rows["ts_us"][1] == 1764086400_500000
    t1, t2 = sink.of(Trade)[:2]
    assert (t1.price, t1.size, t1.aggressor, t1.ts_us) == (24001, 3, Side.ASK, 1764086401_250000)
    assert (t2.price, t2.aggressor, t2.ts_us) == (24000, Side.BID, 1764086402_000000)
    q = sink.of(Quote)[0]
    assert (q.bid, q.bid_size, q.ask, q.ask_size) == (24000, 10, 24001, 15)
    assert t1.recv_us > 0 and q.recv_us > 0
    assert sink.states()[:2] == ["connecting", "connected"] and sink.states()[-1] == "stopped"
    assert ("logoff", 0, "client closing") in peer.requests  # clean logoff on close
    assert client.stats.messages[122] == 3


def test_reject_shows_text_and_is_not_retried() -> None:
    peer = ScriptedPeer(reject_symbols={"ESZ6": SIERRA_REJECT})
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: "rejected" in sink.states())
        await asyncio.sleep(1.0)

    client = asyncio.run(_session(peer, sink, body))
    rejected = [e for e in sink.of(SourceStatus) if e.state == "rejected"]
    assert len(rejected) == 1  # depth reject for the same symbol is not a second alarm
    assert SIERRA_REJECT in rejected[0].text and REJECT_HINT in rejected[0].text
    assert client.stats.rejects == [("ESZ6", SIERRA_REJECT)]
    subs = [r for r in peer.requests if r[0] in ("data", "depth")]
    assert subs == [("data", 1, "ESZ6"), ("depth", 1, "ESZ6")]
    assert peer.connections == 1


def test_logon_failure_stops_without_retry() -> None:
    peer = ScriptedPeer(reject_logon="Invalid username or password")
    sink = Collector()

    async def main() -> DtcClient:
        port = await peer.start()
        client = _client(port, sink, username="u", password="wrong")
        await asyncio.wait_for(client.run(), 5)  # returns by itself
        await asyncio.sleep(0.3)
        await peer.stop()
        return client

    client = asyncio.run(main())
    assert peer.connections == 1 and peer.logons[0].Username == "u" and peer.logons[0].Password == "wrong"
    assert client.stats.logon_result == 3
    status = [e for e in sink.of(SourceStatus) if e.state == "rejected"]
    assert status and "Invalid username or password" in status[0].text
    assert sink.states()[-1] == "rejected"


def test_silent_server_times_out_and_client_reconnects() -> None:
    peer = ScriptedPeer(silent_after_logon=True)
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: peer.connections >= 2, timeout=6)

    t0 = time.monotonic()
    client = asyncio.run(_session(peer, sink, body, heartbeat_s=1, min_heartbeat_s=1))
    assert time.monotonic() - t0 < 6
    errors = [e for e in sink.of(SourceStatus) if e.state == "error"]
    assert errors and "silent" in errors[0].text
    assert "reconnecting" in sink.states() and client.stats.connects >= 2


def test_client_heartbeats_keep_the_server_happy() -> None:
    peer = ScriptedPeer()
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await asyncio.sleep(2.6)

    asyncio.run(_session(peer, sink, body, heartbeat_s=1, min_heartbeat_s=1))
    assert peer.received_types.count(3) >= 2  # heartbeats sent on time
    assert peer.timeouts == 0 and peer.connections == 1
    assert peer.logons[0].HeartbeatIntervalInSeconds == 1


def test_server_restart_reconnects_and_resubscribes() -> None:
    peer = ScriptedPeer()
    sink = Collector()

    async def main() -> DtcClient:
        port = await peer.start()
        client = _client(port, sink)
        task = asyncio.create_task(client.run())
        await _until(lambda: len(sink.of(Trade)) >= 2)
        await peer.stop()  # server killed
        await _until(lambda: "reconnecting" in sink.states())
        await asyncio.sleep(0.3)  # a few failed attempts while it is down
        peer.port = port
        await peer.start()  # and restarted on the same port
        await _until(lambda: len(sink.of(Trade)) >= 4)
        await client.close()
        await asyncio.wait_for(task, 5)
        await peer.stop()
        return client

    client = asyncio.run(main())
    assert peer.connections == 2
    assert [r for r in peer.requests if r[0] == "data"] == [("data", 1, "ESZ6"), ("data", 1, "ESZ6")]
    states = sink.states()
    assert states.count("connected") == 2
    retries = [e.retry_in_s for e in sink.of(SourceStatus) if e.state == "reconnecting"]
    assert retries and all(r is not None and 0.0375 <= r <= 0.25 for r in retries)
    assert client.stats.connects == 2


@pytest.mark.parametrize("garbage", [b"\x02\x00\x03\x00", b"\xff\xff\x6a\x00" + b"\0" * 60,
                                     b"\x38\x00\x6a\x00" + b"\xff" * 52])
def test_malformed_frames_never_crash_the_client(garbage: bytes) -> None:
    peer = ScriptedPeer(garbage_after_logon=garbage)
    sink = Collector()

    async def body(client: DtcClient) -> None:
        if garbage.startswith(b"\x38\x00"):  # well-framed but absurd values: dropped, connection stays
            await _until(lambda: len(sink.of(Trade)) >= 2)
        else:
            await _until(lambda: peer.connections >= 2)

    client = asyncio.run(_session(peer, sink, body))
    if garbage.startswith(b"\x38\x00"):
        assert client.stats.protocol_errors == 0
    else:
        assert client.stats.protocol_errors >= 1
        errors = [e for e in sink.of(SourceStatus) if e.state == "error"]
        assert errors and "DtcBadSize" in errors[0].text
        assert "reconnecting" in sink.states()


def test_unknown_symbol_uses_security_definition() -> None:
    peer = ScriptedPeer(secdefs={"XYZ": (0.5, 1.0)})
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: len(sink.of(Trade)) >= 1)

    client = asyncio.run(_session(peer, sink, body, symbols=["XYZ"]))
    inst = client.instruments["XYZ"]
    assert inst.tick_size == 0.5 and inst.tick_value == 5.0
    assert sink.of(Trade)[0].price == round(100.25 / 0.5)
    assert [r for r in peer.requests if r[0] == "data"] == [("data", 1, "XYZ")]


def test_unknown_symbol_rejected_by_security_definition() -> None:
    peer = ScriptedPeer()
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: "rejected" in sink.states())

    asyncio.run(_session(peer, sink, body, symbols=["NOPE"]))
    rejected = [e for e in sink.of(SourceStatus) if e.state == "rejected"]
    assert "unknown symbol NOPE" in rejected[0].text
    assert not [r for r in peer.requests if r[0] == "data"]


def test_vix_symbol_gives_vix_readings() -> None:
    peer = ScriptedPeer()
    sink = Collector()

    async def body(client: DtcClient) -> None:
        await _until(lambda: len(sink.of(VixReading)) >= 2)

    asyncio.run(_session(peer, sink, body, symbols=["VIX"]))
    v = sink.of(VixReading)[0]
    assert v.value == 6000.25 and v.ts_us == 1764086401_250000
    assert not sink.of(Trade) and not sink.of(DepthBatch)
    assert [r[0] for r in peer.requests if r[0] in ("data", "depth")] == ["data"]


def test_unreachable_server_backs_off() -> None:
    sink = Collector()

    async def main() -> DtcClient:
        srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        srv.close()
        await srv.wait_closed()
        client = _client(port, sink, backoff_initial_s=0.02, backoff_max_s=0.08)
        task = asyncio.create_task(client.run())
        await _until(lambda: sink.states().count("reconnecting") >= 4)
        await client.close()
        await asyncio.wait_for(task, 5)
        return client

    client = asyncio.run(main())
    retries = [e.retry_in_s for e in sink.of(SourceStatus) if e.state == "reconnecting"]
    assert retries[0] is not None and 0.015 <= retries[0] <= 0.025
    assert all(r is not None and r <= 0.1 for r in retries)
    assert "cannot connect" in client.stats.last_error
    assert sink.states()[-1] == "stopped"


def test_a_failing_sink_does_not_end_the_client() -> None:
    peer = ScriptedPeer()
    sink = Collector()
    failed: list[bool] = []

    def flaky(ev: MarketEvent) -> None:
        if isinstance(ev, Trade) and not failed:
            failed.append(True)
            raise RuntimeError("consumer bug")
        sink(ev)

    async def main() -> DtcClient:
        port = await peer.start()
        client = DtcClient("127.0.0.1", port, ["ESZ6"], flaky, name="t", backoff_initial_s=0.05)
        task = asyncio.create_task(client.run())
        await _until(lambda: len(sink.of(Trade)) >= 2)
        await client.close()
        await asyncio.wait_for(task, 5)
        await peer.stop()
        return client

    client = asyncio.run(main())
    assert failed and client.stats.connects == 2
    assert any(e.state == "error" and "consumer bug" in e.text for e in sink.of(SourceStatus))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("encoding", ["binary", "json"])
def test_random_garbage_from_the_server(seed: int, encoding: str) -> None:
    import random

    rng = random.Random(seed)
    garbage = bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))
    if encoding == "json":
        garbage = b'{"Type":3,"F":[0,' + garbage + b"\0" + b"{not json}\0"
    peer = ScriptedPeer(garbage_after_logon=garbage)
    sink = Collector()

    async def body(client: DtcClient) -> None:
        # either the garbage is refused (protocol error -> reconnect) or it parses as harmless frames
        await _until(lambda: peer.connections >= 2 or len(sink.of(Trade)) >= 2)
        await asyncio.sleep(0.1)

    client = asyncio.run(_session(peer, sink, body, encoding=encoding))
    assert client.stats.connects >= 1
    if encoding == "json":  # '{not json}' can never pass
        assert client.stats.protocol_errors >= 1 and client.stats.connects >= 2
    if client.stats.protocol_errors:
        assert any(e.state == "error" and "protocol error" in e.text for e in sink.of(SourceStatus))
    assert sink.states()[-1] == "stopped"
