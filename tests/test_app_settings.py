"""Applying settings restarts only the instances that changed (real runners on the demo server)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses

from PySide6.QtCore import Qt
from signal_factory import make_signal

from mia_desktop.app import AppController, run_in_qasync
from mia_desktop.config.settings import InstanceConfig, Settings
from mia_desktop.storage.settings_store import SettingsStore
from mia_desktop.ui.blotter_model import colors


def test_apply_restarts_only_changed_instances(qtbot, tmp_path) -> None:
    a = InstanceConfig("A", instrument="ES", source="sim", symbol="ES", port=11099)
    b = InstanceConfig("B", instrument="NQ", source="sim", symbol="NQ", port=11199)
    SettingsStore(tmp_path).save(Settings(instances=(a, b)))
    ctl = AppController(argparse.Namespace(config_dir=str(tmp_path), demo=False, quit_after=None,
                                           screenshot=None, renderer="cpu"))

    async def scenario() -> None:
        win = await ctl.start()
        try:
            assert not ctl.demo and list(win.panes) == ["A", "B"]
            assert "DEMO" not in win.windowTitle()
            ra, rb = ctl.bridge.runner("A"), ctl.bridge.runner("B")
            # Ctrl+, opens the real dialog (non-modal); applying it unchanged restarts nothing
            win.act_settings.trigger()
            dlg = ctl._settings_dialog
            assert dlg is not None and dlg.isVisible()
            assert ctl.open_settings() is dlg      # a second Ctrl+, raises the same dialog
            assert dlg.apply()
            await asyncio.sleep(0.1)
            assert ctl.bridge.runner("A") is ra and ctl.bridge.runner("B") is rb
            dlg.close()
            new = dataclasses.replace(ctl.settings, instances=(a, dataclasses.replace(b, profile="scalping")))
            assert ctl.apply_settings(new, save=True) == {"B"}
            await ctl._restarting
            assert ctl.bridge.runner("A") is ra
            assert ctl.bridge.runner("B") is not rb and ctl.bridge.runner("B").cfg.profile == "scalping"
            assert SettingsStore(tmp_path).load().settings.instances[1].profile == "scalping"
            # mute (Ctrl+M) reaches the alert player; without audio an alert flashes its blotter row
            win.act_mute.setChecked(True)
            assert ctl.alert.settings.muted
            sig = make_signal(7, tier="elite")
            win.blotter.add_signals([sig])
            ctl._alert_fallback(sig.signal_id)
            row = win.blotter.model.row_of(sig.signal_id)
            bg = win.blotter.model.data(win.blotter.model.index(row, 0), Qt.ItemDataRole.BackgroundRole)
            assert bg.color().name() == colors.FLASH_BG
            assert "no audio" in win.status.message()   # the panel fills the bar: its own label
            # removing every instance goes back to the demo (ES, NQ)
            assert ctl.apply_settings(dataclasses.replace(new, instances=())) == {"A", "B", "ES", "NQ"}
            await ctl._restarting
            assert ctl.demo and list(win.panes) == ["ES", "NQ"] and "DEMO" in win.windowTitle()
        finally:
            await ctl.shutdown()

    run_in_qasync(scenario())
