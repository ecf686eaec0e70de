"""Seeded, deterministic ES/NQ-like market and VIX path, with planted labelled scenarios.

How this works: the book lives on an absolute tick grid (two int64 arrays, bid and ask) and the
spread is always one tick (best ask = best bid + 1), so the whole price state is the best bid. Time
advances in fixed 10 ms steps on a grid anchored at `start_us`, so `advance()` returns the same
events for a seed whatever the chunking. Each step:
1. background churn, vectorised with numpy: ~rate x 10 ms limit adds/cancels on the visible levels
   (more near the touch), each nudging a level toward its own target size (a per-level lognormal
   multiplier of a gentle depth profile) -> one DepthBatch of MODIFY rows, BATCH_END on its last row;
2. the active planted scenario (see scenarios.py) sets its owned levels and injects trades;
3. background trades (Poisson, sizes heavy-tailed) take from the touch; occasional sweeps take the
   whole touch and move the price one tick, the side drawn from a slowly mean-reverting bias, so the
   price drifts. A move deletes the emptied level, adds a new far level, fills the vacated price on
   the other side and drops that side's farthest level. Each trade is a Trade followed by its
   DepthBatch.
The background never builds a level near `wall_min_size` (1000): caps are 300 near the touch and
600 elsewhere (ES; NQ is scaled down), so planted patterns stand out and false positives stay rare.
Scenarios run one at a time; a plant waits for the previous one to end.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mia_desktop.market.events import (
    BATCH_END,
    DEPTH_DTYPE,
    DepthBatch,
    DepthCommand,
    MarketEvent,
    Side,
    Trade,
    VixReading,
)
from mia_desktop.market.instrument import Instrument, instrument_for
from mia_desktop.sources.scenarios import ALIASES, SCENARIOS, PlantedScenario, Scenario, direction_for

STEP_US = 10_000
GRID = 1 << 15
DEFAULT_START_US = 1_767_623_400_000_000  # 2026-01-05 14:30 UTC: deterministic default clock


@dataclass(frozen=True, slots=True)
class MarketStyle:
    start_price: float
    size_scale: float    # resting sizes relative to ES
    trade_rate: float    # background trades per second
    sweep_rate: float    # whole-touch sweeps (one-tick moves) per second


STYLES = {
    "ES": MarketStyle(6000.0, 1.0, 6.0, 0.3),
    "NQ": MarketStyle(21000.0, 0.5, 6.0, 0.5),
}


class MarketSimulator:
    def __init__(self, symbol: str = "ES", *, seed: int = 1, rate: float = 2000.0,
                 start_us: int | None = None, start_price: float | None = None, levels: int = 20) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate must be a positive number of book updates per second, got {rate!r}")
        if levels < 5:
            raise ValueError(f"levels must be >= 5, got {levels}")
        self.symbol = symbol
        self.instrument: Instrument = instrument_for(symbol)
        self.style = STYLES.get(self.instrument.symbol, STYLES["ES"])
        self.rate = float(rate)
        self.levels = int(levels)
        self.step_us = STEP_US
        self.now_us = int(start_us if start_us is not None else DEFAULT_START_US)
        self._t = self.now_us  # start of the next step
        self._rng = np.random.default_rng([seed, 0])
        self._srng = np.random.default_rng([seed, 1])
        s = self.style.size_scale
        k = np.arange(self.levels)
        self._base = s * (45.0 + 5.0 * k)
        self._cap = np.where(k < 5, 300.0 * s, 600.0 * s).astype(np.int64)
        w = np.exp(-k / 8.0)
        self._cumw = np.cumsum(w) / w.sum()
        self._lam = self.rate * STEP_US / 1e6
        self._order_mu = math.log(3.0 * self.style.size_scale)
        self._q = np.zeros((2, GRID), np.int64)
        self._mult = np.ones((2, GRID))
        price = start_price if start_price is not None else self.style.start_price
        self.best_bid = self.instrument.to_ticks(price)
        self._origin = self.best_bid - GRID // 2
        for side in (Side.BID, Side.ASK):
            for i in range(self.levels):
                p = self._level_price(side, i)
                self._new_level(side, p, i)
        self._bias = 0.0
        self._push = (0.0, 0)  # (extra bias, until_us): a demo's one-sided flow
        self._traded: dict[tuple[int, int], deque[tuple[int, int]]] = {}  # (side, price) -> 30 s of trades
        self._volume_cap = 380 * self.style.size_scale
        # 60 s of top-5 depth per side, sampled every 100 ms (what a squeeze is measured against)
        self._depth60 = np.empty((2, 600))
        self._depth60[0], self._depth60[1] = self._top5(Side.BID), self._top5(Side.ASK)
        self._bb10 = np.full(100, self.best_bid, np.int64)  # best bid over the last 10 s
        self._rows: list[tuple[int, int, int, int, int, int]] = []
        self._events: list[MarketEvent] = []
        self._snapshot_due = True
        self._pending: list[tuple[int, int, Scenario]] = []
        self._active: Scenario | None = None
        self._seq = 0
        self.ground_truth: list[PlantedScenario] = []
        self.updates = 0  # depth rows generated
        self.trades = 0

    # ---- book queries (also used by scenarios) -------------------------------------------------
    def _level_price(self, side: Side, k: int) -> int:
        return self.best_bid - k if side is Side.BID else self.best_bid + 1 + k

    def _idx(self, price: int) -> int:
        return price - self._origin

    def qty(self, side: Side, price: int) -> int:
        return int(self._q[int(side), self._idx(price)])

    def visible(self, side: Side, price: int) -> bool:
        k = self.best_bid - price if side is Side.BID else price - self.best_bid - 1
        return 0 <= k < self.levels

    def levels_of(self, side: Side) -> list[tuple[int, int]]:
        """Visible (price, qty) from the touch outward."""
        return [(p, self.qty(side, p)) for p in (self._level_price(side, k) for k in range(self.levels))]

    def _top5(self, side: Side) -> float:
        i = self._idx(self.best_bid)
        row = self._q[int(side)]
        return float(row[i - 4:i + 1].sum() if side is Side.BID else row[i + 1:i + 6].sum())

    def depth_avg(self, side: Side) -> float:
        """Average top-5 depth on a side over the last 60 s."""
        return float(self._depth60[int(side)].mean())

    def price_range_10s(self) -> int:
        """How many ticks the best bid moved over the last 10 s (max - min)."""
        return int(self._bb10.max() - self._bb10.min())

    def side_median(self, side: Side, n: int = 10) -> float:
        return float(np.median([q for _, q in self.levels_of(side)[:n]]))

    def normal_size(self, side: Side, price: int) -> int:
        k = self.best_bid - price if side is Side.BID else price - self.best_bid - 1
        k = min(max(k, 0), self.levels - 1)
        return int(min(self._base[k] * self._mult[int(side), self._idx(price)], self._cap[k]))

    def _new_level(self, side: Side, price: int, k: int, scale: float = 1.0) -> int:
        i = self._idx(price)
        self._mult[int(side), i] = float(np.clip(self._rng.lognormal(0.0, 0.55), 0.2, 3.0))
        q = max(1, int(min(self._base[k] * self._mult[int(side), i] * scale * self._rng.uniform(0.7, 1.3),
                           self._cap[k])))
        self._q[int(side), i] = q
        return q

    def _enter(self, side: Side, price: int, k: int, scale: float, ts: int) -> None:
        q = self._new_level(side, price, k, scale)
        self._q[int(side), self._idx(price)] = 0  # so set_level emits an ADD
        self.set_level(side, price, q, ts)

    # ---- mutations (scenarios call these) ------------------------------------------------------
    def set_level(self, side: Side, price: int, qty: int, ts_us: int) -> None:
        i = self._idx(price)
        old = int(self._q[int(side), i])
        self._q[int(side), i] = max(0, int(qty))
        if qty <= 0:
            cmd = DepthCommand.DELETE_BID if side is Side.BID else DepthCommand.DELETE_ASK
        elif old == 0:
            cmd = DepthCommand.ADD_BID if side is Side.BID else DepthCommand.ADD_ASK
        else:
            cmd = DepthCommand.MODIFY_BID if side is Side.BID else DepthCommand.MODIFY_ASK
        self._rows.append((ts_us, int(cmd), 0, max(1, qty // 6) if qty > 0 else 0, price, max(0, int(qty))))

    def inject_trade(self, book_side: Side, size: int, ts_us: int) -> None:
        """An aggressive order of `size` into the touch on `book_side` (BID: a seller hits the bid)."""
        self._hit(book_side, size, ts_us)

    def _flush(self) -> None:
        if not self._rows:
            return
        rec = np.array(self._rows, dtype=DEPTH_DTYPE)
        rec["flags"][-1] |= BATCH_END
        self._rows = []
        self.updates += len(rec)
        self._events.append(DepthBatch(self.symbol, rec))

    def _owned(self, side: Side, price: int) -> bool:
        return self._active is not None and (int(side), price) in self._active.owned

    def recent_volume(self, side: Side, price: int) -> int:
        """Background volume traded into `price` on `side` over the last 30 s."""
        d = self._traded.get((int(side), price))
        return sum(v for t, v in d if t > self._t - 30_000_000) if d else 0

    def _room(self, side: Side, price: int, size: int, ts: int) -> bool:
        """Background volume into one price over 30 s stays under a cap: price often sits or bounces
        at a level, and unbounded volume there would look like an iceberg (planted ones are exempt)."""
        key = (int(side), price)
        d = self._traded.get(key)
        if d is None:
            d = self._traded[key] = deque()
        while d and d[0][0] <= ts - 30_000_000:
            d.popleft()
        if sum(v for _, v in d) + size > self._volume_cap:
            return False
        d.append((ts, size))
        if len(self._traded) > 64:  # forget quiet prices
            self._traded = {k: v for k, v in self._traded.items() if v and v[-1][0] > ts - 30_000_000}
        return True

    def _hit(self, side: Side, size: int, ts: int, sweep: bool = False, limited: bool = False) -> None:
        price = self._level_price(side, 0)
        q = self.qty(side, price)
        if sweep:
            size = q
        if limited and not self._room(side, price, min(size, q), ts):
            return
        if size >= q:
            new_bb = self.best_bid - 1 if side is Side.BID else self.best_bid + 1
            pin = self._active.pin if self._active is not None else None
            blocked = self._owned(side, price) or (pin is not None and not pin[0] <= new_bb <= pin[1])
            if not blocked:
                self._trade(price, q, side, ts)
                self._move(side, ts)
            # blocked: the order does not happen (draining the touch to 1 lot would thin that side)
            return
        if size <= 0:
            return
        self._trade(price, size, side, ts)
        self.set_level(side, price, q - size, ts)
        self._flush()

    def _trade(self, price: int, size: int, side: Side, ts: int) -> None:
        self._flush()
        self.trades += 1
        self._events.append(Trade(self.symbol, ts, price, int(size), side))

    def _move(self, side: Side, ts: int) -> None:
        """The touch on `side` is gone: shift the book one tick toward that side."""
        other = side.opposite
        consumed = self._level_price(side, 0)
        self.set_level(side, consumed, 0, ts)
        far_other = self._level_price(other, self.levels - 1)
        self.best_bid += -1 if side is Side.BID else 1
        self._enter(side, self._level_price(side, self.levels - 1), self.levels - 1, 1.0, ts)
        self.set_level(other, far_other, 0, ts)
        self._enter(other, self._level_price(other, 0), 0, 0.4, ts)  # fills the vacated price
        self._flush()
        if not (4 * self.levels < self._idx(self.best_bid) < GRID - 4 * self.levels):
            self._recentre()

    def _recentre(self) -> None:
        shift = self.best_bid - GRID // 2 - self._origin
        self._q = np.roll(self._q, -shift, axis=1)
        self._mult = np.roll(self._mult, -shift, axis=1)
        if shift > 0:
            self._q[:, -shift:] = 0
        else:
            self._q[:, :-shift] = 0
        self._origin += shift

    # ---- the step ------------------------------------------------------------------------------
    def _background(self, t0: int) -> None:
        rng = self._rng
        n = int(rng.poisson(self._lam))
        if n == 0:
            return
        u = rng.random(3 * n)
        k = np.minimum(np.searchsorted(self._cumw, u[:n]), self.levels - 1)
        side = (u[n:2 * n] < 0.5).view(np.int8).astype(np.int64)
        price = np.where(side == 1, self.best_bid + 1 + k, self.best_bid - k)
        idx = price - self._origin
        coin = u[2 * n:]
        if self._active is not None and self._active.owned:
            owned = np.array([s * GRID + self._idx(p) for s, p in self._active.owned])
            keep = ~np.isin(side * GRID + idx, owned)
            k, side, price, idx, coin = k[keep], side[keep], price[keep], idx[keep], coin[keep]
            n = len(k)
            if n == 0:
                return
        q0 = self._q[side, idx]
        tgt = self._base[k] * self._mult[side, idx]
        p_add = 0.5 + 0.45 * np.tanh(2.0 * (tgt - q0) / tgt)
        size = 1 + rng.lognormal(self._order_mu, 0.9, n).astype(np.int64)
        delta = np.where(coin < p_add, size, -size)
        key = side * self.levels + k
        order = np.argsort(key, kind="stable")
        ks, ds = key[order], delta[order]
        cs = np.cumsum(ds)
        brk = ks[1:] != ks[:-1]
        first = np.empty(n, bool)
        first[0] = True
        first[1:] = brk
        last = np.empty(n, bool)
        last[-1] = True
        last[:-1] = brk
        starts = np.flatnonzero(first)
        lengths = np.diff(np.append(starts, n))
        within = cs - np.repeat(cs[starts] - ds[starts], lengths)
        vals_sorted = np.minimum(np.maximum(q0[order] + within, 1), self._cap[k[order]])
        so, io = side[order], idx[order]
        self._q[so[last], io[last]] = vals_sorted[last]
        vals = np.empty(n, np.int64)
        vals[order] = vals_sorted
        rec = np.zeros(n, DEPTH_DTYPE)
        ts = rng.integers(0, STEP_US // 2, n)
        ts.sort()
        rec["ts_us"] = ts + t0
        rec["command"] = DepthCommand.MODIFY_BID + side
        rec["num_orders"] = vals // 6 + 1
        rec["price"] = price
        rec["qty"] = vals
        rec["flags"][-1] = BATCH_END
        self.updates += n
        self._events.append(DepthBatch(self.symbol, rec))

    def _trades(self, t0: int) -> None:
        rng = self._rng
        dt = STEP_US / 1e6
        drift = self._bias * (1 - dt / 120.0) + 0.02 * math.sqrt(dt) * rng.standard_normal()
        self._bias = float(np.clip(drift, -0.25, 0.25))
        n = int(rng.poisson(self.style.trade_rate * dt))
        sweep = rng.random() < self.style.sweep_rate * dt
        if n == 0 and not sweep:
            return
        times = t0 + STEP_US // 2 + 1 + np.sort(rng.integers(0, STEP_US // 2 - 1, n + 1))
        scale = self.style.size_scale
        for i in range(n + 1):
            if i == n and not sweep:
                break
            bias = self._bias + (self._push[0] if t0 < self._push[1] else 0.0)
            side = Side.BID if rng.random() < 0.5 - bias else Side.ASK  # bias > 0: buyers lift
            size = 1 + int(min(rng.lognormal(math.log(1.2 * max(scale, 0.5)), 1.0), 150 * scale))
            self._hit(side, size, int(times[i]), sweep=(i == n), limited=True)

    def _scenario(self, t0: int) -> None:
        ts = t0 + STEP_US // 2
        if self._active is None and self._pending and self._pending[0][0] <= t0:
            _, _, sc = self._pending.pop(0)
            self._activate(sc, ts)
        if self._active is not None:
            if ts >= self._active.end_us:
                self._active.finish(self, ts)
                self._active = None
            else:
                self._active.step(self, ts)
            self._flush()

    def _activate(self, sc: Scenario, ts: int) -> PlantedScenario:
        sc.activate(self, ts)
        self._active = sc
        truth = PlantedScenario(sc.pattern, direction_for(sc.pattern, sc.side), sc.side, sc.price,
                                sc.start_us, sc.end_us, self.symbol, dict(sc.params))
        self.ground_truth.append(truth)
        return truth

    def _step(self, t0: int) -> None:
        tick = t0 // STEP_US
        if tick % 10 == 0:  # every 100 ms
            slot = (tick // 10) % 600
            self._depth60[0, slot], self._depth60[1, slot] = self._top5(Side.BID), self._top5(Side.ASK)
            self._bb10[(tick // 10) % 100] = self.best_bid
        self._background(t0)
        self._scenario(t0)
        self._trades(t0)

    def snapshot_batch(self, ts_us: int | None = None) -> DepthBatch:
        """CLEAR + ADD of every visible level, BATCH_END on the last row."""
        ts = self.now_us if ts_us is None else ts_us
        rows = [(ts, int(DepthCommand.CLEAR), 0, 0, 0, 0)]
        for side, cmd in ((Side.BID, DepthCommand.ADD_BID), (Side.ASK, DepthCommand.ADD_ASK)):
            rows += [(ts, int(cmd), 0, max(1, q // 6), p, q) for p, q in self.levels_of(side)]
        rec = np.array(rows, dtype=DEPTH_DTYPE)
        rec["flags"][-1] = BATCH_END
        return DepthBatch(self.symbol, rec)

    def advance(self, dt_us: int) -> list[MarketEvent]:
        """Run the market for dt_us; returns DepthBatch and Trade events in time order."""
        if dt_us < 0:
            raise ValueError(f"dt_us must be >= 0, got {dt_us}")
        end = self.now_us + int(dt_us)
        self._events = []
        if self._snapshot_due:
            self._snapshot_due = False
            self._events.append(self.snapshot_batch(self.now_us))
        while self._t + STEP_US <= end:
            self._step(self._t)
            self._t += STEP_US
        self.now_us = end
        out, self._events = self._events, []
        return out

    def plant(self, pattern: str, side: Side, *, at_us: int | None = None,
              **params: float) -> PlantedScenario:
        """Plant a labelled scenario at `at_us` (default: now). Returns its ground truth; when it
        cannot start at once (future time or another scenario running) the returned record is
        provisional and `ground_truth` gets the exact one when it starts."""
        name = ALIASES.get(pattern, pattern)
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {pattern!r}; known: {', '.join(SCENARIOS)}")
        sc = SCENARIOS[name](Side(side), np.random.default_rng([int(self._srng.integers(1 << 62))]), **params)
        at = self.now_us if at_us is None else int(at_us)
        if self._active is None and not self._pending and at <= self._t:
            return self._activate(sc, self._t + STEP_US // 2)
        self._seq += 1
        self._pending.append((at, self._seq, sc))
        self._pending.sort(key=lambda x: (x[0], x[1]))
        dur = int(sc.p("duration_s", sc.duration_s) * 1e6)
        return PlantedScenario(name, direction_for(name, Side(side)), Side(side), self.best_bid, at, at + dur,
                               self.symbol, dict(sc.params))

    def push_flow(self, direction: str, seconds: float, strength: float = 0.4) -> None:
        """Tilt background aggression for a while (demo): 'long' = buyers lift offers, 'short' =
        sellers hit bids; strength 0.4 makes ~90 % of trades one-sided. Not part of ground truth."""
        sign = 1.0 if direction == "long" else -1.0
        self._push = (sign * min(abs(strength), 0.45), self._t + int(seconds * 1e6))

    @property
    def busy(self) -> bool:
        """True while a scenario is running or waiting."""
        return self._active is not None or bool(self._pending)


class VixSimulator:
    """VIX: mean-reverting (OU, ~16) with occasional spikes that decay; one reading per interval."""

    def __init__(self, seed: int = 1, start: float = 16.0, *, start_us: int | None = None,
                 interval_us: int = 1_000_000, spikes_per_hour: float = 1.0) -> None:
        self._rng = np.random.default_rng([seed, 7])
        self.value = float(start)
        self._base = float(start)
        self._jump = 0.0
        self.now_us = int(start_us if start_us is not None else DEFAULT_START_US)
        self._next = self.now_us
        self.interval_us = int(interval_us)
        self.spikes_per_hour = spikes_per_hour

    def spike(self, points: float = 8.0) -> None:
        """Force a spike now (demo)."""
        self._jump += points

    def advance(self, dt_us: int) -> list[VixReading]:
        end = self.now_us + int(dt_us)
        out: list[VixReading] = []
        dt = self.interval_us / 1e6
        while self._next <= end:
            rng = self._rng
            self._base += (16.0 - self._base) * dt / 1800.0 + 0.02 * math.sqrt(dt) * rng.standard_normal()
            if rng.random() < self.spikes_per_hour * dt / 3600.0:
                self._jump += rng.uniform(4.0, 12.0)
            self._jump *= math.exp(-dt / 600.0)
            self.value = max(9.0, round(self._base + self._jump, 2))
            out.append(VixReading(self._next, self.value))
            self._next += self.interval_us
        self.now_us = end
        return out


def depth_rows(events: list[MarketEvent]) -> npt.NDArray[np.void]:
    """All depth rows of an event list, concatenated (tests, benchmarks)."""
    parts = [e.records for e in events if isinstance(e, DepthBatch)]
    return np.concatenate(parts) if parts else np.zeros(0, DEPTH_DTYPE)
