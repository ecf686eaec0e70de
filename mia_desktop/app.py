"""Start-up of the desktop app: QApplication, dark theme, logging, and the qasync event loop.

How this works: `run_gui(args)` (called by cli.py) creates the QApplication, installs the dark
theme, logging and the crash reporter, puts a qasync event loop on the GUI thread and runs
`AppController.run()` (controller.py) to completion, returning its exit code. Quitting is driven by
the controller, never by Qt's last-window-closed, so the asyncio loop is never stopped under a
pending shutdown. `run_in_qasync` runs one coroutine the same way over an existing QApplication
(tests, docs/make_screenshots.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from PySide6.QtWidgets import QApplication

from mia_desktop.__version__ import __version__
from mia_desktop.controller import AppController, app_icon, grab
from mia_desktop.storage.paths import AppPaths, app_paths

__all__ = ["AppController", "grab", "run_gui", "run_in_qasync"]

log = logging.getLogger(__name__)


def run_gui(args: argparse.Namespace) -> int:
    """Entry point from cli.py: the GUI. Returns the process exit code."""
    import qasync

    from mia_desktop.ui import theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("MIA Desktop")
    app.setApplicationVersion(__version__)
    app.setQuitOnLastWindowClosed(False)   # the controller decides when to quit (after a clean shutdown)
    app.setWindowIcon(app_icon())
    theme.apply_dark_theme(app)
    paths = app_paths(getattr(args, "config_dir", None)).ensure()
    _setup_logging(paths)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    controller = AppController(args)
    try:
        with loop:
            return int(loop.run_until_complete(controller.run()))
    except Exception as exc:
        log.exception("GUI failed")
        print(f"mia-desktop: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def run_in_qasync(coro: Any) -> Any:
    """Run one coroutine to completion on a qasync loop over the existing QApplication (tests,
    docs/make_screenshots.py). The loop is closed afterwards; the QApplication is left alone."""
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _setup_logging(paths: AppPaths) -> None:
    try:
        from mia_desktop import crash, logging_setup

        path = logging_setup.configure(paths.log_dir)
        crash.install(log_path=path)
        logging_setup.watch_first_frame()   # one log line at the first paint (start-up time)
    except Exception as exc:   # logging must never stop the app from starting
        print(f"mia-desktop: logging not configured: {exc}", file=sys.stderr)
