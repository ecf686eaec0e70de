"""DTC messages -> DepthBatch / Trade / Quote / VixReading, including odd and hostile values."""

from __future__ import annotations

import math

from mia_desktop.dtc.messages import (
    MarketDataSnapshot,
    MarketDataUpdateBidAsk,
    MarketDataUpdateBidAskFloatWithMicroseconds,
    MarketDataUpdateTrade,
    MarketDataUpdateTradeWithUnbundledIndicator2,
    MarketDepthSnapshotLevel,
    MarketDepthSnapshotLevelFloat,
    MarketDepthUpdateLevel,
    MarketDepthUpdateLevelFloatWithMilliseconds,
    MarketDepthUpdateLevelNoTimestamp,
)
from mia_desktop.market.events import BATCH_END, DepthBatch, DepthCommand, Quote, Side, Trade, VixReading
from mia_desktop.market.instrument import BUILTIN, custom_instrument
from mia_desktop.sources.dtc_convert import DtcConverter

SYMS = {1: "ESZ6", 2: "VIX", 3: "CL"}
INSTS = {"ESZ6": BUILTIN["ES"], "VIX": BUILTIN["VIX"], "CL": custom_instrument("CL", 0.01, 10.0, 100.0)}


def _conv() -> DtcConverter:
    return DtcConverter(SYMS.get, INSTS.get)


def test_snapshot_split_across_reads_is_one_batch() -> None:
    c = _conv()
    first = c.convert([MarketDepthSnapshotLevel(1, 1, 6000.0, 5.0, 1, 1, 0, 1.5, 2)], 10)
    assert first == []  # batch still open
    out = c.convert([MarketDepthSnapshotLevel(1, 2, 6000.25, 7.0, 1, 0, 1, 1.5, 3),
                     MarketDepthUpdateLevel(1, 1, 6000.0, 0.0, 2, 2.0)], 20)
    assert len(out) == 2 and all(isinstance(b, DepthBatch) for b in out)
    snap, upd = out
    assert isinstance(snap, DepthBatch) and isinstance(upd, DepthBatch)
    assert list(snap.records["command"]) == [DepthCommand.CLEAR, DepthCommand.ADD_BID, DepthCommand.ADD_ASK]
    assert list(snap.records["flags"]) == [0, 0, BATCH_END]
    assert list(upd.records["command"]) == [DepthCommand.DELETE_BID] and upd.records["ts_us"][0] == 2_000_000


def test_empty_book_snapshot_is_clear_with_batch_end() -> None:
    out = _conv().convert([MarketDepthSnapshotLevel(1, 0, 0.0, 0.0, 0, 1, 1)], 5)
    assert len(out) == 1 and isinstance(out[0], DepthBatch)
    assert out[0].records.tolist() == [(5, DepthCommand.CLEAR, BATCH_END, 0, 0, 0)]


def test_float_snapshot_and_updates_flags() -> None:
    c = _conv()
    out = c.convert([MarketDepthSnapshotLevelFloat(1, 6000.0, 4.0, 1, 1, 1, 3),
                     MarketDepthSnapshotLevelFloat(1, 6000.5, 6.0, 1, 1, 2, 1),
                     MarketDepthUpdateLevelFloatWithMilliseconds(1, 1500, 6000.25, 3.0, 2, 1, 1, 2),
                     MarketDepthUpdateLevelNoTimestamp(1, 6000.0, 0.0, 0, 1, 2, 1)], 99)
    assert isinstance(out[0], DepthBatch) and isinstance(out[1], DepthBatch)
    assert list(out[0].records["command"]) == [DepthCommand.CLEAR, DepthCommand.ADD_BID, DepthCommand.ADD_ASK]
    assert out[0].records["flags"][-1] == BATCH_END
    rows = out[1].records
    assert list(rows["command"]) == [DepthCommand.MODIFY_ASK, DepthCommand.DELETE_BID]
    assert list(rows["flags"]) == [0, BATCH_END] and rows["ts_us"][0] == 1_500_000 and rows["ts_us"][1] == 99


