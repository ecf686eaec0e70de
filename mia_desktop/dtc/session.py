"""DTC session state machine for either end of a connection, sans-I/O.

How this works: the owner feeds received bytes with `receive_data(data, now)` and gets back the
decoded messages (plus a few session events) in order; it queues messages with `send()` and
writes whatever `data_to_send()` returns; it calls `tick(now)` at `next_deadline()` so that
heartbeats go out on time and a silent peer is noticed. `now` is any monotonic clock in seconds
passed in by the owner: there is no clock, socket or thread in here.

Negotiation is always binary: the client's first message is ENCODING_REQUEST; the server answers
ENCODING_RESPONSE in binary with what it grants (its current encoding when it refuses), then
both switch, so bytes after the response in the same read are decoded in the new encoding. A
server also accepts a client that skips negotiation (binary logon first, or JSON detected by a
leading '{'). The client sends its logon after the response and its subscriptions after a
successful logon response (again after every reconnect, as a new session). Heartbeats go out
every interval once logged on; the peer is gone after 2x the interval without any byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from mia_desktop.dtc.binary import DecodedMessage, encode_binary
from mia_desktop.dtc.constants import SUPPORTED_ENCODINGS, Encoding, LogonStatus, RequestAction
from mia_desktop.dtc.errors import DtcSessionError, DtcUnsupportedEncoding
from mia_desktop.dtc.framer import StreamDecoder, check_encoding, encode
from mia_desktop.dtc.messages import (
    EncodingRequest,
    EncodingResponse,
    Heartbeat,
    Logoff,
    LogonRequest,
    LogonResponse,
    MarketDataReject,
    MarketDataRequest,
    MarketDepthReject,
    MarketDepthRequest,
    Message,
    SecurityDefinitionForSymbolRequest,
)

NEGOTIATION_TIMEOUT_S = 20.0
MIN_HEARTBEAT_S = 5
MAX_HEARTBEAT_S = 60


class Role(Enum):
    CLIENT = "client"
    SERVER = "server"


class SessionState(Enum):
    NEGOTIATING = "negotiating"  # waiting for the encoding exchange (or, server, any first message)
    LOGGING_ON = "logging_on"    # encoding settled, logon request/response pending
    ACTIVE = "active"            # logged on: heartbeats and market data
    CLOSED = "closed"            # logon failed, logoff, timeout or protocol error


@dataclass(frozen=True, slots=True)
class EncodingNegotiated:
    encoding: Encoding
    requested: int


@dataclass(frozen=True, slots=True)
class PeerTimedOut:
    idle_s: float
    reason: str


SessionEvent = EncodingNegotiated | PeerTimedOut
Event = DecodedMessage | SessionEvent

_NEGOTIATION_TYPES = frozenset({EncodingRequest.TYPE, EncodingResponse.TYPE})
_CONTROL_TYPES = frozenset({1, 2, 5, 6, 7, 101, 102, 103, 121})


@dataclass(frozen=True, slots=True)
class Subscription:
    symbol_id: int
    symbol: str
    exchange: str = ""
    depth_levels: int = 0  # 0: no depth subscription


class DtcSession:
    def __init__(self, role: Role, *, encoding: Encoding = Encoding.BINARY, heartbeat_s: float = 10,
                 now: float = 0.0, logon: LogonRequest | None = None,
                 allowed_encodings: frozenset[Encoding] = SUPPORTED_ENCODINGS,
                 negotiation_timeout_s: float = NEGOTIATION_TIMEOUT_S) -> None:
        self.role = role
        self.state = SessionState.NEGOTIATING
        self.requested_encoding = check_encoding(encoding) if role is Role.CLIENT else Encoding.BINARY
        self.encoding = Encoding.BINARY
        self.allowed_encodings = allowed_encodings
        self.heartbeat_s = float(heartbeat_s)
        self.negotiation_timeout_s = negotiation_timeout_s
        self.last_received = now
        self.started_at = now
        self.next_heartbeat_at: float | None = None
        self.logon_request = logon
        self.logon_response: LogonResponse | None = None
        self.peer_logon: LogonRequest | None = None  # server: what the client asked for
        self.close_reason = ""
        self._decoder = StreamDecoder(Encoding.BINARY)
        self._out = bytearray()
        self._got_first = False
        # client: SymbolID -> subscription; server: the client's subscriptions by SymbolID
        self.subscriptions: dict[int, Subscription] = {}
        self.depth_subscriptions: dict[int, Subscription] = {}
        self.rejects: list[tuple[int, str, str]] = []  # (SymbolID, symbol, text)
        self._id_symbols: dict[int, str] = {}  # every SymbolID ever used (kept after a reject)
        self._next_symbol_id = 1
        self._next_request_id = 1
        if role is Role.CLIENT:
            self._out += encode_binary(EncodingRequest(Encoding=int(self.requested_encoding)))

    # ---- output ---------------------------------------------------------------------------

    def send(self, msg: Message) -> None:
        self._out += encode(msg, self.encoding)

    def send_many(self, msgs: list[Message]) -> None:
        enc = self.encoding
        self._out += b"".join(encode(m, enc) for m in msgs)

    def send_encoded(self, data: bytes) -> None:
        """Bytes already encoded in `self.encoding` (a server encodes once for many clients)."""
        self._out += data

    def data_to_send(self) -> bytes:
        data = bytes(self._out)
        self._out.clear()
        return data

    # ---- input ----------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[Event]:
        """Decode `data`; returns messages and session events in order. Raises DtcProtocolError
        subclasses on bad input (the session is then CLOSED; `.decoded` holds earlier messages)."""
        if data:
            self.last_received = now
        if self.state is SessionState.CLOSED:
            return []
        try:
            if self.state is SessionState.NEGOTIATING:
                return self._receive_negotiating(data, now)
            msgs = self._decoder.feed(data)
        except Exception:
            self.state = SessionState.CLOSED
            raise
        for m in msgs:
            if isinstance(m, Message) and m.TYPE in _CONTROL_TYPES:
                self._control(m, now)
        return list(msgs)

    def _receive_negotiating(self, data: bytes, now: float) -> list[Event]:
        dec = self._decoder
        first = dec.peek(1) if dec.buffered else data[:1]
        if self.role is Role.SERVER and not self._got_first and first == b"{":
            # a JSON client that skipped negotiation (Sierra Chart accepts this too)
            self._switch(Encoding.JSON)
            self.state = SessionState.LOGGING_ON
            events: list[Event] = [EncodingNegotiated(Encoding.JSON, int(Encoding.JSON))]
            return events + self.receive_data(data, now)
        msgs = dec.feed(data, stop_types=_NEGOTIATION_TYPES)
        events = []
        for m in msgs:
            self._got_first = True
            events.append(m)
            if not isinstance(m, Message):
                continue
            if self.role is Role.SERVER and isinstance(m, EncodingRequest):
                grant = Encoding(m.Encoding) if m.Encoding in self.allowed_encodings else self.encoding
                self._out += encode_binary(EncodingResponse(Encoding=int(grant)))
                self._switch(grant)
                self.state = SessionState.LOGGING_ON
                events.append(EncodingNegotiated(grant, m.Encoding))
            elif self.role is Role.CLIENT and isinstance(m, EncodingResponse):
                if m.Encoding not in SUPPORTED_ENCODINGS:
                    raise DtcUnsupportedEncoding(f"server granted unsupported encoding {m.Encoding}")
                self._switch(Encoding(m.Encoding))
                self.state = SessionState.LOGGING_ON
                events.append(EncodingNegotiated(self.encoding, int(self.requested_encoding)))
                if self.logon_request is not None:
                    self.send(self.logon_request)
            elif self.role is Role.SERVER:
                # no negotiation: the client stays in binary
                self.state = SessionState.LOGGING_ON
                if m.TYPE in _CONTROL_TYPES:
                    self._control(m, now)
            elif isinstance(m, Logoff | LogonResponse):
                self._control(m, now)  # a server refusing us outright
                return events
            elif not isinstance(m, Heartbeat):
                raise DtcSessionError(f"expected ENCODING_RESPONSE, got {type(m).__name__}")
        if self.state is not SessionState.NEGOTIATING and dec.buffered:
            events += self.receive_data(b"", now)
        return events

    def _switch(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self._decoder.set_encoding(encoding)

    def _control(self, m: Message, now: float) -> None:
        if isinstance(m, LogonResponse):
            self.logon_response = m
            if m.Result == LogonStatus.SUCCESS:
                self.state = SessionState.ACTIVE
                self.next_heartbeat_at = now + self.heartbeat_s
                for sub in self.subscriptions.values():
                    self._send_subscribe(sub)
            else:
                self._close(f"logon failed: {m.ResultText}")
        elif isinstance(m, Logoff):
            self._close(f"logoff: {m.Reason}")
        elif isinstance(m, LogonRequest):
            self.peer_logon = m
            if m.HeartbeatIntervalInSeconds > 0:
                self.heartbeat_s = float(min(max(m.HeartbeatIntervalInSeconds, 1), MAX_HEARTBEAT_S))
        elif isinstance(m, MarketDataReject | MarketDepthReject):
            book = self.subscriptions if isinstance(m, MarketDataReject) else self.depth_subscriptions
            self.rejects.append((m.SymbolID, self._id_symbols.get(m.SymbolID, ""), m.RejectText))
            if self.role is Role.CLIENT:
                book.pop(m.SymbolID, None)
        elif isinstance(m, MarketDataRequest | MarketDepthRequest) and self.role is Role.SERVER:
            book = self.subscriptions if isinstance(m, MarketDataRequest) else self.depth_subscriptions
            if m.RequestAction == RequestAction.UNSUBSCRIBE:
                book.pop(m.SymbolID, None)
            elif m.RequestAction == RequestAction.SUBSCRIBE:
                levels = m.NumLevels if isinstance(m, MarketDepthRequest) else 0
                book[m.SymbolID] = Subscription(m.SymbolID, m.Symbol, m.Exchange, levels)
                self._id_symbols[m.SymbolID] = m.Symbol

    def _close(self, reason: str) -> None:
        self.state = SessionState.CLOSED
        self.close_reason = reason

    # ---- time -----------------------------------------------------------------------------

    @property
    def peer_timeout_s(self) -> float:
        if self.state is SessionState.ACTIVE:
            return 2 * self.heartbeat_s
        return self.negotiation_timeout_s

    def next_deadline(self) -> float | None:
        """When `tick` should next be called (None once closed)."""
        if self.state is SessionState.CLOSED:
            return None
        deadline = self.last_received + self.peer_timeout_s
        if self.state is SessionState.ACTIVE and self.next_heartbeat_at is not None:
            deadline = min(deadline, self.next_heartbeat_at)
        return deadline

    def tick(self, now: float, wall_s: float | None = None) -> list[SessionEvent]:
        """Send a heartbeat when due; report a silent peer (the session is then CLOSED)."""
        if self.state is SessionState.CLOSED:
            return []
        idle = now - self.last_received
        if self.state is SessionState.ACTIVE:
            if idle > 2 * self.heartbeat_s:
                self._close(f"no data from the peer for {idle:.1f} s (heartbeat {self.heartbeat_s:g} s)")
                return [PeerTimedOut(idle, self.close_reason)]
            if self.next_heartbeat_at is not None and now >= self.next_heartbeat_at:
                self.send(Heartbeat(0, int(wall_s) if wall_s is not None else 0))
                self.next_heartbeat_at = max(self.next_heartbeat_at + self.heartbeat_s, now)
        elif idle > self.negotiation_timeout_s:
            what = "encoding response" if self.state is SessionState.NEGOTIATING else "logon"
            self._close(f"no {what} within {self.negotiation_timeout_s:g} s")
            return [PeerTimedOut(idle, self.close_reason)]
        return []

    # ---- client actions -------------------------------------------------------------------

    def subscribe(self, symbol: str, *, exchange: str = "", depth_levels: int = 0) -> int:
        """Client: market data (and depth when depth_levels > 0) for a symbol; returns its SymbolID.
        Sent now when logged on, else right after a successful logon."""
        for sub in self.subscriptions.values():
            if sub.symbol == symbol and sub.exchange == exchange:
                return sub.symbol_id
        sub = Subscription(self._next_symbol_id, symbol, exchange, depth_levels)
        self._next_symbol_id += 1
        self.subscriptions[sub.symbol_id] = sub
        self._id_symbols[sub.symbol_id] = symbol
        if depth_levels > 0:
            self.depth_subscriptions[sub.symbol_id] = sub
        if self.state is SessionState.ACTIVE:
            self._send_subscribe(sub)
        return sub.symbol_id

    def _send_subscribe(self, sub: Subscription) -> None:
        self.send(MarketDataRequest(int(RequestAction.SUBSCRIBE), sub.symbol_id, sub.symbol, sub.exchange))
        if sub.depth_levels > 0:
            self.depth_subscriptions[sub.symbol_id] = sub
            self.send(MarketDepthRequest(int(RequestAction.SUBSCRIBE), sub.symbol_id, sub.symbol,
                                         sub.exchange, sub.depth_levels))

    def unsubscribe(self, symbol_id: int) -> None:
        sub = self.subscriptions.pop(symbol_id, None)
        depth = self.depth_subscriptions.pop(symbol_id, None)
        if sub is not None and self.state is SessionState.ACTIVE:
            self.send(MarketDataRequest(int(RequestAction.UNSUBSCRIBE), symbol_id, sub.symbol, sub.exchange))
            if depth is not None:
                self.send(MarketDepthRequest(int(RequestAction.UNSUBSCRIBE), symbol_id, sub.symbol,
                                             sub.exchange))

    def symbol_for(self, symbol_id: int) -> str | None:
        """The symbol a SymbolID was given to (also after an unsubscribe or a reject)."""
        return self._id_symbols.get(symbol_id)

    def request_security_definition(self, symbol: str, exchange: str = "") -> int:
        rid = self._next_request_id
        self._next_request_id += 1
        self.send(SecurityDefinitionForSymbolRequest(rid, symbol, exchange))
        return rid

    def logoff(self, reason: str = "", do_not_reconnect: bool = False) -> None:
        if self.state is not SessionState.CLOSED and self.state is not SessionState.NEGOTIATING:
            self.send(Logoff(reason, int(do_not_reconnect)))
        self._close(f"logoff sent: {reason}")

    # ---- server actions -------------------------------------------------------------------

    def accept_logon(self, now: float, **fields: Any) -> None:
        """Server: answer the client's logon with success (extra LogonResponse fields allowed)."""
        values: dict[str, Any] = {"Result": int(LogonStatus.SUCCESS), "ResultText": "Logon successful",
                                  "MarketDepthIsSupported": 1, "MarketDataSupported": 1,
                                  "SecurityDefinitionsSupported": 1}
        values.update(fields)
        self.send(LogonResponse(**values))
        self.state = SessionState.ACTIVE
        self.next_heartbeat_at = now + self.heartbeat_s

    def reject_logon(self, text: str, *, do_not_reconnect: bool = False) -> None:
        result = LogonStatus.ERROR_NO_RECONNECT if do_not_reconnect else LogonStatus.ERROR
        self.send(LogonResponse(Result=int(result), ResultText=text))
        self._close(f"logon rejected: {text}")

    def reject_market_data(self, symbol_id: int, text: str) -> None:
        self.subscriptions.pop(symbol_id, None)
        self.send(MarketDataReject(symbol_id, text))

    def reject_market_depth(self, symbol_id: int, text: str) -> None:
        self.depth_subscriptions.pop(symbol_id, None)
        self.send(MarketDepthReject(symbol_id, text))
