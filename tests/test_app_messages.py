"""The app's own messages reach the eye: status-bar messages, the renderer's reason, a failed
screenshot that still quits."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys

from mia_desktop.app import AppController, run_in_qasync


def test_gpu_request_without_gl_says_why_and_audio_notice_is_shown_and_logged(qtbot, tmp_path,
                                                                             caplog) -> None:
    args = argparse.Namespace(config_dir=str(tmp_path), demo=False, quit_after=None, screenshot=None,
                              renderer="gpu")
    ctl = AppController(args)
    out: dict[str, str] = {}

    async def scenario() -> None:
        win = await ctl.start()
        try:
            win.show()
            label = win.status.renderer_label
            names = {p.heatmap.renderer_name for p in win.panes.values()}
            notes = {p.heatmap.renderer_note for p in win.panes.values()} - {""}
            out["text"], out["tip"] = label.text(), label.toolTip()
            if any("CPU" in n for n in names):   # offscreen: no OpenGL -> CPU, and the reason is shown
                assert notes, "the view picked CPU for a GPU request without saying why"
                assert any(n[:40] in out["tip"] for n in notes)
                assert " — " in out["text"]
            with caplog.at_level(logging.WARNING, logger="mia_desktop"):
                ctl._audio_unavailable("Audio alerts unavailable: no audio output device.")
            msg = win.status.message_label
            assert msg.isVisible() and "Audio alerts unavailable" in msg.text()
            assert sum("Audio alerts unavailable" in r.getMessage() for r in caplog.records) == 1
            ctl._alert_fallback("ES-123")
            assert "Alert (no audio): ES-123" in msg.text() and win.status.message_level == "alert"
        finally:
            await ctl.shutdown()

    run_in_qasync(scenario())
    assert "Heatmap:" in out["text"]


def test_quit_after_with_unwritable_screenshot_still_exits_nonzero(tmp_path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder", encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    cmd = [sys.executable, "-m", "mia_desktop", "--config-dir", str(tmp_path / "cfg"),
           "--quit-after", "2", "--screenshot", str(afile / "x.png")]
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=45)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0, err[-2000:]
    assert "screenshot" in err and "failed" in err
