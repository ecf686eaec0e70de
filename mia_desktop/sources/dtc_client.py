"""asyncio DTC client: one TCP connection to a DTC server (Sierra Chart or ours), market events out.

How this works: `run()` loops connect -> session -> reconnect until `close()`. Each connection
gets a fresh sans-I/O `DtcSession` (negotiation in binary, logon, then subscriptions, which it
re-sends after every reconnect). A reader task decodes each socket read in one batch and hands
the messages to `DtcConverter`, which emits DepthBatch/Trade/Quote/VixReading into the sink; a
ticker task wakes at the session's next deadline to send heartbeats and to notice a silent
server (2x the heartbeat interval). Symbols without a built-in or given instrument are checked
with a security definition request (506) first and subscribed once the 507 gives their tick.

Rejects are final: a logon failure, or a market data/depth reject, is reported as
SourceStatus(state="rejected") with the server's text and is never retried in a loop. Anything
else that ends a connection (refused, reset, timeout, malformed frame) is retried with
exponential backoff 0.5 s -> 30 s, ±25 % jitter, reset only once real market data has arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mia_desktop.dtc import (
    ENCODING_NAMES,
    LOGON_DEPTH_UPDATES_140,
    LOGON_RELAY_SERVER,
    DtcProtocolError,
    DtcSession,
    Encoding,
    LogonStatus,
    Message,
    PeerTimedOut,
    Role,
    SessionState,
    UnknownMessage,
)
from mia_desktop.dtc.messages import (
    Logoff,
    LogonRequest,
    LogonResponse,
    MarketDataReject,
    MarketDepthReject,
    SecurityDefinitionReject,
    SecurityDefinitionResponse,
)
from mia_desktop.market.events import SourceStatus
from mia_desktop.market.instrument import Instrument, custom_instrument, instrument_for, root_symbol
from mia_desktop.sources.base import EventSink
from mia_desktop.sources.dtc_backoff import Backoff
from mia_desktop.sources.dtc_convert import DtcConverter, is_vix

log = logging.getLogger(__name__)

REJECT_HINT = "Sierra Chart does not relay CME/CBOE market data over DTC: use the Sierra Chart files source"
# The hint applies only to a refusal of exchange data, not to e.g. "Unknown symbol: ZZZ": the reject
# text names the exchange or a data restriction (lower-case substrings, matched case-insensitively)...
HINT_KEYWORDS = ("cme", "cboe", "exchange data", "not available", "not allowed", "not permitted",
                 "market data restriction", "restricted")
# ...or the symbol is a CME/CBOE product, whose data Sierra Chart never sends over DTC.
HINT_ROOTS = frozenset({"ES", "NQ", "MES", "MNQ", "VIX"})


def reject_hint_applies(symbol: str, text: str) -> bool:
    """True when a reject looks like Sierra Chart's CME/CBOE data refusal (see HINT_KEYWORDS/ROOTS)."""
    low = text.lower()
    if any(k in low for k in HINT_KEYWORDS):
        return True
    return bool(symbol) and root_symbol(symbol) in HINT_ROOTS


def reject_status_text(prefix: str, symbol: str, text: str) -> str:
    """The status line for a reject: the server's text, plus the files-source hint where it applies."""
    line = f"{prefix}{text or 'no reason given'}"
    return f"{line} — {REJECT_HINT}" if reject_hint_applies(symbol, text) else line
_DATA_TYPES = frozenset({104, 106, 107, 108, 112, 117, 122, 137, 140, 141, 142, 143, 144, 145, 146})


@dataclass
class ClientStats:
    messages: Counter[int] = field(default_factory=Counter)  # by DTC type
    rejects: list[tuple[str, str]] = field(default_factory=list)  # (symbol, server text)
    bytes_in: int = 0
    bytes_out: int = 0
    state: str = "stopped"
    connects: int = 0
    protocol_errors: int = 0
    last_error: str = ""
    logon_result: int | None = None
    logon_text: str = ""
    server_name: str = ""
    encoding: str = ""  # granted encoding name
    dropped: int = 0


