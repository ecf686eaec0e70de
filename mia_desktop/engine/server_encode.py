"""Market events -> DTC bytes for the server, encoded once per (encoding, format, SymbolID).

How this works: depth updates are the volume, so binary 106 and 140 frames are built for a whole
DepthBatch at once as numpy structured arrays laid out exactly like the DTC structs (106: 56 bytes,
C alignment; 140: 29 bytes, packed) and sent with one `tobytes()`; a test checks them byte for
byte against the codec. JSON and compact JSON go through the codec one message at a time.
Side: 1 bid, 2 ask; UpdateType: 1 insert/update, 2 delete (a MODIFY to 0 is a delete);
140's FinalUpdateInBatch: 3 begins a batch, 2 inside, 1 final (at each BATCH_END row).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mia_desktop.dtc import Encoding, encode
from mia_desktop.dtc.messages import (
    MarketDepthSnapshotLevel,
    MarketDepthUpdateLevel,
    MarketDepthUpdateLevelFloatWithMilliseconds,
    Message,
)
from mia_desktop.market.events import BATCH_END, DepthCommand

DT106 = np.dtype({
    "names": ["Size", "Type", "SymbolID", "Side", "Price", "Quantity", "UpdateType", "DateTime", "NumOrders"],
    "formats": ["<u2", "<u2", "<u4", "<u2", "<f8", "<f8", "u1", "<f8", "<u4"],
    "offsets": [0, 2, 4, 8, 16, 24, 32, 40, 48],
    "itemsize": 56,
})
DT140 = np.dtype({
    "names": ["Size", "Type", "SymbolID", "DateTime", "Price", "Quantity", "Side", "UpdateType", "NumOrders",
              "FinalUpdateInBatch"],
    "formats": ["<u2", "<u2", "<u4", "<i8", "<f4", "<f4", "u1", "u1", "<u2", "u1"],
    "offsets": [0, 2, 4, 8, 16, 20, 24, 25, 26, 28],
    "itemsize": 29,
})


def _fields(records: npt.NDArray[np.void]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(side 1/2, update type 1/2, batch-final flag) for rows without CLEAR."""
    cmd = records["command"].astype(np.int64)
    side = np.where(cmd % 2 == 0, 1, 2)
    upd = np.where((cmd >= int(DepthCommand.DELETE_BID)) | (records["qty"] == 0), 2, 1)
    final = (records["flags"] & BATCH_END) != 0
    return side, upd, final


def final_flags(final: np.ndarray) -> np.ndarray:
    """140's FinalUpdateInBatch for each row: 3 at a batch's first row, 2 inside, 1 at its end."""
    out = np.full(len(final), 2, np.uint8)
    if len(final) == 0:
        return out
    starts = np.empty(len(final), bool)
    starts[0] = True
    starts[1:] = final[:-1]
    out[starts] = 3
    out[final] = 1
    return out


def depth_updates(records: npt.NDArray[np.void], symbol_id: int, tick_size: float,
                  encoding: Encoding, use_140: bool) -> bytes:
    """DEPTH_DTYPE rows (no CLEAR) -> framed 106/140 messages in `encoding`."""
    n = len(records)
    if n == 0:
        return b""
    side, upd, final = _fields(records)
    price = records["price"] * tick_size
    qty = np.where(upd == 2, 0, records["qty"])
    if encoding is Encoding.BINARY:
        if use_140:
            out = np.zeros(n, DT140)
            out["Size"], out["Type"] = 29, 140
            out["DateTime"] = records["ts_us"] // 1000
            out["FinalUpdateInBatch"] = final_flags(final)
        else:
            out = np.zeros(n, DT106)
            out["Size"], out["Type"] = 56, 106
            out["DateTime"] = records["ts_us"] / 1e6
        out["SymbolID"] = symbol_id
        out["Side"] = side
        out["Price"] = price
        out["Quantity"] = qty
        out["UpdateType"] = upd
        out["NumOrders"] = np.minimum(records["num_orders"], 65535)
        return out.tobytes()
    cols = (price.tolist(), qty.tolist(), side.tolist(), upd.tolist(), records["num_orders"].tolist())
    msgs: list[Message] = []
    if use_140:
        ms = (records["ts_us"] // 1000).tolist()
        for t, p, q, s, u, no, f in zip(ms, *cols, final_flags(final).tolist(), strict=True):
            msgs.append(MarketDepthUpdateLevelFloatWithMilliseconds(symbol_id, t, p, float(q), s, u, no, f))
    else:
        secs = (records["ts_us"] / 1e6).tolist()
        for t, p, q, s, u, no in zip(secs, *cols, strict=True):
            msgs.append(MarketDepthUpdateLevel(symbol_id, s, p, float(q), u, t, no))
    return b"".join(encode(m, encoding) for m in msgs)


def depth_snapshot(bids: list[tuple[int, int]], asks: list[tuple[int, int]], symbol_id: int,
                   tick_size: float, ts_us: int) -> list[Message]:
    """A 122 batch: bids then asks from the touch outward, Level 1.., first/last flags; an empty
    book is one message with both flags."""
    t = ts_us / 1e6
    levels = [(1, p, q, i + 1) for i, (p, q) in enumerate(bids)] + \
             [(2, p, q, i + 1) for i, (p, q) in enumerate(asks)]
    if not levels:
        return [MarketDepthSnapshotLevel(symbol_id, 0, 0.0, 0.0, 0, 1, 1, t, 0)]
    last = len(levels) - 1
    return [MarketDepthSnapshotLevel(symbol_id, side, p * tick_size, float(q), level, int(i == 0),
                                     int(i == last), t, max(1, q // 6))
            for i, (side, p, q, level) in enumerate(levels)]
