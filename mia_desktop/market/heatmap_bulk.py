"""Vectorised heatmap sampling: the book at every column boundary of a run of depth records.

How this works: a column closes with the book as it stands just before the first record of a
later column. Within the heatmap's window (``rows`` ticks from ``base`` on both sides, 2·rows
cells) each sample is the previous sample plus the records seen since: keep the last record per
(sample, cell) (one ``np.unique``), then forward-fill sample by sample — one row copy and one fancy
assignment of that sample's few changes — instead of one Python step per record. Best bid/ask and
the re-anchor check are computed per block of samples with a few vectorised passes.

Blocks are only handed out while the result is certain to equal the column-by-column path: the
touch inside the window at every sample (and no order added beyond the window on the touch side),
and no re-anchor needed. At the first block where that fails the generator stops; the caller
finishes the rest of the run the exact, slower way from that sample on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BLOCK = 256   # samples per block: a working set of about 256 × 2·rows × 4 bytes


@dataclass(frozen=True, slots=True)
class Transitions:
    pos: npt.NDArray[np.int64]        # records applied before sample k
    col_from: npt.NDArray[np.int64]   # column index closed at sample k
    col_to: npt.NDArray[np.int64]     # column index the clock moves to


def transitions(recs: npt.NDArray[np.void], open_col: int, column_us: int) -> Transitions | None:
    """Where the run crosses column boundaries; None when times go backwards or nothing closes."""
    cols = recs["ts_us"] // column_us
    d = np.diff(cols)
    if (len(d) and d.min() < 0) or int(cols[0]) < open_col:
        return None
    gstart = np.concatenate(([0], np.flatnonzero(d) + 1))
    gcol = cols[gstart]
    prev = np.concatenate(([open_col], gcol[:-1]))
    keep = gcol > prev
    if not keep.any():
        return None
    return Transitions(gstart[keep], prev[keep], gcol[keep])


def sample_blocks(recs: npt.NDArray[np.void], tr: Transitions, s0: npt.NDArray[np.int64], base: int,
                  rows: int, qmax: int, dtype: np.dtype[np.generic]
                  ) -> Iterator[tuple[int, int, npt.NDArray[np.generic], npt.NDArray[np.int64],
                                      npt.NDArray[np.int64]]]:
    """Yield (k0, k1, sizes (k1-k0, 2, rows), best bid, best ask) for consecutive sample blocks.
    The sizes array is scratch space reused by the next block."""
    cmd = recs["command"]
    if cmd.min() < 2 or cmd.max() > 7:
        return
    pos = tr.pos
    k_n = len(pos)
    side = (cmd & 1).astype(np.int64)
    qty = np.where(cmd >= 6, 0, recs["qty"])
    row = recs["price"] - base
    # an order added past the window on the touch side could become the best: not representable
    if ((qty > 0) & (((side == 0) & (row >= rows)) | ((side == 1) & (row < 0)))).any():
        return
    inwin = np.flatnonzero((row >= 0) & (row < rows))
    first_k = np.searchsorted(pos, inwin, side="right")     # first sample that sees the record
    seen = first_k < k_n
    inwin, first_k = inwin[seen], first_k[seen]
    cells = side[inwin] * rows + row[inwin]
    width = 2 * rows
    # the last record per (sample, cell) wins; np.unique sorts by sample, then cell
    key = first_k * width + cells
    uk, ridx = np.unique(key[::-1], return_index=True)
    last = len(key) - 1 - ridx
    s_cell = uk % width
    s_val = np.minimum(qty[inwin][last], qmax).astype(dtype)
    bounds = np.searchsorted(uk // width, np.arange(k_n + 1)).tolist()
    scratch = np.empty((BLOCK, 2, rows), dtype=dtype)
    flat = scratch.reshape(BLOCK, width)
    prev = np.minimum(s0.reshape(-1), qmax).astype(dtype)
    q = rows // 4
    for k0 in range(0, k_n, BLOCK):
        k1 = min(k_n, k0 + BLOCK)
        kb = k1 - k0
        # forward fill: each sample is the previous one plus the records it saw first
        for i in range(kb):
            r = flat[i]
            r[:] = prev
            a, b = bounds[k0 + i], bounds[k0 + i + 1]
            if b > a:
                r[s_cell[a:b]] = s_val[a:b]
            prev = r
        prev = flat[kb - 1].copy()
        vals = scratch[:kb]
        has_bid = vals[:, 0] > 0
        has_ask = vals[:, 1] > 0
        if not (has_bid.any(axis=1).all() and has_ask.any(axis=1).all()):
            return     # a side left the window: its best may lie outside it
        bb = base + rows - 1 - np.argmax(has_bid[:, ::-1], axis=1)
        ba = base + np.argmax(has_ask, axis=1)
        mid = (bb + ba) // 2 - base
        if mid.min() < q or mid.max() >= rows - q:
            return     # the column-by-column path would re-anchor here
        yield k0, k1, vals, bb, ba
