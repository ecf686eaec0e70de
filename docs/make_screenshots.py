"""Make the README's pictures from the running demo.

Writes docs/screenshots/main_window.png, details_dialog.png and settings.png:

    python docs/make_screenshots.py [--seconds 25] [--out docs/screenshots]

Runs the real app (demo: simulator -> built-in DTC server -> DTC client -> workers -> views) offscreen
in a temporary config folder, waits for signals, then grabs the main window, the details dialog of
the best signal so far, and the settings dialog.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

ROOT = Path(__file__).resolve().parents[1]


async def _shoot(out: Path, seconds: float, config_dir: str) -> int:
    from mia_desktop.app import AppController, grab

    args = argparse.Namespace(config_dir=config_dir, demo=True, quit_after=None, screenshot=None,
                              renderer=None)
    ctl = AppController(args)
    win = await ctl.start()
    win.resize(1600, 1000)
    t0 = time.monotonic()
    model = win.blotter.model
    # wait at least half the time for the heatmap to fill, then until an elite signal (or time is up)
    while time.monotonic() - t0 < seconds:
        await asyncio.sleep(0.5)
        elite = any(model.signal_at(r).elite for r in range(model.rowCount()))
        if elite and time.monotonic() - t0 > seconds / 2:
            break
    # a fresh demo has only seconds of history: frame the last ~minute and the simulated book's depth
    for pane in win.panes.values():
        hm = pane.heatmap
        if hasattr(hm, "zoom_time") and hasattr(hm, "view"):
            hm.zoom_time(hm.view.width / max(200.0, (time.monotonic() - t0) * 10 * 1.2))
            hm.zoom_price(hm.view.height / 44.0)
    await asyncio.sleep(0.5)
    out.mkdir(parents=True, exist_ok=True)
    made = 0
    if grab(win).save(str(out / "main_window.png")):
        made += 1
    rows = [model.signal_at(r) for r in range(model.rowCount())]
    if rows:
        best = max(rows, key=lambda s: (s.elite, s.score, s.ts_us))
        dlg = win.open_details(best)
        await asyncio.sleep(0.3)
        if dlg.grab().save(str(out / "details_dialog.png")):
            made += 1
        dlg.close()
    else:
        print("no signal arrived: details_dialog.png not made", file=sys.stderr)
    sd = ctl.open_settings()
    if sd is not None:
        sd.resize(900, 640)
        if not sd.instances_page.instances():
            sd.instances_page.add_instance()   # show a filled-in instance form (closed without applying)
        await asyncio.sleep(0.3)
        if sd.grab().save(str(out / "settings.png")):
            made += 1
        sd.close()
    ctl.request_quit()
    await ctl.shutdown()
    print(f"{made} screenshots in {out} ({model.rowCount()} signals after {time.monotonic() - t0:.0f} s)")
    return 0 if made == 3 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description="make docs/screenshots/*.png from the running demo")
    ap.add_argument("--seconds", type=float, default=25.0)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    a = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from mia_desktop.app import run_in_qasync
    from mia_desktop.ui import theme

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    theme.apply_dark_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        return int(run_in_qasync(_shoot(Path(a.out), a.seconds, tmp)))


if __name__ == "__main__":
    sys.exit(main())
