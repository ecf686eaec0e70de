"""Engine throughput: decode + book + bars + heatmap over the ESH4 depth file looped to >= 5 M records.

Prints records/s through the engine (one core, the worker's synchronous `process`, no detectors),
a plain `struct.iter_unpack` pass over the same bytes in the same run, their ratio, the target
ratio (>= 1,000,000 records/s), and the heatmap history's memory for 1 h at 100 ms x 800 rows.
Wall-clock figures are best of REPEAT runs; the per-CPU-second figure is this process's own CPU
time, which is what to compare on a shared, busy machine.
Each loop of the file is shifted in time by the file's span, so exchange time keeps running
(columns, bars and gaps behave as in one long session). Usage: python benchmarks/bench_engine.py [N]
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mia_desktop.engine.worker import InstrumentWorker  # noqa: E402
from mia_desktop.market.heatmap import HeatmapHistory  # noqa: E402
from mia_desktop.market.instrument import BUILTIN, Instrument  # noqa: E402
from mia_desktop.sources.scfiles import (  # noqa: E402
    SC_DEPTH_DTYPE,
    SC_SCID_DTYPE,
    depth_from_raw,
    trades_from_raw,
)
from mia_desktop.sources.tail import merge_in_time  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TARGET = 1_000_000
REPEAT = 2


class _Profile:
    analysis_interval_ms = 250


def looped(depth_raw: np.ndarray, scid_raw: np.ndarray, loops: int,
           compress: int) -> list[tuple[bytes, bytes]]:
    """The files' bytes repeated `loops` times, each pass shifted to follow the previous one in time
    (and time compressed `compress` times), as a recorder would have written them."""
    t0 = int(depth_raw["sc_us"][0])
    span = (int(depth_raw["sc_us"][-1]) - t0) // compress + 1_000_000
    out = []
    for k in range(loops):
        d = depth_raw.copy()
        d["sc_us"] = t0 + (d["sc_us"] - t0) // compress + k * span
        s = scid_raw.copy()
        s["sc_us"] = t0 + (s["sc_us"] - t0) // compress + k * span
        out.append((d.tobytes(), s.tobytes()))
    return out


def run_engine(es: Instrument, chunks: list[tuple[bytes, bytes]], n_records: int, n_trades: int,
               label: str, repeat: int = REPEAT) -> float:
    """Best of `repeat` runs (a shared machine is noisy; the best run is the least disturbed)."""
    best = best_cpu = float("inf")
    for _ in range(repeat):
        worker = InstrumentWorker(es, _Profile(), analyzer=None)
        heat = worker.heat
        assert heat is not None
        heat._planes.fill(0)   # touch the ring's pages once: steady state (the ring is reused forever)
        t, c = time.perf_counter(), time.process_time()
        for dbytes, sbytes in chunks:
            recs, _bad = depth_from_raw(np.frombuffer(dbytes, SC_DEPTH_DTYPE), es)
            trades, _bad = trades_from_raw(np.frombuffer(sbytes, SC_SCID_DTYPE), es, "ES")
            worker.process(merge_in_time("ES", recs, trades))
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    rate = n_records / best
    snap = worker.snapshot
    print(f"engine decode+book+bars+heat: {rate:>12,.0f} records/s ({best:.2f} s, best of {repeat}), "
          f"{n_trades / best:,.0f} trades/s alongside — {label}")
    print(f"    per CPU second (this process only, what a busy shared machine leaves out): "
          f"{n_records / best_cpu:,.0f} records/s")
    print(f"    final book bid {snap.best_bid} ask {snap.best_ask} (ticks), {heat.seq:,} heatmap columns "
          f"({heat.seq / n_records:.2f} per record), bar in progress {snap.bar is not None}")
    return rate


def main() -> None:
    target_records = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    es = BUILTIN["ES"]
    depth_raw = np.frombuffer((DATA / "ESH4.CME.2023-12-25.depth").read_bytes(), SC_DEPTH_DTYPE, offset=64)
    scid_raw = np.frombuffer((DATA / "ESH4.CME.scid").read_bytes(), SC_SCID_DTYPE, offset=56)
    loops = -(-target_records // len(depth_raw))
    n_records = loops * len(depth_raw)
    n_trades = loops * len(scid_raw)
    print(f"input: {loops} loops of the ESH4 file = {n_records:,} depth records + {n_trades:,} trades "
          f"({n_records * 24 / 1e6:.0f} MB)")
    chunks = looped(depth_raw, scid_raw, loops, 1)

    # baseline: a plain struct.iter_unpack pass over the same depth bytes (best of REPEAT)
    base_s = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        count = 0
        for dbytes, _s in chunks:
            for _rec in struct.iter_unpack("<qBBHfII", dbytes):
                count += 1
        base_s = min(base_s, time.perf_counter() - t)
        assert count == n_records
    base_rate = n_records / base_s
    print(f"struct.iter_unpack baseline : {base_rate:>12,.0f} records/s ({base_s:.2f} s, best of {REPEAT})")

    eng_rate = run_engine(es, chunks, n_records, n_trades, "as recorded")
    print(f"engine / iter_unpack        : {eng_rate / base_rate:.2f}x")
    print(f"engine / target 1,000,000/s : {eng_rate / TARGET:.2f}x")
    # The holiday file is sparse (~16 depth records/s, 0.7 heatmap columns per record), so the
    # per-column cost dominates above. A regular ES session sends ~30x more updates per second:
    # the same bytes with time compressed 30x show the engine at that density.
    dense = run_engine(es, looped(depth_raw, scid_raw, loops, 30), n_records, n_trades,
                       "time compressed 30x (regular-session density)")
    print(f"engine (dense) / target     : {dense / TARGET:.2f}x")

    for dtype in (np.uint16, np.uint32, np.float32):
        h = HeatmapHistory(rows=800, column_ms=100, history_s=3600, qty_dtype=dtype)
        tag = "  (default)" if dtype is np.uint16 else ""
        print(f"heatmap history 1 h x 100 ms x 800 rows, {np.dtype(dtype).name:>7}: "
              f"{h.nbytes / 2**20:7.1f} MiB{tag}")


if __name__ == "__main__":
    main()
