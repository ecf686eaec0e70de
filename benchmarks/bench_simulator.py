"""Market simulator: book updates generated per second (one core), and how clean its background is.

1. Generation speed: simulate N seconds of ES at several configured rates and report book updates
   (depth rows) generated per wall second, the ratio to real time, and the ratio to the issue's
   target of 50,000 book updates/s per instrument.
2. Background false positives: run the plain SIGNALS.md rule check (Production thresholds) over
   M simulated minutes of unplanted ES and NQ and report firings per hour per pattern (the
   detectors' false-positive budget is <= 2 per hour per pattern).

    python benchmarks/bench_simulator.py                 # ~40 s
    python benchmarks/bench_simulator.py --minutes 60    # a full simulated hour of background
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from mia_desktop.sources.scenario_check import RuleCheck
from mia_desktop.sources.scenarios import PATTERNS
from mia_desktop.sources.simulator import MarketSimulator

TARGET = 50_000


def generation(rate: float, seconds: float) -> tuple[float, float]:
    sim = MarketSimulator("ES", seed=1, rate=rate)
    sim.advance(10_000)
    before = sim.updates
    t0 = time.perf_counter()
    sim.advance(int(seconds * 1e6))
    wall = time.perf_counter() - t0
    return (sim.updates - before) / wall, seconds / wall


def background(symbol: str, minutes: float, seed: int) -> Counter[str]:
    sim = MarketSimulator(symbol, seed=seed)
    chk = RuleCheck()
    for _ in range(int(minutes * 240)):
        for ev in sim.advance(250_000):
            chk.on_event(ev)
        chk.evaluate(sim.now_us)
    return Counter(f.pattern for f in chk.firings)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=6.0, help="simulated minutes of background per symbol")
    a = ap.parse_args()
    print("generation (ES, one core):")
    print(f"{'rate/s':>10} {'updates/s generated':>20} {'x real time':>12} {'vs 50k target':>14}")
    for rate, secs in ((2_000, 60.0), (50_000, 10.0), (200_000, 4.0)):
        ups, rt = generation(rate, secs)
        print(f"{rate:>10,} {ups:>20,.0f} {rt:>12.1f} {ups / TARGET:>13.2f}x")
    print(f"\nbackground rule firings per hour (Production thresholds, {a.minutes:g} simulated min each):")
    for sym, seed in (("ES", 21), ("NQ", 22)):
        c = background(sym, a.minutes, seed)
        per_h = {p: c.get(p, 0) * 60.0 / a.minutes for p in PATTERNS}
        print(f"  {sym}: " + ", ".join(f"{p} {v:.1f}/h" for p, v in per_h.items()))


if __name__ == "__main__":
    main()
