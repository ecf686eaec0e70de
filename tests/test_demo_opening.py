"""The demo's opening act, offline: the simulator feed stepped by hand (no sockets, no threads)
into the real InstrumentWorker + Analyzer (Production profile). The first signal must come within
4.5 s of exchange time after the start, whatever the seed, by the detectors' own rules."""

from __future__ import annotations

import pytest

from mia_desktop.analysis.pipeline import Analyzer
from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.config import get_profile
from mia_desktop.engine.demo_server import DemoServer
from mia_desktop.engine.worker import InstrumentWorker
from mia_desktop.market.events import MarketEvent, VixReading
from mia_desktop.sources.sim_feed import SimulatorFeed

START_US = 1_700_000_000_000_000
TICK_US = 20_000     # the feed's real-time tick


def first_signal(seed: int, until_s: float = 12.0) -> tuple[Signal | None, list[PatternEvent]]:
    demo = DemoServer(seed=seed)
    feed = SimulatorFeed(demo.symbols, seed=demo.seed, rate=demo.rate, start_us=START_US)
    prof = get_profile("production")
    workers = {s: InstrumentWorker(sim.instrument, prof, analyzer=Analyzer(sim.instrument, prof),
                                   heatmap=False) for s, sim in feed.sims.items()}
    inbox: dict[str, list[MarketEvent]] = {s: [] for s in workers}

    def sink(ev: MarketEvent) -> None:
        if isinstance(ev, VixReading):      # every demo instance reads the VIX too
            for box in inbox.values():
                box.append(ev)
        else:
            inbox[ev.symbol].append(ev)     # type: ignore[union-attr]

    patterns: list[PatternEvent] = []
    t, planted = 0, False
    while t < until_s * 1e6:
        t += TICK_US
        if not planted and t >= demo.first_plant_s * 1e6:
            demo.opening_act(feed)
            planted = True
        feed.step(sink, START_US + t)
        for sym, w in workers.items():
            w.process(inbox[sym])
            inbox[sym] = []
            while not w.output.empty():
                item = w.output.get()
                if isinstance(item, Signal):
                    return item, patterns
                if isinstance(item, PatternEvent):
                    patterns.append(item)
    return None, patterns


@pytest.mark.parametrize("seed", [1, 2, 5, 11])
def test_opening_act_signals_within_4_5_s(seed: int) -> None:
    sig, patterns = first_signal(seed)
    assert sig is not None, f"no signal in 12 s; patterns: {[(p.pattern, p.ts_us) for p in patterns]}"
    after_s = (sig.ts_us - START_US) / 1e6
    assert after_s <= 4.5, f"first signal {after_s:.2f} s after start"
    assert sig.direction == "short" and sig.score >= 0.40
    families = {p.family for p in sig.patterns}
    assert len(families) >= 2     # confluence of families, not one detector alone
