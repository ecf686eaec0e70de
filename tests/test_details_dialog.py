"""Details dialog: patterns with evidence, score and sizing arithmetic, outcome, heatmap snapshot."""

from __future__ import annotations

import numpy as np
from signal_factory import make_signal

from mia_desktop.ui.blotter_model import BlotterRow
from mia_desktop.ui.details_dialog import DetailsDialog, HeatPatch, render_patch


def _patch(sig) -> HeatPatch:
    rows, cols = 80, 120
    sizes = np.zeros((rows, cols), np.float32)
    base = int(sig.entry / 0.25) - 40
    sizes[30:38, :] = 500.0      # a band of liquidity below the entry
    ts = np.linspace(sig.ts_us - 60_000_000, sig.ts_us + 60_000_000, cols).astype(np.int64)
    bid = np.full(cols, base + 39, np.float64)
    return HeatPatch(sizes, base, ts, 0.25, bid, bid + 1)


def test_details_show_the_signal(qtbot) -> None:
    dlg = DetailsDialog()
    qtbot.addWidget(dlg)
    sig = make_signal(3, direction="short", tier="elite", score=0.82)
    dlg.show_signal(sig, BlotterRow(sig, "stop", -200.0), _patch(sig))
    dlg.open()
    qtbot.waitExposed(dlg)
    assert dlg.isVisible() and not dlg.isModal()
    assert dlg.signal is sig
    assert "SHORT" in dlg.title.text() and "82%" in dlg.title.text()
    assert dlg.pattern_names() == ["iceberg", "long_down_up"]
    assert "ratio=3.4" in dlg.patterns.item(0, 6).text()          # evidence numbers
    score = dlg.score_label.text()                                  # score arithmetic
    assert "0.30 × 0.720 = 0.216  (iceberg)" in score and "→ score 0.820 → elite" in score
    sizing = dlg.sizing_label.text()                                # sizing and risk arithmetic
    assert "size = floor(2 × 1 (normal) × 0.86) = 2" in sizing
    assert "risk cap = floor(250 $ / (8 ticks × 12.5 $)) = 2" in sizing and "limited by score" in sizing
    assert "stop -200 $" in dlg.outcome_label.text()
    assert not dlg.heat_label.pixmap().isNull()


def test_heat_snapshot_has_liquidity_pixels() -> None:
    sig = make_signal(0)
    img = render_patch(_patch(sig), sig, 300, 160)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(160, img.bytesPerLine())[:, : 300 * 4]
    arr = arr.reshape(160, 300, 4)[:, :, :3]   # BGR, drop alpha
    # rows 30..38 of 80 from the bottom hold liquidity: bright pixels at that height
    y = int((80 - 34) / 80 * 160)
    assert arr[y, 40:260].max() > 150
    assert arr[5, 40:260].max() < 60   # empty price rows stay dark
