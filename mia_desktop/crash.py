"""Crash reports: log every uncaught exception, show the user one dialog at a time, keep running.

How this works: `install()` sets `sys.excepthook` (PySide6 routes exceptions raised in slots,
timers and event handlers through it, then carries on with the event loop), `threading.excepthook`
(worker threads) and a Qt message handler (qWarning/qCritical into the log). Each exception is
logged with its full traceback. When a QApplication exists, a dialog is shown on the GUI thread —
exceptions from other threads cross over through a queued Qt signal — but at most one per
`throttle_s` seconds; later exceptions inside that window are only logged (and counted on the
dialog while it is still open). Without a QApplication (headless commands, tests) nothing
is shown. `CrashReporter.asyncio_handler` can be set as the qasync loop's exception handler.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, QtMsgType, QUrl, Signal, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("mia_desktop.crash")

DIALOG_TITLE = "MIA Desktop — unexpected error"
FULL_TRACEBACKS_PER_SITE = 3  # full tracebacks logged per (exception type, code line)
REPEAT_LOG_EVERY = 100  # after that, one summary line per this many repeats


@dataclass(frozen=True, slots=True)
class CrashInfo:
    summary: str  # "ZeroDivisionError: division by zero"
    details: str  # the full traceback, plus where it happened
    where: str  # "main thread", "thread worker-ES", "asyncio", ...


def format_exception(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None, where: str
) -> CrashInfo:
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    summary = "".join(traceback.format_exception_only(exc_type, exc)).strip().splitlines()
    first = summary[-1] if summary else exc_type.__name__
    return CrashInfo(summary=first, details=f"Where: {where}\n\n{text}", where=where)


class CrashReporter:
    """Logs exceptions and shows (throttled) dialogs; one instance is installed process-wide."""

    def __init__(
        self,
        *,
        log_path: Path | None = None,
        throttle_s: float = 30.0,
        dialogs: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log_path = log_path
        self.throttle_s = throttle_s
        self.dialogs = dialogs
        self._clock = clock
        self._last_dialog_at: float | None = None
        self._lock = threading.Lock()
        self._bridge: Any = None  # QObject living in the GUI thread (created on first need)
        self.dialog: Any = None  # the open CrashDialog, if any
        self.dialogs_shown = 0
        self.reports: list[CrashInfo] = []  # the last few, for tests and the About box
        self.suppressed = 0  # exceptions logged without a dialog (throttled)
        self._sites: dict[tuple[str, str, int], int] = {}  # (type, file, line) -> times seen

    # ---- hooks ------------------------------------------------------------------------------
    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        where = threading.current_thread().name
        self.report(exc_type, exc, tb, where=where)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name}")

    def asyncio_handler(self, loop: Any, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        msg = str(context.get("message", "asyncio error"))
        if isinstance(exc, BaseException):
            self.report(type(exc), exc, exc.__traceback__, where=f"asyncio: {msg}")
        else:
            log.error("asyncio: %s (%s)", msg, {k: repr(v) for k, v in context.items() if k != "message"})

    # ---- core -------------------------------------------------------------------------------
    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        *,
        where: str = "",
    ) -> CrashInfo:
        """Log the exception, then show a dialog if allowed. Never raises."""
        info = format_exception(exc_type, exc, tb, where or "unknown")
        seen = self._count(exc_type, tb)
        try:
            if seen <= FULL_TRACEBACKS_PER_SITE:
                log.critical("uncaught exception in %s: %s", info.where, info.summary,
                             exc_info=(exc_type, exc, tb) if exc is not None else None)
            elif seen % REPEAT_LOG_EVERY == 0:  # a slot that fails on every tick must not flood the log
                log.critical("uncaught exception in %s: %s (same place, %d times so far; traceback above)",
                             info.where, info.summary, seen)
        except Exception:  # the log itself is broken: the user must still hear of it
            with contextlib.suppress(Exception):
                sys.__stderr__.write(info.details)  # type: ignore[union-attr]
        with self._lock:
            self.reports.append(info)
            del self.reports[:-20]
        with contextlib.suppress(Exception):
            self._maybe_show(info)
        return info

    def _count(self, exc_type: type[BaseException], tb: TracebackType | None) -> int:
        """How many times this exception type was raised from this code line (bounded table)."""
        last = tb
        while last is not None and last.tb_next is not None:
            last = last.tb_next
        site = (exc_type.__name__, last.tb_frame.f_code.co_filename, last.tb_lineno) if last else (
            exc_type.__name__, "", 0)
        with self._lock:
            n = self._sites.get(site, 0) + 1
            if site not in self._sites and len(self._sites) >= 256:
                self._sites.clear()
            self._sites[site] = n
        return n

    def _maybe_show(self, info: CrashInfo) -> None:
        if not self.dialogs:
            return
        app = _qapp()
        if app is None:
            return
        with self._lock:
            now = self._clock()
            recent = self._last_dialog_at is not None and now - self._last_dialog_at < self.throttle_s
            if recent or self._dialog_open():
                self.suppressed += 1
                more = True
            else:
                self._last_dialog_at = now
                more = False
        bridge = self._ensure_bridge(app)
        bridge.request.emit(info, more)  # queued into the GUI thread when called from elsewhere

    def _dialog_open(self) -> bool:
        d = self.dialog
        if d is None:
            return False
        try:
            return bool(d.isVisible())
        except RuntimeError:  # the C++ object was deleted
            return False

    def _ensure_bridge(self, app: Any) -> Any:
        if self._bridge is None:
            bridge = CrashBridge(self)
            if bridge.thread() is not app.thread():
                bridge.moveToThread(app.thread())
            self._bridge = bridge
        return self._bridge

    def on_gui_request(self, info: CrashInfo, more: bool) -> None:
        """Runs in the GUI thread: open a dialog, or count the error on the open one."""
        if more:
            if self._dialog_open():
                self.dialog.add_more(info)
            return
        parent = _active_window()
        dlg = CrashDialog(info, self.log_path, parent)
        self.dialog = dlg
        self.dialogs_shown += 1
        dlg.open()  # window-modal at most: never a nested event loop


_installed: dict[str, Any] = {"reporter": None, "saved": None}


class CrashBridge(QObject):
    """Lives in the GUI thread; a queued signal carries reports there from any thread."""

    request = Signal(object, bool)

    def __init__(self, reporter: CrashReporter) -> None:
        super().__init__()
        self._reporter = reporter
        self.request.connect(self._on_request, Qt.ConnectionType.QueuedConnection)

    def _on_request(self, info: CrashInfo, more: bool) -> None:
        try:
            self._reporter.on_gui_request(info, more)
        except Exception:  # a broken dialog must not feed the hook that opens dialogs
            log.exception("could not show the crash dialog")


class CrashDialog(QDialog):
    """Summary, log path, "Copy details" (full traceback to the clipboard), "Open log folder"."""

    def __init__(self, info: CrashInfo, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(DIALOG_TITLE)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.info = info
        self.details_text = info.details
        self.more_count = 0
        lay = QVBoxLayout(self)
        head = QLabel("<b>Something went wrong, but MIA Desktop is still running.</b>")
        self.summary_label = QLabel(info.summary)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = log_path if log_path is not None else "(logging not configured)"
        self.log_label = QLabel(f"Details are in the log: {where}")
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.more_label = QLabel("")
        self.more_label.setVisible(False)
        self.details = QPlainTextEdit(info.details)
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(160)
        for w in (head, self.summary_label, self.log_label, self.more_label, self.details):
            lay.addWidget(w)
        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        self.open_button = QPushButton("Open log folder")
        self.open_button.setEnabled(log_path is not None)
        self.open_button.clicked.connect(lambda: self._open_folder(log_path))
        row.addWidget(self.copy_button)
        row.addWidget(self.open_button)
        row.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        row.addWidget(box)
        lay.addLayout(row)
        self.resize(640, 380)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text)
        self.copy_button.setText("Copied")

    def add_more(self, info: CrashInfo) -> None:
        self.more_count += 1
        self.details_text += f"\n\n---- further error ({info.where}) ----\n{info.details}"
        self.more_label.setText(f"{self.more_count} more error(s) since — see the log.")
        self.more_label.setVisible(True)

    @staticmethod
    def _open_folder(log_path: Path | None) -> None:
        if log_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_path.parent)))


def _qapp() -> Any:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else None


def _active_window() -> Any:
    return QApplication.activeWindow()


def _qt_message_handler(mode: Any, context: Any, message: str) -> None:
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }.get(mode, logging.WARNING)
    where = ""
    with contextlib.suppress(Exception):
        if context is not None and context.category and context.category != "default":
            where = f"[{context.category}] "
    logging.getLogger("qt").log(level, "%s%s", where, message)


def install(
    *, log_path: Path | None = None, throttle_s: float = 30.0, dialogs: bool = True, qt_messages: bool = True
) -> CrashReporter:
    """Install the hooks process-wide (replacing an earlier install) and return the reporter."""
    uninstall()
    rep = CrashReporter(log_path=log_path, throttle_s=throttle_s, dialogs=dialogs)
    saved: dict[str, Any] = {"sys": sys.excepthook, "threading": threading.excepthook, "qt": None}
    sys.excepthook = rep.excepthook
    threading.excepthook = rep.thread_excepthook
    if qt_messages:
        saved["qt"] = qInstallMessageHandler(_qt_message_handler)
        saved["qt_installed"] = True
    _installed["reporter"], _installed["saved"] = rep, saved
    log.info("crash reporter installed (throttle %.0f s, dialogs=%s)", throttle_s, dialogs)
    return rep


def uninstall() -> None:
    """Restore the hooks that `install()` replaced."""
    saved = _installed["saved"]
    if saved is None:
        return
    sys.excepthook = saved["sys"]
    threading.excepthook = saved["threading"]
    if saved.get("qt_installed"):
        qInstallMessageHandler(saved["qt"])
    rep = _installed["reporter"]
    if rep is not None and rep._bridge is not None:
        with contextlib.suppress(RuntimeError):
            rep._bridge.deleteLater()
    _installed["reporter"], _installed["saved"] = None, None


def reporter() -> CrashReporter | None:
    """The installed reporter, if any."""
    r = _installed["reporter"]
    return r if isinstance(r, CrashReporter) else None