def test_trades_split_depth_batches_and_keep_order() -> None:
    c = _conv()
    out = c.convert([MarketDepthUpdateLevel(1, 2, 6000.25, 9.0, 1, 1.0),
                     MarketDataUpdateTrade(1, 2, 6000.25, 2.0, 1.1),
                     MarketDepthUpdateLevel(1, 2, 6000.25, 7.0, 1, 1.2)], 1)
    assert [type(e) for e in out] == [DepthBatch, Trade, DepthBatch]


def test_aggressor_from_flag_or_inferred_from_quote() -> None:
    c = _conv()
    out = c.convert([MarketDataUpdateBidAsk(1, 6000.0, 3.0, 6000.25, 4.0, 7),
                     MarketDataUpdateTrade(1, 0, 6000.25, 1.0, 8.0),
                     MarketDataUpdateTrade(1, 0, 6000.0, 1.0, 8.0),
                     MarketDataUpdateTradeWithUnbundledIndicator2(1, 6000.0, 2, 1_700_000_000_123_456, 1)], 1)
    q, t1, t2, t3 = out
    assert isinstance(q, Quote) and (q.bid, q.ask, q.ts_us) == (24000, 24001, 7_000_000)
    assert isinstance(t1, Trade) and t1.aggressor is Side.ASK
    assert isinstance(t2, Trade) and t2.aggressor is Side.BID
    assert isinstance(t3, Trade) and t3.ts_us == 1_700_000_000_123_456 and t3.size == 2
    assert c.last_quote["ESZ6"] == (6000.0, 6000.25)


def test_unset_sides_of_a_quote_are_none() -> None:
    out = _conv().convert([MarketDataUpdateBidAsk(1, None, 0.0, 6000.25, 4.0, 7),
                           MarketDataUpdateBidAskFloatWithMicroseconds(1, 0.0, 0.0, None, 0.0, 5)], 1)
    q1, q2 = out
    assert isinstance(q1, Quote) and q1.bid is None and q1.bid_size is None and q1.ask == 24001
    assert isinstance(q2, Quote) and q2.bid is None and q2.ask is None and q2.ts_us == 5


def test_vix_and_display_multiplier() -> None:
    c = _conv()
    out = c.convert([MarketDataUpdateTrade(2, 0, 16.42, 0.0, 3.0),
                     MarketDataSnapshot(2, LastTradePrice=16.5, LastTradeDateTime=4.0),
                     MarketDataUpdateTrade(3, 1, 0.7525, 1.0, 5.0)], 1)
    v1, v2, t = out
    assert isinstance(v1, VixReading) and v1.value == 16.42 and v1.ts_us == 3_000_000
    assert isinstance(v2, VixReading) and v2.value == 16.5
    assert isinstance(t, Trade) and t.price == 7525  # 0.7525 x 100 / 0.01


def test_absurd_values_are_dropped_not_crashing() -> None:
    c = _conv()
    out = c.convert([MarketDepthUpdateLevel(1, 1, None, 5.0, 1, 1.0),             # unset price
                     MarketDepthUpdateLevel(1, 7, 6000.0, 5.0, 1, 1.0),            # bad side
                     MarketDepthUpdateLevel(1, 1, 1e300, 5.0, 1, 1.0),             # absurd price
                     MarketDepthUpdateLevel(1, 1, 6000.0, 1e20, 1, 1.0),           # absurd size
                     MarketDepthUpdateLevel(99, 1, 6000.0, 5.0, 1, 1.0),           # unknown SymbolID
                     MarketDepthUpdateLevel(1, 1, 6000.0, 5.0, 1, math.inf),       # bad time
                     MarketDepthUpdateLevel(1, 2, 6000.25, 5.0, 1, 1.0)], 1)       # the one good row
    assert len(out) == 1 and isinstance(out[0], DepthBatch)
    assert out[0].records.tolist() == [(1_000_000, DepthCommand.MODIFY_ASK, BATCH_END, 0, 24001, 5)]
    assert c.dropped == 6
