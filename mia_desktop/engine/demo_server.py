"""The built-in demo: the simulator served over the real DTC server on 127.0.0.1, in its own thread.

How this works: `start()` launches a daemon thread that owns a fresh asyncio loop, builds a
SimulatorFeed (ES, NQ, VIX) and a DtcServer on a free loopback port, and returns the port once the
server listens. A planter task makes the demo lively from the start (`opening_act`, 0.4 s after
the server starts, just after the demo's clients subscribe): on each of ES and NQ a >= 1000-lot bid
2-3 ticks below the touch that is pulled after 2 s (spoof-like pulled liquidity: short; it fires as
soon as it is pulled, ~2.5 s), sellers leaning on the bid, and VIX lifted by ~5 points (a rising
regime, held 3 readings at 1/s: ~3 s; short). DOM and VIX agree on short, so the first signal comes
~3 s after start (a wall must stand 5 s, an absorption needs 10 s of history, a squeeze 30 s: none
of them can open the show that fast). Then a 2500-lot ask wall 3 ticks up, queued behind the pulled
bid, gives a second short a few seconds later. After that one random scenario (pattern, side,
symbol) every 20-40 s, with the order flow leaning its way for 15 s. `stop()` closes everything and
joins the thread.
Generating the market never runs on the GUI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Sequence

from mia_desktop.engine.dtc_server import DtcServer
from mia_desktop.market.events import Side
from mia_desktop.sources.scenarios import PATTERNS, PlantedScenario
from mia_desktop.sources.sim_feed import SimulatorFeed

log = logging.getLogger(__name__)

_OWN_FLOW = frozenset({"iceberg", "absorption"})  # these bring their own aggressive flow


class DemoServer:
    def __init__(self, *, symbols: Sequence[str] = ("ES", "NQ"), seed: int | None = None,
                 rate: float = 2000.0, host: str = "127.0.0.1", port: int = 0, first_plant_s: float = 0.4,
                 plant_every_s: tuple[float, float] = (20.0, 40.0), vix_lift: float = 5.0) -> None:
        self.symbols = tuple(symbols)
        self.seed = seed if seed is not None else random.SystemRandom().randrange(1 << 30)
        self.rate = rate
        self.host = host
        self.port = port
        self.first_plant_s = first_plant_s
        self.plant_every_s = plant_every_s
        self.vix_lift = vix_lift
        self.error = ""
        self._feed: SimulatorFeed | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    # ---- public (any thread) ------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> int:
        """Start the thread; returns the listening port. Raises RuntimeError if it cannot start."""
        if self._thread is not None:
            return self.port
        self._thread = threading.Thread(target=self._main, name="mia-demo-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self.error:
            self.stop()
            raise RuntimeError(f"demo server did not start: {self.error or 'timed out'}")
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may close meanwhile
                loop.call_soon_threadsafe(stop.set)
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def ground_truth(self) -> list[PlantedScenario]:
        feed = self._feed
        return list(feed.ground_truth) if feed is not None else []

    # ---- the thread ----------------------------------------------------------------------
    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("demo server failed")
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._feed = feed = SimulatorFeed(self.symbols, seed=self.seed, rate=self.rate)
        server = DtcServer(feed, host=self.host, port=self.port, server_name="MIA Desktop demo")
        self.port = await server.start()
        self._ready.set()
        log.info("demo DTC server on %s:%d (seed %d)", self.host, self.port, self.seed)
        planter = asyncio.create_task(self._plant(feed))
        try:
            await self._stop.wait()
        finally:
            planter.cancel()
            await server.close()

    async def _plant(self, feed: SimulatorFeed) -> None:
        rng = random.Random(self.seed)
        await asyncio.sleep(self.first_plant_s)
        self.opening_act(feed)
        while True:
            await asyncio.sleep(rng.uniform(*self.plant_every_s))
            sym = rng.choice(list(feed.sims))
            self._safe_plant(feed, sym, rng.choice(PATTERNS), rng.choice([Side.BID, Side.ASK]))

    def opening_act(self, feed: SimulatorFeed) -> None:
        """The first scenarios (module docstring): a fast short signal, then a wall. Also run
        offline by the tests, on a feed stepped by hand."""
        for sym in feed.sims:
            self._safe_plant(feed, sym, "spoofing", Side.BID, duration_s=2.0, size=2500)
            self._safe_plant(feed, sym, "wall", Side.ASK, distance=3, size=2500)   # starts after it
        if feed.vix is not None and self.vix_lift:
            feed.vix.spike(self.vix_lift)

    def _safe_plant(self, feed: SimulatorFeed, symbol: str, pattern: str, side: Side,
                    **params: float) -> None:
        try:
            g = feed.plant(symbol, pattern, side, **params)
            if pattern not in _OWN_FLOW:  # the order flow leans the scenario's way for a while
                feed.sims[symbol].push_flow(g.direction, 15.0)
            log.info("demo: planted %s %s on %s (%s)", pattern, side.name.lower(), symbol, g.direction)
        except Exception:
            log.exception("demo: could not plant %s on %s", pattern, symbol)
