"""Signal details: the why behind one blotter row.

How this works: one non-modal dialog (its `open()` shows it without blocking the main window, so
the trader keeps watching the market) is reused for every click. `show_signal` fills it from the
`Signal` value itself — each contributing pattern with its evidence numbers, the score arithmetic
(`score_breakdown`), sizing and risk arithmetic (`sizing_breakdown`) — plus the paper outcome and a
`HeatPatch` (the minutes of heatmap around the signal) that the bridge cuts from the worker's history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mia_desktop.analysis.types import Signal
from mia_desktop.market.heatmap import NO_PRICE
from mia_desktop.market.timeutil import iso_utc
from mia_desktop.ui import theme
from mia_desktop.ui.blotter_model import BlotterRow, colors, outcome_text

FAMILY_WEIGHTS = {"dom": 0.30, "battle_navale": 0.25, "advanced": 0.25, "vix": 0.20}  # SIGNALS.md defaults


@dataclass(frozen=True, slots=True)
class HeatPatch:
    """A window of the heatmap: resting size (bid + ask) per price row and time column.

    Row i is price tick `base_tick + i`; column j ends at `ts_us[j]`.
    """

    sizes: npt.NDArray[np.float32]     # shape (rows, cols)
    base_tick: int
    ts_us: npt.NDArray[np.int64]       # shape (cols,)
    tick_size: float
    best_bid: npt.NDArray[np.float64] | None = None   # per column, ticks (NaN = unknown)
    best_ask: npt.NDArray[np.float64] | None = None
    ask_share: npt.NDArray[np.float32] | None = None  # ask / (bid + ask) per cell: colours bids vs asks


def _lut() -> npt.NDArray[np.uint32]:
    """256-entry ARGB lookup: near-black → deep blue → cyan → yellow → white (liquidity heat)."""
    stops = [(0.0, (10, 12, 20)), (0.25, (20, 40, 120)), (0.5, (0, 170, 200)), (0.75, (240, 220, 40)),
             (1.0, (255, 255, 255))]
    x = np.linspace(0.0, 1.0, 256)
    chans = []
    for c in range(3):
        chans.append(np.interp(x, [s[0] for s in stops], [s[1][c] for s in stops]).astype(np.uint32))
    return (0xFF000000 | (chans[0] << 16) | (chans[1] << 8) | chans[2]).astype(np.uint32)


_LUT = _lut()


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    c = QColor(hex_colour)
    return c.red(), c.green(), c.blue()


def render_patch(patch: HeatPatch, sig: Signal | None, width: int = 640, height: int = 260) -> QImage:
    """Draw the patch (log colour scale, price up) with best bid/ask, the signal marker and levels."""
    sizes = np.asarray(patch.sizes, dtype=np.float32)
    rows, cols = sizes.shape
    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor(10, 12, 20))
    if rows == 0 or cols == 0:
        return img
    scaled = np.log1p(np.maximum(sizes, 0.0))
    top = float(np.percentile(scaled[scaled > 0], 99)) if np.any(scaled > 0) else 1.0
    level = np.clip(scaled / max(top, 1e-9), 0.0, 1.0) ** 1.6   # quiet levels dark, big ones bright
    if patch.ask_share is None:
        argb = np.ascontiguousarray(_LUT[(level * 255).astype(np.uint8)[::-1, :]])   # row 0 = top price
    else:   # bids blue, asks red (theme colours), brightness = size
        share = np.clip(np.asarray(patch.ask_share, np.float32), 0.0, 1.0)
        bid_c, ask_c = np.array(_rgb(theme.BID), np.float32), np.array(_rgb(theme.ASK), np.float32)
        mixed = (bid_c * (1 - share[..., None]) + ask_c * share[..., None]) * level[..., None]
        rgb = np.maximum(mixed, np.array([10, 12, 20], np.float32)).astype(np.uint32)[::-1, :]
        argb = np.ascontiguousarray(0xFF000000 | (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
                                    ).astype(np.uint32)
    src = QImage(argb.data, cols, rows, cols * 4, QImage.Format.Format_ARGB32).copy()
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.drawImage(QRectF(0, 0, width, height), src)
    t0, t1 = int(patch.ts_us[0]), int(patch.ts_us[-1])

    def x_of(ts: int) -> float:
        return float((ts - t0) / max(1, t1 - t0) * (width - 1))

    def y_of(tick: float) -> float:
        return float((patch.base_tick + rows - 0.5 - tick) / rows * height)

    for line, colour in ((patch.best_bid, colors.LONG), (patch.best_ask, colors.SHORT)):
        if line is None:
            continue
        p.setPen(QPen(QColor(colour), 1.2))
        xs = np.linspace(0, width - 1, cols)
        prev: QPointF | None = None
        for j in range(cols):
            v = float(line[j])
            if math.isnan(v):
                prev = None
                continue
            pt = QPointF(xs[j], y_of(v))
            if prev is not None:
                p.drawLine(prev, pt)
            prev = pt
    if sig is not None:
        ts = patch.tick_size
        for price, colour, label in ((sig.entry, "#ffffff", "entry"), (sig.stop, colors.SHORT, "stop"),
                                     (sig.target, colors.LONG, "target")):
            y = y_of(price / ts)
            if 0 <= y <= height:
                p.setPen(QPen(QColor(colour), 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(0, y), QPointF(width, y))
                p.drawText(QPointF(4, y - 3), f"{label} {price:.2f}")
        x, y = x_of(sig.ts_us), y_of(sig.entry / ts)
        up = sig.direction == "long"
        d = 9.0
        base = y + d * 1.6 if up else y - d * 1.6   # long: ▲ under the entry, short: ▼ above it
        tri = QPolygonF([QPointF(x, y), QPointF(x - d, base), QPointF(x + d, base)])
        p.setPen(QPen(QColor("#000000"), 1))
        p.setBrush(QColor(colors.ELITE if sig.elite else (colors.LONG if up else colors.SHORT)))
        p.drawPolygon(tri)
    p.end()
    return img


def patch_from_history(view: Any, sig: Signal, tick_size: float, *, before_s: float = 180.0,
                       after_s: float = 120.0, rows: int = 96) -> HeatPatch | None:
    """Cut the minutes around a signal out of a HeatmapHistoryView (market/heatmap.py)."""
    if view is None or len(view) == 0:
        return None
    ts_end = np.asarray(view.ts_end)
    t0, t1 = sig.ts_us - int(before_s * 1e6), sig.ts_us + int(after_s * 1e6)
    sel = np.flatnonzero((ts_end >= t0) & (ts_end <= t1))
    if sel.size == 0:
        return None
    center = round(sig.entry / tick_size)
    base = center - rows // 2
    bid = np.zeros((rows, sel.size), np.float32)
    ask = np.zeros((rows, sel.size), np.float32)
    width = view.bid.shape[1]
    for j, col in enumerate(sel):   # a few thousand columns at most: a plain loop is fine here
        off = int(view.base[col]) - base
        s0, s1 = max(0, -off), min(width, rows - off)
        if s0 < s1:
            bid[s0 + off:s1 + off, j] = view.bid[col, s0:s1]
            ask[s0 + off:s1 + off, j] = view.ask[col, s0:s1]
    sizes = bid + ask
    share = np.divide(ask, sizes, out=np.zeros_like(sizes), where=sizes > 0)
    def best(a: Any) -> Any:
        v = np.asarray(a)[sel].astype(np.float64)
        v[np.asarray(a)[sel] == NO_PRICE] = np.nan
        return v

    return HeatPatch(sizes, base, ts_end[sel].astype(np.int64), tick_size, best(view.best_bid),
                     best(view.best_ask), share)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        # prices must keep their ticks (4807.75, not 4808): no significant-digit rounding above 1
        if abs(v) >= 1e6:
            return f"{v:,.0f}"
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) >= 1 else f"{v:.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def score_lines(sig: Signal) -> list[str]:
    """The score arithmetic, from the analyzer's breakdown (or rebuilt from the patterns if empty)."""
    bd = dict(sig.score_breakdown)
    fams = bd.get("families")
    if isinstance(fams, dict) and fams:
        lines = [str(bd.get("formula", "score = Σ w × max(strength × confidence × decay)"))]
        for fam, row in fams.items():
            if isinstance(row, dict):
                lines.append(f"  {fam:<14} {row.get('weight', 0):.2f} × {row.get('term', 0):.3f} = "
                             f"{row.get('weighted', 0):.3f}  ({row.get('best', '')})")
        lines.append(f"  {'sum':<14} {bd.get('sum', 0):.3f}")
        if bd.get("opposite_sum"):
            lines.append(f"  {'opposite':<14} {bd.get('opposite_sum', 0):.3f} → penalty "
                         f"{bd.get('penalty', 0):+.3f}")
        if bd.get("bonus"):
            lines.append(f"  {'bonus':<14} {bd.get('bonus', 0):+.2f} "
                         f"({bd.get('agreeing_families')} families agree)")
        lines.append(f"= {bd.get('raw', sig.score):.3f} → score {sig.score:.3f} → {sig.tier}"
                     + (" (upgraded)" if bd.get("upgrade") else ""))
        return lines
    if bd:
        return [f"{k}: {_fmt(v)}" for k, v in bd.items()] + [f"= score {sig.score:.3f} → {sig.tier}"]
    best: dict[str, float] = {}
    for ev in sig.patterns:
        if ev.direction == sig.direction:
            best[ev.family] = max(best.get(ev.family, 0.0), ev.strength * ev.confidence)
    lines = [f"{fam}: {FAMILY_WEIGHTS.get(fam, 0):.2f} × {v:.3f} = {FAMILY_WEIGHTS.get(fam, 0) * v:.3f}"
             for fam, v in best.items()]
    if len(best) >= 3:
        lines.append("+ 0.10 (≥ 3 families agree)")
    return [*lines, f"= score {sig.score:.3f} → {sig.tier} (decay not shown: no breakdown reported)"]


