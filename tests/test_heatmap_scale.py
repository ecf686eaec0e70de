"""Size -> colour mapping (pure numpy) and colour maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mia_desktop.ui.heatmap.colormaps import COLORMAP_NAMES, colormap_lut
from mia_desktop.ui.heatmap.scale import (
    ScaleError,
    ScaleParams,
    color_index,
    combined_lut,
    dequantize,
    index_table,
    quantize,
)


def test_quantize_roundtrip_within_five_percent() -> None:
    sizes = np.array([1, 5, 50, 500, 5000, 50000], dtype=np.float64)
    back = dequantize(quantize(sizes))
    assert np.all(np.abs(back - sizes) / sizes < 0.05)
    assert quantize([0, -3, np.nan])[0] == 0 and quantize([-3])[0] == 0 and quantize([np.nan])[0] == 0
    assert quantize([1e9])[0] == 255


def test_linear_and_log_differ_and_are_monotonic() -> None:
    sizes = np.array([10, 100, 500, 1000], dtype=np.float64)
    lin = color_index(sizes, 1000, ScaleParams("linear"))
    log = color_index(sizes, 1000, ScaleParams("log"))
    assert list(lin) == sorted(lin) and list(log) == sorted(log)
    assert lin[-1] == log[-1] == 255          # the largest visible size is the top of the map
    assert log[1] > lin[1] + 30 and log[0] > lin[0]   # log lifts small levels well above linear
    assert color_index([0], 1000, ScaleParams())[0] == 0   # empty stays empty


def test_low_cut_hides_small_and_high_cut_saturates() -> None:
    p = ScaleParams("linear", low_cut=0.2, high_cut=0.5)
    idx = color_index([100, 199, 250, 500, 800, 1000], 1000, p)
    assert idx[0] == 0 and idx[1] == 0        # below 20 % of the max: not drawn
    assert 1 <= idx[2] < 255
    assert idx[3] == idx[4] == idx[5] == 255  # above the upper cut: saturated


def test_contrast_lifts_mid_levels() -> None:
    low = color_index([300], 1000, ScaleParams("linear", contrast=1.0))[0]
    high = color_index([300], 1000, ScaleParams("linear", contrast=3.0))[0]
    soft = color_index([300], 1000, ScaleParams("linear", contrast=0.5))[0]
    assert soft < low < high


def test_invalid_params_named_errors() -> None:
    with pytest.raises(ScaleError, match="scale must be"):
        ScaleParams("cubic")
    with pytest.raises(ScaleError, match="cut-offs"):
        ScaleParams(low_cut=0.6, high_cut=0.4)
    with pytest.raises(ScaleError, match="contrast"):
        ScaleParams(contrast=0.0)


def test_from_settings_duck_typed() -> None:
    class S:
        scale, low_cut, high_cut, contrast = "LINEAR", 0.1, 0.9, 2.0

    assert ScaleParams.from_settings(S()) == ScaleParams("linear", 0.1, 0.9, 2.0)
    assert ScaleParams.from_settings(object()) == ScaleParams()


def test_index_table_matches_direct_mapping() -> None:
    p = ScaleParams("log", 0.05, 0.95, 1.5)
    table = index_table(800.0, p)
    q = quantize([3, 40, 300, 800])
    assert np.array_equal(table[q], color_index(dequantize(q), 800.0, p))
    assert table[0] == 0
    lut = combined_lut(800.0, p, colormap_lut("bookmap"))
    assert lut.shape == (256, 4) and lut.dtype == np.uint8


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 1e5), st.floats(1, 1e5), st.sampled_from(["log", "linear"]),
       st.floats(0, 0.5), st.floats(0.55, 1.0), st.floats(0.1, 10))
def test_index_always_in_range(qty: float, norm: float, mode: str, lo: float, hi: float, c: float) -> None:
    idx = int(color_index([qty], norm, ScaleParams(mode, lo, hi, c))[0])
    assert 0 <= idx <= 255
    if qty < 0.5:
        assert idx == 0


def test_colormaps_exist_and_run_dark_to_bright() -> None:
    for name in ("bookmap", "viridis", "grey"):
        assert name in COLORMAP_NAMES
        lut = colormap_lut(name)
        assert lut.shape == (256, 4)
        lum = lut[1:, :3].astype(float) @ [0.299, 0.587, 0.114]
        assert lum[-1] > lum[0] + 100
    b = colormap_lut("bookmap")
    assert b[20, 2] > b[20, 0]        # weak levels are blue
    assert b[200, 0] > b[200, 2] + 100  # strong levels are red-orange
    assert b[255, :3].min() > 230     # the strongest are near white
    with pytest.raises(KeyError, match="unknown colormap"):
        colormap_lut("rainbow")


def test_settings_module_choices_are_all_supported() -> None:
    from mia_desktop.config import settings as cfg

    assert set(cfg.COLORMAPS) <= set(COLORMAP_NAMES)
    for name in cfg.COLORMAPS:
        assert colormap_lut(name).shape == (256, 4)
    assert set(cfg.SCALES) == {"log", "linear"}
    h = cfg.HeatmapSettings()
    assert ScaleParams.from_settings(h) == ScaleParams(h.scale, h.low_cut, h.high_cut, h.contrast)
    ScaleParams.from_settings(cfg.HeatmapSettings(contrast=0.1, low_cut=0.99, high_cut=1.0))
    ScaleParams.from_settings(cfg.HeatmapSettings(contrast=10.0))
