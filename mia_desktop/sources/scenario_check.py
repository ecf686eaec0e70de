"""A plain reference check of the SIGNALS.md DOM rules, to validate the simulator (not a detector).

How this works: feed it every event in order (`on_event`) and call `evaluate(now_us)` every
analysis interval (the engine's cadence, 250 ms in Production). It keeps an OrderBook, a 30 s trade
window and 60 s of top-5 depth samples, applies each rule literally with the Production thresholds,
and records a firing per (pattern, side) at most once per `cooldown_s`. Tests and the simulator
benchmark use it to show that every planted scenario satisfies its rule and that the background
market rarely does. The real detectors (analysis/dom) are richer; this is the yardstick.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import DepthBatch, MarketEvent, Side, Trade


@dataclass(frozen=True, slots=True)
class Firing:
    pattern: str
    side: Side
    price: int
    ts_us: int


class RuleCheck:
    def __init__(self, *, wall_min: int = 1000, iceberg_min: int = 500, absorption_min: int = 300,
                 depth_levels: int = 10, cooldown_s: float = 30.0) -> None:
        self.book = OrderBook()
        self.wall_min, self.iceberg_min, self.absorption_min = wall_min, iceberg_min, absorption_min
        self.depth_levels = depth_levels
        self.cooldown_us = int(cooldown_s * 1e6)
        self.firings: list[Firing] = []
        self._last: dict[tuple[str, int], int] = {}
        self._trades: deque[tuple[int, int, int, int, int]] = deque()  # ts, price, size, side, best
        self._shown: dict[tuple[int, int], deque[tuple[int, int]]] = {}  # (side, price) -> (ts, qty)
        self._since: dict[tuple[str, int, int], int] = {}
        self._big: dict[tuple[int, int], tuple[int, int]] = {}  # (side, price) -> (appeared, peak)
        self._depth: deque[tuple[int, int, int]] = deque()  # ts, bid5, ask5
        self._vol10: deque[tuple[int, int]] = deque()  # (ts, volume) of all trades, 5 min
        self._t0: int | None = None

    def on_event(self, ev: MarketEvent) -> None:
        if isinstance(ev, DepthBatch):
            self.book.apply(ev.records)
        elif isinstance(ev, Trade):
            best = self.book.best_bid() if ev.aggressor is Side.BID else self.book.best_ask()
            self._trades.append((ev.ts_us, ev.price, ev.size, int(ev.aggressor), best or 0))
            self._vol10.append((ev.ts_us, ev.size))

    def _fire(self, pattern: str, side: Side, price: int, now: int) -> None:
        key = (pattern, int(side))
        if now - self._last.get(key, -(1 << 62)) >= self.cooldown_us:
            self._last[key] = now
            self.firings.append(Firing(pattern, side, price, now))

    def _standing(self, pattern: str, side: Side, price: int, ok: bool, now: int, need_us: int) -> bool:
        key = (pattern, int(side), price)
        if not ok:
            self._since.pop(key, None)
            return False
        return now - self._since.setdefault(key, now) >= need_us

    def evaluate(self, now: int) -> None:
        if self._t0 is None:
            self._t0 = now
        while self._trades and self._trades[0][0] < now - 30_000_000:
            self._trades.popleft()
        while self._vol10 and self._vol10[0][0] < now - 300_000_000:
            self._vol10.popleft()
        b = self.book
        tops = {s: b.top(s, max(self.depth_levels, 20)) for s in (Side.BID, Side.ASK)}
        for s in (Side.BID, Side.ASK):
            prices, sizes = tops[s]
            self._check_walls_spoofs(s, prices, sizes, now)
            self._check_ladder(s, prices, sizes, now)
            n = self.depth_levels
            for p, q in zip(prices[:n].tolist(), sizes[:n].tolist(), strict=True):
                self._shown.setdefault((int(s), p), deque()).append((now, int(q)))
        self._check_flow(now)
        self._check_squeeze(tops, now)
        for key in list(self._shown):
            d = self._shown[key]
            while d and d[0][0] < now - 30_000_000:
                d.popleft()
            if not d:
                del self._shown[key]

    def _check_walls_spoofs(self, s: Side, prices: np.ndarray, sizes: np.ndarray, now: int) -> None:
        top_p, top_q = prices[:self.depth_levels], sizes[:self.depth_levels]
        med = float(np.median(top_q)) if len(top_q) else 0.0
        seen = set()
        for p, q in zip(top_p.tolist(), top_q.tolist(), strict=True):
            if self._standing("wall", s, p, q >= self.wall_min and q >= 3 * med, now, 5_000_000):
                self._fire("wall", s, p, now)
            if q >= self.wall_min:
                appeared, peak = self._big.get((int(s), p), (now, 0))
                self._big[(int(s), p)] = (appeared, max(peak, int(q)))
                seen.add(p)
        touch = int(prices[0]) if len(prices) else 0
        for (side, p), (appeared, peak) in list(self._big.items()):
            if side != int(s) or p in seen:
                continue
            del self._big[(side, p)]
            q = self.book.size_at(s, p)
            traded = sum(t[2] for t in self._trades if t[1] == p and t[0] >= appeared)
            if (q <= 0.2 * peak and now - appeared <= 10_000_000 and abs(touch - p) <= 4
                    and traded < 0.2 * (peak - q)):
                self._fire("spoofing", s, p, now)

    def _check_ladder(self, s: Side, prices: np.ndarray, sizes: np.ndarray, now: int) -> None:
        if len(sizes) < 4:
            return
        med = float(np.median(sizes))
        found = None
        for i in range(len(sizes) - 3):
            run = sizes[i:i + 4]
            if int(abs(prices[i + 3] - prices[i])) != 3 or run.min() < 2 * med:
                continue
            stair = bool(np.all(run[1:] >= 1.2 * run[:-1]))
            flat = bool(np.all(np.abs(run / run.mean() - 1) <= 0.15))
            if stair or flat:
                found = int(prices[i])
                break
        # a ladder is one structure per side: key it by side only
        if self._standing("ladder", s, 0, found is not None, now, 3_000_000) and found is not None:
            self._fire("ladder", s, found, now)

    def _check_flow(self, now: int) -> None:
        by_price: dict[tuple[int, int], int] = {}
        for _ts, p, q, side, _ in self._trades:
            by_price[(side, p)] = by_price.get((side, p), 0) + q
        for (side, p), vol in by_price.items():
            shown = self._shown.get((side, p))
            if vol >= self.iceberg_min and shown and vol >= 2 * max(x[1] for x in shown) \
                    and self.book.size_at(Side(side), p) > 0:
                self._fire("iceberg", Side(side), p, now)
        total5m = sum(v for _, v in self._vol10)
        span_s = max(10.0, min(300.0, (now - (self._t0 or now)) / 1e6))
        avg10 = total5m * 10.0 / span_s
        for side in (Side.BID, Side.ASK):
            recent = [t for t in self._trades
                      if t[0] >= now - 10_000_000 and t[3] == int(side) and t[1] == t[4]]
            vol = sum(t[2] for t in recent)
            if vol < self.absorption_min or vol < 3 * avg10:
                continue
            first = recent[0][4]
            best = self.book.best_bid() if side is Side.BID else self.book.best_ask()
            if best is not None and abs(best - first) <= 1:
                self._fire("absorption", side, first, now)

    def _check_squeeze(self, tops: dict[Side, tuple[np.ndarray, np.ndarray]], now: int) -> None:
        bid5, ask5 = int(tops[Side.BID][1][:5].sum()), int(tops[Side.ASK][1][:5].sum())
        self._depth.append((now, bid5, ask5))
        while self._depth[0][0] < now - 60_000_000:
            self._depth.popleft()
        bb, ba = self.book.best_bid(), self.book.best_ask()
        if bb is None or ba is None or ba - bb != 1 or bid5 + ask5 == 0:
            return
        avg_b = sum(d[1] for d in self._depth) / len(self._depth)
        avg_a = sum(d[2] for d in self._depth) / len(self._depth)
        ago = next(d for d in self._depth if d[0] >= now - 5_000_000)
        imb = (bid5 - ask5) / (bid5 + ask5)
        if ask5 <= 0.5 * avg_a and ago[2] > 0.5 * avg_a and bid5 >= 0.8 * avg_b and imb >= 0.65:
            self._fire("squeeze", Side.ASK, ba, now)
        if bid5 <= 0.5 * avg_b and ago[1] > 0.5 * avg_b and ask5 >= 0.8 * avg_a and -imb >= 0.65:
            self._fire("squeeze", Side.BID, bb, now)
