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
"""
