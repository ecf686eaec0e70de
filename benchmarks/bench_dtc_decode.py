"""DTC decode throughput, one core: realistic mix of 80 % depth updates (106), 10 % trades
(107/112), 10 % bid/ask (108/117), framed as on the wire and fed to StreamDecoder in 64 KiB
socket-sized reads. Targets (issue 2): binary >= 500,000 msg/s (aim 1,000,000), JSON >= 150,000/s."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mia_desktop.dtc import Encoding, Message, StreamDecoder, encode
from mia_desktop.dtc.messages import (
    MarketDataUpdateBidAsk,
    MarketDataUpdateBidAskCompact,
    MarketDataUpdateTrade,
    MarketDataUpdateTradeCompact,
    MarketDepthUpdateLevel,
)

N = 200_000
TARGETS = {Encoding.BINARY: 500_000, Encoding.JSON: 150_000, Encoding.JSON_COMPACT: 150_000}


def mix(n: int, seed: int = 1) -> list[Message]:
    rng = random.Random(seed)
    out: list[Message] = []
    t = 1764086400.0
    mid = 6000.0
    for _ in range(n):
        t += 0.0005
        r = rng.random()
        if r < 0.8:
            side = rng.choice((1, 2))
            price = mid + (-1 if side == 1 else 1) * 0.25 * rng.randint(1, 20)
            delete = rng.random() < 0.2
            out.append(MarketDepthUpdateLevel(1, side, price, 0.0 if delete else float(rng.randint(1, 400)),
                                              2 if delete else 1, t, rng.randint(0, 30)))
        elif r < 0.9:
            if rng.random() < 0.5:
                out.append(MarketDataUpdateTrade(1, rng.choice((1, 2)), mid, float(rng.randint(1, 20)), t))
            else:
                out.append(MarketDataUpdateTradeCompact(mid, float(rng.randint(1, 20)), int(t), 1, 2))
        else:
            if rng.random() < 0.5:
                out.append(MarketDataUpdateBidAsk(1, mid - 0.25, 40.0, mid, 35.0, int(t)))
            else:
                out.append(MarketDataUpdateBidAskCompact(mid - 0.25, 40.0, mid, 35.0, int(t), 1))
        if rng.random() < 0.01:
            mid += rng.choice((-0.25, 0.25))
    return out


def bench(encoding: Encoding, msgs: list[Message], reads: int = 65536) -> tuple[float, int]:
    data = b"".join(encode(m, encoding) for m in msgs)
    chunks = [data[i:i + reads] for i in range(0, len(data), reads)]
    best = 0.0
    count = 0
    for _ in range(3):
        dec = StreamDecoder(encoding)
        t0 = time.perf_counter()
        count = 0
        for c in chunks:
            count += len(dec.feed(c))
        dt = time.perf_counter() - t0
        best = max(best, count / dt)
    assert count == len(msgs), (count, len(msgs))
    return best, len(data)


def bench_client_path(msgs: list[Message]) -> float:
    """Decode + convert to DepthBatch/Trade/Quote as DtcClient does per socket read (binary)."""
    from mia_desktop.market.instrument import BUILTIN
    from mia_desktop.sources.dtc_convert import DtcConverter

    data = b"".join(encode(m, Encoding.BINARY) for m in msgs)
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    best = 0.0
    for _ in range(3):
        dec = StreamDecoder(Encoding.BINARY)
        conv = DtcConverter(lambda _i: "ES", lambda _s: BUILTIN["ES"])
        t0 = time.perf_counter()
        n = 0
        for c in chunks:
            batch = dec.feed(c)
            n += len(batch)
            conv.convert(batch, 0)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main() -> None:
    msgs = mix(N)
    print(f"DTC decode, {N:,} messages (80% depth 106, 10% trades 107/112, 10% bid/ask 108/117), "
          "64 KiB reads, best of 3, one core")
    for enc in (Encoding.BINARY, Encoding.JSON, Encoding.JSON_COMPACT):
        rate, size = bench(enc, msgs)
        target = TARGETS[enc]
        print(f"  {enc.name:<13} {rate:>12,.0f} msg/s  {size / N:6.1f} B/msg  "
              f"target {target:>9,}  ratio {rate / target:5.2f}x")
    rate = bench_client_path(msgs)
    depth = rate * 0.8
    print(f"  binary decode + conversion to market events (client path): {rate:,.0f} msg/s "
          f"({depth:,.0f} depth updates/s; loopback target 100,000 -> ratio {depth / 100_000:.2f}x)")


if __name__ == "__main__":
    main()
