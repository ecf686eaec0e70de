"""asyncio DTC server: serves any MarketFeed to any number of DTC clients (binary, JSON, compact JSON).

How this works: `start()` listens (127.0.0.1 unless told otherwise) and runs the feed with
`_on_event` as its sink, in the loop's thread. Every connection is an asyncio Protocol holding a
sans-I/O server `DtcSession` (negotiation, logon, heartbeat bookkeeping, subscriptions). The server
keeps an OrderBook and session statistics per symbol, so a late subscriber gets a market data
snapshot (104) and a depth snapshot batch (122, first/last flags) before the live updates. Live
events are encoded once per (encoding, 106-or-140, SymbolID) and written to each subscriber.

Bounded memory: after every write the client's transport buffer is checked, and a client whose
buffer passes `max_send_buffer` (it is not reading) is disconnected. One ticker task sends
heartbeats and drops clients silent for more than 2x their heartbeat interval (or that never
finish negotiating/logging on). A malformed frame closes that client only, with a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mia_desktop.dtc import (
    LOGON_DEPTH_UPDATES_140,
    SUPPORTED_ENCODINGS,
    DtcProtocolError,
    DtcSession,
    Encoding,
    PeerTimedOut,
    RequestAction,
    Role,
    SessionState,
    encode,
)
from mia_desktop.dtc.messages import (
    LogonRequest,
    MarketDataRequest,
    MarketDepthRequest,
    Message,
    SecurityDefinitionForSymbolRequest,
)
from mia_desktop.engine.server_encode import depth_snapshot, depth_updates
from mia_desktop.engine.server_symbols import SymbolState, security_definition
from mia_desktop.market.events import (
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    SourceStatus,
    Trade,
    VixReading,
)
from mia_desktop.market.instrument import root_symbol
from mia_desktop.sources.base import MarketFeed

log = logging.getLogger(__name__)

DEFAULT_REJECT_TEXT = "market data for CME is not available over DTC"
SERVER_NAME = "MIA Desktop DTC server"


@dataclass
class ServerStats:
    connections: int = 0
    active: int = 0
    dropped_slow: int = 0
    dropped_silent: int = 0
    protocol_errors: int = 0
    logon_rejected: int = 0
    bytes_out: int = 0
    depth_rows: int = 0  # depth rows received from the feed
    feed_error: str = ""
    rejects: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=100))  # latest


class _Client(asyncio.Protocol):
    def __init__(self, server: DtcServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.session = DtcSession(Role.SERVER, now=time.monotonic(),
                                  allowed_encodings=server.allowed_encodings)
        self.peer = "?"
        self.use_140 = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        # our own bound applies; keep asyncio's flow-control marks below it
        transport.set_write_buffer_limits(high=min(self.server.max_send_buffer, 1 << 20))
        self.server._add(self)

    def data_received(self, data: bytes) -> None:
        self.server._on_data(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server._remove(self)

    def close(self, *, abort: bool = False) -> None:
        if self.closed or self.transport is None:
            return
        self.closed = True
        if abort:
            self.transport.abort()
        else:
            self.transport.close()
        self.server._remove(self)


class DtcServer:
    def __init__(self, feed: MarketFeed, *, host: str = "127.0.0.1", port: int = 0,
                 credentials: tuple[str, str] | None = None,
                 reject_symbols: dict[str, str] | Iterable[str] = (),
                 max_send_buffer: int = 4 * 1024 * 1024, server_name: str = SERVER_NAME,
                 allowed_encodings: frozenset[Encoding] = SUPPORTED_ENCODINGS,
                 tick_interval_s: float = 0.1) -> None:
        self.feed = feed
        self.host, self.port = host, port
        self.credentials = credentials
        if isinstance(reject_symbols, dict):
            self.reject_symbols = {k.upper(): v for k, v in reject_symbols.items()}
        else:
            self.reject_symbols = {s.upper(): DEFAULT_REJECT_TEXT for s in reject_symbols}
        self.max_send_buffer = int(max_send_buffer)
        self.server_name = server_name
        self.allowed_encodings = allowed_encodings
        self.tick_interval_s = tick_interval_s
        self.stats = ServerStats()
        self.symbols: dict[str, SymbolState] = {s: SymbolState(s, feed.instrument(s)) for s in feed.symbols()}
        self._clients: set[_Client] = set()
        # symbol -> subscribers, rebuilt when subscriptions change: [(client, SymbolID)]
        self._md_routes: dict[str, list[tuple[_Client, int]]] = {}
        self._depth_routes: dict[str, list[tuple[_Client, int]]] = {}
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ---- lifecycle ----------------------------------------------------------------------
    async def start(self) -> int:
        """Listen and start the feed; returns the bound port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Client(self), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._tasks = [asyncio.create_task(self._run_feed(), name="dtc-server-feed"),
                       asyncio.create_task(self._ticker(), name="dtc-server-ticker")]
        log.info("DTC server on %s:%d serving %s", self.host, self.port, ", ".join(self.symbols))
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self._clients):
            c.close(abort=True)
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []
        if self._server is not None:
            # every client was aborted above, so this returns at once (no wait_for: it needs
            # asyncio's own running-loop bookkeeping, which qasync does not always provide)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _run_feed(self) -> None:
        try:
            await self.feed.run(self._on_event)
            log.info("DTC server: the feed ended; clients stay connected")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.stats.feed_error = f"{type(exc).__name__}: {exc}"
            log.exception("DTC server: the feed failed")

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval_s)
            now, wall = time.monotonic(), time.time()
            for c in list(self._clients):
                for ev in c.session.tick(now, wall):
                    if isinstance(ev, PeerTimedOut):
                        self.stats.dropped_silent += 1
                        log.info("DTC client %s dropped: %s", c.peer, ev.reason)
                        c.close()
                self._flush(c)

    # ---- connections ----------------------------------------------------------------------
    @property
    def client_count(self) -> int:
        return len(self._clients)

    def subscribers(self, symbol: str) -> int:
        """Clients subscribed to `symbol`'s depth."""
        return len(self._depth_routes.get(symbol, ()))

    def max_write_buffer(self) -> int:
        """Largest number of bytes queued for one client (feeds may use it for backpressure)."""
        return max((c.transport.get_write_buffer_size() for c in self._clients if c.transport is not None),
                   default=0)

    def _add(self, c: _Client) -> None:
        self._clients.add(c)
        self.stats.connections += 1
        self.stats.active = len(self._clients)

    def _remove(self, c: _Client) -> None:
        if c in self._clients:
            self._clients.discard(c)
            self.stats.active = len(self._clients)
            self._reroute()

    def _flush(self, c: _Client) -> None:
        data = c.session.data_to_send()
        if not data or c.closed or c.transport is None:
            return
        c.transport.write(data)
        self.stats.bytes_out += len(data)
        if c.transport.get_write_buffer_size() > self.max_send_buffer:
            self.stats.dropped_slow += 1
            log.warning("DTC client %s is not reading: over %d bytes queued, disconnected",
                        c.peer, self.max_send_buffer)
            c.close(abort=True)

    def _on_data(self, c: _Client, data: bytes) -> None:
        s = c.session
        try:
            events = s.receive_data(data, time.monotonic())
        except DtcProtocolError as exc:
            self.stats.protocol_errors += 1
            log.warning("DTC client %s sent a malformed frame (%s: %s, %d bytes in this read): disconnected",
                        c.peer, type(exc).__name__, exc, len(data))
            self._handle(c, list(exc.decoded or []))
            self._flush(c)
            c.close()
            return
        except Exception:
            self.stats.protocol_errors += 1
            log.exception("DTC client %s: unexpected error decoding its data: disconnected", c.peer)
            c.close(abort=True)
            return
        try:
            self._handle(c, events)
        except Exception:
            log.exception("DTC client %s: error handling its request: disconnected", c.peer)
            c.close(abort=True)
            return
        self._flush(c)
        if s.state is SessionState.CLOSED and not c.closed:
            c.close()

    def _handle(self, c: _Client, events: Sequence[object]) -> None:
        s = c.session
        for m in events:
            if not isinstance(m, Message):
                continue
            if isinstance(m, LogonRequest):
                self._logon(c, m)
            elif s.state is not SessionState.ACTIVE:
                continue  # requests before a successful logon are ignored
            elif isinstance(m, MarketDataRequest):
                self._market_data_request(c, m)
            elif isinstance(m, MarketDepthRequest):
                self._depth_request(c, m)
            elif isinstance(m, SecurityDefinitionForSymbolRequest):
                st = self._lookup(m.Symbol)
                s.send(security_definition(m.RequestID, m.Symbol, st.instrument if st else None))

    def _logon(self, c: _Client, m: LogonRequest) -> None:
        s = c.session
        if self.credentials is not None and (m.Username, m.Password) != self.credentials:
            self.stats.logon_rejected += 1
            log.info("DTC client %s: logon refused (bad credentials for %r)", c.peer, m.Username)
            s.reject_logon("Logon failed: invalid username or password")
            return
        c.use_140 = bool(m.Integer_1 & LOGON_DEPTH_UPDATES_140)
        s.accept_logon(time.monotonic(), ServerName=self.server_name, ResultText="Logon successful",
                       MarketDepthUpdatesBestBidAndAsk=1)
        log.info("DTC client %s logged on (%s, %s, heartbeat %gs)", c.peer, m.ClientName or "?",
                 s.encoding.name.lower(), s.heartbeat_s)

    # ---- subscriptions -----------------------------------------------------------------------
    def _lookup(self, symbol: str) -> SymbolState | None:
        st = self.symbols.get(symbol)
        if st is None:
            st = self.symbols.get(root_symbol(symbol)) or self.symbols.get(symbol.upper())
        return st

    def _reject_text(self, symbol: str) -> str | None:
        for key in (symbol.upper(), root_symbol(symbol)):
            if key in self.reject_symbols:
                return self.reject_symbols[key]
        if self._lookup(symbol) is None:
            return f"Unknown symbol: {symbol}" if symbol else "No symbol given"
        return None

    def _market_data_request(self, c: _Client, m: MarketDataRequest) -> None:
        if m.RequestAction == RequestAction.UNSUBSCRIBE:
            self._reroute()
            return
        text = self._reject_text(m.Symbol)
        if text is not None:
            self.stats.rejects.append((m.Symbol, text))
            c.session.reject_market_data(m.SymbolID, text)
            return
        st = self._lookup(m.Symbol)
        assert st is not None
        c.session.send(st.snapshot_message(m.SymbolID))
        if m.RequestAction == RequestAction.SUBSCRIBE:
            self._reroute()

    def _depth_request(self, c: _Client, m: MarketDepthRequest) -> None:
        if m.RequestAction == RequestAction.UNSUBSCRIBE:
            self._reroute()
            return
        text = self._reject_text(m.Symbol)
        st = self._lookup(m.Symbol)
        if text is None and st is not None and not st.has_depth:
            text = f"No market depth for {m.Symbol}"
        if text is not None or st is None:
            self.stats.rejects.append((m.Symbol, text or ""))
            c.session.reject_market_depth(m.SymbolID, text or "")
            return
        self._send_depth_snapshot(c, st, m.SymbolID, m.NumLevels)
        if m.RequestAction == RequestAction.SUBSCRIBE:
            self._reroute()

    def _send_depth_snapshot(self, c: _Client, st: SymbolState, symbol_id: int, levels: int) -> None:
        bids, asks = st.levels(levels)
        c.session.send_many(depth_snapshot(bids, asks, symbol_id, st.instrument.tick_size, st.ts_us))

    def _reroute(self) -> None:
        md: dict[str, list[tuple[_Client, int]]] = {}
        depth: dict[str, list[tuple[_Client, int]]] = {}
        for c in self._clients:
            if c.closed or c.session.state is not SessionState.ACTIVE:
                continue
            for table, subs in ((md, c.session.subscriptions), (depth, c.session.depth_subscriptions)):
                for sid, sub in subs.items():
                    st = self._lookup(sub.symbol)
                    if st is not None and self._reject_text(sub.symbol) is None:
                        table.setdefault(st.symbol, []).append((c, sid))
        self._md_routes, self._depth_routes = md, depth

    # ---- the feed -----------------------------------------------------------------------------
    def _on_event(self, ev: MarketEvent) -> None:
        if isinstance(ev, DepthBatch):
            self._on_depth(ev)
        elif isinstance(ev, Trade):
            st = self.symbols.get(ev.symbol)
            if st is not None:
                st.on_trade(ev)
                self._broadcast(self._md_routes.get(ev.symbol), lambda sid: st.trade_message(sid, ev))
        elif isinstance(ev, VixReading):
            st = self.symbols.get("VIX")
            if st is not None:
                st.on_vix(ev)
                self._broadcast(self._md_routes.get("VIX"), lambda sid: st.vix_message(sid, ev))
        elif isinstance(ev, Quote):
            st = self.symbols.get(ev.symbol)
            if st is not None:
                self._broadcast(self._md_routes.get(ev.symbol), lambda sid: st.quote_message(sid, ev))
        elif isinstance(ev, SourceStatus):
            log.info("DTC server feed status: %s %s", ev.state, ev.text)

    def _on_depth(self, ev: DepthBatch) -> None:
        st = self.symbols.get(ev.symbol)
        if st is None:
            return
        rec = ev.records
        self.stats.depth_rows += len(rec)
        cleared = bool((rec["command"] == DepthCommand.CLEAR).any())
        st.apply(rec)
        routes = self._depth_routes.get(ev.symbol)
        if routes:
            if cleared:  # a reset of the book: subscribers get a fresh snapshot
                for c, sid in routes:
                    self._send_depth_snapshot(c, st, sid, 0)
                    self._flush(c)
            else:
                cache: dict[tuple[Encoding, bool, int], bytes] = {}
                tick = st.instrument.tick_size
                for c, sid in routes:
                    key = (c.session.encoding, c.use_140, sid)
                    data = cache.get(key)
                    if data is None:
                        data = cache[key] = depth_updates(rec, sid, tick, key[0], key[1])
                    c.session.send_encoded(data)
                    self._flush(c)
        quote = st.quote_changed()
        if quote is not None:
            self._broadcast(self._md_routes.get(ev.symbol), lambda sid: st.bidask_message(sid, quote))

    def _broadcast(self, routes: list[tuple[_Client, int]] | None, make: object) -> None:
        if not routes:
            return
        cache: dict[tuple[Encoding, int], bytes] = {}
        for c, sid in routes:
            key = (c.session.encoding, sid)
            data = cache.get(key)
            if data is None:
                data = cache[key] = encode(make(sid), key[0])  # type: ignore[operator]
            c.session.send_encoded(data)
            self._flush(c)
