"""Logging for the app: one size-capped rotating log file, and a home for stdout/stderr.

How this works: `configure()` attaches a `RotatingFileHandler` (5 MB × 5 backups by default) to the
root logger, writing `mia-desktop.log` in the platformdirs log folder (or an override folder: the
`folder` argument, else the MIA_DESKTOP_LOG_DIR environment variable). A windowed PyInstaller exe on
Windows has no console: `sys.stdout`/`sys.stderr` are None there, so a stray `print()` or a library
warning would raise or vanish. We replace such streams with line-buffered writers that forward each
line into the log (stdout at INFO, stderr at WARNING). `faulthandler` is pointed at a second file in
the same folder so a hard crash in native code (Qt, numpy) still leaves a Python stack behind.
Calling `configure()` again replaces what the previous call installed; `shutdown()` undoes it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import logging
import logging.handlers
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

import platformdirs

APP_NAME = "MIA Desktop"
LOG_FILE_NAME = "mia-desktop.log"
FAULT_FILE_NAME = "faults.log"
ENV_LOG_DIR = "MIA_DESKTOP_LOG_DIR"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BACKUPS = 5
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-8s [%(threadName)s] %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

_MARK = "_mia_desktop_handler"  # attribute set on handlers we installed, so re-configuring is clean
_state: dict[str, Any] = {"file": None, "fault_file": None, "fault_was_on": False, "saved_streams": None,
                         "root_level": None}


def log_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder the log lives in: the override, else $MIA_DESKTOP_LOG_DIR, else platformdirs.

    On Windows the platformdirs folder is %LOCALAPPDATA%\\MIA Desktop\\Logs; on Linux
    ~/.local/state/MIA Desktop/log.
    """
    if override:
        return Path(override)
    env = os.environ.get(ENV_LOG_DIR, "").strip()
    if env:
        return Path(env)
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_file() -> Path | None:
    """The file the current configuration writes to (None before `configure()`)."""
    f = _state["file"]
    return Path(f) if f is not None else None


def needs_redirect() -> bool:
    """True when stdout/stderr have nowhere to go: a windowed (no console) or frozen Windows exe."""
    if sys.stdout is None or sys.stderr is None:
        return True
    return bool(getattr(sys, "frozen", False)) and sys.platform == "win32"


class LogWriter(io.TextIOBase):
    """A text stream that sends each complete line to a logger (stands in for stdout/stderr)."""

    def __init__(self, logger: logging.Logger, level: int, name: str) -> None:
        super().__init__()
        self._logger = logger
        self._level = level
        self._name = name
        self._buf = ""
        self._lock = threading.Lock()
        self._busy = threading.local()  # a logging failure printing to stderr must not loop back

    @property
    def name(self) -> str:
        return self._name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            s = str(s)
        if getattr(self._busy, "on", False):
            return len(s)
        with self._lock:
            self._buf += s
            if "\n" not in self._buf:
                if len(self._buf) < 64 * 1024:  # bounded: a line without end is flushed anyway
                    return len(s)
                lines, self._buf = [self._buf], ""
            else:
                *lines, self._buf = self._buf.split("\n")
        self._emit(lines)
        return len(s)

    def flush(self) -> None:
        with self._lock:
            lines, self._buf = ([self._buf] if self._buf else []), ""
        self._emit(lines)

    def _emit(self, lines: list[str]) -> None:
        self._busy.on = True
        try:
            for line in lines:
                if line.strip():
                    self._logger.log(self._level, "%s", line.rstrip("\r"))
        finally:
            self._busy.on = False