class DtcClient:
    def __init__(self, host: str, port: int, symbols: list[str], sink: EventSink, *,
                 encoding: str | Encoding = "binary", heartbeat_s: float = 10,
                 client_name: str = "MIA Desktop", username: str = "", password: str = "",
                 relay: bool = False, depth_levels: int = 50,
                 instruments: dict[str, Instrument] | None = None, reconnect: bool = True, name: str = "",
                 logon_flags: int = LOGON_DEPTH_UPDATES_140, backoff_initial_s: float = 0.5,
                 backoff_max_s: float = 30.0, min_heartbeat_s: float = 5.0, connect_timeout_s: float = 10.0,
                 negotiation_timeout_s: float = 20.0, security_definitions: bool = True) -> None:
        if isinstance(encoding, str):
            if encoding.lower() not in ENCODING_NAMES:
                raise ValueError(f"unknown DTC encoding {encoding!r}: use binary, json or compact")
            encoding = ENCODING_NAMES[encoding.lower()]
        if not symbols:
            raise ValueError("DtcClient needs at least one symbol")
        self.host, self.port = host, port
        self.symbols = list(dict.fromkeys(symbols))
        self.sink = sink
        self.encoding = encoding
        self.heartbeat_s = int(min(max(heartbeat_s, min_heartbeat_s, 1), 60))
        self.client_name = client_name
        self.username, self.password = username, password
        self.relay = relay
        self.depth_levels = depth_levels
        self.reconnect = reconnect
        self.name = name or f"dtc {host}:{port}"
        self.logon_flags = logon_flags | (LOGON_RELAY_SERVER if relay else 0)
        self.connect_timeout_s = connect_timeout_s
        self.negotiation_timeout_s = negotiation_timeout_s
        self.security_definitions = security_definitions
        self.instruments: dict[str, Instrument] = dict(instruments or {})
        for sym in self.symbols:
            if sym not in self.instruments:
                with contextlib.suppress(KeyError):
                    self.instruments[sym] = instrument_for(sym)
        self.stats = ClientStats()
        self.rejected: dict[str, str] = {}  # symbol -> reject text; never resubscribed
        self.backoff = Backoff(backoff_initial_s, backoff_max_s)
        self._closing = False
        self._stop = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._session: DtcSession | None = None
        self._secdef_requests: dict[int, str] = {}
        self._done = asyncio.Event()
        self._running = False
        self._fatal = False

    # ---- public -------------------------------------------------------------------------

    @property
    def session(self) -> DtcSession | None:
        return self._session

    async def run(self) -> None:
        """Connect, negotiate, log on, subscribe; reconnect with backoff until close()."""
        self._running = True
        self._done.clear()
        try:
            while not self._closing:
                self._status("connecting", f"{self.host}:{self.port}")
                try:
                    got_data = await self._connect_once()
                except Exception as exc:  # a bug must not end the feed: report, back off, retry
                    log.exception("%s: unexpected error on the DTC connection", self.name)
                    self.stats.last_error = f"internal error: {type(exc).__name__}: {exc}"
                    self._status("error", self.stats.last_error)
                    got_data = False
                if got_data:
                    self.backoff.reset()
                if self._closing or self._fatal or not self.reconnect:
                    break
                delay = self.backoff.next()
                self._status("reconnecting", self.stats.last_error or "connection closed", retry_in_s=delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
        finally:
            self._running = False
            if self.stats.state != "rejected" or self._closing:
                self._status("stopped", self.stats.last_error if not self._closing else "closed")
            self._done.set()

    async def close(self) -> None:
        """Log off cleanly and stop `run()`."""
        self._closing = True
        self._stop.set()
        session, writer = self._session, self._writer
        if session is not None and writer is not None and session.state is not SessionState.CLOSED:
            session.logoff("client closing")
            with contextlib.suppress(Exception):
                writer.write(session.data_to_send())
                await asyncio.wait_for(writer.drain(), 2.0)
        if writer is not None:
            writer.close()
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), 5.0)

    # ---- one connection -----------------------------------------------------------------

    def _new_session(self) -> DtcSession:
        logon = LogonRequest(Username=self.username, Password=self.password, Integer_1=self.logon_flags,
                             HeartbeatIntervalInSeconds=self.heartbeat_s, ClientName=self.client_name)
        session = DtcSession(Role.CLIENT, encoding=self.encoding, heartbeat_s=self.heartbeat_s,
                             now=time.monotonic(), logon=logon,
                             negotiation_timeout_s=self.negotiation_timeout_s)
        for sym in self.symbols:
            if sym in self.instruments and sym not in self.rejected:
                session.subscribe(sym, depth_levels=0 if is_vix(sym) else self.depth_levels)
        return session

    async def _connect_once(self) -> bool:
        """One connection, start to end. Returns True when market data arrived on it."""
        self.stats.last_error = ""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                    self.connect_timeout_s)
        except (TimeoutError, OSError) as exc:
            self.stats.last_error = f"cannot connect to {self.host}:{self.port}: {exc or type(exc).__name__}"
            return False
        self.stats.connects += 1
        self._writer = writer
        self._session = session = self._new_session()
        self._secdef_requests = {}
        converter = DtcConverter(session.symbol_for, self.instruments.get)
        self._flush(session, writer)
        ticker = asyncio.create_task(self._ticker(session, writer), name=f"{self.name}-ticker")
        got_data = False
        try:
            while not self._closing:
                try:
                    data = await reader.read(65536)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    if not self._closing:
                        self.stats.last_error = f"connection lost: {exc}"
                    break
                if not data:
                    if not self.stats.last_error and not self._closing:
                        self.stats.last_error = "server closed the connection"
                    break
                self.stats.bytes_in += len(data)
                now = time.monotonic()
                recv_us = time.time_ns() // 1000
                error: DtcProtocolError | None = None
                try:
                    events = session.receive_data(data, now)
                except DtcProtocolError as exc:
                    events, error = list(exc.decoded), exc
                if self._handle(events, session, converter, recv_us):
                    got_data = True
                self._flush(session, writer)
                if error is not None:
                    self.stats.protocol_errors += 1
                    self.stats.last_error = f"protocol error: {type(error).__name__}: {error}"
                    log.warning("%s: %s (%d bytes in this read)", self.name, self.stats.last_error, len(data))
                    self._status("error", self.stats.last_error)
                    break
                if session.state is SessionState.CLOSED:
                    break
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ticker
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            self._writer = None
            self.stats.dropped += converter.dropped
        return got_data

    def _flush(self, session: DtcSession, writer: asyncio.StreamWriter) -> None:
        out = session.data_to_send()
        if out and not writer.is_closing():
            self.stats.bytes_out += len(out)
            writer.write(out)

    async def _ticker(self, session: DtcSession, writer: asyncio.StreamWriter) -> None:
        while True:
            deadline = session.next_deadline()
            if deadline is None:
                return
            # capped: the deadline moves when the session changes state (logon, data)
            await asyncio.sleep(min(max(0.0, deadline - time.monotonic()) + 0.001, 0.25))
            for ev in session.tick(time.monotonic(), time.time()):
                if isinstance(ev, PeerTimedOut):
                    self.stats.last_error = f"server silent: {ev.reason}"
                    self._status("error", self.stats.last_error)
                    writer.close()
                    return
            self._flush(session, writer)

    # ---- messages -----------------------------------------------------------------------

    def _handle(self, events: list[Any], session: DtcSession, converter: DtcConverter, recv_us: int) -> bool:
        counts = self.stats.messages
        got_data = False
        for ev in events:
            if not isinstance(ev, Message):
                if isinstance(ev, UnknownMessage):
                    counts[ev.type] += 1
                continue
            t = ev.TYPE
            counts[t] += 1
            if t in _DATA_TYPES:
                got_data = True
            elif isinstance(ev, LogonResponse):
                self._on_logon(ev, session)
            elif isinstance(ev, MarketDataReject | MarketDepthReject):
                self._on_reject(session.symbol_for(ev.SymbolID) or f"SymbolID {ev.SymbolID}", ev.RejectText,
                                "market depth" if isinstance(ev, MarketDepthReject) else "market data")
            elif isinstance(ev, SecurityDefinitionResponse):
                self._on_secdef(ev, session, converter)
            elif isinstance(ev, SecurityDefinitionReject):
                sym = self._secdef_requests.pop(ev.RequestID, "")
                if sym and sym not in self.instruments:
                    self._on_reject(sym, ev.RejectText, "security definition")
            elif isinstance(ev, Logoff):
                self.stats.last_error = f"server logged off: {ev.Reason}"
                if ev.DoNotReconnect:
                    self._fatal = True
                    self._status("rejected", f"{ev.Reason} (server asked not to reconnect)")
        if got_data:
            for out in converter.convert(events, recv_us):
                self.sink(out)
        return got_data

    def _on_logon(self, m: LogonResponse, session: DtcSession) -> None:
        self.stats.logon_result = m.Result
        self.stats.logon_text = m.ResultText
        self.stats.server_name = m.ServerName
        self.stats.encoding = session.encoding.name.lower()
        if m.Result != LogonStatus.SUCCESS:
            self._fatal = True
            self.stats.last_error = f"logon failed: {m.ResultText}"
            self.stats.rejects.append(("", m.ResultText))
            self._status("rejected", reject_status_text("logon failed: ", "", m.ResultText))
            return
        enc = {Encoding.BINARY: "binary", Encoding.JSON: "JSON", Encoding.JSON_COMPACT: "compact JSON"}
        self._status("connected", f"{m.ServerName or 'DTC server'} ({enc.get(session.encoding, '?')})",
                     details={"encoding": session.encoding.name.lower(), "server": m.ServerName})
        if self.security_definitions:
            for sym in self.symbols:
                wanted = sym not in self.instruments or m.SecurityDefinitionsSupported
                if wanted and sym not in self.rejected:
                    self._secdef_requests[session.request_security_definition(sym)] = sym
        unknown = [s for s in self.symbols if s not in self.instruments and s not in self.rejected]
        if unknown and not (self.security_definitions and m.SecurityDefinitionsSupported):
            self._status("error", f"no instrument for {', '.join(unknown)} and no security definitions")

    def _on_secdef(self, m: SecurityDefinitionResponse, session: DtcSession, converter: DtcConverter) -> None:
        sym = self._secdef_requests.pop(m.RequestID, "")
        if not sym:
            return
        mult = m.DisplayPriceMultiplier or 1.0
        if sym in self.instruments:
            inst = self.instruments[sym]
            if mult != inst.price_multiplier and mult > 0:
                from dataclasses import replace

                self.instruments[sym] = replace(inst, price_multiplier=mult)
                converter.invalidate()
            return
        tick = m.MinPriceIncrement
        value = m.CurrencyValuePerIncrement
        if not tick or tick <= 0:
            self._on_reject(sym, f"security definition for {sym} has no tick size", "security definition")
            return
        self.instruments[sym] = custom_instrument(sym, tick, value if value and value > 0 else tick, mult,
                                                  m.Description)
        converter.invalidate()
        session.subscribe(sym, depth_levels=0 if is_vix(sym) else self.depth_levels)

    def _on_reject(self, symbol: str, text: str, what: str) -> None:
        if symbol in self.rejected:
            return
        self.rejected[symbol] = text
        self.stats.rejects.append((symbol, text))
        log.warning("%s: %s for %s rejected: %s", self.name, what, symbol, text)
        self._status("rejected", reject_status_text(f"{symbol}: {what} rejected: ", symbol, text))

    def _status(self, state: str, text: str = "", retry_in_s: float | None = None,
                details: dict[str, str] | None = None) -> None:
        self.stats.state = state
        self.sink(SourceStatus(self.name, state, text, retry_in_s, details or {}))
