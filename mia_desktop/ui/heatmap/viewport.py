"""The visible window of a heatmap: time as column numbers (x), price as ticks (y). Pure logic.

x spans columns [x0, x1) (column g covers [g, g+1)); y spans ticks [y0, y1] (tick t covers
[t-0.5, t+0.5]). Auto-follow keeps the newest column near the right edge and re-centres price
when the mid leaves the middle 60 % of the window; any manual pan in time turns it off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ViewState:
    x0: float = 0.0
    x1: float = 3000.0
    y0: float = -80.0
    y1: float = 80.0
    follow: bool = True
    default_cols: int = 3000          # 5 minutes at 100 ms
    default_ticks: int = 100
    min_cols: float = 20.0
    max_cols: float = 36_000.0
    min_ticks: float = 8.0
    max_ticks: float = 1024.0
    right_margin: float = 0.06        # fraction of the width left empty right of the newest column
    start_cols: int = 200             # a short history is shown at least this wide ...
    auto_width: bool = True           # ... and widens with the history up to default_cols until
                                      # the user zooms time (then the width is theirs)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[float, float, float, float]:
        return self.x0, self.x1, self.y0, self.y1

    def fit_width(self, count: int) -> float:
        return float(min(max(count / (1.0 - self.right_margin), self.start_cols), self.default_cols))

    def reset(self, newest_g: int, mid: float | None, count: int | None = None) -> None:
        self.follow = True
        self.auto_width = True
        w = self.fit_width(count) if count is not None else float(self.default_cols)
        self.x1 = newest_g + 1 + w * self.right_margin
        self.x0 = self.x1 - w
        if mid is not None:
            h = float(self.default_ticks)
            self.y0, self.y1 = mid - h / 2, mid + h / 2

    def follow_to(self, newest_g: int, mid: float | None, count: int | None = None) -> bool:
        """Keep the newest column and the mid in view while following. True if the window moved."""
        if not self.follow:
            return False
        before = self.as_tuple()
        w = self.fit_width(count) if self.auto_width and count is not None else self.width
        self.x1 = newest_g + 1 + w * self.right_margin
        self.x0 = self.x1 - w
        if mid is not None:
            h = self.height
            lo, hi = self.y0 + 0.2 * h, self.y1 - 0.2 * h
            if not lo <= mid <= hi:
                self.y0, self.y1 = mid - h / 2, mid + h / 2
        return self.as_tuple() != before

    def zoom_time(self, factor: float, anchor: float | None = None) -> None:
        """factor > 1 zooms in (fewer columns). While following, the right edge stays pinned."""
        self.auto_width = False
        w = min(max(self.width / factor, self.min_cols), self.max_cols)
        if self.follow or anchor is None:
            self.x0 = self.x1 - w
            return
        frac = (anchor - self.x0) / self.width if self.width else 1.0
        self.x0 = anchor - frac * w
        self.x1 = self.x0 + w

    def zoom_price(self, factor: float, anchor: float | None = None) -> None:
        h = min(max(self.height / factor, self.min_ticks), self.max_ticks)
        if anchor is None:
            anchor = (self.y0 + self.y1) / 2
        frac = (anchor - self.y0) / self.height if self.height else 0.5
        self.y0 = anchor - frac * h
        self.y1 = self.y0 + h

    def pan_time(self, dcols: float) -> None:
        if dcols:
            self.follow = False
            self.x0 += dcols
            self.x1 += dcols

    def pan_price(self, dticks: float) -> None:
        self.y0 += dticks
        self.y1 += dticks
