"""`auto` size thresholds: scale the profile's absolute sizes to the session's own book.

How this works: once per `sample_every_us` (1 s) the displayed sizes of the first `depth_levels`
levels of both sides go into a bounded ring (the last `window_samples` samples); each threshold in
auto mode becomes `clamp(multiple × P90 of that ring, floor_fraction × absolute, absolute)`.
The absolute value is the cap: auto only eases a threshold on a thin market (the holiday ES hour's
levels are mostly 47–133 lots, far below a 1,000-lot wall), never makes it stricter than the
profile. Until `min_samples` samples exist the absolute values apply; after that the percentile
is recomputed every `recompute_every` samples (10 s), which is plenty for a session's size scale.
"""

from __future__ import annotations

import numpy as np

from mia_desktop.analysis.dom_common import DomFrame
from mia_desktop.analysis.params import AUTO_FIELDS, AutoParams, DomParams


class AutoThresholds:
    def __init__(self, base: DomParams, auto_fields: tuple[str, ...], p: AutoParams) -> None:
        self.base = base
        self.fields = tuple(f for f in auto_fields if f in AUTO_FIELDS)
        self.p = p
        width = 2 * base.depth_levels
        self._ring = np.full((p.window_samples, width), np.nan)
        self._n = 0
        self._next = 0
        self.p90: float | None = None
        self.current = base

    @property
    def enabled(self) -> bool:
        return bool(self.fields)

    def effective(self) -> dict[str, dict[str, float | str | None]]:
        """field -> {mode, absolute, effective} for the UI and the analyze summary."""
        return {f: {"mode": "auto" if f in self.fields else "absolute", "absolute": getattr(self.base, f),
                    "effective": getattr(self.current, f)} for f in AUTO_FIELDS}

    def sample(self, f: DomFrame) -> DomParams | None:
        """Feed one frame; returns new DomParams when the effective thresholds changed."""
        if not self.fields or f.now_us < self._next:
            return None
        self._next = f.now_us + self.p.sample_every_us
        n = self.base.depth_levels
        row = self._ring[self._n % self.p.window_samples]
        row[:] = np.nan
        b, a = f.sz[0][:n], f.sz[1][:n]
        row[: len(b)] = b
        row[n: n + len(a)] = a
        self._n += 1
        if self._n < self.p.min_samples or (self._n - self.p.min_samples) % max(1, self.p.recompute_every):
            return None
        data = self._ring if self._n >= self.p.window_samples else self._ring[: self._n]
        vals = data[~np.isnan(data)]
        if vals.size == 0:
            return None
        self.p90 = float(np.percentile(vals, self.p.percentile))
        changes: dict[str, float] = {}
        for name in self.fields:
            absolute = float(getattr(self.base, name))
            val = min(absolute, max(self.p.floor_fraction * absolute, self.p.multiple(name) * self.p90))
            changes[name] = round(val, 1)
        new = self.base.with_thresholds(depth_levels=self.base.depth_levels, **{
            k: changes.get(k, getattr(self.base, k)) for k in AUTO_FIELDS})
        if new == self.current:
            return None
        self.current = new
        return new
