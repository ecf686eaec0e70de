"""About box: version from the one place, the no-orders promise, licences, the user's file paths."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from mia_desktop.__version__ import __version__
from mia_desktop.storage.paths import app_paths
from mia_desktop.ui.about import show_about


def test_about_shows_version_promise_licences_and_paths(qtbot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    paths = app_paths(tmp_path / "cfg")
    dlg = show_about(parent, paths)
    qtbot.waitExposed(dlg)
    assert dlg.isVisible()
    assert f"MIA Desktop {__version__}" in dlg.title_label.text()
    assert "never sends" in dlg.orders_label.text()
    paths_text = dlg.paths_label.text()
    for p in (paths.settings_file, paths.journal_file, paths.log_dir):
        assert str(p) in paths_text
    lic = dlg.licences_label.text()
    for name in ("PySide6", "LGPL-3.0", "pyqtgraph", "NumPy", "PyInstaller"):
        assert name in lic
    dlg.copy_button.click()
    clip = QGuiApplication.clipboard().text()
    assert f"version: {__version__}" in clip and str(paths.journal_file) in clip
    dlg.close()


def test_about_uses_the_platform_folders_by_default(qtbot) -> None:
    dlg = show_about(None)
    qtbot.addWidget(dlg)
    assert "MIA Desktop" in dlg.info["settings"] and dlg.info["settings"].endswith("settings.json")
    assert dlg.info["version"] == __version__
    dlg.close()


def test_about_follows_the_config_dir_override(qtbot, tmp_path: Path) -> None:
    from mia_desktop import logging_setup

    override = app_paths(tmp_path / "root")
    logging_setup.configure(override.log_dir, console=False, redirect=False)
    try:
        dlg = show_about(None)
        qtbot.addWidget(dlg)
        assert dlg.info["journal"] == str(override.journal_file)
        assert dlg.info["settings"] == str(override.settings_file)
        assert dlg.info["log"].startswith(str(override.log_dir))
        dlg.close()
    finally:
        logging_setup.shutdown()
