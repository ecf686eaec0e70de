"""Status bar panel: per instance connection state, message rate and data age; renderer; demo label.

How this works: the bridge calls `update_status` when a source reports a `SourceStatus` and
`update_stats` at display rate (4 Hz) with messages per second and data age. A reconnect countdown
is computed from the time the status arrived, so it keeps counting down between reports.
Short messages ("Alerts muted", "Restarted: …", the audio notice) go to the panel's own message
label (`show_message`), cleared by a single-shot timer: the panel fills the whole status bar as a
permanent widget, so QStatusBar.showMessage text would sit underneath it, never seen.
A rejected subscription shows the server's own text plus the way out (the Sierra Chart files
source), because Sierra Chart's DTC server refuses CME/CBOE market data by design.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from mia_desktop.market.events import SourceStatus
from mia_desktop.sources.dtc_client import REJECT_HINT as CLIENT_REJECT_HINT
from mia_desktop.ui.blotter_model import colors

REJECT_HINT = ("Sierra Chart's DTC server does not send CME/CBOE market data: use the "
               "Sierra Chart files source for this instance (Settings → Instances).")

STATE_COLOURS = {"connected": colors.LONG, "connecting": colors.WARN, "reconnecting": colors.WARN,
                 "rejected": colors.SHORT, "error": colors.SHORT, "stopped": colors.MUTED}


@dataclass(slots=True)
class _InstanceState:
    state: str = "connecting"
    text: str = ""
    retry_at: float | None = None      # monotonic time the next reconnect is due
    msgs_per_s: float = 0.0
    data_age_s: float | None = None


def describe(name: str, st: _InstanceState, now: float | None = None) -> tuple[str, str]:
    """(short label text, tooltip) for one instance."""
    now = time.monotonic() if now is None else now
    state = st.state
    if state == "rejected":
        server_text = (st.text or "market data refused").split(" — ")[0]   # the client may add a hint
        if len(server_text) > 90:
            server_text = server_text[:87] + "…"
        # the client adds its hint only to refusals of exchange data (not to "Unknown symbol")
        if CLIENT_REJECT_HINT not in (st.text or ""):
            return f"{name}: REJECTED — {server_text}", f"{name} rejected by the server: {st.text}"
        short = f"{name}: REJECTED — {server_text} — use the Sierra Chart files source"
        return short, f"{name} rejected by the server: {st.text}\n{REJECT_HINT}"
    if state == "reconnecting":
        left = max(0.0, (st.retry_at or now) - now)
        short = f"{name}: reconnecting in {left:.0f} s"
        return short + (f" ({st.text})" if st.text else ""), st.text
    if state == "error":
        return f"{name}: error — {st.text}", st.text
    if state == "connected":
        age = "—" if st.data_age_s is None else _age(st.data_age_s)
        return f"{name}: connected · {st.msgs_per_s:,.0f} msg/s · age {age}", st.text
    return f"{name}: {state}" + (f" — {st.text}" if st.text else ""), st.text


def _age(s: float) -> str:
    if s < 1.0:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.0f} min"


class StatusPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self._layout.setSpacing(14)
        self.demo_label = QLabel("DEMO (simulated market)")
        self.demo_label.setObjectName("demoLabel")
        self.demo_label.setStyleSheet(f"color: #111; background: {colors.ELITE}; padding: 0 6px; "
                                      "font-weight: bold; border-radius: 3px;")
        self.demo_label.setVisible(False)
        self.renderer_label = QLabel("")
        self.renderer_label.setObjectName("rendererLabel")
        self.renderer_label.setStyleSheet(f"color: {colors.MUTED};")
        self.message_label = QLabel("")
        self.message_label.setObjectName("statusMessage")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setVisible(False)
        self.message_level = "info"
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clear_message)
        self._layout.addWidget(self.demo_label)
        self._layout.addWidget(self.message_label)
        self._labels: dict[str, QLabel] = {}
        self._states: dict[str, _InstanceState] = {}
        self._layout.addWidget(self.renderer_label)

    # -- instances ----------------------------------------------------------------------------
    def set_instances(self, names: list[str]) -> None:
        for name in list(self._labels):
            if name not in names:
                self._labels.pop(name).deleteLater()
                self._states.pop(name, None)
        for name in names:
            if name not in self._labels:
                lbl = QLabel(self)
                lbl.setObjectName(f"status_{name}")
                lbl.setTextFormat(Qt.TextFormat.PlainText)
                lbl.setMinimumWidth(60)   # long texts are clipped, never widen the window
                lbl.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                self._layout.insertWidget(self._layout.count() - 1, lbl, 1)
                self._labels[name] = lbl
                self._states[name] = _InstanceState()
                self._refresh(name)

    def update_status(self, name: str, status: SourceStatus) -> None:
        if name not in self._labels:
            self.set_instances([*self._labels, name])
        st = self._states[name]
        st.state, st.text = status.state, status.text
        st.retry_at = (time.monotonic() + status.retry_in_s) if status.retry_in_s is not None else None
        self._refresh(name)

    def update_stats(self, name: str, msgs_per_s: float, data_age_s: float | None) -> None:
        st = self._states.get(name)
        if st is None:
            return
        st.msgs_per_s, st.data_age_s = msgs_per_s, data_age_s
        self._refresh(name)

    def refresh_all(self) -> None:
        for name in self._labels:
            self._refresh(name)

    def _refresh(self, name: str) -> None:
        st = self._states[name]
        text, tip = describe(name, st)
        lbl = self._labels[name]
        colour = STATE_COLOURS.get(st.state, colors.MUTED)
        if st.state == "connected" and st.data_age_s is not None and st.data_age_s > 10:
            colour = colors.WARN   # connected but the data has gone quiet
        if lbl.text() != text:
            lbl.setText(text)
        lbl.setToolTip(tip or text)
        lbl.setStyleSheet(f"color: {colour};")

    def text_for(self, name: str) -> str:
        return self._labels[name].text()

    def tooltip_for(self, name: str) -> str:
        return self._labels[name].toolTip()

    def state_of(self, name: str) -> str:
        return self._states[name].state

    # -- messages -----------------------------------------------------------------------------
    def show_message(self, text: str, ms: int = 4000, level: str = "info") -> None:
        """Show `text` for `ms` milliseconds (0: until replaced). level: info, warn or alert (an
        alert is drawn as a highlighted block, to be noticed like a sound would be)."""
        style = {"info": "",
                 "warn": f"color: {colors.WARN}; font-weight: bold;",
                 "alert": f"color: #111; background: {colors.WARN}; padding: 0 6px; "
                          "font-weight: bold; border-radius: 3px;"}.get(level, "")
        self.message_label.setStyleSheet(style)
        self.message_label.setText(text)
        self.message_label.setToolTip(text)
        self.message_label.setVisible(bool(text))
        self.message_level = level
        self._message_timer.stop()
        if ms > 0:
            self._message_timer.start(ms)

    def clear_message(self) -> None:
        self._message_timer.stop()
        self.message_label.setText("")
        self.message_label.setVisible(False)

    def message(self) -> str:
        return self.message_label.text()

    # -- renderer / demo ----------------------------------------------------------------------
    def set_renderer(self, text: str, note: str = "") -> None:
        """`note` says why (e.g. why the CPU path was picked); shown after the name and as tooltip."""
        short = note if len(note) <= 60 else note[:57] + "…"
        self.renderer_label.setText(f"Heatmap: {text}" + (f" — {short}" if short else ""))
        self.renderer_label.setToolTip(f"Heatmap renderer: {text}" + (f"\n{note}" if note else ""))

    def set_demo(self, on: bool) -> None:
        self.demo_label.setVisible(on)