class _RotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating file that keeps logging when a rollover cannot rename (Windows: another process,
    e.g. a second copy of the app or a virus scanner, has the file open).

    How this works: `base_bytes` is the configured cap. After a failed rollover the handler keeps
    writing to the same file and tries again once the file has grown by a bounded margin
    (`base_bytes // 4`), so a locked file costs one rename attempt per margin, not one per record.
    A successful rollover puts the cap back to `base_bytes`. The file never grows past
    `HARD_FACTOR * base_bytes`: once it would, new records are dropped (counted in `dropped`, with a
    rollover retry every `RETRY_EVERY` drops) until a rollover succeeds; the first record after that
    is preceded by a line saying how many were lost. We drop rather than
    truncate because truncating would destroy the oldest, usually most useful, part of the story
    (the start-up and the first error) while the file is locked for rename by someone else anyway.
    """

    HARD_FACTOR = 2
    RETRY_EVERY = 50  # dropped records between rollover retries once the file is at the hard bound

    def __init__(self, filename: str | os.PathLike[str], maxBytes: int, backupCount: int,
                 encoding: str | None = None) -> None:
        super().__init__(filename, maxBytes=maxBytes, backupCount=backupCount, encoding=encoding)
        self.base_bytes = maxBytes
        self.margin_bytes = max(1, maxBytes // 4)
        self.hard_bytes = self.HARD_FACTOR * maxBytes
        self.dropped = 0
        self.failed_rollovers = 0

    def _size(self) -> int:
        if self.stream is None:
            self.stream = self._open()
        self.stream.seek(0, 2)  # the file may have been reopened in append mode: find its end
        return int(self.stream.tell())

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed_rollovers:
            super().emit(record)  # the normal path; a failed rollover inside sets failed_rollovers
            return
        try:
            need = len(self.format(record).encode("utf-8")) + len(self.terminator)
            size = self._size()
            at_hard = self.maxBytes >= self.hard_bytes
            # at the hard bound, retry once per RETRY_EVERY dropped records, not on every record
            if size + need >= self.maxBytes and (not at_hard or self.dropped % self.RETRY_EVERY == 0):
                self.doRollover()
                size = self._size()
            if self.failed_rollovers and size + need >= self.hard_bytes:
                self.dropped += 1
                return
        except Exception:  # logging must not raise into the caller
            self.handleError(record)
            return
        if self.dropped and not self.failed_rollovers:
            lost, self.dropped = self.dropped, 0
            note = logging.LogRecord(__name__, logging.WARNING, __file__, 0,
                                     "log file was full and locked: %d records dropped", (lost,), None)
            logging.FileHandler.emit(self, note)
        logging.FileHandler.emit(self, record)  # no second rollover check: done above

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()
            self.failed_rollovers += 1
            # try again after a bounded margin past the current size, never past the hard bound
            self.maxBytes = min(self._size() + self.margin_bytes, self.hard_bytes)
        else:
            self.failed_rollovers = 0
            self.maxBytes = self.base_bytes


def configure(
    folder: str | os.PathLike[str] | None = None,
    *,
    level: int = logging.INFO,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUPS,
    console: bool | None = None,
    redirect: bool | None = None,
) -> Path:
    """Start logging to the rotating file; return its path.

    `console`: also log to stderr (default: when stderr exists and is not redirected).
    `redirect`: replace stdout/stderr with log writers (default: `needs_redirect()`).
    """
    if max_bytes <= 0 or backup_count < 1:
        raise ValueError(f"log cap must be positive: max_bytes={max_bytes}, backup_count={backup_count}")
    shutdown()
    target = log_dir(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / LOG_FILE_NAME
    root = logging.getLogger()
    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)

    fh = _RotatingFile(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
    fh.setFormatter(formatter)
    setattr(fh, _MARK, True)
    root.addHandler(fh)

    do_redirect = needs_redirect() if redirect is None else redirect
    if console is None:
        console = not do_redirect and sys.stderr is not None
    if console and sys.stderr is not None:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(formatter)
        sh.setLevel(logging.WARNING)  # the console gets problems only; the file gets everything
        setattr(sh, _MARK, True)
        root.addHandler(sh)
    _state["root_level"] = root.level
    root.setLevel(level)
    logging.captureWarnings(True)

    if do_redirect:
        _state["saved_streams"] = (sys.stdout, sys.stderr)
        sys.stdout = LogWriter(logging.getLogger("stdout"), logging.INFO, "<stdout>")
        sys.stderr = LogWriter(logging.getLogger("stderr"), logging.WARNING, "<stderr>")
    _enable_faulthandler(target / FAULT_FILE_NAME)
    _state["file"] = str(path)
    logging.getLogger(__name__).info(
        "logging to %s (cap %d bytes x %d backups, redirect=%s, frozen=%s)",
        path, max_bytes, backup_count, do_redirect, bool(getattr(sys, "frozen", False)),
    )
    return path


def _enable_faulthandler(path: Path) -> None:
    # faulthandler needs a real file descriptor; keep the file open for the life of the process.
    try:
        f: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115
    except OSError:
        return
    _state["fault_file"] = f
    _state["fault_was_on"] = faulthandler.is_enabled()
    with contextlib.suppress(RuntimeError, ValueError, OSError, io.UnsupportedOperation):
        faulthandler.enable(file=f, all_threads=True)


def shutdown() -> None:
    """Remove what `configure()` installed: our handlers, the stream redirect, faulthandler's file."""
    root = logging.getLogger()
    saved = _state["saved_streams"]
    if saved is not None:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, LogWriter):
                stream.flush()  # a partial last line still reaches the file
        sys.stdout, sys.stderr = saved
        _state["saved_streams"] = None
    for h in list(root.handlers):
        if getattr(h, _MARK, False):
            root.removeHandler(h)
            with contextlib.suppress(Exception):
                h.close()
    f = _state["fault_file"]
    if f is not None:
        with contextlib.suppress(Exception):
            faulthandler.disable()
            if _state["fault_was_on"] and _has_fileno(sys.__stderr__):
                faulthandler.enable(file=sys.__stderr__, all_threads=True)
        with contextlib.suppress(Exception):
            f.close()
        _state["fault_file"] = None
    if _state["root_level"] is not None:
        root.setLevel(_state["root_level"])
        logging.captureWarnings(False)
        _state["root_level"] = None
    _state["file"] = None


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False
    return True


FIRST_FRAME_MESSAGE = "first frame painted"
_first_frame: dict[str, Any] = {"filter": None}


def watch_first_frame() -> None:
    """Log one line when any top-level window paints for the first time, then stop watching.

    The line carries the wall-clock time (`epoch=`) so a launcher can compute process start to
    first frame; call once right after the QApplication exists. Qt is imported here, lazily, so
    headless commands that use this module never load it.
    """
    if _first_frame["filter"] is not None:
        return
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance()
    if app is None:
        return
    import time

    t0 = time.perf_counter()

    class _FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and isinstance(obj, QWidget)
                and obj.isWindow()
                and _first_frame["filter"] is self
            ):
                _first_frame["filter"] = False  # once per process
                app.removeEventFilter(self)
                logging.getLogger(__name__).info(
                    "%s: %s after %.0f ms from watch start (epoch=%.3f)",
                    FIRST_FRAME_MESSAGE, type(obj).__name__, (time.perf_counter() - t0) * 1000, time.time(),
                )
            return False

    f = _FirstPaint(app)
    _first_frame["filter"] = f
    app.installEventFilter(f)
