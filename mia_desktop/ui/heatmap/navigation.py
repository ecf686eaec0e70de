"""Mouse and keyboard navigation of a HeatmapView (mixed into the view).

Wheel zooms time around the cursor (Ctrl/Shift + wheel: price), left-drag pans both ways,
double-click resets; keys: +/- zoom time, PgUp/PgDn zoom price, arrows pan, F toggles follow,
Home resets. Hovering shows price, exchange time and resting size of the cell under the mouse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from mia_desktop.market.instrument import format_price
from mia_desktop.ui.heatmap.scale import dequantize


class NavigationMixin:
    # provided by HeatmapView
    renderer: Any
    view: Any
    store: Any
    tick_size: float
    readout: Any
    _drag: QPointF | None

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        t = ev.type()
        if t == QEvent.Type.Wheel:
            self._wheel(ev)  # type: ignore[arg-type]
            return True
        if t == QEvent.Type.MouseButtonDblClick:
            self.reset_view()
            return True
        if t == QEvent.Type.MouseButtonPress and ev.button() == Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            self._drag = ev.position()  # type: ignore[attr-defined]
            self.setFocus()  # type: ignore[attr-defined]
            return True
        if t == QEvent.Type.MouseMove and self._drag is not None:
            self._drag_to(ev)  # type: ignore[arg-type]
            return True
        if t == QEvent.Type.MouseButtonRelease and self._drag is not None:
            self._drag = None
            return True
        if t == QEvent.Type.MouseMove:
            self.readout.setText(self.describe_at(ev.position()))  # type: ignore[attr-defined]
            self.readout.adjustSize()
            self.readout.show()
            self.readout.raise_()
        elif t == QEvent.Type.Leave:
            self.readout.hide()
        return bool(super().eventFilter(obj, ev))  # type: ignore[misc]

    def describe_at(self, pos: QPointF) -> str:
        """Hover read-out: price, exchange time and resting size of the cell under `pos`."""
        g, y = self._data_at(pos)
        tick = int(np.floor(y + 0.5))
        st = self.store
        parts = [format_price(tick, self.tick_size)]
        ts = st.ts_for_g(g)
        if ts is not None and st.anchor is not None:
            parts.append(datetime.fromtimestamp(ts / 1e6, tz=UTC).strftime("%H:%M:%S.%f")[:-5])
            row = tick - st.anchor
            if 0 <= row < st.rows:
                size = float(dequantize(st.q[int(np.floor(g)) % st.capacity, row]))
                parts.append(f"size ≈ {size:,.0f}" if size >= 0.5 else "no size")
        return "   ".join(parts)

    def _data_at(self, pos: QPointF) -> tuple[float, float]:
        w = max(self.renderer.widget.width(), 1)
        h = max(self.renderer.widget.height(), 1)
        v = self.view
        return v.x0 + pos.x() / w * v.width, v.y1 - pos.y() / h * v.height

    def _wheel(self, ev: QWheelEvent) -> None:
        steps = ev.angleDelta().y() / 120.0
        if not steps:
            return
        x, y = self._data_at(ev.position())
        factor = 1.2 ** steps
        if ev.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            self.zoom_price(factor, y)
        else:
            self.zoom_time(factor, x)

    def _drag_to(self, ev: QMouseEvent) -> None:
        assert self._drag is not None
        pos = ev.position()
        dx, dy = pos.x() - self._drag.x(), pos.y() - self._drag.y()
        self._drag = pos
        w = max(self.renderer.widget.width(), 1)
        h = max(self.renderer.widget.height(), 1)
        if dx:
            self.pan_time(-dx / w * self.view.width)
        if dy:
            self.pan_price(dy / h * self.view.height)

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        k = ev.key()
        K = Qt.Key
        v = self.view
        if k in (K.Key_Plus, K.Key_Equal):
            self.zoom_time(1.25)
        elif k in (K.Key_Minus, K.Key_Underscore):
            self.zoom_time(0.8)
        elif k == K.Key_PageUp:
            self.zoom_price(1.25)
        elif k == K.Key_PageDown:
            self.zoom_price(0.8)
        elif k == K.Key_Up:
            self.pan_price(v.height * 0.1)
        elif k == K.Key_Down:
            self.pan_price(-v.height * 0.1)
        elif k == K.Key_Left:
            self.pan_time(-v.width * 0.1)
        elif k == K.Key_Right:
            self.pan_time(v.width * 0.1)
        elif k == K.Key_F:
            self.set_follow(not v.follow)
        elif k == K.Key_Home:
            self.reset_view()
        else:
            super().keyPressEvent(ev)  # type: ignore[misc]