def sizing_lines(sig: Signal) -> list[str]:
    bd = dict(sig.sizing_breakdown)
    lines: list[str] = []
    if "regime_multiplier" in bd and "base_contracts" in bd:
        lines.append(f"size = floor({bd['base_contracts']} × {_fmt(bd['regime_multiplier'])} "
                     f"({bd.get('regime', '')}) × {_fmt(bd.get('score_factor', 1.0))}) = "
                     f"{bd.get('by_score', '?')}"
                     f"   [{bd.get('score_factor_formula', 'score factor')}]")
        lines.append(f"risk cap = floor({_fmt(bd.get('risk_per_trade_usd', 0))} $ / ({bd.get('stop_ticks')} "
                     f"ticks × {_fmt(bd.get('tick_value', 0))} $)) = {bd.get('risk_cap')}; "
                     f"max {bd.get('max_contracts')}")
        lines.append(f"contracts = {sig.contracts} (limited by {bd.get('limited_by', '?')})")
        atr = bd.get("atr14_ticks")
        atr_text = f"ATR14 {_fmt(atr)} ticks" if atr is not None else "ATR14 n/a: fewer than 14 closed bars"
        lines.append(f"stop = {bd.get('stop_formula', 'stop')} = {bd.get('stop_ticks')} ticks"
                     f" ({atr_text}); risk {_fmt(bd.get('risk_usd', 0))} $")
    else:
        lines = [f"{k}: {_fmt(v)}" for k, v in bd.items()]
    risk_pts = abs(sig.entry - sig.stop)
    reward_pts = abs(sig.target - sig.entry)
    rr = f", R {reward_pts / risk_pts:.1f}" if risk_pts > 0 else ""
    lines.append(f"entry {sig.entry:.2f} · stop {sig.stop:.2f} ({risk_pts:.2f} pts) · "
                 f"target {sig.target:.2f} ({reward_pts:.2f} pts{rr})")
    lines.append(f"contracts {sig.contracts} · VIX regime {sig.vix_regime} · risk state {sig.risk_state}")
    return lines


class DetailsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsDialog")
        self.setModal(False)
        self.resize(980, 780)
        self.signal: Signal | None = None
        mono = theme.tabular_font(9.0)

        self.title = QLabel()
        self.title.setObjectName("detailsTitle")
        tf = theme.tabular_font(13.0, bold=True)
        self.title.setFont(tf)
        self.subtitle = QLabel()
        self.subtitle.setStyleSheet(f"color: {colors.MUTED};")

        self.patterns = QTableWidget(0, 7)
        self.patterns.setHorizontalHeaderLabels(["Family", "Pattern", "Dir", "Price", "Strength", "Conf.",
                                                 "Evidence"])
        self.patterns.verticalHeader().setVisible(False)
        self.patterns.horizontalHeader().setStretchLastSection(True)
        self.patterns.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.patterns.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.patterns.setFont(mono)

        self.score_label = QLabel()
        self.sizing_label = QLabel()
        self.outcome_label = QLabel()
        for lbl in (self.score_label, self.sizing_label, self.outcome_label):
            lbl.setFont(mono)
            lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lbl.setWordWrap(True)
        self.heat_label = QLabel("no heatmap history for this signal")
        self.heat_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heat_label.setMinimumHeight(200)

        grid = QGridLayout()
        grid.addWidget(self._box("Score arithmetic", self.score_label), 0, 0)
        grid.addWidget(self._box("Sizing and risk", self.sizing_label), 0, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.outcome_label)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.subtitle)
        layout.addWidget(self._box("Contributing patterns", self.patterns), 2)
        layout.addLayout(grid)
        layout.addWidget(self._box("Heatmap around the signal", self.heat_label), 3)
        layout.addWidget(buttons)

    @staticmethod
    def _box(title: str, w: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(w)
        return box

    def open(self) -> None:
        """Show without blocking anything (QDialog.open() would make it window-modal)."""
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.show()
        self.raise_()
        self.activateWindow()

    def show_signal(self, sig: Signal, row: BlotterRow | None = None,
                    heat: HeatPatch | QImage | None = None) -> None:
        self.signal = sig
        long = sig.direction == "long"
        colour = colors.LONG if long else colors.SHORT
        when = datetime.fromtimestamp(sig.ts_us / 1e6).strftime("%H:%M:%S")
        self.setWindowTitle(f"Signal {sig.instrument} {sig.direction} {when}")
        self.title.setText(f"{sig.instrument}  {sig.direction.upper()}  {sig.tier.upper()}  "
                           f"{sig.score * 100:.0f}%  @ {sig.entry:.2f}")
        self.title.setStyleSheet(f"color: {colors.ELITE if sig.elite else colour};")
        self.subtitle.setText(f"{iso_utc(sig.ts_us)} · id {sig.signal_id or '—'} · "
                              f"VIX regime {sig.vix_regime}")

        self.patterns.setRowCount(len(sig.patterns))
        for r, ev in enumerate(sig.patterns):
            cells = (ev.family, ev.pattern, ev.direction, f"{ev.price:.2f}", f"{ev.strength:.2f}",
                     f"{ev.confidence:.2f}", _fmt(ev.evidence))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2:
                    item.setForeground(QColor(colors.LONG if ev.direction == "long" else
                                              colors.SHORT if ev.direction == "short" else colors.MUTED))
                if c == 6:
                    item.setToolTip("\n".join(f"{k} = {_fmt(v)}" for k, v in ev.evidence.items()))
                self.patterns.setItem(r, c, item)
        self.score_label.setText("\n".join(score_lines(sig)))
        self.sizing_label.setText("\n".join(sizing_lines(sig)))
        self.set_outcome(row)
        self.set_heat(heat)

    def set_outcome(self, row: BlotterRow | None) -> None:
        if row is None:
            self.outcome_label.setText("paper: open")
            self.outcome_label.setStyleSheet(f"color: {colors.MUTED};")
            return
        self.outcome_label.setText(f"paper: {outcome_text(row)}")
        good = row.pnl_usd is not None and row.pnl_usd >= 0
        colour = colors.MUTED if row.pnl_usd is None else (colors.LONG if good else colors.SHORT)
        self.outcome_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def set_heat(self, heat: HeatPatch | QImage | None) -> None:
        """A heatmap picture (the live view's own `snapshot_region`) or a patch cut from history."""
        if isinstance(heat, QImage) and not heat.isNull():
            self.heat_label.setPixmap(QPixmap.fromImage(heat))
            return
        if not isinstance(heat, HeatPatch) or heat.sizes.size == 0:
            self.heat_label.setPixmap(QPixmap())
            self.heat_label.setText("no heatmap history for this signal")
            return
        self.heat_label.setPixmap(QPixmap.fromImage(render_patch(heat, self.signal, 700, 240)))

    def pattern_names(self) -> list[str]:
        items = (self.patterns.item(r, 1) for r in range(self.patterns.rowCount()))
        return [it.text() for it in items if it is not None]
