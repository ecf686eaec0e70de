"""The asyncio DTC server over real loopback sockets: the real DtcClient in all three encodings,
late-subscriber snapshots, credentials, rejects, security definitions, silent and slow clients,
and malformed input that must never take the server down."""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import numpy as np
import pytest

from mia_desktop.dtc import DtcSession, Encoding, Role, decode_stream
from mia_desktop.dtc.messages import (
    LogonRequest,
    LogonResponse,
    MarketDepthRequest,
    MarketDepthSnapshotLevel,
    SecurityDefinitionReject,
    SecurityDefinitionResponse,
)
from mia_desktop.engine.dtc_server import DEFAULT_REJECT_TEXT, DtcServer
from mia_desktop.engine.server_encode import depth_updates
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import DepthBatch, MarketEvent, Quote, Side, Trade, VixReading, make_depth
from mia_desktop.market.instrument import BUILTIN, Instrument
from mia_desktop.sources.base import EventSink
from mia_desktop.sources.dtc_client import DtcClient
from mia_desktop.sources.simulator import MarketSimulator, VixSimulator

pytestmark = pytest.mark.timeout(60)


class QueueFeed:
    """A MarketFeed the test drives: events pushed with `push()` reach the server in order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[MarketEvent]] | None = None

    def symbols(self) -> list[str]:
        return ["ES", "NQ", "VIX"]

    def instrument(self, symbol: str) -> Instrument:
        return BUILTIN[symbol]

    async def run(self, sink: EventSink) -> None:
        self.queue = asyncio.Queue()
        while True:
            for ev in await self.queue.get():
                sink(ev)

    def push(self, events: list[MarketEvent]) -> None:
        assert self.queue is not None
        self.queue.put_nowait(events)


async def _until(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await asyncio.sleep(0.02)
    return cond()


def _serve(test: Callable[[DtcServer, QueueFeed], Awaitable[None]], **kw: object) -> DtcServer:
    feed = QueueFeed()
    server = DtcServer(feed, **kw)  # type: ignore[arg-type]

    async def main() -> None:
        await server.start()
        await asyncio.sleep(0)  # let the feed task create its queue
        try:
            await test(server, feed)
        finally:
            await server.close()

    asyncio.run(main())
    return server


@pytest.mark.parametrize("encoding", ["binary", "json", "compact"])
@pytest.mark.parametrize("flags", [0x80, 0])
def test_client_rebuilds_the_servers_book_in_every_encoding(encoding: str, flags: int) -> None:
    sim, vix = MarketSimulator("ES", seed=4, rate=3000), VixSimulator(seed=4)
    got: list[MarketEvent] = []
    book = OrderBook()

    def sink(ev: MarketEvent) -> None:
        got.append(ev)
        if isinstance(ev, DepthBatch):
            book.apply(ev.records)

    async def test(server: DtcServer, feed: QueueFeed) -> None:
        feed.push(sim.advance(1_000_000))  # before the client: it must get a snapshot
        client = DtcClient("127.0.0.1", server.port, ["ES", "VIX"], sink, encoding=encoding,
                           heartbeat_s=5, logon_flags=flags)
        task = asyncio.create_task(client.run())
        assert await _until(lambda: book.level_count(Side.ASK) >= 20)
        sent_trades = 0
        for _ in range(10):
            evs = sim.advance(200_000) + list(vix.advance(200_000))
            sent_trades += sum(isinstance(e, Trade) for e in evs)
            feed.push(evs)
        st = server.symbols["ES"]
        assert await _until(lambda: book.items(Side.BID) == st.book.items(Side.BID)
                            and book.items(Side.ASK) == st.book.items(Side.ASK)
                            and sum(isinstance(e, Trade) for e in got) == sent_trades)
        await client.close()
        await task
        counts = client.stats.messages
        assert counts[122] >= 40 and counts[104] == 2  # ES and VIX snapshots
        assert counts[140 if flags & 0x80 else 106] > 1000
        assert counts[106 if flags & 0x80 else 140] == 0
        granted = {"binary": "binary", "json": "json", "compact": "json_compact"}[encoding]
        assert client.stats.encoding == granted
        assert client.stats.rejects == []

    server = _serve(test)
    assert sum(isinstance(e, VixReading) for e in got) >= 2
    quotes = [e for e in got if isinstance(e, Quote)]
    assert quotes and quotes[-1].bid == book.best_bid() and quotes[-1].ask == book.best_ask()
    assert server.stats.protocol_errors == 0


def test_binary_depth_frames_match_the_codec_byte_for_byte() -> None:
    from mia_desktop.dtc import encode_binary
    from mia_desktop.dtc.messages import MarketDepthUpdateLevel as M106
    from mia_desktop.dtc.messages import MarketDepthUpdateLevelFloatWithMilliseconds as M140

    t0 = 1_700_000_000_123_456
    rec = make_depth([(t0, 4, 0, 3, 24000, 55), (t0 + 544, 7, 1, 0, 24005, 0)])
    assert depth_updates(rec, 7, 0.25, Encoding.BINARY, False) == (
        encode_binary(M106(7, 1, 6000.0, 55.0, 1, t0 / 1e6, 3))
        + encode_binary(M106(7, 2, 6001.25, 0.0, 2, (t0 + 544) / 1e6, 0)))
    assert depth_updates(rec, 7, 0.25, Encoding.BINARY, True) == (
        encode_binary(M140(7, t0 // 1000, 6000.0, 55.0, 1, 1, 3, 3))
        + encode_binary(M140(7, (t0 + 544) // 1000, 6001.25, 0.0, 2, 2, 0, 1)))


@pytest.mark.parametrize("password,result", [("secret", 1), ("wrong", 2)])
def test_logon_checks_credentials(password: str, result: int) -> None:
    got: list[MarketEvent] = []

    async def test(server: DtcServer, feed: QueueFeed) -> None:
        client = DtcClient("127.0.0.1", server.port, ["ES"], got.append, username="me", password=password,
                           heartbeat_s=5)
        task = asyncio.create_task(client.run())
        assert await _until(lambda: client.stats.logon_result is not None)
        await client.close()
        await task
        assert client.stats.logon_result == result
        if result == 2:
            assert "invalid username or password" in client.stats.logon_text
            assert server.stats.logon_rejected == 1

    _serve(test, credentials=("me", "secret"))


def test_rejected_and_unknown_symbols_get_the_reject_text() -> None:
    got: list[MarketEvent] = []

    async def test(server: DtcServer, feed: QueueFeed) -> None:
        client = DtcClient("127.0.0.1", server.port, ["ES", "NQ", "CLZ26"], got.append, heartbeat_s=5)
        task = asyncio.create_task(client.run())
        assert await _until(lambda: len(client.stats.rejects) >= 2)
        await client.close()
        await task
        rejects = dict(client.stats.rejects)
        assert rejects["ES"] == DEFAULT_REJECT_TEXT
        assert "Unknown symbol" in rejects["CLZ26"]
        assert "NQ" not in rejects

    _serve(test, reject_symbols={"ES"})


async def _raw(port: int, *, encoding: Encoding = Encoding.BINARY, heartbeat: int = 5, rcvbuf: int = 0
               ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, DtcSession]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    s = DtcSession(Role.CLIENT, encoding=encoding, heartbeat_s=heartbeat, now=time.monotonic(),
                   logon=LogonRequest(HeartbeatIntervalInSeconds=heartbeat, ClientName="raw test"))
    writer.write(s.data_to_send())
    return reader, writer, s


async def _read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, s: DtcSession,
                want: Callable[[list[object]], bool], timeout: float = 3.0) -> list[object]:
    got: list[object] = []
    end = time.monotonic() + timeout
    while not want(got) and time.monotonic() < end:
        try:
            data = await asyncio.wait_for(reader.read(65536), max(0.01, end - time.monotonic()))
        except TimeoutError:
            break
        if not data:
            break
        got += s.receive_data(data, time.monotonic())
        writer.write(s.data_to_send())  # the logon follows the encoding response
    return got


def test_security_definitions_and_an_empty_book_snapshot() -> None:
    async def test(server: DtcServer, feed: QueueFeed) -> None:
        reader, writer, s = await _raw(server.port, encoding=Encoding.JSON)
        await _read(reader, writer, s, lambda g: any(isinstance(m, LogonResponse) for m in g))
        s.request_security_definition("NQ")
        s.request_security_definition("ZZZ")
        s.send(MarketDepthRequest(1, 1, "ES", "", 10))  # nothing published yet: empty book
        writer.write(s.data_to_send())
        answers = SecurityDefinitionResponse | SecurityDefinitionReject | MarketDepthSnapshotLevel
        got = await _read(reader, writer, s, lambda g: sum(isinstance(m, answers) for m in g) >= 3)
        defs = [m for m in got if isinstance(m, SecurityDefinitionResponse)]
        assert len(defs) == 1 and defs[0].MinPriceIncrement == 0.25
        assert defs[0].CurrencyValuePerIncrement == 5.0
        assert [m.RequestID for m in got if isinstance(m, SecurityDefinitionReject)] == [2]
        snap = [m for m in got if isinstance(m, MarketDepthSnapshotLevel)]
        assert len(snap) == 1 and snap[0].IsFirstMessageInBatch == 1 and snap[0].IsLastMessageInBatch == 1
        writer.close()

    _serve(test)


def test_a_silent_client_is_dropped_after_twice_its_heartbeat() -> None:
    async def test(server: DtcServer, feed: QueueFeed) -> None:
        reader, writer, s = await _raw(server.port, heartbeat=1)
        await _read(reader, writer, s, lambda g: any(isinstance(m, LogonResponse) for m in g))
        t0 = time.monotonic()
        # we never answer: the server's heartbeats arrive, then it hangs up
        while await reader.read(65536):
            pass
        elapsed = time.monotonic() - t0
        assert 1.5 <= elapsed <= 4.0
        assert server.stats.dropped_silent == 1 and server.client_count == 0
        writer.close()

    _serve(test)


def test_a_client_that_does_not_read_is_dropped_and_memory_stays_bounded() -> None:
    sim = MarketSimulator("ES", seed=9, rate=50_000)

    async def test(server: DtcServer, feed: QueueFeed) -> None:
        reader, writer, s = await _raw(server.port, rcvbuf=4096)
        await _read(reader, writer, s, lambda g: any(isinstance(m, LogonResponse) for m in g))
        s.subscribe("ES", depth_levels=20)  # sent now: we are logged on
        writer.write(s.data_to_send())
        await asyncio.sleep(0.1)
        assert server.client_count == 1
        for _ in range(200):  # up to ~100 MB of updates; the reader never reads
            feed.push(sim.advance(1_000_000))
            await asyncio.sleep(0.005)
            if server.client_count == 0:
                break
        assert server.client_count == 0 and server.stats.dropped_slow == 1
        writer.close()

    _serve(test, max_send_buffer=256 * 1024)


BAD_INPUTS = {
    "random bytes": random.Random(1).randbytes(4096),
    "size below 4": struct.pack("<HH", 2, 3),
    "oversized frame": struct.pack("<HH", 65535, 101) + b"\0" * 100,
    "truncated then closed": struct.pack("<HHii", 16, 6, 8, 0),
    "json without terminator": b"{" + b"x" * 70_000,
    "invalid json": b'{"Type": 1, oops}\0',
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_malformed_input_drops_that_client_only(name: str) -> None:
    async def test(server: DtcServer, feed: QueueFeed) -> None:
        good: list[MarketEvent] = []
        client = DtcClient("127.0.0.1", server.port, ["NQ"], good.append, heartbeat_s=5)
        task = asyncio.create_task(client.run())
        assert await _until(lambda: client.stats.logon_result == 1)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        if name.startswith("json"):
            writer.write(b'{"Type":6,"ProtocolVersion":8,"Encoding":2}\0')  # skip negotiation as JSON
        writer.write(BAD_INPUTS[name])
        await writer.drain()
        if name == "truncated then closed":
            writer.close()
        else:
            assert await asyncio.wait_for(reader.read(65536 * 4), 3.0) is not None
            assert await _until(lambda: server.client_count == 1)
        writer.close()
        feed.push(MarketSimulator("NQ", seed=1).advance(300_000))
        assert await _until(lambda: any(isinstance(e, DepthBatch) for e in good))  # the other client is fine
        await client.close()
        await task

    server = _serve(test)
    assert server.stats.protocol_errors == (0 if name == "truncated then closed" else 1)


def test_decoding_our_stream_never_meets_an_unknown_type() -> None:
    rec = MarketSimulator("ES", seed=2).advance(200_000)
    rows = np.concatenate([e.records for e in rec if isinstance(e, DepthBatch)])
    rows = rows[rows["command"] != 1]
    msgs, pos = decode_stream(depth_updates(rows, 3, 0.25, Encoding.BINARY, True))
    assert pos == 29 * len(rows)
    assert Counter(m.TYPE for m in msgs) == {140: len(rows)}  # type: ignore[union-attr]
