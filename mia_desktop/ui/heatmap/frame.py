"""Everything one heatmap frame needs besides the stored cells, computed once per frame by the view."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mia_desktop.ui.heatmap.scale import ScaleParams, dequantize
from mia_desktop.ui.heatmap.store import HeatStore, Marker

# Normalise by the 99.5th percentile of visible non-empty cells: the top 0.5 % (walls) saturate.
NORM_QUANTILE = 0.995


@dataclass(slots=True)
class Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    norm: float
    params: ScaleParams
    colormap: str
    lut: npt.NDArray[np.uint8]                      # (256, 4) colormap
    trade_x: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    trade_y: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    trade_size: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    trade_buy: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    best_x: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    best_bid: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    best_ask: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    live_bid: int | None = None
    live_ask: int | None = None
    markers: list[tuple[float, Marker]] = field(default_factory=list)
    newest_g: int = -1
    stamp: float = 0.0                               # perf_counter when the frame was built

    def trade_diameters(self) -> npt.NDArray[np.float64]:
        """Bubble diameter in pixels: 3..25, by sqrt of size relative to the largest visible."""
        if not len(self.trade_size):
            return np.zeros(0)
        ref = max(float(self.trade_size.max()), 1.0)
        return 3.0 + 22.0 * np.sqrt(self.trade_size / ref)


def build_frame(store: HeatStore, view: tuple[float, float, float, float], params: ScaleParams,
                colormap: str, lut: npt.NDArray[np.uint8], *, max_trades: int = 4000,
                norm_quantile: float = NORM_QUANTILE) -> Frame:
    x0, x1, y0, y1 = view
    qmax = store.visible_max_q(x0, x1, y0, y1, norm_quantile)
    norm = max(float(dequantize(qmax)), 1.0)
    f = Frame(x0, x1, y0, y1, norm, params, colormap, lut)
    f.trade_x, f.trade_y, f.trade_size, f.trade_buy = store.visible_trades(x0, x1, y0, y1, max_trades)
    bx, bb, ba = store.best_series(x0, x1)
    f.best_x, f.best_bid, f.best_ask = bx, bb, ba
    f.live_bid, f.live_ask = store.live_bid, store.live_ask
    f.markers = store.visible_markers(x0, x1)
    f.newest_g = store.newest_g
    return f
