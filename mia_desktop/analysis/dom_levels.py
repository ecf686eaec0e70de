"""DOM detectors that read resting liquidity: wall, ladder, spoofing (SIGNALS.md "DOM family").

How this works: each detector is a small state object; `update(frame)` is called once per
analysis with the book frame and returns the events that fire now. Candidates are remembered per
(side, price) with the time they first qualified, so "standing ≥ N s" means "qualified at every
analysis for N s"; each standing level fires once until it stops qualifying.
Parameters are read from `self.p` (a DomParams) so the pipeline can swap in auto thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from mia_desktop.analysis.dom_common import SIDE_DIRECTION, SIDE_NAME, DomFrame, EventFactory, grade
from mia_desktop.analysis.params import DomParams
from mia_desktop.analysis.types import PatternEvent


class WallDetector:
    """`wall`: a level ≥ `wall_min_size` and ≥ `wall_ratio` (3) × the median size of the first
    `depth_levels` levels on its side, standing ≥ `wall_min_age_us` (5 s). Bid wall → long
    (support), ask wall → short. Levels below `min_size_threshold` are never candidates.
    strength = grade(size / wall_min_size); confidence = grade(size / (wall_ratio × median)).
    Grades run from `grade_base` (0.7, strength) / `confidence_base` (0.8, confidence) at the
    threshold to 1.0 at `grade_full` (2) × it."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._since: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._fired: tuple[set[int], set[int]] = (set(), set())

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        out: list[PatternEvent] = []
        n = p.depth_levels
        floor = max(p.wall_min_size, p.min_size_threshold)
        for side in (0, 1):
            if f.head_max(side, n) < floor:   # no level can qualify: only forget what stood
                since = self._since[side]
                if since:
                    since.clear()
                    self._fired[side].clear()
                continue
            since, fired = self._since[side], self._fired[side]
            sizes = f.sz[side][:n]
            med = f.median(side, p.depth_levels)
            thr = max(floor, p.wall_ratio * med)
            prices = f.px[side]
            now_c = {prices[i]: s for i, s in enumerate(sizes) if s >= thr}
            for price in [x for x in since if x not in now_c]:
                del since[price]
                fired.discard(price)
            for price, size in now_c.items():
                t0 = since.setdefault(price, f.now_us)
                if price not in fired and f.now_us - t0 >= p.wall_min_age_us:
                    fired.add(price)
                    out.append(self.make(
                        f.now_us, "dom", "wall", SIDE_DIRECTION[side], price,
                        grade(size / p.wall_min_size, p.grade_base, p.grade_full),
                        grade(size / max(p.wall_ratio * med, 1e-9), p.confidence_base, p.grade_full),
                        {"side": SIDE_NAME[side], "size": size, "median": med, "age_s": (f.now_us - t0) / 1e6,
                         "wall_min_size": p.wall_min_size}))
        return out


