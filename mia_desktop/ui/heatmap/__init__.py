"""DOM heatmap: shared numpy model (store, scale, viewport) and two renderers (OpenGL, pyqtgraph).

Use (all on the GUI thread)::

    view = HeatmapView(instrument, settings.heatmap)      # settings duck-typed (HeatmapSettings)
    view.add_columns(snapshot.columns)                   # HeatColumn iterable, in seq order
    view.add_trades(snapshot.trades)                     # Trade iterable
    view.set_best(snapshot.best_bid, snapshot.best_ask)  # ticks or None
    view.add_marker(sig.ts_us, entry_ticks, "long", elite=True)
    view.load_history_view(worker.history_copy())        # after a gap in HeatColumn.seq
    view.renderer_name                                   # "GPU (OpenGL 4.6)" / "CPU (pyqtgraph)"
    view.snapshot_region(t0_us, t1_us, 720, 260, mark_ts_us=sig.ts_us, price_ticks=entry)
    view.shutdown()                                      # before deleting the view / at exit

Modules: store (ring on an absolute tick grid), scale (size -> colour index, GLSL twin),
colormaps, viewport (visible window), frame (per-frame data), cpu_renderer, gl_renderer,
gl_probe, overlay (QPainter trades/lines/markers), ladder_axis, navigation, snapshot,
synthetic (test pattern / market-like data), gl_selftest (GL check under Xvfb).

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so the
numpy-only model (store, scale) can be used without loading Qt or OpenGL.
"""

from __future__ import annotations

from mia_desktop._lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "HeatmapView": "view",
    "HeatStore": "store",
    "Marker": "store",
    "ScaleError": "scale",
    "ScaleParams": "scale",
    "ViewState": "viewport",
    "Frame": "frame",
    "build_frame": "frame",
    "CpuRenderer": "cpu_renderer",
    "GlRenderer": "gl_renderer",
    "GlSetupError": "gl_renderer",
    "gl_available": "gl_probe",
    "colormap_lut": "colormaps",
    "render_region": "snapshot",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
