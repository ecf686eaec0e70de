"""Colour maps as 256-entry RGBA lookup tables (uint8). Entry 0 is the empty cell.

Index 0 is reserved for "no liquidity" (the background shows through); indices 1..255 run from
the weakest to the strongest visible level. Every map is built by linear interpolation between a
few anchor colours, so no plotting library is needed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from mia_desktop.ui import theme

# (position 0..1, hex colour) anchors
_ANCHORS: dict[str, list[tuple[float, str]]] = {
    # Bookmap-like: deep navy -> blue -> light blue -> red -> orange -> yellow -> white (most of a
    # normal book stays blue; only notable size turns warm)
    "bookmap": [(0.0, "#040a1f"), (0.2, "#0b2a78"), (0.4, "#1560c8"), (0.56, "#2aa0e8"),
                (0.68, "#b8344e"), (0.78, "#f0441e"), (0.88, "#ff9f1c"), (0.95, "#ffe45c"), (1.0, "#ffffff")],
    # viridis-like
    "viridis": [(0.0, "#440154"), (0.25, "#3b528b"), (0.5, "#21918c"), (0.75, "#5ec962"),
                (1.0, "#fde725")],
    # grey ramp
    "grey": [(0.0, "#1a1d24"), (1.0, "#f4f6fa")],
    # inferno-like (black-purple-orange-yellow)
    "inferno": [(0.0, "#0d0829"), (0.3, "#5c126e"), (0.55, "#b5367a"), (0.75, "#f1731d"),
                (1.0, "#fcffa4")],
}

COLORMAP_NAMES: tuple[str, ...] = tuple(_ANCHORS)
DEFAULT_COLORMAP = "bookmap"


def _hex(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _build(anchors: list[tuple[float, str]]) -> npt.NDArray[np.uint8]:
    pos = np.array([a[0] for a in anchors])
    rgb = np.array([_hex(a[1]) for a in anchors], dtype=np.float64)
    x = np.linspace(0.0, 1.0, 255)
    lut = np.zeros((256, 4), dtype=np.uint8)
    for ch in range(3):
        lut[1:, ch] = np.clip(np.round(np.interp(x, pos, rgb[:, ch])), 0, 255)
    lut[1:, 3] = 255
    bg = _hex(theme.BG)
    lut[0, :3] = bg
    lut[0, 3] = 255
    return lut


_CACHE: dict[str, npt.NDArray[np.uint8]] = {}


def colormap_lut(name: str) -> npt.NDArray[np.uint8]:
    """(256, 4) uint8 RGBA table; unknown names raise KeyError naming the valid ones."""
    key = (name or DEFAULT_COLORMAP).lower()
    if key == "gray":
        key = "grey"
    if key not in _ANCHORS:
        raise KeyError(f"unknown colormap {name!r}; choose one of {', '.join(COLORMAP_NAMES)}")
    if key not in _CACHE:
        lut = _build(_ANCHORS[key])
        lut.flags.writeable = False
        _CACHE[key] = lut
    return _CACHE[key]
