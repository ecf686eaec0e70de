"""DTC market-data messages -> the program's market events, one socket read at a time.

How this works: `convert(msgs, recv_us)` walks the messages decoded from one read. Depth rows
(DEPTH_DTYPE tuples, prices snapped to integer ticks) collect per symbol and leave as one
DepthBatch per symbol at the end of the read, or earlier before a trade of the same symbol so
that a trade stays between the book changes around it (quotes repeat the touch and do not split
a batch). A depth snapshot (122/145 batch) stays together across reads: CLEAR + ADDs with
BATCH_END on its last row. Updates (106/140/141) are MODIFY or DELETE by price, BATCH_END where
DTC says the batch is final (106 has no flag: each is final). Trades carry the aggressor from
AtBidOrAsk (inferred from the last quote when unset); a VIX symbol yields VixReading instead.
Unset or absurd values are dropped and counted, never turned into prices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mia_desktop.dtc import messages as dm
from mia_desktop.dtc.binary import DecodedMessage
from mia_desktop.market.events import (
    BATCH_END,
    DEPTH_DTYPE,
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Quote,
    Side,
    Trade,
    VixReading,
)
from mia_desktop.market.instrument import Instrument, root_symbol

Row = tuple[int, int, int, int, int, int]
_MAX_PENDING = 200_000  # rows kept for one symbol before a forced flush (bounds memory)
_U4 = 4294967295
_U2 = 65535
_CLEAR = int(DepthCommand.CLEAR)
_ADD = (0, int(DepthCommand.ADD_BID), int(DepthCommand.ADD_ASK))
_MODIFY = (0, int(DepthCommand.MODIFY_BID), int(DepthCommand.MODIFY_ASK))
_DELETE = (0, int(DepthCommand.DELETE_BID), int(DepthCommand.DELETE_ASK))


def is_vix(symbol: str) -> bool:
    s = symbol.upper().lstrip("$.^")
    return root_symbol(s) == "VIX" or s.startswith("VIX")


@dataclass(slots=True)
class _Ctx:
    symbol: str
    inst: Instrument
    vix: bool
    rows: list[Row] = field(default_factory=list)
    in_snapshot: bool = False
    bid: int | None = None
    ask: int | None = None
    mult: float = 1.0
    tick: float = 1.0

    def __post_init__(self) -> None:
        self.mult = self.inst.price_multiplier
        self.tick = self.inst.tick_size

    def ticks(self, price: float) -> int:
        # same arithmetic as Instrument.to_ticks
        return round(price * self.mult / self.tick)


class DtcConverter:
    def __init__(self, symbol_of: Callable[[int], str | None],
                 instrument_of: Callable[[str], Instrument | None]) -> None:
        self._symbol_of = symbol_of
        self._instrument_of = instrument_of
        self._ctx: dict[int, _Ctx | None] = {}
        self.dropped = 0  # messages for unknown symbols or with unusable values
        self.last_quote: dict[str, tuple[float | None, float | None]] = {}  # prices for display
        self._out: list[MarketEvent] = []
        self._recv_us = 0

    def invalidate(self) -> None:
        """Forget cached symbol/instrument lookups (after a new SymbolID or security definition)."""
        self._ctx = {k: v for k, v in self._ctx.items() if v is not None and v.rows}

    def _context(self, symbol_id: int) -> _Ctx | None:
        if symbol_id in self._ctx:
            return self._ctx[symbol_id]
        symbol = self._symbol_of(symbol_id)
        inst = self._instrument_of(symbol) if symbol is not None else None
        ctx = _Ctx(symbol, inst, is_vix(symbol)) if symbol is not None and inst is not None else None
        if ctx is not None:
            self._ctx[symbol_id] = ctx
        return ctx

    # ---- main entry ---------------------------------------------------------------------

    def convert(self, msgs: list[DecodedMessage], recv_us: int) -> list[MarketEvent]:
        out: list[MarketEvent] = []
        self._out = out
        self._recv_us = recv_us
        handlers = _HANDLERS
        ctxs = self._ctx
        m106, m140 = dm.MarketDepthUpdateLevel, dm.MarketDepthUpdateLevelFloatWithMilliseconds
        for m in msgs:
            try:
                cls = type(m)
                # the hot path (depth updates) inlined: one Python call per message costs as much as the rest
                if cls is m106 or cls is m140:
                    sid = m.SymbolID  # type: ignore[union-attr]
                    ctx = ctxs.get(sid) or self._context(sid)
                    price = m.Price  # type: ignore[union-attr]
                    side = m.Side  # type: ignore[union-attr]
                    if ctx is None or price is None or (side != 1 and side != 2):
                        self.dropped += 1
                        continue
                    if cls is m106:
                        t = m.DateTime  # type: ignore[union-attr]
                        ts = round(t * 1e6) if t else recv_us
                        flag = BATCH_END
                    else:
                        t = m.DateTime  # type: ignore[union-attr]
                        ts = t * 1000 if t > 0 else recv_us
                        flag = BATCH_END if m.FinalUpdateInBatch < 2 else 0  # type: ignore[union-attr]
                    ticks = round(price * ctx.mult / ctx.tick)
                    if m.UpdateType == 2:  # type: ignore[union-attr]
                        ctx.rows.append((ts, _DELETE[side], flag, 0, ticks, 0))
                    else:
                        q = m.Quantity  # type: ignore[union-attr]
                        n = m.NumOrders  # type: ignore[union-attr]
                        ctx.rows.append((ts, _MODIFY[side], flag, n if n < _U2 else _U2, ticks,
                                         int(q) if q is not None and q > 0 else 0))
                    if len(ctx.rows) > _MAX_PENDING:
                        self._flush(ctx)
                    continue
                h = handlers.get(cls)
                if h is not None:
                    h(self, m)
            except (OverflowError, ValueError, TypeError):
                self.dropped += 1  # inf/NaN or absurd numbers in a hand-built message
        for ctx in ctxs.values():
            if ctx is not None and ctx.rows and not ctx.in_snapshot:
                self._flush(ctx)
        return out

    def _flush(self, ctx: _Ctx) -> None:
        rows = ctx.rows
        ctx.rows = []
        try:
            arr = np.array(rows, dtype=DEPTH_DTYPE)
        except (OverflowError, ValueError, TypeError):
            good = [r for r in rows if _row_ok(r)]
            self.dropped += len(rows) - len(good)
            if not good:
                return
            arr = np.array(good, dtype=DEPTH_DTYPE)
        self._out.append(DepthBatch(ctx.symbol, arr, self._recv_us))

    def _ts_s(self, t: float | None) -> int:
        return round(t * 1e6) if t else self._recv_us

    # ---- depth --------------------------------------------------------------------------

    def _update(self, ctx: _Ctx | None, side: int, price: float | None, qty: float | None, delete: bool,
                ts_us: int, orders: int, final: bool) -> None:
        if ctx is None or price is None or side not in (1, 2):
            self.dropped += 1
            return
        if delete:
            row = (ts_us, _DELETE[side], BATCH_END if final else 0, 0, ctx.ticks(price), 0)
        else:
            q = int(qty) if qty is not None and qty > 0 else 0
            row = (ts_us, _MODIFY[side], BATCH_END if final else 0, min(orders, _U2), ctx.ticks(price), q)
        ctx.rows.append(row)
        if len(ctx.rows) > _MAX_PENDING:
            self._flush(ctx)

    def _on_106(self, m: dm.MarketDepthUpdateLevel) -> None:
        self._update(self._context(m.SymbolID), m.Side, m.Price, m.Quantity, m.UpdateType == 2,
                     self._ts_s(m.DateTime), m.NumOrders, True)

    def _on_140(self, m: dm.MarketDepthUpdateLevelFloatWithMilliseconds) -> None:
        ts = m.DateTime * 1000 if m.DateTime > 0 else self._recv_us
        self._update(self._context(m.SymbolID), m.Side, m.Price, m.Quantity, m.UpdateType == 2, ts,
                     m.NumOrders, m.FinalUpdateInBatch in (0, 1))

    def _on_141(self, m: dm.MarketDepthUpdateLevelNoTimestamp) -> None:
        self._update(self._context(m.SymbolID), m.Side, m.Price, m.Quantity, m.UpdateType == 2,
                     self._recv_us, m.NumOrders, m.FinalUpdateInBatch in (0, 1))

    def _snapshot_level(self, ctx: _Ctx | None, first: bool, last: bool, side: int, price: float | None,
                        qty: float | None, ts_us: int, orders: int) -> None:
        if ctx is None:
            self.dropped += 1
            return
        if first:
            if ctx.rows and not ctx.in_snapshot:
                self._flush(ctx)
            ctx.rows = [(ts_us, _CLEAR, 0, 0, 0, 0)]
            ctx.in_snapshot = True
        if side in (1, 2) and price is not None and qty is not None and qty > 0:
            ctx.rows.append((ts_us, _ADD[side], 0, min(orders, _U2), ctx.ticks(price), int(qty)))
        if last:
            if ctx.rows:
                r = ctx.rows[-1]
                ctx.rows[-1] = (r[0], r[1], BATCH_END, r[3], r[4], r[5])
            ctx.in_snapshot = False
            self._flush(ctx)
        elif len(ctx.rows) > _MAX_PENDING:
            ctx.in_snapshot = False
            self._flush(ctx)

    def _on_122(self, m: dm.MarketDepthSnapshotLevel) -> None:
        self._snapshot_level(self._context(m.SymbolID), bool(m.IsFirstMessageInBatch),
                             bool(m.IsLastMessageInBatch), m.Side, m.Price, m.Quantity,
                             self._ts_s(m.DateTime), m.NumOrders)

    def _on_145(self, m: dm.MarketDepthSnapshotLevelFloat) -> None:
        final = m.FinalUpdateInBatch
        self._snapshot_level(self._context(m.SymbolID), final == 3, final in (0, 1), m.Side, m.Price,
                             m.Quantity, self._recv_us, m.NumOrders)

    # ---- trades -------------------------------------------------------------------------

    def _trade(self, symbol_id: int, price: float | None, volume: float | None, at: int, ts_us: int) -> None:
        ctx = self._context(symbol_id)
        if ctx is None or price is None:
            self.dropped += 1
            return
        if ctx.vix:
            self._out.append(VixReading(ts_us, price * ctx.inst.price_multiplier, self._recv_us))
            return
        if ctx.rows and not ctx.in_snapshot:
            self._flush(ctx)
        ticks = ctx.ticks(price)
        if at == 1:
            aggressor = Side.BID
        elif at == 2:
            aggressor = Side.ASK
        else:  # unset: buyer if at or above the offer
            aggressor = Side.ASK if ctx.ask is not None and ticks >= ctx.ask else Side.BID
        size = int(volume) if volume is not None and 0 < volume < _U4 else 0
        self._out.append(Trade(ctx.symbol, ts_us, ticks, size, aggressor, self._recv_us))

    def _on_107(self, m: dm.MarketDataUpdateTrade) -> None:
        self._trade(m.SymbolID, m.Price, m.Volume, m.AtBidOrAsk, self._ts_s(m.DateTime))

    def _on_112(self, m: dm.MarketDataUpdateTradeCompact) -> None:
        self._trade(m.SymbolID, m.Price, m.Volume, m.AtBidOrAsk,
                    m.DateTime * 1_000_000 if m.DateTime > 0 else self._recv_us)

    def _on_137(self, m: dm.MarketDataUpdateTradeWithUnbundledIndicator) -> None:
        self._trade(m.SymbolID, m.Price, float(m.Volume), m.AtBidOrAsk, self._ts_s(m.DateTime))

    def _on_142(self, m: dm.MarketDataUpdateTradeNoTimestamp) -> None:
        self._trade(m.SymbolID, m.Price, float(m.Volume), m.AtBidOrAsk, self._recv_us)

    def _on_146(self, m: dm.MarketDataUpdateTradeWithUnbundledIndicator2) -> None:
        self._trade(m.SymbolID, m.Price, float(m.Volume), m.AtBidOrAsk,
                    m.DateTime if m.DateTime > 0 else self._recv_us)

    def _on_last_trade(self, m: dm.MarketDataUpdateLastTradeSnapshot) -> None:
        ctx = self._context(m.SymbolID)
        if ctx is not None and ctx.vix and m.LastTradePrice:
            self._out.append(VixReading(self._ts_s(m.LastTradeDateTime),
                                        m.LastTradePrice * ctx.inst.price_multiplier, self._recv_us))

    # ---- quotes -------------------------------------------------------------------------

    def _quote(self, symbol_id: int, bid: float | None, bid_q: float | None, ask: float | None,
               ask_q: float | None, ts_us: int) -> None:
        ctx = self._context(symbol_id)
        if ctx is None:
            self.dropped += 1
            return
        # a zero price with zero size is how some servers say "no bid/offer"
        b = ctx.ticks(bid) if bid is not None and (bid or bid_q) else None
        a = ctx.ticks(ask) if ask is not None and (ask or ask_q) else None
        ctx.bid, ctx.ask = b, a
        m = ctx.inst.price_multiplier
        self.last_quote[ctx.symbol] = (bid * m if b is not None and bid is not None else None,
                                       ask * m if a is not None and ask is not None else None)
        self._out.append(Quote(ctx.symbol, ts_us, b, _size(bid_q) if b is not None else None,
                               a, _size(ask_q) if a is not None else None, self._recv_us))

    def _on_108(self, m: dm.MarketDataUpdateBidAsk) -> None:
        self._quote(m.SymbolID, m.BidPrice, m.BidQuantity, m.AskPrice, m.AskQuantity,
                    m.DateTime * 1_000_000 if m.DateTime > 0 else self._recv_us)

    def _on_117(self, m: dm.MarketDataUpdateBidAskCompact) -> None:
        self._quote(m.SymbolID, m.BidPrice, m.BidQuantity, m.AskPrice, m.AskQuantity,
                    m.DateTime * 1_000_000 if m.DateTime > 0 else self._recv_us)

    def _on_143(self, m: dm.MarketDataUpdateBidAskNoTimeStamp) -> None:
        self._quote(m.SymbolID, m.BidPrice, float(m.BidQuantity), m.AskPrice, float(m.AskQuantity),
                    self._recv_us)

    def _on_144(self, m: dm.MarketDataUpdateBidAskFloatWithMicroseconds) -> None:
        self._quote(m.SymbolID, m.BidPrice, m.BidQuantity, m.AskPrice, m.AskQuantity,
                    m.DateTime if m.DateTime > 0 else self._recv_us)

    def _on_104(self, m: dm.MarketDataSnapshot) -> None:
        ctx = self._context(m.SymbolID)
        if ctx is None:
            self.dropped += 1
            return
        if ctx.vix:
            if m.LastTradePrice:
                self._out.append(VixReading(self._ts_s(m.LastTradeDateTime),
                                            m.LastTradePrice * ctx.inst.price_multiplier, self._recv_us))
            return
        if m.BidPrice is not None or m.AskPrice is not None:
            self._quote(m.SymbolID, m.BidPrice, m.BidQuantity, m.AskPrice, m.AskQuantity,
                        self._ts_s(m.BidAskDateTime))


def _size(q: float | None) -> int | None:
    return int(q) if q is not None and 0 <= q < _U4 else None


def _row_ok(r: Row) -> bool:
    ts, _cmd, _fl, n, price, qty = r
    return abs(ts) < 2**62 and 0 <= n <= _U2 and abs(price) < 2**62 and 0 <= qty <= _U4


_HANDLERS: dict[type, Callable[[DtcConverter, object], None]] = {
    dm.MarketDepthUpdateLevel: DtcConverter._on_106,  # type: ignore[dict-item]
    dm.MarketDepthUpdateLevelFloatWithMilliseconds: DtcConverter._on_140,  # type: ignore[dict-item]
    dm.MarketDepthUpdateLevelNoTimestamp: DtcConverter._on_141,  # type: ignore[dict-item]
    dm.MarketDepthSnapshotLevel: DtcConverter._on_122,  # type: ignore[dict-item]
    dm.MarketDepthSnapshotLevelFloat: DtcConverter._on_145,  # type: ignore[dict-item]
    dm.MarketDataUpdateTrade: DtcConverter._on_107,  # type: ignore[dict-item]
    dm.MarketDataUpdateTradeCompact: DtcConverter._on_112,  # type: ignore[dict-item]
    dm.MarketDataUpdateTradeWithUnbundledIndicator: DtcConverter._on_137,  # type: ignore[dict-item]
    dm.MarketDataUpdateTradeNoTimestamp: DtcConverter._on_142,  # type: ignore[dict-item]
    dm.MarketDataUpdateTradeWithUnbundledIndicator2: DtcConverter._on_146,  # type: ignore[dict-item]
    dm.MarketDataUpdateLastTradeSnapshot: DtcConverter._on_last_trade,  # type: ignore[dict-item]
    dm.MarketDataUpdateBidAsk: DtcConverter._on_108,  # type: ignore[dict-item]
    dm.MarketDataUpdateBidAskCompact: DtcConverter._on_117,  # type: ignore[dict-item]
    dm.MarketDataUpdateBidAskNoTimeStamp: DtcConverter._on_143,  # type: ignore[dict-item]
    dm.MarketDataUpdateBidAskFloatWithMicroseconds: DtcConverter._on_144,  # type: ignore[dict-item]
    dm.MarketDataSnapshot: DtcConverter._on_104,  # type: ignore[dict-item]
}
