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

from mia_desktop.market.instrument import BUILTIN
from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.synthetic import (
    PATTERN_BASE,
    PATTERN_COLS,
    PATTERN_ROWS,
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--renderer", default="gpu", choices=("gpu", "cpu"))
    ap.add_argument("--overlays", action="store_true")
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply_dark_theme(app)  # type: ignore[arg-type]
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
                      "full_uploads": getattr(r, "full_uploads", None),
                      "uploaded_columns": getattr(r, "uploaded_columns", None)}))
    v.shutdown()
    v.close()
    v.deleteLater()
    QApplication.processEvents()
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
