"""Labelled order-flow scenarios the simulator plants on request, with their ground truth.

How this works: a scenario is a small actor that, while active, *owns* a few price levels (the
background churn leaves them alone), may *pin* the best bid inside a range (a trade that would move
the price out of it is refused), and may inject aggressive trades. The simulator calls `step()` once
per internal step (10 ms) between `start_us` and `end_us`, then `finish()` once. Sizes are absolute
and chosen to satisfy the SIGNALS.md rule of each pattern clearly under the Production profile
(wall_min_size 1000, iceberg_min_volume 500, absorption_min_volume 300, depth_levels 10), while the
background market is built never to reach those sizes.

Direction as SIGNALS.md defines it, by the side the structure lives on:
iceberg/wall/ladder/absorption on the bid -> long (on the ask -> short); a pulled (spoofed) bid ->
short; a squeeze whose *thin* side is the ask -> long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mia_desktop.market.events import Side

if TYPE_CHECKING:
    from mia_desktop.sources.simulator import MarketSimulator

PATTERNS = ("iceberg", "wall", "ladder", "spoofing", "absorption", "squeeze")
ALIASES = {"spoof": "spoofing", "pulled": "spoofing"}


def direction_for(pattern: str, side: Side) -> str:
    """SIGNALS.md direction of a pattern found on `side` of the book."""
    if pattern in ("spoofing", "squeeze"):
        return "short" if side is Side.BID else "long"
    return "long" if side is Side.BID else "short"


@dataclass(frozen=True, slots=True)
class PlantedScenario:
    """Ground truth of one planted pattern. price_ticks: the level that carries it (iceberg/wall/spoof
    level, nearest ladder level, best price for absorption and for the thin side of a squeeze)."""

    pattern: str
    direction: str
    side: Side
    price_ticks: int
    start_us: int
    end_us: int
    symbol: str = ""
    params: dict[str, float] = field(default_factory=dict)


class Scenario:
    """Base actor. Subclasses set `owned` {(side, price): qty}, `pin` and inject trades."""

    pattern = ""
    duration_s = 10.0

    def __init__(self, side: Side, rng: np.random.Generator, **params: float) -> None:
        self.side = side
        self.rng = rng
        self.params = {k: float(v) for k, v in params.items()}
        self.start_us = 0
        self.end_us = 0
        self.price = 0
        self.owned: dict[tuple[int, int], int] = {}
        self.pin: tuple[int, int] | None = None  # allowed range of the best bid
        self.saved: dict[tuple[int, int], int] = {}

    def p(self, name: str, default: float) -> float:
        return self.params.get(name, default)

    def toward_book(self, k: int, bb: int) -> int:
        """Price k levels away from the touch on this scenario's side (k=0: the touch)."""
        return bb - k if self.side is Side.BID else bb + 1 + k

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        self.start_us = t_us
        self.end_us = t_us + int(self.p("duration_s", self.duration_s) * 1e6)

    def step(self, sim: MarketSimulator, t_us: int) -> None:
        for (side, price), qty in self.owned.items():
            if sim.qty(Side(side), price) != qty:
                sim.set_level(Side(side), price, qty, t_us)

    def finish(self, sim: MarketSimulator, t_us: int) -> None:
        for (side, price) in list(self.owned):
            back = self.saved.get((side, price), sim.normal_size(Side(side), price))
            if sim.visible(Side(side), price):
                sim.set_level(Side(side), price, back, t_us)
        self.owned = {}
        self.pin = None

    def own(self, sim: MarketSimulator, side: Side, price: int, qty: int) -> None:
        key = (int(side), price)
        if key not in self.saved:
            self.saved[key] = sim.qty(side, price)
        self.owned[key] = int(qty)

    def steady(self, sim: MarketSimulator, side: Side) -> None:
        """Hold `side`'s first 5 levels at no less than their 60 s average share while we run, so a
        big one-sided structure near the touch does not also read as a squeeze of the other side."""
        share = round(sim.depth_avg(side) / 5)
        for k in range(5):
            price = sim.best_bid - k if side is Side.BID else sim.best_bid + 1 + k
            self.own(sim, side, price, max(sim.qty(side, price), share, 1))

    def pin_near(self, level_price: int, lo_dist: int, hi_dist: int) -> None:
        """Keep the touch between lo_dist and hi_dist ticks from a level on our side."""
        if self.side is Side.BID:
            self.pin = (level_price + lo_dist, level_price + hi_dist)
        else:  # best ask = bb + 1 must stay below the level
            self.pin = (level_price - hi_dist - 1, level_price - lo_dist - 1)


