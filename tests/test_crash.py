"""Crash reporter: exceptions in Qt slots, threads and asyncio are logged; one dialog per window."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, qWarning
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from mia_desktop import crash, logging_setup

pytestmark = pytest.mark.qt_no_exception_capture


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    path = logging_setup.configure(tmp_path, console=False, redirect=False)
    yield path
    crash.uninstall()
    logging_setup.shutdown()


def _boom_slot() -> None:
    raise ZeroDivisionError("division by zero in a timer slot")


def _raise_in_timer(qtbot, rep: crash.CrashReporter, n_reports: int) -> None:
    QTimer.singleShot(0, _boom_slot)
    qtbot.waitUntil(lambda: len(rep.reports) >= n_reports, timeout=3000)
    qtbot.wait(20)  # let the queued dialog request run


def test_slot_exception_shows_one_dialog_then_throttles(qtbot, logged: Path) -> None:
    clock = FakeClock()
    rep = crash.install(log_path=logged, throttle_s=30.0)
    rep._clock = clock
    _raise_in_timer(qtbot, rep, 1)
    qtbot.waitUntil(lambda: rep.dialogs_shown == 1, timeout=3000)
    dlg = rep.dialog
    assert dlg.isVisible()
    assert "ZeroDivisionError: division by zero in a timer slot" in dlg.summary_label.text()
    assert str(logged) in dlg.log_label.text()

    clock.t += 5  # within the throttle window: logged, not shown
    _raise_in_timer(qtbot, rep, 2)
    assert rep.dialogs_shown == 1 and rep.suppressed == 1
    assert dlg.more_label.isVisible() and "1 more error" in dlg.more_label.text()

    # the app keeps running: the event loop still delivers timers
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: fired == [True], timeout=3000)
    assert QApplication.instance() is not None

    text = logged.read_text(encoding="utf-8")
    assert text.count("uncaught exception in MainThread: ZeroDivisionError") == 2
    assert "Traceback (most recent call last)" in text and "_boom_slot" in text
    dlg.close()


def test_after_the_window_a_new_dialog_may_open(qtbot, logged: Path) -> None:
    clock = FakeClock()
    rep = crash.install(log_path=logged, throttle_s=30.0)
    rep._clock = clock
    _raise_in_timer(qtbot, rep, 1)
    qtbot.waitUntil(lambda: rep.dialogs_shown == 1, timeout=3000)
    rep.dialog.close()
    clock.t += 31
    _raise_in_timer(qtbot, rep, 2)
    qtbot.waitUntil(lambda: rep.dialogs_shown == 2, timeout=3000)
    assert rep.suppressed == 0
    rep.dialog.close()


def test_copy_details_puts_the_traceback_on_the_clipboard(qtbot, logged: Path) -> None:
    rep = crash.install(log_path=logged)
    _raise_in_timer(qtbot, rep, 1)
    qtbot.waitUntil(lambda: rep.dialogs_shown == 1, timeout=3000)
    QGuiApplication.clipboard().setText("")
    rep.dialog.copy_button.click()
    clip = QGuiApplication.clipboard().text()
    assert "Traceback (most recent call last)" in clip
    assert "ZeroDivisionError: division by zero in a timer slot" in clip
    assert "Where: MainThread" in clip
    rep.dialog.close()


def test_worker_thread_exception_reaches_the_gui_thread(qtbot, logged: Path) -> None:
    rep = crash.install(log_path=logged)

    def work() -> None:
        raise RuntimeError("worker blew up")

    t = threading.Thread(target=work, name="worker-ES")
    t.start()
    t.join(5)
    qtbot.waitUntil(lambda: rep.dialogs_shown == 1, timeout=3000)
    assert "RuntimeError: worker blew up" in rep.dialog.summary_label.text()
    assert rep.reports[-1].where == "thread worker-ES"
    assert "uncaught exception in thread worker-ES" in logged.read_text(encoding="utf-8")
    rep.dialog.close()


def test_qt_messages_and_asyncio_errors_are_logged(qtbot, logged: Path) -> None:
    rep = crash.install(log_path=logged, dialogs=False)
    qWarning("a qt warning for the log")
    loop = asyncio.new_event_loop()
    try:
        loop.set_exception_handler(rep.asyncio_handler)

        def bad() -> None:
            raise KeyError("in a callback")

        loop.call_soon(bad)
        loop.call_soon(loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    assert rep.dialogs_shown == 0
    assert rep.reports[-1].where.startswith("asyncio")
    text = logged.read_text(encoding="utf-8")
    assert "WARNING  [MainThread] qt: a qt warning for the log" in text
    assert "KeyError: 'in a callback'" in text


def test_uninstall_restores_the_hooks(qtbot, logged: Path) -> None:
    before = (sys.excepthook, threading.excepthook)
    crash.install(log_path=logged)
    assert sys.excepthook != before[0]
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
    assert crash.reporter() is None


def test_headless_process_logs_and_shows_nothing(tmp_path: Path) -> None:
    code = (
        "import threading\n"
        "from mia_desktop import crash, logging_setup\n"
        f"p = logging_setup.configure({str(tmp_path)!r}, console=False)\n"
        "crash.install(log_path=p)\n"
        "t = threading.Thread(target=lambda: 1/0, name='bg'); t.start(); t.join()\n"
        "raise ValueError('headless boom')\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 1  # the main-thread exception still ends the process, as Python does
    text = (tmp_path / logging_setup.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "uncaught exception in thread bg: ZeroDivisionError" in text
    assert "uncaught exception in MainThread: ValueError: headless boom" in text


def test_a_failing_timer_does_not_flood_the_log(qtbot, logged: Path) -> None:
    rep = crash.install(log_path=logged, dialogs=False)
    for _ in range(250):
        try:
            _boom_slot()
        except ZeroDivisionError:
            rep.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    text = logged.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == crash.FULL_TRACEBACKS_PER_SITE
    assert "same place, 100 times so far" in text and "same place, 200 times so far" in text
    assert len(rep.reports) == 20  # bounded
