"""DOM detectors that weigh trades against the book: iceberg, absorption, squeeze.

How this works: trades of the interval arrive with the frame, summed once per price and side
(`DomFrame.flow`, so volume is bucketed at the analysis time); each detector keeps bounded deques
of (time, value) with running sums, pruned to its window at every analysis, so an analysis costs
O(trades in the interval) plus a few comparisons. A detector that fired on a side or price waits
out a cooldown (its own window) or for its condition to clear before it can fire there again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mia_desktop.analysis.dom_common import SIDE_DIRECTION, SIDE_NAME, DomFrame, EventFactory, grade
from mia_desktop.analysis.params import DomParams
from mia_desktop.analysis.types import PatternEvent
from mia_desktop.market.events import Side


@dataclass(slots=True)
class _Ice:
    vol: deque[tuple[int, float]] = field(default_factory=deque)
    vol_sum: float = 0.0
    disp: deque[tuple[int, float]] = field(default_factory=deque)   # decreasing sizes: window max at [0]


class IcebergDetector:
    """`iceberg`: within `iceberg_window_us` (30 s), aggressive volume traded at one price into one
    side ≥ `iceberg_ratio` (2) × the largest size displayed there in that window and ≥
    `iceberg_min_volume`, and the level still stands (size > 0 on its side: refilled, not traded
    through). Hidden bid → long, hidden offer → short. The displayed size is sampled at each
    analysis (and taken from the previous frame when the first trade arrives), so a refill between
    two analyses is seen as its sampled size. `min_size_threshold` does not apply (icebergs show
    little by design). A level that is gone at an analysis (traded through or pulled) starts over.
    After firing, that price stays quiet while it keeps trading (one event per iceberg: the
    quiet period is extended to one window past each further trade there). strength = grade(volume /
    (ratio × displayed)); confidence = grade(volume / iceberg_min_volume).
    Grades run from `grade_base` (0.7, strength) / `confidence_base` (0.8, confidence) at the
    threshold to 1.0 at `grade_full` (2) × it."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._t: tuple[dict[int, _Ice], dict[int, _Ice]] = ({}, {})
        self._cool: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._prev: DomFrame | None = None

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        out: list[PatternEvent] = []
        now = f.now_us
        win = p.iceberg_window_us
        cut = now - win
        if f.trades:
            prev = self._prev
            for side, fl in enumerate(f.flow()):
                if not fl:
                    continue
                tracks, cool = self._t[side], self._cool[side]
                for price, vol in fl.items():
                    t = tracks.get(price)
                    if t is None:
                        t = tracks[price] = _Ice()
                        before = prev.shown(side, price) if prev is not None else None
                        if before:
                            t.disp.append((now, before))
                    t.vol.append((now, vol))
                    t.vol_sum += vol
                    c = cool.get(price)
                    if c is not None and c >= now:   # the same iceberg still trading: stay quiet
                        cool[price] = now + win
        book = f.book
        min_vol = p.iceberg_min_volume
        ratio = p.iceberg_ratio
        for side in (0, 1):
            tracks = self._t[side]
            if not tracks:
                continue
            cool = self._cool[side]
            px, sz = f.px[side], f.sz[side]
            gone: list[int] = []
            for price, t in tracks.items():
                vq = t.vol
                try:
                    if vq[0][0] < cut:
                        s = t.vol_sum
                        while vq and vq[0][0] < cut:
                            s -= vq.popleft()[1]
                        t.vol_sum = s
                        if not vq:
                            gone.append(price)
                            continue
                except IndexError:   # emptied when it fired and nothing traded there since
                    gone.append(price)
                    continue
                try:
                    cur = sz[px.index(price)]
                except ValueError:
                    cur = float(book.size_at(Side(side), price)) if book is not None else 0.0
                if cur <= 0:   # traded through (or pulled): the level no longer stands
                    gone.append(price)
                    cool.pop(price, None)
                    continue
                d = t.disp
                if d:
                    if d[0][0] < cut:
                        while d and d[0][0] < cut:
                            d.popleft()
                    while d and d[-1][1] <= cur:
                        d.pop()
                d.append((now, cur))
                traded = t.vol_sum
                if traded < min_vol:
                    continue
                shown = d[0][1]
                if traded >= ratio * shown and cool.get(price, -1) < now:
                    cool[price] = now + win
                    out.append(self.make(
                        now, "dom", "iceberg", SIDE_DIRECTION[side], price,
                        grade(traded / max(ratio * shown, 1e-9), p.grade_base, p.grade_full),
                        grade(traded / min_vol, p.confidence_base, p.grade_full),
                        {"side": SIDE_NAME[side], "traded": traded, "max_displayed": shown,
                         "displayed_now": cur, "window_s": win / 1e6}))
                    vq.clear()
                    t.vol_sum = 0.0
            for price in gone:   # deleted after the pass: the others' order and state are unchanged
                del tracks[price]
            if len(cool) > 64:
                for k in [k for k, v in cool.items() if v < now]:
                    del cool[k]
        self._prev = f  # its sizes stand for "displayed before" the next interval's first trades
        return out


