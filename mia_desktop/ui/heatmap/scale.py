"""Size -> colour-index mapping shared by both renderers (pure numpy, mirrored in GLSL).

Sizes are stored once, quantised to one byte on a log scale (`quantize`): 0 = empty, 255 =
QMAX contracts. A frame then maps stored bytes to colour indices with the user's settings:

    x = qty / norm                       (linear)      norm = largest size visible now
    x = log(1 + K qty / norm) / log(1 + K)   (log, K = LOG_K = 6: a fifth of the largest is 0.5)
    y = (x - low_cut) / (high_cut - low_cut), clipped to 0..1; x <= low_cut or qty ~ 0 -> empty
    z = y ** (1 / contrast)              contrast > 1 lifts weak levels, < 1 keeps only strong ones
    index = 1 + round(254 * z)           index 0 = empty cell (background)

The CPU path evaluates this on the 256 possible bytes (`index_table`) and lets pyqtgraph's uint8
lookup path do the rest; the GPU path runs `GLSL_MAPPING` per fragment with the same uniforms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

QMAX = 65535.0
LOG_QMAX = math.log1p(QMAX)
LOG_K = 6.0
SCALE_MODES = ("log", "linear")


class ScaleError(ValueError):
    """Invalid colour-scale settings."""


@dataclass(frozen=True, slots=True)
class ScaleParams:
    mode: str = "log"
    low_cut: float = 0.0
    high_cut: float = 1.0
    contrast: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in SCALE_MODES:
            raise ScaleError(f"scale must be one of {SCALE_MODES}, got {self.mode!r}")
        if not (0.0 <= self.low_cut < self.high_cut <= 1.0):
            raise ScaleError(
                f"cut-offs need 0 <= low_cut < high_cut <= 1, got {self.low_cut!r}, {self.high_cut!r}")
        if not (0.05 <= self.contrast <= 20.0) or not math.isfinite(self.contrast):
            raise ScaleError(f"contrast must be within 0.05..20, got {self.contrast!r}")

    @classmethod
    def from_settings(cls, settings: object) -> ScaleParams:
        """Duck-typed: reads scale/low_cut/high_cut/contrast attributes when present."""
        return cls(
            mode=str(getattr(settings, "scale", "log")).lower(),
            low_cut=float(getattr(settings, "low_cut", 0.0)),
            high_cut=float(getattr(settings, "high_cut", 1.0)),
            contrast=float(getattr(settings, "contrast", 1.0)),
        )


def quantize(qty: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Sizes (any float/int array, negatives and NaN treated as 0) -> log-scaled bytes."""
    a = np.asarray(qty, dtype=np.float32)
    a = np.nan_to_num(a, nan=0.0, posinf=QMAX, neginf=0.0)
    np.maximum(a, 0.0, out=a)
    q = np.log1p(a) * np.float32(255.0 / LOG_QMAX) + np.float32(0.5)
    np.minimum(q, 255.0, out=q)
    return q.astype(np.uint8)


def dequantize(q: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.expm1(np.asarray(q, dtype=np.float64) * (LOG_QMAX / 255.0))


def level(qty: npt.ArrayLike, norm: float, params: ScaleParams) -> npt.NDArray[np.float64]:
    """0..1 colour position for each size; NaN where the cell is empty (below the lower cut)."""
    a = np.maximum(np.asarray(qty, dtype=np.float64), 0.0)
    norm = max(float(norm), 1.0)
    if params.mode == "linear":
        x = a / norm
    else:
        x = np.log1p(a * (LOG_K / norm)) / math.log1p(LOG_K)
    x = np.minimum(x, 1.0)
    y = np.clip((x - params.low_cut) / (params.high_cut - params.low_cut), 0.0, 1.0)
    z = y ** (1.0 / params.contrast)
    empty = (a < 0.5) | (x <= params.low_cut)
    return np.where(empty, np.nan, z)


def color_index(qty: npt.ArrayLike, norm: float, params: ScaleParams) -> npt.NDArray[np.uint8]:
    """Colour-table index per size: 0 = empty, 1..255 weakest..strongest."""
    z = level(qty, norm, params)
    idx = np.where(np.isnan(z), 0.0, 1.0 + np.floor(254.0 * np.nan_to_num(z) + 0.5))
    return idx.astype(np.uint8)


def index_table(norm: float, params: ScaleParams) -> npt.NDArray[np.uint8]:
    """Stored byte (0..255) -> colour index, for the current norm and settings."""
    table = color_index(dequantize(np.arange(256)), norm, params)
    table[0] = 0
    return table


def combined_lut(norm: float, params: ScaleParams, colormap: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Stored byte -> RGBA: what pyqtgraph's uint8 fast path needs (one table, no per-pixel work)."""
    return np.ascontiguousarray(colormap[index_table(norm, params)])


# GLSL twin of color_index on a stored byte; `qn` is the R8 texel in 0..1.
GLSL_MAPPING = f"""
const float LOG_QMAX = {LOG_QMAX:.9f};
const float LOG_K = {LOG_K:.6f};
uniform int u_log;          // 1 = log scale, 0 = linear
uniform float u_norm;       // largest visible size (contracts), >= 1
uniform float u_low;
uniform float u_high;
uniform float u_contrast;
int color_index(float qn) {{
    float q = floor(qn * 255.0 + 0.5);
    if (q < 0.5) return 0;
    float qty = exp(q * (LOG_QMAX / 255.0)) - 1.0;
    if (qty < 0.5) return 0;
    float x = (u_log == 1) ? log(1.0 + qty * (LOG_K / u_norm)) / log(1.0 + LOG_K) : qty / u_norm;
    x = min(x, 1.0);
    if (x <= u_low) return 0;
    float y = clamp((x - u_low) / (u_high - u_low), 0.0, 1.0);
    float z = pow(y, 1.0 / u_contrast);
    return 1 + int(floor(254.0 * z + 0.5));
}}
"""
