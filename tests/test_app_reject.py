"""A DTC server that refuses market data (as Sierra Chart does for CME): the status bar says so plainly."""

from __future__ import annotations

import argparse
import asyncio
import time

from mia_desktop.app import AppController, run_in_qasync
from mia_desktop.config.settings import InstanceConfig, Settings
from mia_desktop.engine.dtc_server import DtcServer
from mia_desktop.sources.sim_feed import SimulatorFeed
from mia_desktop.storage.settings_store import SettingsStore


def test_rejected_subscription_shows_server_text_and_files_hint(qtbot, tmp_path) -> None:
    refusal = "CME market data is not available over DTC"
    seen: dict[str, str] = {}

    async def scenario() -> None:
        server = DtcServer(SimulatorFeed(("ES",), vix=False), reject_symbols={"ES": refusal})
        port = await server.start()
        inst = InstanceConfig("ES live", instrument="ES", source="dtc", symbol="ES", port=port,
                              vix_source="none")
        SettingsStore(tmp_path).save(Settings(instances=(inst,)))
        ctl = AppController(argparse.Namespace(config_dir=str(tmp_path), demo=False, quit_after=None,
                                               screenshot=None, renderer="cpu"))
        win = await ctl.start()
        try:
            t0 = time.monotonic()
            while win.status.state_of("ES live") != "rejected" and time.monotonic() - t0 < 10:
                await asyncio.sleep(0.1)
            seen["state"] = win.status.state_of("ES live")
            seen["text"] = win.status.text_for("ES live")
            seen["tip"] = win.status.tooltip_for("ES live")
        finally:
            await ctl.shutdown()
            await server.close()

    run_in_qasync(scenario())
    assert seen["state"] == "rejected"
    assert refusal in seen["text"] and "Sierra Chart files source" in seen["text"]
    assert refusal in seen["tip"]
