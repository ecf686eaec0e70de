"""DTC server -> client loopback throughput of depth updates, with zero loss (sent vs received).

The server (this process) serves a pre-generated simulator stream (ES at 200,000 book updates/s,
real micro-structure) as fast as the client takes it: the feed waits while the client's socket
buffer is over 1 MiB (backpressure, so nothing is dropped). The client is the real DtcClient in a
child process (decode + conversion to DepthBatch events) and counts the depth rows it receives.
Reported: depth updates per second end to end (client clock, first to last update), the ratio to
the issue's 100,000/s target, loss (sent - received, must be 0) and MB/s on the wire.

    python benchmarks/bench_loopback.py     # binary 140 / binary 106 / compact JSON / 20-row batches
    python benchmarks/bench_loopback.py --rows 3000000 --encodings binary
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mia_desktop.engine.dtc_server import DtcServer  # noqa: E402
from mia_desktop.market.events import DepthBatch, MarketEvent  # noqa: E402
from mia_desktop.market.instrument import BUILTIN, Instrument  # noqa: E402
from mia_desktop.sources.base import EventSink  # noqa: E402
from mia_desktop.sources.simulator import MarketSimulator  # noqa: E402

TARGET = 100_000


class BurstFeed:
    """Serves a fixed list of DepthBatches once a client has subscribed, with backpressure."""

    def __init__(self, batches: list[DepthBatch], snapshot: DepthBatch) -> None:
        self.batches, self.snapshot = batches, snapshot
        self.server: DtcServer | None = None
        self.sent = 0
        self.t0 = self.t1 = 0.0

    def symbols(self) -> list[str]:
        return ["ES"]

    def instrument(self, symbol: str) -> Instrument:
        return BUILTIN["ES"]

    async def run(self, sink: EventSink) -> None:
        assert self.server is not None
        sink(self.snapshot)
        while self.server.subscribers("ES") == 0:
            await asyncio.sleep(0.01)
        self.t0 = time.perf_counter()
        for b in self.batches:
            sink(b)
            self.sent += len(b)
            if self.server.max_write_buffer() > 1 << 20:
                while self.server.max_write_buffer() > 1 << 18:
                    await asyncio.sleep(0.0005)
            else:
                await asyncio.sleep(0)
        self.t1 = time.perf_counter()
        await asyncio.Event().wait()


def make_stream(rows: int) -> tuple[DepthBatch, list[DepthBatch]]:
    sim = MarketSimulator("ES", seed=1, rate=200_000)
    snap = sim.advance(0)[0]
    assert isinstance(snap, DepthBatch)
    batches: list[DepthBatch] = []
    n = 0
    while n < rows:
        for ev in sim.advance(100_000):
            if isinstance(ev, DepthBatch):
                batches.append(ev)
                n += len(ev)
    return snap, batches


def rechunk(batches: list[DepthBatch], rows: int) -> list[DepthBatch]:
    """The same updates in batches of `rows` (BATCH_END on each batch's last row)."""
    allrows = np.concatenate([b.records for b in batches])
    out = []
    for i in range(0, len(allrows), rows):
        part = allrows[i:i + rows].copy()
        part["flags"][-1] |= 1
        out.append(DepthBatch("ES", part))
    return out


async def serve_once(encoding: str, flags: int, snap: DepthBatch,
                     batches: list[DepthBatch]) -> dict[str, float]:
    feed = BurstFeed(batches, snap)
    server = DtcServer(feed, max_send_buffer=64 << 20)
    feed.server = server
    port = await server.start()
    total = sum(len(b) for b in batches)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", str(port), encoding, str(flags), str(total),
        stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
    out, _ = await proc.communicate()
    await server.close()
    res = json.loads(out.decode().strip().splitlines()[-1])
    res["sent"] = feed.sent
    res["server_s"] = feed.t1 - feed.t0
    res["bytes"] = server.stats.bytes_out
    return res


def client_main(port: int, encoding: str, flags: int, expected: int) -> None:
    from mia_desktop.sources.dtc_client import DtcClient

    state = {"rows": 0, "snap": 0, "first": 0.0, "last": 0.0}

    def sink(ev: MarketEvent) -> None:
        if isinstance(ev, DepthBatch):
            if ev.records["command"][0] == 1:  # the subscription snapshot (CLEAR + ADDs)
                state["snap"] += len(ev)
                return
            if not state["rows"]:
                state["first"] = time.perf_counter()
            state["rows"] += len(ev)
            state["last"] = time.perf_counter()

    async def main() -> None:
        client = DtcClient("127.0.0.1", port, ["ES"], sink, encoding=encoding, logon_flags=flags,
                           heartbeat_s=10, security_definitions=False)
        task = asyncio.create_task(client.run())
        idle_since = time.perf_counter()
        seen = -1
        while state["rows"] < expected:
            await asyncio.sleep(0.05)
            if state["rows"] != seen:
                seen, idle_since = state["rows"], time.perf_counter()
            elif time.perf_counter() - idle_since > 5.0:
                break
        await client.close()
        await task

    asyncio.run(main())
    print(json.dumps(state))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_500_000)
    ap.add_argument("--encodings", default="binary140,binary106,compact,small140")
    ap.add_argument("--client", nargs=4, metavar=("PORT", "ENC", "FLAGS", "N"))
    a = ap.parse_args()
    if a.client:
        client_main(int(a.client[0]), a.client[1], int(a.client[2]), int(a.client[3]))
        return
    t = time.perf_counter()
    snap, batches = make_stream(a.rows)
    total = sum(len(b) for b in batches)
    mean = np.mean([len(b) for b in batches])
    print(f"stream: {total:,} depth updates in {len(batches):,} batches (mean {mean:.0f} rows), "
          f"generated in {time.perf_counter() - t:.1f} s")
    runs = {"binary140": ("binary", 0x80), "binary106": ("binary", 0), "json140": ("json", 0x80),
            "compact": ("compact", 0), "small140": ("binary", 0x80)}
    head = ("mode", "updates/s", "vs 100k", "sent", "received", "loss", "MB/s")
    print("{:>10} {:>12} {:>8} {:>10} {:>10} {:>6} {:>7}".format(*head))
    for name in a.encodings.split(","):
        enc, flags = runs[name]
        n = total if enc == "binary" else min(total, 300_000)  # JSON is slower: a shorter run
        sub = batches[:int(np.searchsorted(np.cumsum([len(b) for b in batches]), n)) + 1]
        if name == "small140":  # the default simulator rate gives ~20-row batches: per-event costs
            sub = rechunk(sub[:len(sub) // 4], 20)
        r = asyncio.run(serve_once(enc, flags, snap, sub))
        span = max(r["last"] - r["first"], 1e-9)
        rate = r["rows"] / span
        print(f"{name:>10} {rate:>12,.0f} {rate / TARGET:>7.2f}x {r['sent']:>10,} {r['rows']:>10,.0f} "
              f"{r['sent'] - r['rows']:>6,.0f} {r['bytes'] / span / 1e6:>7.1f}")


if __name__ == "__main__":
    main()
