"""The simulator as a MarketFeed: symbols "ES", "NQ" and "VIX", paced in real time.

How this works: every `tick_s` of wall time `run()` advances each MarketSimulator (and the
VixSimulator) to the wall clock (times `speed`) and pushes the events into the sink, so exchange
time tracks the wall clock at speed 1. After a stall it catches up at most `max_catch_up_s` per tick,
so one slow moment never turns into a burst of unbounded size. Scenarios can be planted on a symbol
while it runs (same thread as `run()`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from mia_desktop.market.events import Side
from mia_desktop.market.instrument import BUILTIN, Instrument
from mia_desktop.sources.base import EventSink
from mia_desktop.sources.scenarios import PlantedScenario
from mia_desktop.sources.simulator import MarketSimulator, VixSimulator


class SimulatorFeed:
    def __init__(self, symbols: Sequence[str] = ("ES", "NQ"), *, seed: int = 1, rate: float = 2000.0,
                 speed: float = 1.0, vix: bool = True, tick_s: float = 0.02,
                 start_us: int | None = None, max_catch_up_s: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.start_us = int(start_us if start_us is not None else time.time() * 1e6)
        self.sims = {s: MarketSimulator(s, seed=seed + 101 * i, rate=rate, start_us=self.start_us)
                     for i, s in enumerate(symbols)}
        self.vix = VixSimulator(seed, start_us=self.start_us) if vix else None
        self.speed = float(speed)
        self.tick_s = float(tick_s)
        self.max_catch_up_us = int(max_catch_up_s * 1e6)
        self.events = 0

    def symbols(self) -> list[str]:
        return [*self.sims, *(["VIX"] if self.vix is not None else [])]

    def instrument(self, symbol: str) -> Instrument:
        if symbol in self.sims:
            return self.sims[symbol].instrument
        if symbol == "VIX" and self.vix is not None:
            return BUILTIN["VIX"]
        raise KeyError(f"the simulator serves {', '.join(self.symbols())}, not {symbol!r}")

    def plant(self, symbol: str, pattern: str, side: Side, **params: float) -> PlantedScenario:
        return self.sims[symbol].plant(pattern, side, at_us=None, **params)

    @property
    def ground_truth(self) -> list[PlantedScenario]:
        return [g for sim in self.sims.values() for g in sim.ground_truth]

    def step(self, sink: EventSink, target_us: int) -> None:
        """Advance everything to `target_us` (at most max_catch_up per call) and push the events."""
        for sim in self.sims.values():
            dt = min(target_us - sim.now_us, self.max_catch_up_us)
            if dt > 0:
                for ev in sim.advance(dt):
                    sink(ev)
                    self.events += 1
        if self.vix is not None:
            dt = min(target_us - self.vix.now_us, self.max_catch_up_us)
            if dt > 0:
                for r in self.vix.advance(dt):
                    sink(r)
                    self.events += 1

    async def run(self, sink: EventSink) -> None:
        t0 = time.monotonic()
        while True:
            target = self.start_us + int((time.monotonic() - t0) * self.speed * 1e6)
            self.step(sink, target)
            await asyncio.sleep(self.tick_s)
