"""DOM heatmap: shared numpy model (store, scale, viewport) and two renderers (OpenGL, pyqtgraph)."""
