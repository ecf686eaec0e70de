"""The app controller: start-up, wiring, settings changes and shutdown of one GUI session.

How this works: `start()` loads the settings (a corrupt file: defaults, a backup, and a banner
telling the user), opens the journal, builds the main window and the bridge, and starts one
`InstanceRunner` per enabled instance — or, on a fresh install (or `--demo`), the two demo
instances ES and NQ served by the built-in DTC server. `run()` then waits for the window to close
(or `--quit-after N`, which first saves `--screenshot`) and `shutdown()` stops everything in order:
bridge timers stop and drain (nothing produced is lost), clients log off, workers stop, the demo
server stops, the journal closes. Settings applied from the dialog restart only the instances
whose configuration changed. Everything runs on the qasync loop in the GUI thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QMessageBox, QWidget

from mia_desktop.__version__ import __version__
from mia_desktop.bridge import Bridge
from mia_desktop.config.settings import InstanceConfig, Settings
from mia_desktop.instances import DemoHub, InstanceRunner, call_with_accepted, demo_instances
from mia_desktop.storage.paths import AppPaths, app_paths
from mia_desktop.ui.details_dialog import HeatPatch, patch_from_history
from mia_desktop.ui.main_window import MainWindow, make_heatmap, window_title

log = logging.getLogger(__name__)


class AppController:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths: AppPaths = app_paths(getattr(args, "config_dir", None)).ensure()
        self.settings = Settings()
        self.demo = False
        self.store: Any = None
        self.journal: Any = None
        self.alert: Any = None
        self.window: MainWindow | None = None
        self.bridge: Bridge | None = None
        self.hub = DemoHub()
        self.instances: dict[str, InstanceConfig] = {}
        self.exit_code = 0
        self._done: asyncio.Future[None] | None = None
        self._settings_dialog: Any = None
        self._restarting: asyncio.Task[None] | None = None
        self.load_warning: str | None = None

    # -- start-up -----------------------------------------------------------------------------
    def _load_settings(self) -> None:
        from mia_desktop.storage.settings_store import SettingsStore

        self.store = SettingsStore(self.paths.config_dir)
        try:
            res = self.store.load()
            self.settings, self.load_warning = res.settings, res.warning
        except Exception as exc:   # the store reports corruption itself; anything else: defaults
            log.exception("settings load failed")
            self.settings = Settings()
            self.load_warning = f"Settings could not be read ({exc}); using defaults."
        renderer = getattr(self.args, "renderer", None)
        if renderer:
            self.settings = dataclasses.replace(
                self.settings, heatmap=dataclasses.replace(self.settings.heatmap, renderer=renderer))

    def _open_journal(self) -> str | None:
        try:
            from mia_desktop.storage.journal import Journal

            self.journal = Journal(self.paths.journal_file)
        except Exception as exc:
            log.exception("journal open failed")
            self.journal = None
            return f"The signal journal could not be opened ({exc}); signals are shown but not saved."
        return None

    def _make_alert_player(self) -> None:
        try:
            from mia_desktop.ui.alerts import AlertPlayer

            self.alert = _construct(AlertPlayer, settings=self.settings.alerts, parent=self.window)
        except Exception as exc:
            log.warning("alert player not available: %s", exc)
            self.alert = None

    def configs(self) -> list[InstanceConfig]:
        if self.demo:
            return list(demo_instances(self.settings.profile))
        return [c for c in self.settings.instances if c.enabled]

    async def start(self) -> MainWindow:
        self._load_settings()
        self.demo = bool(getattr(self.args, "demo", False)) or self.settings.is_demo
        journal_problem = self._open_journal()

        win = MainWindow(demo=self.demo)
        self.window = win
        win.setWindowIcon(app_icon())
        win.heatmap_factory = self._heatmap_for
        win.details_provider = self.heat_patch
        self._make_alert_player()
        bridge = Bridge(self.journal, self.alert, win)
        self.bridge = bridge
        self._wire(win, bridge)

        if self.journal is not None:
            try:
                win.blotter.load_history(self.journal.history(1000))
            except Exception as exc:
                log.exception("journal history failed")
                journal_problem = f"Journal history could not be read: {exc}"

        cfgs = self.configs()
        self.instances = {c.name: c for c in cfgs}
        win.set_instances([c.name for c in cfgs])
        for c in cfgs:
            self._start_instance(c)
        self._show_renderer()
        for text in (self.load_warning, journal_problem):
            if text:
                win.show_banner(text)
        if self.load_warning:
            box = QMessageBox(QMessageBox.Icon.Warning, "MIA Desktop — settings", self.load_warning,
                              QMessageBox.StandardButton.Ok, win)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        win.show()
        bridge.start()
        log.info("MIA Desktop %s started (%s): %s", __version__, "demo" if self.demo else "configured",
                 ", ".join(self.instances))
        return win

    def _heatmap_for(self, name: str) -> QWidget:
        from mia_desktop.instances import instrument_of

        cfg = self.instances.get(name)
        inst = instrument_of(cfg) if cfg is not None else None
        hm = make_heatmap(self.settings.heatmap, self.settings.heatmap.renderer, inst)
        changed = getattr(hm, "follow_changed", None)
        if changed is not None:   # the view's own Follow button / F key keeps the menu item in step
            changed.connect(self._follow_changed_in_view)
        return hm

    def _follow_changed_in_view(self, on: bool) -> None:
        if self.window is None:
            return
        act = self.window.act_follow
        if act.isChecked() != on and all(getattr(p.heatmap, "follow", on) == on
                                         for p in self.window.panes.values()):
            act.blockSignals(True)
            act.setChecked(on)
            act.blockSignals(False)

    def _show_renderer(self) -> None:
        assert self.window is not None
        panes = self.window.panes.values()
        names = {str(getattr(p.heatmap, "renderer_name", "none")) for p in panes}
        notes = {str(getattr(p.heatmap, "renderer_note", "") or "") for p in panes} - {""}
        self.window.status.set_renderer(" / ".join(sorted(names)) if names else "—",
                                        "; ".join(sorted(notes)))

    def _start_instance(self, cfg: InstanceConfig) -> None:
        assert self.bridge is not None and self.window is not None
        password = ""
        if cfg.source == "dtc" and cfg.username:
            with contextlib.suppress(Exception):
                from mia_desktop.storage.credentials import get_password

                password = get_password(cfg.name, cfg.username) or ""
        try:
            runner = InstanceRunner(cfg, self.settings, demo=self.hub, password=password)
        except Exception as exc:
            log.exception("%s: instance failed to build", cfg.name)
            from mia_desktop.market.events import SourceStatus

            self.window.status.update_status(cfg.name, SourceStatus(cfg.name, "error", f"{exc}"))
            return
        self.bridge.add(runner)
        runner.start()

    def _wire(self, win: MainWindow, bridge: Bridge) -> None:
        def hm(name: str) -> Any:
            pane = win.panes.get(name)
            return pane.heatmap if pane is not None else None

        bridge.columns_ready.connect(lambda n, cols: _call(hm(n), "add_columns", cols))
        bridge.history_reset.connect(lambda n, view: _call(hm(n), "load_history_view", view))
        bridge.trades_ready.connect(lambda n, tr: _call(hm(n), "add_trades", tr))
        bridge.best_changed.connect(lambda n, b, a: _call(hm(n), "set_best", b, a))
        bridge.vix_changed.connect(lambda v, r, m: _call(win.gauge, "set_reading", v, r or None,
                                                          m if r else None))
        bridge.patterns_ready.connect(self._on_patterns)
        bridge.signals_ready.connect(self._on_signals)
        bridge.outcome_changed.connect(lambda sid, o, p: win.blotter.model.set_outcome(sid, o, p))
        bridge.status_changed.connect(win.status.update_status)
        bridge.stats_changed.connect(win.status.update_stats)
        bridge.snapshot_ready.connect(self._on_snapshot)
        bridge.journal_failed.connect(win.show_banner)
        win.settings_requested.connect(self.open_settings)
        win.mute_toggled.connect(self.set_muted)
        win.follow_toggled.connect(self.set_follow)
        win.closing.connect(self.request_quit)
        if self.alert is not None:
            fb = getattr(self.alert, "fallback", None)
            if fb is not None:
                fb.connect(self._alert_fallback)
            told = getattr(self.alert, "audio_unavailable", None)
            if told is not None:   # said once by the player; the status bar keeps it a while
                told.connect(self._audio_unavailable)

    # -- view updates ---------------------------------------------------------------------------
    def _on_patterns(self, name: str, events: list[Any]) -> None:
        assert self.window is not None
        self.window.add_patterns(events)
        for ev in events:
            if ev.family == "vix":
                _call(self.window.gauge, "add_badge", ev.pattern)

    def _on_signals(self, signals: list[Any]) -> None:
        assert self.window is not None and self.bridge is not None
        self.window.blotter.add_signals(signals)
        for sig in signals:
            pane = self._pane_for(sig.instrument)
            if pane is None:
                continue
            runner = self.bridge.runner(pane.name)
            _call(pane.heatmap, "add_marker", sig.ts_us, runner.instrument.to_ticks(sig.entry), sig.direction,
                  sig.elite)

    def _pane_for(self, instrument: str) -> Any:
        assert self.window is not None and self.bridge is not None
        for name, pane in self.window.panes.items():
            if name in self.bridge.names and (name == instrument or
                                              self.bridge.runner(name).instrument.symbol == instrument):
                return pane
        return None

    def _on_snapshot(self, name: str, snap: Any) -> None:
        assert self.window is not None and self.bridge is not None
        if name not in self.bridge.names:
            return
        runner = self.bridge.runner(name)
        inst = runner.instrument
        dec = 2 if inst.tick_size < 1 else 0

        def px(t: int | None) -> str:
            return "—" if t is None else f"{inst.to_price(t):.{dec}f}"

        last = snap.trades[-1] if snap.trades else None
        parts = [name, f"bid {px(snap.best_bid)}", f"ask {px(snap.best_ask)}"]
        if last is not None:
            parts.append(f"last {px(last.price)}")
        if snap.book_problem:
            parts.append(f"⚠ {snap.book_problem}")
        src = {"sim": "sim→DTC", "dtc": "DTC", "scfiles": "SC files", "replay": "replay"}.get(
            runner.cfg.source, runner.cfg.source)
        parts.append(f"{runner.cfg.profile} · {src}")
        self.window.set_header(name, "   ".join(parts))

    def _audio_unavailable(self, text: str) -> None:
        """The player says this once; it is logged once and kept in the status bar a while."""
        log.warning("%s", text)
        if self.window is not None:
            self.window.flash_status(text, 15000, "warn")

    def _alert_fallback(self, text: str) -> None:
        assert self.window is not None
        self.window.flash_status(f"Alert (no audio): {text}", 6000, "alert")
        model = self.window.blotter.model
        if model.row_of(text) is not None:
            model.set_flash(text, True)
            QTimer.singleShot(3000, model, lambda: model.set_flash(text, False))

    # -- details: the heatmap around a signal ------------------------------------------------------
    def heat_patch(self, sig: Any) -> HeatPatch | QImage | None:
        """The minutes around a signal: the live view's own still picture when it has one, else a
        patch cut from the worker's history copy."""
        if self.window is None or self.bridge is None:
            return None
        pane = self._pane_for(sig.instrument)
        if pane is None:
            return None
        runner = self.bridge.runner(pane.name)
        t0, t1 = sig.ts_us - 180_000_000, sig.ts_us + 120_000_000
        snap = getattr(pane.heatmap, "snapshot_region", None)
        store = getattr(pane.heatmap, "store", None)
        if snap is not None and store is not None and store.count:
            ts = store.ordered_ts()
            if len(ts) and int(ts[0]) > sig.ts_us:
                snap = None   # the view no longer (or never) held those minutes: use the worker's history
        if snap is not None:
            img: QImage = snap(t0, t1, 720, 260, mark_ts_us=sig.ts_us,
                               price_ticks=runner.instrument.to_ticks(sig.entry))
            return img
        copy = getattr(runner.worker, "history_copy", None)
        if copy is None:
            return None
        return patch_from_history(copy(), sig, runner.instrument.tick_size)

    # -- actions ----------------------------------------------------------------------------------
    def set_muted(self, on: bool) -> None:
        if self.alert is None:
            return
        if hasattr(self.alert, "set_muted"):
            self.alert.set_muted(on)
        elif hasattr(self.alert, "set_settings"):
            self.alert.set_settings(dataclasses.replace(self.settings.alerts, muted=on))
        assert self.window is not None
        self.window.flash_status("Alerts muted" if on else "Alerts on")

    def set_follow(self, on: bool) -> None:
        assert self.window is not None
        for pane in self.window.panes.values():
            if hasattr(pane.heatmap, "set_follow"):
                pane.heatmap.set_follow(on)
            else:
                hm = dataclasses.replace(self.settings.heatmap, auto_follow=on)
                _call(pane.heatmap, "set_settings", hm)

    def open_settings(self) -> Any:
        assert self.window is not None
        old = self._settings_dialog
        if old is not None and shiboken6.isValid(old) and old.isVisible():
            old.raise_()              # one settings dialog at a time
            old.activateWindow()
            return old
        try:
            from mia_desktop.ui.settings_dialog import SettingsDialog
        except ImportError as exc:
            self.window.flash_status(f"Settings dialog not available: {exc}")
            return None
        dlg = _construct(SettingsDialog, settings=self.settings, parent=self.window, store=self.store,
                         player=self.alert)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.applied.connect(self.apply_settings)   # the dialog has saved the file (and the keyring)
        self._settings_dialog = dlg
        dlg.open()
        return dlg

    def apply_settings(self, new: Settings, *, save: bool = False) -> set[str]:
        """Take new settings (saved by the dialog, or here with save=True) and restart only the
        instances whose configuration changed. Returns the names restarted."""
        from mia_desktop.config.settings import changed_instances

        assert self.window is not None
        old = self.settings
        if save and self.store is not None:
            try:
                self.store.save(new)
            except Exception as exc:
                self.window.show_banner(f"Settings could not be saved: {exc}")
        self.settings = new
        if self.alert is not None and hasattr(self.alert, "set_settings"):
            self.alert.set_settings(new.alerts)
        for pane in self.window.panes.values():
            _call(pane.heatmap, "set_settings", new.heatmap)
        was_demo = self.demo
        self.demo = bool(getattr(self.args, "demo", False)) or new.is_demo
        if was_demo != self.demo:
            changed = set(self.instances) | {c.name for c in self.configs()}
        elif self.demo:   # the demo instances are built from the shared settings (profile, risk, …)
            changed = changed_instances(dataclasses.replace(old, instances=demo_instances(old.profile)),
                                        dataclasses.replace(new, instances=demo_instances(new.profile)))
        else:
            changed = changed_instances(old, new)
        self.window.setWindowTitle(_title(self.demo))
        self.window.status.set_demo(self.demo)
        if changed:
            self._restarting = asyncio.get_event_loop().create_task(self.restart(changed))
        return changed

    async def restart(self, names: set[str]) -> None:
        assert self.bridge is not None and self.window is not None
        for name in sorted(names):
            runner = self.bridge.remove(name) if name in self.bridge.names else None
            if runner is not None:
                await runner.stop()
        cfgs = self.configs()
        self.instances = {c.name: c for c in cfgs}
        kept_panes = set(self.window.panes)
        self.window.set_instances([c.name for c in cfgs])
        for c in cfgs:
            if c.name in names:
                if c.name in kept_panes:   # its history belonged to the old worker: start afresh
                    self.window.replace_heatmap(c.name)
                self._start_instance(c)
        if not any(c.source == "sim" for c in cfgs):
            self.hub.stop()
        self._show_renderer()
        self.window.flash_status(f"Restarted: {', '.join(sorted(names))}")

    # -- quitting ---------------------------------------------------------------------------------
    def request_quit(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    def screenshot(self, path: str | Path) -> bool:
        assert self.window is not None
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = grab(self.window).save(str(out))
        log.info("screenshot %s: %s", out, "saved" if ok else "FAILED")
        return bool(ok)

    def _quit_after(self) -> None:
        # runs in a timer slot: an exception here would be swallowed and the app would never quit
        shot = getattr(self.args, "screenshot", None)
        try:
            if shot and not self.screenshot(shot):
                self._screenshot_failed(shot, "the image could not be written")
        except Exception as exc:
            self._screenshot_failed(shot, f"{type(exc).__name__}: {exc}")
        finally:
            self.request_quit()

    def _screenshot_failed(self, shot: str | Path, why: str) -> None:
        log.error("screenshot %s failed: %s", shot, why)
        with contextlib.suppress(Exception):
            print(f"mia-desktop: screenshot {shot} failed: {why}", file=sys.stderr, flush=True)
        self.exit_code = 1

    async def run(self) -> int:
        self._done = asyncio.get_event_loop().create_future()
        await self.start()
        quit_after = getattr(self.args, "quit_after", None)
        if quit_after is not None:
            QTimer.singleShot(max(0, int(quit_after * 1000)), self._quit_after)
        await self._done
        await self.shutdown()
        return self.exit_code

    async def shutdown(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
            for name in list(self.bridge.names):
                runner = self.bridge.remove(name)
                if runner is not None:
                    await runner.stop()
        self.hub.stop()
        if self._restarting is not None and not self._restarting.done():
            self._restarting.cancel()
        if self.journal is not None:
            with contextlib.suppress(Exception):
                self.journal.close()
            self.journal = None
        if self.window is not None:
            self.window.closing.disconnect(self.request_quit)
            self.window.close()
            self.window.deleteLater()
        log.info("MIA Desktop stopped")


def grab(widget: QWidget) -> QImage:
    """A picture of a window, with GPU heatmaps' overlays included (the heatmap module knows how)."""
    try:
        from mia_desktop.ui.heatmap.view import grab_window
    except ImportError:
        return widget.grab().toImage()
    return grab_window(widget)


def _title(demo: bool) -> str:
    return window_title(demo)


def _call(obj: Any, method: str, *args: Any) -> None:
    fn = getattr(obj, method, None) if obj is not None else None
    if fn is not None:
        fn(*args)


def _construct(cls: Any, **kwargs: Any) -> Any:
    return call_with_accepted(cls, **kwargs)


def app_icon() -> QIcon:
    try:
        from importlib import resources

        data = resources.files("mia_desktop.resources").joinpath("icon.png").read_bytes()
        pix = QPixmap()
        pix.loadFromData(data)
        return QIcon(pix)
    except Exception:
        return QIcon()