class Wall(Scenario):
    """A level >= 1000 and >= 3x the side median, standing well over 5 s, 3-6 ticks from the touch."""

    pattern = "wall"
    duration_s = 15.0

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        dist = int(self.p("distance", int(self.rng.integers(3, 7))))
        self.price = self.toward_book(dist, sim.best_bid)
        size = self.p("size", max(1500.0, 6.0 * sim.side_median(self.side)) * self.rng.uniform(1.0, 1.4))
        self.size = int(size)
        self.own(sim, self.side, self.price, self.size)
        self.steady(sim, self.side.opposite)
        # the touch may drift away but come at most one tick closer: walking up to the wall would
        # bury the steadied levels under fresh small ones (and read as a squeeze of that side)
        self.pin_near(self.price, max(1, dist - 1), 8)

    def step(self, sim: MarketSimulator, t_us: int) -> None:
        if self.rng.random() < 0.05:  # a little churn on the wall itself, never below the rule
            self.owned[(int(self.side), self.price)] = int(self.size * self.rng.uniform(0.95, 1.05))
        super().step(sim, t_us)


class Spoof(Scenario):
    """A >= 1000 level appears 2-3 ticks from the touch, stands ~3 s, then is pulled to at most 10 %
    of its peak with no trading at its price; the touch stays within 4 ticks for 1 s more, so the
    pull happens near the price: 'spoof-like / pulled liquidity'. end_us = 1 s after the pull."""

    pattern = "spoofing"
    duration_s = 3.0

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        dist = int(self.p("distance", int(self.rng.integers(2, 4))))
        self.price = self.toward_book(dist, sim.best_bid)
        self.size = int(self.p("size", max(1300.0, 6.0 * sim.side_median(self.side))
                               * self.rng.uniform(1.0, 1.3)))
        self.own(sim, self.side, self.price, self.size)
        self.steady(sim, self.side.opposite)
        self.pin_near(self.price, 1, 4)
        self.pull_us = self.end_us
        self.end_us += 1_000_000
        key = (int(self.side), self.price)
        self.pulled = max(1, min(self.saved.get(key, 50), self.size // 10))

    def step(self, sim: MarketSimulator, t_us: int) -> None:
        if t_us >= self.pull_us:
            self.owned[(int(self.side), self.price)] = self.pulled
        super().step(sim, t_us)

    def finish(self, sim: MarketSimulator, t_us: int) -> None:
        self.saved[(int(self.side), self.price)] = self.pulled
        super().finish(sim, t_us)


class Ladder(Scenario):
    """4 consecutive levels 1-2 ticks from the touch, a staircase growing 1.25x per step away from
    the touch (or near-equal with params layered=1), standing ~10 s, all under 1000. Each is >= 2.8x
    the side's median whether that median is taken over the first 10 or all 20 visible levels (the
    ladder included): the other first-10 levels on that side are held at or below the side's
    median size while it stands, so no background outlier moves the median."""

    pattern = "ladder"
    duration_s = 10.0

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        n = int(self.p("levels", 4))
        dist = int(self.p("distance", int(self.rng.integers(1, 3))))
        layered = self.p("layered", 0.0) > 0
        growth = 1.0 if layered else self.p("growth", 1.25)
        factors = growth ** np.arange(n)
        bb = sim.best_bid
        self.price = self.toward_book(dist, bb)
        ladder = {self.toward_book(dist + i, bb) for i in range(n)}
        levels = sim.levels_of(self.side)
        cap = float(np.median([q for _, q in levels]))
        others10 = []
        for k, (price, q) in enumerate(levels):
            if price in ladder:
                continue
            if k < 10:
                q = min(q, int(cap))
                self.own(sim, self.side, price, q)
                others10.append(q)
        others20 = others10 + [q for k, (p, q) in enumerate(levels) if k >= 10 and p not in ladder]
        big = [float("inf")] * n
        med = max(float(np.median(others10 + big)), float(np.median(others20 + big)), 10.0)
        base = min(2.8 * med, 960.0 / factors[-1])  # keep every level under a wall's size
        step = -1 if self.side is Side.BID else 1
        for i, f in enumerate(factors):
            self.own(sim, self.side, self.price + step * i, round(base * f))
        self.steady(sim, self.side.opposite)
        self.pin_near(self.price, 1, 3)


class _Flow(Scenario):
    """Aggressive volume into the best price on `side`, which holds (pinned), refilled each step."""

    volume = 1000.0
    displayed = (400, 600)
    duration_s = 8.0
    settle = False  # hold the price 10 s first when it moved > 1 tick in the last 10 s
    steady_other = False  # big displayed size: keep it from reading as an iceberg or a squeeze

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        self.price = sim.best_bid if self.side is Side.BID else sim.best_bid + 1
        self.pin = (sim.best_bid, sim.best_bid)
        if self.settle and sim.price_range_10s() > 1:
            # the rule looks back 10 s: let the price sit still first; ground truth starts after
            self.start_us += 10_500_000
            self.end_us += 10_500_000
        self.total = int(self.p("volume", self.volume))
        lo, hi = self.displayed
        if self.steady_other:
            # not an iceberg: total volume at the price over 30 s stays under 2x what it shows
            lo = min(max(lo, (self.total + sim.recent_volume(self.side, self.price)) // 2 + 40), 990)
            hi = max(hi, lo + 10)
            self.displayed = (lo, hi)
            self.steady(sim, self.side.opposite)
        self.display = int(self.p("displayed", float(self.rng.integers(lo, hi))))
        self.own(sim, self.side, self.price, self.display)
        self.done = 0
        self.steps = max(1, int((self.end_us - self.start_us) / sim.step_us))
        self.i = 0

    def step(self, sim: MarketSimulator, t_us: int) -> None:
        super().step(sim, t_us)  # refill first: the level still stands
        if t_us < self.start_us:
            return
        self.i += 1
        due = self.total * min(1.0, self.i / (self.steps * 0.9))
        if due - self.done >= 1 and self.rng.random() < 0.35:
            clip = float(self.rng.integers(5, 40))
            size = int(min(due - self.done, clip, sim.qty(self.side, self.price) - 1))
            if size > 0:
                sim.inject_trade(self.side, size, t_us)  # hits our side's touch
                self.done += size
                self.owned[(int(self.side), self.price)] = int(
                    self.rng.integers(self.displayed[0], self.displayed[1]))


class Absorption(_Flow):
    """1500 contracts hit the best bid (ask) within ~7 s while it holds (>= 300 and well over 3x the
    background's ~350 per 10 s); displayed 750-950, so the traded volume stays under 2x the displayed
    size (not an iceberg) and under 1000 (not a wall)."""

    pattern = "absorption"
    volume = 1500.0
    displayed = (750, 950)
    duration_s = 7.0
    settle = True
    steady_other = True


class Iceberg(_Flow):
    """~900 contracts into one price within ~20 s while it shows only 60-150 and keeps refilling:
    >= 2x the displayed maximum (the background never shows > 350 near the touch) and >= 500."""

    pattern = "iceberg"
    volume = 900.0
    displayed = (60, 150)
    duration_s = 20.0

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        self.steady(sim, self.side.opposite)


class Squeeze(Scenario):
    """The thin side's first 5 levels drain to ~12 % within ~1.5 s while the other side holds and the
    spread stays one tick; imbalance >= 0.65. side = the thin side (thin asks -> long)."""

    pattern = "squeeze"
    duration_s = 5.0

    def activate(self, sim: MarketSimulator, t_us: int) -> None:
        super().activate(sim, t_us)
        bb = sim.best_bid
        self.pin = (bb, bb)
        self.price = self.toward_book(0, bb)
        thin = [self.toward_book(k, bb) for k in range(5)]
        other = Side.ASK if self.side is Side.BID else Side.BID
        far = [bb - k if other is Side.BID else bb + 1 + k for k in range(5)]
        # the other side holds: at least its 60 s average top-5 depth
        now = [max(sim.qty(other, p), 1) for p in far]
        lift = max(1.0, 1.1 * sim.depth_avg(other) / sum(now))
        thick_total = 0
        for price, q in zip(far, now, strict=True):
            self.own(sim, other, price, round(q * lift))
            thick_total += round(q * lift)
        self.before = {p: max(sim.qty(self.side, p), 1) for p in thin}
        thin_total = sum(self.before.values())
        avg = sim.depth_avg(self.side)
        pre_us = 0
        if thin_total < avg:
            # already thin: first rebuild it above its 60 s average for > 5 s, so the drop that
            # follows is a fresh one ("falls within 5 s"); ground truth starts at the drain
            lift = 1.15 * avg / thin_total
            self.before = {p: round(q * lift) for p, q in self.before.items()}
            thin_total = sum(self.before.values())
            pre_us = 5_500_000
        self.drain_start = t_us + pre_us
        self.start_us, self.end_us = self.drain_start, self.end_us + pre_us
        target = min(0.12 * thin_total, 0.15 * avg, 0.15 * thick_total)
        self.ratio = target / thin_total
        self.drain_us = int(self.p("drain_s", 1.5) * 1e6)
        for p, q in self.before.items():
            self.own(sim, self.side, p, q)

    def step(self, sim: MarketSimulator, t_us: int) -> None:
        frac = min(1.0, max(0.0, (t_us - self.drain_start) / self.drain_us))
        for p, q in self.before.items():
            self.owned[(int(self.side), p)] = max(1, int(q * (1.0 - frac * (1.0 - self.ratio))))
        super().step(sim, t_us)


SCENARIOS: dict[str, type[Scenario]] = {
    "iceberg": Iceberg, "wall": Wall, "ladder": Ladder, "spoofing": Spoof,
    "absorption": Absorption, "squeeze": Squeeze,
}
