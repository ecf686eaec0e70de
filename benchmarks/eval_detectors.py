"""Recall and false detections of the six DOM detectors on planted simulator scenarios (offline).

For each seed, a MarketSimulator (no sockets) warms up, then plants every DOM pattern on both
sides in a shuffled order, one at a time with quiet gaps between them. The book (market.book) and
the real Analyzer (Production profile) run on its output the way the engine does: every
`analysis_interval_ms` of simulated clock the interval's depth is applied and `analyze()` is called.

- recall: a planted scenario counts as found when its pattern fires in its direction between the
  scenario's start and `GRACE_S` after its end;
- false/h: firings of a pattern that match no planted scenario of that pattern, per simulated hour;
  "cross" are the ones that fired inside another pattern's planted scenario (e.g. an absorption
  during a planted iceberg's flow — the flow meets both rules), "background" the rest.

Run: python benchmarks/eval_detectors.py [--seeds 10] [--jobs 2] [--profile production]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from mia_desktop.analysis.pipeline import Analyzer
from mia_desktop.config import get_profile
from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import DepthBatch, Side, Trade
from mia_desktop.sources.simulator import MarketSimulator

PATTERNS = ("iceberg", "wall", "ladder", "spoofing", "absorption", "squeeze")
WARMUP_S = 70.0
GAP_S = 12.0
GRACE_S = 5.0
S = 1_000_000


def run_seed(args: tuple[int, str]) -> dict[str, object]:
    seed, profile_name = args
    profile = get_profile(profile_name)
    sim = MarketSimulator("ES", seed=seed)
    book = OrderBook()
    an = Analyzer(sim.instrument, profile)
    step = an.interval_us
    fired: list[tuple[str, str, int, float]] = []

    def run_for(seconds: float) -> None:
        end = sim.now_us + int(seconds * S)
        while sim.now_us < end:
            evs = sim.advance(step)
            recs = [e.records for e in evs if isinstance(e, DepthBatch)]
            if recs:
                book.apply(np.concatenate(recs) if len(recs) > 1 else recs[0])
            for e in evs:
                if isinstance(e, Trade):
                    an.on_trade(e)
                    an.on_price(e.ts_us, e.price)
            events, _ = an.analyze(sim.now_us, book)
            fired.extend((e.pattern, e.direction, e.ts_us, e.price) for e in events if e.family == "dom")

    run_for(WARMUP_S)
    plan = [(p, s) for p in PATTERNS for s in (Side.BID, Side.ASK)]
    random.Random(seed).shuffle(plan)
    for pattern, side in plan:
        sim.plant(pattern, side)
        while sim.busy:
            run_for(1.0)
        run_for(GAP_S)
    truth = [(t.pattern, t.direction, t.start_us, t.end_us) for t in sim.ground_truth]
    seconds = (sim.now_us - sim.ground_truth[0].start_us) / S + WARMUP_S
    return {"fired": fired, "truth": truth, "seconds": seconds}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--profile", default="production")
    a = ap.parse_args()
    t0 = time.perf_counter()
    jobs = [(seed, a.profile) for seed in range(1, a.seeds + 1)]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            results = list(ex.map(run_seed, jobs))
    else:
        results = [run_seed(j) for j in jobs]
    planted: Counter[str] = Counter()
    found: Counter[str] = Counter()
    false_bg: Counter[str] = Counter()
    false_cross: Counter[str] = Counter()
    latency: dict[str, list[float]] = {p: [] for p in PATTERNS}
    hours = 0.0
    for r in results:
        truth = r["truth"]
        fired = r["fired"]
        hours += float(r["seconds"]) / 3600  # type: ignore[arg-type]
        used: set[int] = set()
        for pattern, direction, start, end in truth:  # type: ignore[union-attr]
            planted[pattern] += 1
            hits = [i for i, (p, d, ts, _) in enumerate(fired)  # type: ignore[arg-type]
                    if p == pattern and d == direction and start <= ts <= end + GRACE_S * S]
            if hits:
                found[pattern] += 1
                latency[pattern].append((fired[hits[0]][2] - start) / S)  # type: ignore[index]
            used.update(hits)
        for i, (p, _d, ts, _px) in enumerate(fired):  # type: ignore[arg-type]
            if i in used:
                continue
            inside = any(start <= ts <= end + GRACE_S * S for _, _, start, end in truth)  # type: ignore[union-attr]
            (false_cross if inside else false_bg)[p] += 1
    wall = time.perf_counter() - t0
    print(f"DOM detector evaluation — profile {a.profile}, {a.seeds} seeds, {hours:.2f} simulated hours, "
          f"{wall:.1f} s wall")
    print(f"{'pattern':<11} {'planted':>7} {'found':>6} {'recall':>7} {'median s':>9} "
          f"{'false/h':>8} {'bg/h':>6} {'cross/h':>8}  target")
    ok_all = True
    for p in PATTERNS:
        rec = found[p] / planted[p] if planted[p] else 0.0
        fph = (false_bg[p] + false_cross[p]) / hours
        lat = float(np.median(latency[p])) if latency[p] else float("nan")
        ok = rec >= 0.9 and fph <= 2.0
        ok_all &= ok
        print(f"{p:<11} {planted[p]:>7} {found[p]:>6} {rec:>7.2f} {lat:>9.2f} {fph:>8.2f} "
              f"{false_bg[p] / hours:>6.2f} {false_cross[p] / hours:>8.2f}  {'ok' if ok else 'MISS'}")
    print(f"targets (recall >= 0.9, false <= 2/h per pattern): {'all met' if ok_all else 'not all met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
