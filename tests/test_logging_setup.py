"""Logging: the rotating file honours its cap, streams with nowhere to go land in the log."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mia_desktop import logging_setup
from mia_desktop.logging_setup import LOG_FILE_NAME, LogWriter, configure, log_dir, shutdown


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    shutdown()


def test_log_dir_override_env_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(logging_setup.ENV_LOG_DIR, raising=False)
    default = log_dir()
    assert "MIA Desktop" in str(default)
    monkeypatch.setenv(logging_setup.ENV_LOG_DIR, str(tmp_path / "env"))
    assert log_dir() == tmp_path / "env"
    assert log_dir(tmp_path / "arg") == tmp_path / "arg"  # the argument beats the environment


def test_rotation_keeps_the_cap(tmp_path: Path) -> None:
    cap, backups = 2000, 2
    path = configure(tmp_path, max_bytes=cap, backup_count=backups, console=False, redirect=False)
    assert path == tmp_path / LOG_FILE_NAME
    lg = logging.getLogger("mia_desktop.test")
    for i in range(400):
        lg.info("line %04d %s", i, "x" * 60)
    shutdown()
    files = sorted(p.name for p in tmp_path.glob(LOG_FILE_NAME + "*"))
    assert files == [LOG_FILE_NAME, LOG_FILE_NAME + ".1", LOG_FILE_NAME + ".2"]
    for f in files:
        assert (tmp_path / f).stat().st_size <= cap
    assert "line 0399" in path.read_text(encoding="utf-8")  # the newest record is in the live file
    everything = "".join((tmp_path / f).read_text(encoding="utf-8") for f in files)
    assert "line 0000" not in everything  # the oldest rolled off: total size stays bounded


def test_redirect_when_stdout_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert logging_setup.needs_redirect()
    path = configure(tmp_path)  # defaults: redirect because there is no console
    assert isinstance(sys.stdout, LogWriter) and isinstance(sys.stderr, LogWriter)
    print("hello from print")
    sys.stderr.write("partial ")
    sys.stderr.write("warning line\n")
    sys.stdout.write("unterminated tail")
    shutdown()
    assert sys.stdout is None and sys.stderr is None  # restored
    text = path.read_text(encoding="utf-8")
    assert "INFO     [MainThread] stdout: hello from print" in text
    assert "WARNING  [MainThread] stderr: partial warning line" in text
    assert "unterminated tail" in text  # flushed at shutdown, not lost


def test_no_redirect_with_a_console(tmp_path: Path) -> None:
    before = sys.stdout
    configure(tmp_path, console=False)
    assert sys.stdout is before


def test_reconfigure_does_not_duplicate_handlers(tmp_path: Path) -> None:
    configure(tmp_path / "a", console=False, redirect=False)
    configure(tmp_path / "b", console=False, redirect=False)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_mia_desktop_handler", False)]
    assert len(ours) == 1
    logging.getLogger("t").warning("only in b")
    shutdown()
    assert "only in b" in (tmp_path / "b" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "only in b" not in (tmp_path / "a" / LOG_FILE_NAME).read_text(encoding="utf-8")
    assert (tmp_path / "b" / logging_setup.FAULT_FILE_NAME).exists()


def test_bad_cap_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes=0"):
        configure(tmp_path, max_bytes=0)


def test_writer_bounds_a_line_without_end(tmp_path: Path) -> None:
    path = configure(tmp_path, console=False, redirect=False)
    w = LogWriter(logging.getLogger("stdout"), logging.INFO, "<stdout>")
    w.write("y" * 70_000)  # no newline: must not grow without bound
    assert w._buf == ""
    shutdown()
    assert "y" * 1000 in path.read_text(encoding="utf-8")


def test_first_frame_is_logged_once(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QLabel

    path = configure(tmp_path, console=False, redirect=False)
    logging_setup._first_frame["filter"] = None
    logging_setup.watch_first_frame()
    w = QLabel("hello")
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.repaint()
    w.update()
    qtbot.wait(50)
    text = path.read_text(encoding="utf-8")
    assert text.count(logging_setup.FIRST_FRAME_MESSAGE) == 1
    assert "QLabel" in text and "epoch=" in text
    logging_setup._first_frame["filter"] = None


def test_a_blocked_rollover_keeps_logging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / (LOG_FILE_NAME + ".1")).write_text("old\n", encoding="utf-8")
    blocker = tmp_path / (LOG_FILE_NAME + ".2")  # a folder where a backup file must go: rename fails
    blocker.mkdir()
    (blocker / "x").write_text("x", encoding="utf-8")
    path = configure(tmp_path, max_bytes=500, backup_count=2, console=False, redirect=False)
    lg = logging.getLogger("mia_desktop.test")
    for i in range(60):
        lg.info("record %03d %s", i, "z" * 40)
    shutdown()
    assert "Logging error" not in capsys.readouterr().err
    text = path.read_text(encoding="utf-8")
    assert 500 < path.stat().st_size <= 2 * 500  # kept logging past the cap, but bounded at 2x
    assert "record 005" in text  # records after the failed rollover still landed


class _LockedFile(logging_setup._RotatingFile):
    """The rename fails, as on Windows when another process holds the log open."""

    locked = True
    rotate_calls = 0

    def rotate(self, source: str, dest: str) -> None:
        self.rotate_calls += 1
        if self.locked:
            raise PermissionError(13, "The process cannot access the file", source)
        super().rotate(source, dest)


def test_failed_rollover_keeps_a_bounded_file_and_resets_the_cap(tmp_path: Path) -> None:
    base = 1000
    path = tmp_path / LOG_FILE_NAME
    h = _LockedFile(path, maxBytes=base, backupCount=2, encoding="utf-8")
    h.setFormatter(logging.Formatter("%(message)s"))
    lg = logging.getLogger("mia_desktop.test.locked")
    lg.propagate = False
    lg.addHandler(h)
    try:
        caps = []
        for i in range(300):
            lg.warning("record %04d %s", i, "y" * 40)
            caps.append(h.maxBytes)
        assert max(caps) <= 2 * base  # the retry point never runs away
        assert path.stat().st_size <= 2 * base  # the file itself is bounded
        assert h.dropped > 0  # what did not fit was counted
        assert 1 < h.rotate_calls < 40  # retried after a margin, not on every record
        assert not (tmp_path / (LOG_FILE_NAME + ".1")).exists()
        h.locked = False  # the other process lets go
        for i in range(h.RETRY_EVERY + 1):  # at the hard bound a retry comes once per RETRY_EVERY drops
            lg.warning("after unlock %d", i)
            if h.failed_rollovers == 0:
                break
        assert h.maxBytes == base  # back to the configured cap
        assert h.dropped == 0 and h.failed_rollovers == 0
        assert (tmp_path / (LOG_FILE_NAME + ".1")).exists()
        text = path.read_text(encoding="utf-8")
        assert "records dropped" in text and "after unlock" in text
        assert path.stat().st_size < base
    finally:
        lg.removeHandler(h)
        h.close()
        lg.propagate = True