class LadderDetector:
    """`ladder`: ≥ `ladder_min_levels` (4) consecutive price levels on one side with no gaps, each
    ≥ `ladder_ratio` (2) × the median size of that side's visible levels (`ladder_visible_levels`)
    and ≥ `min_size_threshold`, whose sizes either grow ≥ `ladder_step_growth` (1.2) × per step away
    from the touch (staircase) or sit within ± `ladder_equal_tol` (15 %) of their mean (layered),
    standing ≥ `ladder_min_age_us` (3 s). Bid → long, ask → short. The ladder is identified by its
    side and the price of its level nearest the touch. strength = grade(mean size / (ratio × median));
    confidence = grade(run length / min levels).
    Grades run from `grade_base` (0.7, strength) / `confidence_base` (0.8, confidence) at the
    threshold to 1.0 at `grade_full` (2) × it."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._since: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._fired: tuple[set[int], set[int]] = (set(), set())

    def _find(self, prices: list[int], sizes: list[float], thr: float) -> tuple[int, int, str] | None:
        """(start index, run length, shape) of the first qualifying window, nearest the touch."""
        p = self.p
        k = p.ladder_min_levels
        idx = [i for i, x in enumerate(sizes) if x >= thr]
        n = len(idx)
        j = 0
        while j + k <= n:
            a = idx[j]
            m = 1
            while m < k and idx[j + m] == a + m and abs(prices[a + m] - prices[a + m - 1]) == 1:
                m += 1
            if m < k:
                j += m   # the run broke after m levels: no window can start before that
                continue
            w = sizes[a: a + k]
            run = k
            while j + run < n and idx[j + run] == a + run and abs(prices[a + run] - prices[a + run - 1]) == 1:
                run += 1
            if all(w[q + 1] >= p.ladder_step_growth * w[q] for q in range(k - 1)):
                return a, run, "staircase"
            mean = sum(w) / k
            if all(abs(x - mean) <= p.ladder_equal_tol * mean for x in w):
                return a, run, "layered"
            j += 1
        return None

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        out: list[PatternEvent] = []
        nvis, kmin = p.ladder_visible_levels, p.ladder_min_levels
        for side in (0, 1):
            found = None
            med = 0.0
            ordered = f.sorted_sizes(side, nvis)
            k = len(ordered)
            if k >= kmin:
                h = k // 2
                med = ordered[h] if k % 2 else (ordered[h - 1] + ordered[h]) / 2.0
                thr = max(p.ladder_ratio * med, p.min_size_threshold)
                if kmin <= 0 or ordered[k - kmin] >= thr:   # >= kmin levels reach the threshold
                    found = self._find(f.px[side], f.sz[side][:nvis], thr)
            since = self._since[side]
            if found is None:
                if since:
                    since.clear()
                    self._fired[side].clear()
                continue
            fired = self._fired[side]
            sizes = f.sz[side][:nvis]
            start, run, shape = found
            key = f.px[side][start]
            for old in [x for x in since if x != key]:
                del since[old]
                fired.discard(old)
            t0 = since.setdefault(key, f.now_us)
            if key not in fired and f.now_us - t0 >= p.ladder_min_age_us:
                fired.add(key)
                w = sizes[start: start + p.ladder_min_levels]
                mean = sum(w) / len(w)
                out.append(self.make(
                    f.now_us, "dom", "ladder", SIDE_DIRECTION[side], key,
                    grade(mean / max(p.ladder_ratio * med, 1e-9), p.grade_base, p.grade_full),
                    grade(run / p.ladder_min_levels, p.confidence_base, p.grade_full),
                    {"side": SIDE_NAME[side], "shape": shape, "levels": run, "sizes": w, "median": med,
                     "age_s": (f.now_us - t0) / 1e6}))
        return out


@dataclass(slots=True)
class _Spoof:
    appeared_us: int
    peak: float
    min_dist: int
    traded: float = 0.0


class SpoofDetector:
    """`spoofing` ("spoof-like / pulled liquidity" in the UI; intent is not observable): a level
    among the first `depth_levels` that was ≥ `wall_min_size` (and ≥ `min_size_threshold`) shrinks
    ≥ `spoof_shrink` (80 %) of its peak within `spoof_window_us` (10 s) of appearing, while the
    touch on its side was within `spoof_proximity_ticks` (4) of it,
    with trades at that price into that side explaining < `spoof_max_traded_share` (20 %) of the
    drop (pulled, not consumed). Pulled bid → short, pulled offer → long. A big level is tracked
    from the first analysis it is seen big; one that stays big past the window is not tracked again
    until it has dropped below `wall_min_size`. strength = grade(drop share / spoof_shrink) from
    `grade_base` (0.7) at the threshold to 1.0 at 1.25 × it;
    confidence = 1 − traded share of the drop."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._track: tuple[dict[int, _Spoof], dict[int, _Spoof]] = ({}, {})
        self._expired: tuple[set[int], set[int]] = (set(), set())

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        out: list[PatternEvent] = []
        big_floor = max(p.wall_min_size, p.min_size_threshold)
        n = p.depth_levels
        for side in (0, 1):
            track, expired = self._track[side], self._expired[side]
            big = f.head_max(side, n) >= big_floor
            if not (big or track or expired):
                continue   # nothing big now, nothing tracked: nothing can change or fire
            prices = f.px[side]
            best = f.best[side]
            if big:
                for i, s in enumerate(f.sz[side][:n]):
                    if s >= big_floor:
                        price = prices[i]
                        t = track.get(price)
                        if t is None:
                            if price not in expired:
                                dist = abs(best - price) if best is not None else 1 << 30
                                track[price] = _Spoof(f.now_us, s, dist)
                        elif s > t.peak:
                            t.peak = s
            if expired:
                sm = f.size_map(side)
                for price in [x for x in expired if sm.get(x, 0.0) < big_floor]:
                    if f.size_at(side, price) < big_floor:
                        expired.discard(price)
            if not track:
                continue
            if f.trades:
                # sizes are whole contracts, so the interval's per-price sum adds up exactly as
                # trade-by-trade additions would
                fl = f.flow()[side]
                if fl:
                    for price, t in track.items():
                        v = fl.get(price)
                        if v is not None:
                            t.traded += v
            for price in list(track):
                t = track[price]
                if best is not None:
                    t.min_dist = min(t.min_dist, abs(best - price))
                cur = f.size_at(side, price)
                drop = t.peak - cur
                if drop >= p.spoof_shrink * t.peak:
                    del track[price]
                    share = t.traded / drop if drop > 0 else 1.0
                    if t.min_dist <= p.spoof_proximity_ticks and share < p.spoof_max_traded_share:
                        out.append(self.make(
                            f.now_us, "dom", "spoofing", SIDE_DIRECTION[1 - side], price,
                            grade((drop / t.peak) / p.spoof_shrink, p.grade_base, 1.25), 1.0 - share,
                            {"side": SIDE_NAME[side], "peak": t.peak, "now": cur, "traded": t.traded,
                             "after_s": (f.now_us - t.appeared_us) / 1e6, "min_distance_ticks": t.min_dist}))
                elif f.now_us - t.appeared_us > p.spoof_window_us:
                    del track[price]
                    if cur >= big_floor:
                        expired.add(price)
        return out
