"""Confluence: fuse recent pattern events into one score per direction; decide when to emit.

How this works: events are kept per (family, direction) while they still count — DOM and advanced
events decay with a `half_life_us` (30 s) half-life and are dropped below `prune_below`; bar
patterns (every pattern decided on a closed bar: Battle Navale, and the advanced gamma_pin,
head_fake, transition and volume_profile — a pattern read on a 1-minute bar would otherwise lose
half its weight before the next bar) count fully for `bar_life` (2) closed bars; the latest
directional VIX event counts fully until the next VIX event replaces it (neutral events never
score). For a direction:

    score = Σ_f w_f · max(strength · confidence · decay) − opposite_penalty · (same sum, other way)
            + three_family_bonus if ≥ bonus_families families agree;   clamped to 0–1

where a family "agrees" when its term is ≥ `agree_min`. A direction's *episode* starts when its
score crosses `watch` upward (a signal is emitted) and ends when the score falls below
`rearm_below`; within an episode one more signal is emitted if it first reaches elite (score ≥
`min_elite_score` with ≥ `elite_families` families) — otherwise a score that builds up event by
event could never be reported as elite. Tiers: elite, strong (≥ `strong`), watch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mia_desktop.analysis.params import ConfluenceParams
from mia_desktop.analysis.types import FAMILIES, PatternEvent

DIRS = ("long", "short")
MAX_EVENTS_PER_KEY = 32
MAX_LISTED = 12


@dataclass(frozen=True, slots=True)
class Decision:
    """A signal to emit (the pipeline adds sizing and risk)."""

    ts_us: int
    direction: str
    score: float
    tier: str
    elite: bool
    families: int
    patterns: tuple[PatternEvent, ...]
    breakdown: dict[str, Any] = field(default_factory=dict)


class Confluence:
    def __init__(self, p: ConfluenceParams, min_elite_score: float) -> None:
        self.p = p
        self.min_elite = min_elite_score
        self.weights = {"dom": p.w_dom, "battle_navale": p.w_battle_navale, "advanced": p.w_advanced,
                        "vix": p.w_vix}
        self._timed: dict[tuple[str, str], list[PatternEvent]] = {}
        self._bars: list[tuple[int, PatternEvent]] = []
        self._vix: PatternEvent | None = None
        self.bar_count = 0
        self._active = {"long": False, "short": False}
        self._elite_done = {"long": False, "short": False}
        self.last_scores: dict[str, float] = {"long": 0.0, "short": 0.0}

    # ---- intake ---------------------------------------------------------------------------------
    def add(self, events: list[PatternEvent], *, on_bar: bool = False) -> None:
        """Take new events; `on_bar=True` for events decided on a closed bar (Battle Navale and the
        bar-based advanced patterns), which count for `bar_life` bars instead of decaying in time."""
        for e in events:
            if e.direction not in DIRS and e.family != "vix":
                continue
            if e.family == "vix":
                if e.direction in DIRS:
                    self._vix = e
            elif on_bar or e.family == "battle_navale":
                self._bars.append((self.bar_count, e))
            else:
                lst = self._timed.setdefault((e.family, e.direction), [])
                lst.append(e)
                if len(lst) > MAX_EVENTS_PER_KEY:
                    lst.sort(key=lambda x: x.strength * x.confidence * 2.0 ** (x.ts_us / self.p.half_life_us))
                    del lst[0]

    def on_bar_closed(self) -> None:
        """Call before adding the events of a newly closed bar."""
        self.bar_count += 1
        self._bars = [(k, e) for k, e in self._bars if self.bar_count - k < self.p.bar_life]

    # ---- scoring --------------------------------------------------------------------------------
    def _live(self, now_us: int) -> dict[str, dict[str, list[tuple[float, PatternEvent]]]]:
        """direction -> family -> [(decayed value, event)], pruning dead events."""
        p = self.p
        out: dict[str, dict[str, list[tuple[float, PatternEvent]]]] = {"long": {}, "short": {}}
        for key in list(self._timed):
            fam, d = key
            keep = []
            for e in self._timed[key]:
                age = max(0, now_us - e.ts_us)
                decay = 0.5 ** (age / p.half_life_us)
                if decay >= p.prune_below:
                    keep.append(e)
                    out[d].setdefault(fam, []).append((e.strength * e.confidence * decay, e))
            if keep:
                self._timed[key] = keep
            else:
                del self._timed[key]
        for _, e in self._bars:
            out[e.direction].setdefault(e.family, []).append((e.strength * e.confidence, e))
        if self._vix is not None:
            e = self._vix
            out[e.direction].setdefault("vix", []).append((e.strength * e.confidence, e))
        return out

    def _sums(self, terms: dict[str, dict[str, float]],
              d: str) -> tuple[float, int, float, float, float, float]:
        p = self.p
        o = "short" if d == "long" else "long"
        w = self.weights
        pos = sum(w[f] * t for f, t in terms[d].items())
        neg = sum(w[f] * t for f, t in terms[o].items())
        agree = sum(1 for t in terms[d].values() if t >= p.agree_min)
        bonus = p.three_family_bonus if agree >= p.bonus_families else 0.0
        raw = pos - p.opposite_penalty * neg + bonus
        return min(1.0, max(0.0, raw)), agree, pos, neg, bonus, raw

    def _explain(self, live: dict[str, dict[str, list[tuple[float, PatternEvent]]]],
                 terms: dict[str, dict[str, float]], d: str) -> tuple[dict[str, Any], list[PatternEvent]]:
        p = self.p
        o = "short" if d == "long" else "long"
        score, agree, pos, neg, bonus, raw = self._sums(terms, d)
        fam_rows = {f: {"weight": self.weights[f], "term": round(terms[d][f], 4),
                        "weighted": round(self.weights[f] * terms[d][f], 4),
                        "best": max(live[d][f], key=lambda x: x[0])[1].pattern}
                    for f in FAMILIES if f in terms[d]}
        opp_rows = {f: round(self.weights[f] * t, 4) for f, t in terms[o].items()}
        bd = {"families": fam_rows, "sum": round(pos, 4), "opposite": opp_rows,
              "opposite_sum": round(neg, 4), "penalty": round(-p.opposite_penalty * neg, 4),
              "agreeing_families": agree, "bonus": bonus, "raw": round(raw, 4), "score": round(score, 4),
              "formula": "Σ w·max(strength·confidence·decay) − 0.5·opposite + bonus, clamped 0–1"}
        evs = sorted((x for f in live[d] for x in live[d][f]), key=lambda x: -x[0])
        return bd, [e for v, e in evs[:MAX_LISTED] if v >= p.agree_min]

    def score(self, now_us: int) -> dict[str, tuple[float, int, dict[str, Any], list[PatternEvent]]]:
        """direction -> (score, agreeing families, breakdown, contributing events)."""
        live = self._live(now_us)
        terms = {d: {f: max(v for v, _ in live[d][f]) for f in live[d]} for d in DIRS}
        res = {}
        for d in DIRS:
            sc, agree, *_ = self._sums(terms, d)
            bd, evs = self._explain(live, terms, d)
            res[d] = (sc, agree, bd, evs)
        return res

    def tier(self, score: float, families: int) -> tuple[str, bool]:
        if score >= self.min_elite and families >= self.p.elite_families:
            return "elite", True
        return ("strong" if score >= self.p.strong else "watch"), False

    def evaluate(self, now_us: int) -> list[Decision]:
        if not self._timed and not self._bars and self._vix is None:
            if any(self._active.values()):
                self._active = {"long": False, "short": False}
            self.last_scores = {"long": 0.0, "short": 0.0}
            return []
        live = self._live(now_us)
        terms = {d: {f: max(v for v, _ in live[d][f]) for f in live[d]} for d in DIRS}
        out: list[Decision] = []
        for d in DIRS:
            score, agree, *_ = self._sums(terms, d)
            self.last_scores[d] = score
            if score < self.p.rearm_below:
                self._active[d] = False
                self._elite_done[d] = False
                continue
            tier, elite = self.tier(score, agree)
            upgrade = self._active[d] and elite and not self._elite_done[d]
            if (not self._active[d] and score >= self.p.watch) or upgrade:
                self._active[d] = True
                self._elite_done[d] = elite
                bd, evs = self._explain(live, terms, d)
                if upgrade:
                    bd["upgrade"] = True
                out.append(Decision(now_us, d, score, tier, elite, agree, tuple(evs), bd))
        return out
