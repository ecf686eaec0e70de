"""Signal journal figures: durable appends per second (WAL, synchronous=FULL, one commit per
signal, as the app writes them) and the start-up history load the blotter does.

Run: `python benchmarks/bench_journal.py`. Prints figures; asserts nothing. Target: the journal must
never be the reason an alert is late — an append should take well under the 4 Hz blotter tick
(250 ms); elite signals arrive at most a few per minute.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.storage.journal import Journal

T0 = 1_703_541_600_000_000
N = 2000


def signal(i: int) -> Signal:
    fams = (("dom", "iceberg"), ("dom", "wall"), ("battle_navale", "vikings"))
    pats = tuple(
        PatternEvent(T0 + i, "ES", fam, pat, "long", 4800.25, 0.8, 0.9, {"size": 1200 + i, "ratio": 3.1})
        for fam, pat in fams
    )
    return Signal(
        T0 + i * 1_000_000,
        "ES",
        "long",
        0.81,
        "elite",
        True,
        pats,
        "normal",
        2,
        4800.25,
        4798.25,
        4804.25,
        "ok",
        {"dom": 0.27, "bonus": 0.1},
        {"multiplier": 1.0, "risk_cap": 10},
        signal_id=f"ES-{i}",
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as td:
        path = Path(td) / "journal.sqlite3"
        sigs = [signal(i) for i in range(N)]
        with Journal(path) as j:
            lat = []
            t0 = time.perf_counter()
            for s in sigs:
                a = time.perf_counter()
                j.append(s)
                lat.append(time.perf_counter() - a)
            total = time.perf_counter() - t0
        lat_ms = sorted(x * 1000 for x in lat)
        p50 = statistics.median(lat_ms)
        p99 = lat_ms[int(len(lat_ms) * 0.99)]
        print(
            f"append (durable, one commit each): {N / total:,.0f} signals/s; "
            f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {lat_ms[-1]:.3f} ms"
        )
        print(f"  p99 vs the 250 ms blotter tick: {250 / p99:,.0f}x headroom")
        batch = [signal(N + i) for i in range(20)]
        with Journal(path) as j:
            a = time.perf_counter()
            j.append_many(batch)
            dtb = (time.perf_counter() - a) * 1000
        print(
            f"append_many (20 signals, one commit): {dtb:.2f} ms = {dtb / 20:.3f} ms per signal "
            f"({p50 * 20 / dtb:.1f}x faster than 20 single appends at p50)"
        )
        t0 = time.perf_counter()
        with Journal(path) as j:
            rows = j.history(1000)
        dt = (time.perf_counter() - t0) * 1000
        print(
            f"reopen + history(1000): {dt:.1f} ms for {len(rows)} records "
            f"({path.stat().st_size / 1e6:.2f} MB file for {N} signals)"
        )


if __name__ == "__main__":
    main()
