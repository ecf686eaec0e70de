"""Status panel: per-instance state, reject text with the Sierra Chart files hint, rates, demo label."""

from __future__ import annotations

from mia_desktop.market.events import SourceStatus
from mia_desktop.sources.dtc_client import reject_status_text
from mia_desktop.ui.status_panel import StatusPanel


def test_reject_shows_server_text_and_hint(qtbot) -> None:
    p = StatusPanel()
    qtbot.addWidget(p)
    p.set_instances(["ES", "NQ"])
    text = reject_status_text("", "ESH6", "CME market data is not allowed over DTC")   # as the client says it
    p.update_status("ES", SourceStatus("ES", "rejected", text))
    assert "REJECTED" in p.text_for("ES")
    assert "CME market data is not allowed over DTC" in p.text_for("ES")
    assert "Sierra Chart files" in p.text_for("ES")
    assert "Sierra Chart files source" in p.tooltip_for("ES")
    assert p.state_of("NQ") == "connecting"


def test_plain_reject_has_no_files_source_hint(qtbot) -> None:
    p = StatusPanel()
    qtbot.addWidget(p)
    p.set_instances(["XX"])
    text = reject_status_text("", "ZZZ", "Unknown symbol: ZZZ")
    p.update_status("XX", SourceStatus("XX", "rejected", text))
    assert "REJECTED — Unknown symbol: ZZZ" in p.text_for("XX")
    assert "Sierra Chart files" not in p.text_for("XX") + p.tooltip_for("XX")


def test_connected_rates_reconnect_countdown_and_demo(qtbot) -> None:
    p = StatusPanel()
    qtbot.addWidget(p)
    p.set_instances(["ES"])
    p.update_status("ES", SourceStatus("ES", "connected"))
    p.update_stats("ES", 1234.0, 0.05)
    assert "1,234 msg/s" in p.text_for("ES") and "50 ms" in p.text_for("ES")
    p.update_status("ES", SourceStatus("ES", "reconnecting", "connection refused", retry_in_s=4.0))
    assert "reconnecting in 4 s" in p.text_for("ES")
    p.set_demo(True)
    p.set_renderer("CPU (pyqtgraph)")
    assert not p.demo_label.isHidden() and "DEMO" in p.demo_label.text()
    assert "CPU" in p.renderer_label.text()
    p.set_instances([])
    assert "ES" not in p._labels


def test_messages_levels_and_renderer_note(qtbot) -> None:
    p = StatusPanel()
    qtbot.addWidget(p)
    p.show()
    p.show_message("Restarted: ES", 0)
    assert p.message() == "Restarted: ES" and p.message_label.isVisible()
    p.show_message("Audio alerts unavailable: no audio output device.", 0, "warn")
    assert "unavailable" in p.message_label.text() and p.message_level == "warn"
    p.clear_message()
    assert not p.message_label.isVisible() and p.message() == ""
    note = "GPU renderer requested but unavailable: no OpenGL context"
    p.set_renderer("CPU (pyqtgraph)", note)
    assert "CPU" in p.renderer_label.text() and "GPU renderer requested" in p.renderer_label.text()
    assert note in p.renderer_label.toolTip()