class AbsorptionDetector:
    """`absorption`: within `absorption_window_us` (10 s), aggressive volume into the best bid (ask)
    ≥ `absorption_min_volume` and ≥ `absorption_ratio` (3) × the average volume per window, while
    that best price does not give way by more than `absorption_max_giveway_ticks` (1). Sellers
    absorbed at the bid → long, buyers at the ask → short. "Does not give way": the side's best
    price stays within one give-way range over the whole window (a best that runs away from the
    aggressors is not absorbing either); "into the best" = trades at the prices it held. The
    average is all aggressive volume (both sides) over the trailing `absorption_baseline_us`
    before the current window, per window length; it needs one full window of history first.
    After firing, that side starts a fresh window. strength = grade(volume / (ratio × average));
    confidence = grade(volume / absorption_min_volume).
    Grades run from `grade_base` (0.7, strength) / `confidence_base` (0.8, confidence) at the
    threshold to 1.0 at `grade_full` (2) × it."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._into: tuple[deque[tuple[int, int, float]], deque[tuple[int, int, float]]] = (deque(), deque())
        self._into_sum = [0.0, 0.0]
        self._by_price: tuple[dict[int, float], dict[int, float]] = ({}, {})
        # (time, best bid, best ask) over the window, one entry per analysis; its range and first
        # value are read only when the volume rules pass (rare), so a quiet analysis pays one append
        self._bests: deque[tuple[int, int | None, int | None]] = deque()
        self._all: deque[tuple[int, float]] = deque()
        self._all_sum = 0.0
        self._recent: deque[tuple[int, float]] = deque()
        self._recent_sum = 0.0
        self._start: int | None = None

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        now = f.now_us
        if self._start is None:
            self._start = now
        win = p.absorption_window_us
        cut = now - win
        into_sum = self._into_sum
        if f.trades:
            total = 0.0
            for s, fl in enumerate(f.flow()):
                if not fl:
                    continue
                into, bp = self._into[s], self._by_price[s]
                acc = into_sum[s]
                for price, size in fl.items():
                    into.append((now, price, size))
                    bp[price] = bp.get(price, 0.0) + size
                    total += size
                    acc += size
                into_sum[s] = acc
            self._all.append((now, total))
            self._all_sum += total
            self._recent.append((now, total))
            self._recent_sum += total
        q = self._all
        if q and q[0][0] < now - p.absorption_baseline_us:
            bcut = now - p.absorption_baseline_us
            while q and q[0][0] < bcut:
                self._all_sum -= q.popleft()[1]
        q = self._recent
        if q and q[0][0] < cut:
            while q and q[0][0] < cut:
                self._recent_sum -= q.popleft()[1]
        bests = self._bests
        best_ba = f.best
        bests.append((now, best_ba[0], best_ba[1]))
        while bests[0][0] < cut:
            bests.popleft()
        out: list[PatternEvent] = []
        min_vol = p.absorption_min_volume
        avg: float | None = None   # -1.0: under one full window of history
        for side in (0, 1):
            into = self._into[side]
            if into and into[0][0] < cut:
                bp = self._by_price[side]
                acc = into_sum[side]
                while into and into[0][0] < cut:
                    _, px, v = into.popleft()
                    acc -= v
                    left = bp[px] - v
                    if left > 1e-9:
                        bp[px] = left
                    else:
                        del bp[px]
                into_sum[side] = acc
            best = best_ba[side]
            if best is None or into_sum[side] < min_vol:
                continue
            if avg is None:   # the same for both sides: worked out once, when first needed
                span = min(now - self._start, p.absorption_baseline_us) - win
                avg = -1.0 if span < win else max(self._all_sum - self._recent_sum, 0.0) * win / span
            if avg < 0.0 or into_sum[side] < p.absorption_ratio * avg:
                continue
            held = [e[side + 1] for e in bests]
            held_v = [x for x in held if x is not None]
            anchor = held_v[0]
            lo, hi = min(held_v), max(held_v)
            if hi - lo > p.absorption_max_giveway_ticks:
                continue
            bp = self._by_price[side]
            vol = sum(v for px, v in bp.items() if lo <= px <= hi)
            if vol >= min_vol and vol >= p.absorption_ratio * avg:
                out.append(self.make(
                    now, "dom", "absorption", SIDE_DIRECTION[side], best,
                    grade(vol / max(p.absorption_ratio * avg, 1e-9), p.grade_base, p.grade_full),
                    grade(vol / min_vol, p.confidence_base, p.grade_full),
                    {"side": SIDE_NAME[side], "volume": vol, "avg_window_volume": round(avg, 2),
                     "anchor": self.make.px(anchor), "best": self.make.px(best), "window_s": win / 1e6}))
                into.clear()
                bp.clear()
                into_sum[side] = 0.0
        return out


class SqueezeDetector:
    """`squeeze`: spread at `squeeze_spread_ticks` (1), and one side's depth over the first
    `squeeze_levels` (5) levels falls ≥ `squeeze_drop` (50 %) below its `squeeze_avg_window_us`
    (60 s) average within `squeeze_drop_window_us` (5 s) — it was above that line at some point in
    those 5 s and the fall within them is itself ≥ `squeeze_drop` — while the other side holds
    (between `squeeze_hold` (0.8) and `squeeze_other_max` (2) × its own average: a side that
    balloons is a wall or ladder story, not a squeeze),
    with imbalance (other − thin)/(other + thin) ≥ `squeeze_imbalance` (0.65). Thin asks → long,
    thin bids → short. Needs half the averaging window of history; after firing, that side re-arms
    only once its depth is back to `squeeze_hold` × its average (no re-fires while it hovers).
    strength = grade(imbalance / threshold, full 1/threshold);
    confidence = grade(drop / squeeze_drop).
    Grades run from `grade_base` (0.7, strength) / `confidence_base` (0.8, confidence) at the
    threshold to 1.0 at `grade_full` (2) × it."""

    def __init__(self, p: DomParams, make: EventFactory) -> None:
        self.p = p
        self.make = make
        self._d: tuple[deque[tuple[int, float]], deque[tuple[int, float]]] = (deque(), deque())
        self._sum = [0.0, 0.0]
        self._armed = [True, True]

    def update(self, f: DomFrame) -> list[PatternEvent]:
        p = self.p
        now = f.now_us
        cut = now - p.squeeze_avg_window_us
        n = p.squeeze_levels
        sz = f.sz
        depth = (sum(sz[0][:n]), sum(sz[1][:n]))
        sums, dq = self._sum, self._d
        avg = [0.0, 0.0]
        for s in (0, 1):
            d = dq[s]
            v = depth[s]
            d.append((now, v))
            acc = sums[s] + v
            while d[0][0] < cut:
                acc -= d.popleft()[1]
            sums[s] = acc
            avg[s] = acc / len(d)
        out: list[PatternEvent] = []
        armed = self._armed
        keep = 1.0 - p.squeeze_drop
        hold = p.squeeze_hold
        for thin in (0, 1):
            dt, at = depth[thin], avg[thin]
            if dt >= hold * at:
                armed[thin] = True   # back to normal depth: a new squeeze may fire
            line = keep * at
            if dt > line:
                continue
            other = 1 - thin
            warm = now - dq[0][0][0] >= p.squeeze_avg_window_us // 2
            if not (warm and armed[thin] and f.spread() == p.squeeze_spread_ticks):
                continue
            tot = depth[thin] + depth[other]
            imb = (depth[other] - depth[thin]) / tot if tot > 0 else 0.0
            if (imb < p.squeeze_imbalance or depth[other] < p.squeeze_hold * avg[other]
                    or depth[other] > p.squeeze_other_max * avg[other]):
                continue
            dcut = now - p.squeeze_drop_window_us
            recent_max = max((v for t, v in self._d[thin] if t >= dcut), default=0.0)
            # it fell within the window: by ≥ `squeeze_drop` of its own level there, from above the line
            if recent_max <= line or depth[thin] > (1.0 - p.squeeze_drop) * recent_max:
                continue
            self._armed[thin] = False
            drop = 1.0 - depth[thin] / avg[thin] if avg[thin] > 0 else 1.0
            price = f.best[thin]
            out.append(self.make(
                now, "dom", "squeeze", SIDE_DIRECTION[other], price if price is not None else 0,
                grade(imb / p.squeeze_imbalance, p.grade_base, 1.0 / p.squeeze_imbalance),
                grade(drop / p.squeeze_drop, p.confidence_base, p.grade_full),
                {"thin_side": SIDE_NAME[thin], "thin_depth": depth[thin], "thin_avg": round(avg[thin], 1),
                 "other_depth": depth[other], "other_avg": round(avg[other], 1), "imbalance": round(imb, 3)}))
        return out
