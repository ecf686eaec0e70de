"""Render the heatmap test pattern with one renderer into a PNG (GL check under Xvfb).

    python -m mia_desktop.ui.heatmap.gl_selftest OUT.png [--renderer gpu|cpu] [--overlays]

Exit 0 and one JSON line (renderer, size, texture columns uploaded) on success; exit 2 when the
requested renderer is not what ran (e.g. no OpenGL), 1 on any other failure. The test compares
the GPU picture with the CPU one of the same pattern, cell by cell.
"""

from __future__ import annotations

import argparse
import json
import sys

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from mia_desktop.engine.snapshot import HeatColumn
from mia_desktop.market.instrument import BUILTIN
from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.synthetic import (
    PATTERN_BASE,
    PATTERN_COLS,
    PATTERN_ROWS,
    market_session,
    test_pattern_columns,
    test_pattern_trades,
)
from mia_desktop.ui.heatmap.view import HeatmapView

# The ring holds 300 columns, so the 400-column pattern wraps; the window shows what is kept.
PATTERN_CAPACITY = 300
PATTERN_VIEW = (float(PATTERN_COLS - PATTERN_CAPACITY), float(PATTERN_COLS),
                PATTERN_BASE - 0.5, PATTERN_BASE + PATTERN_ROWS - 0.5)
FIRST_BATCH = 330   # columns before the first frame; the rest arrive as an incremental upload


def pattern_view(renderer: str, overlays: bool = False, w: int = 900, h: int = 540) -> HeatmapView:
    """A standalone view for the test pattern, window fixed on the kept columns."""
    v = HeatmapView(BUILTIN["ES"], renderer=renderer, rows=256, capacity=PATTERN_CAPACITY)
    v.set_follow(False)
    v.resize(w, h)
    return v


def _frame(v: HeatmapView) -> None:
    v.set_follow(False)
    v.view.x0, v.view.x1, v.view.y0, v.view.y1 = PATTERN_VIEW
    v._dirty = True
    v.render_now()


def render_cells(v: HeatmapView, overlays: bool = False) -> QImage:
    """Feed the pattern in two batches (full upload, then only new columns) and grab the
    renderer's picture (no axes): the same pixel geometry on both paths."""
    cols = test_pattern_columns(with_best=overlays)
    v.show()
    v.add_columns(cols[:FIRST_BATCH])
    _frame(v)
    w = v.renderer.widget
    if hasattr(w, "grabFramebuffer"):
        w.grabFramebuffer()
    QApplication.processEvents()
    v.add_columns(cols[FIRST_BATCH:])
    if overlays:
        v.add_trades(test_pattern_trades())
    _frame(v)
    w = v.renderer.widget
    img = w.grabFramebuffer() if hasattr(w, "grabFramebuffer") else w.grab().toImage()
    return img.convertToFormat(QImage.Format.Format_RGB32)


DRIFT_COLS = 900       # market scenario: columns fed, price drifting up 1 tick per 3 columns
DRIFT_CAPACITY = 600


def drifting_market() -> list[HeatColumn]:
    """Market-like columns whose price climbs ~300 ticks: the 256-row grid must re-anchor."""
    cols, _ = market_session(DRIFT_COLS, seed=11, levels=40)
    out = []
    for c in cols:
        k = c.seq // 3
        out.append(HeatColumn(c.seq, c.ts_us, c.base_tick + k, c.bid, c.ask, c.buy, c.sell,
                              None if c.best_bid is None else c.best_bid + k,
                              None if c.best_ask is None else c.best_ask + k))
    return out


def market_view_range() -> tuple[float, float, float, float]:
    last = drifting_market()[-1]
    mid = float(last.best_bid or 0)
    return float(DRIFT_COLS - DRIFT_CAPACITY), float(DRIFT_COLS), mid - 80, mid + 80


def render_market(v: HeatmapView) -> QImage:
    """Feed the drifting market in chunks with a frame after each (incremental uploads and
    re-anchors with full re-uploads), then grab the cells of the last 600 columns."""
    v.show()
    cols = drifting_market()
    x0, x1, y0, y1 = market_view_range()
    for i in range(0, len(cols), 150):
        v.add_columns(cols[i:i + 150])
        v.set_follow(False)
        v.view.x0, v.view.x1, v.view.y0, v.view.y1 = x0, x1, y0, y1
        v._dirty = True
        v.render_now()
        w = v.renderer.widget
        if hasattr(w, "grabFramebuffer"):
            w.grabFramebuffer()
        QApplication.processEvents()
    w = v.renderer.widget
    img = w.grabFramebuffer() if hasattr(w, "grabFramebuffer") else w.grab().toImage()
    return img.convertToFormat(QImage.Format.Format_RGB32)


def market_view(renderer: str, w: int = 900, h: int = 540) -> HeatmapView:
    v = HeatmapView(BUILTIN["ES"], renderer=renderer, rows=256, capacity=DRIFT_CAPACITY)
    v.set_follow(False)
    v.resize(w, h)
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--renderer", default="gpu", choices=("gpu", "cpu"))
    ap.add_argument("--overlays", action="store_true")
    ap.add_argument("--scenario", default="pattern", choices=("pattern", "market"))
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply_dark_theme(app)  # type: ignore[arg-type]
    if args.scenario == "market":
        v = market_view(args.renderer)
        img = render_market(v)
    else:
        v = pattern_view(args.renderer, args.overlays)
        img = render_cells(v, args.overlays)
    QApplication.processEvents()
    name = v.renderer_name
    ok = name.startswith("GPU") == (args.renderer == "gpu")
    if not img.save(args.out):
        print(json.dumps({"error": f"could not write {args.out}"}))
        return 1
    r = v.renderer
    print(json.dumps({"renderer": name, "note": v.renderer_note, "width": img.width(), "height": img.height(),
                      "reanchors": v.store.counters.reanchors,
                      "full_uploads": getattr(r, "full_uploads", None),
                      "uploaded_columns": getattr(r, "uploaded_columns", None)}))
    v.shutdown()
    v.close()
    v.deleteLater()
    QApplication.processEvents()
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
