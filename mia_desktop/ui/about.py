"""About box: version, the promise that the app never sends orders, licences, where files live."""

from __future__ import annotations

import html
import platform
import sys
from importlib import resources
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mia_desktop import logging_setup
from mia_desktop.__version__ import __version__
from mia_desktop.storage.paths import AppPaths, app_paths

APP_TITLE = "MIA Desktop"
NEVER_SENDS_ORDERS = (
    "MIA Desktop reads market data and shows analysis only. It never sends, modifies or cancels orders."
)
# (component, licence, note) — what ships in the installer, and where the demo's data comes from.
LICENCES: tuple[tuple[str, str, str], ...] = (
    ("Python", "PSF License 2.0", "runtime"),
    ("Qt 6 / PySide6", "LGPL-3.0", "user interface; Qt libraries ship unmodified as separate files"),
    ("pyqtgraph", "MIT", "CPU heatmap renderer"),
    ("NumPy", "BSD-3-Clause", "order book and heatmap arrays"),
    ("qasync", "BSD-2-Clause", "asyncio inside the Qt event loop"),
    ("platformdirs", "MIT", "settings, journal and log folders"),
    ("keyring", "MIT", "passwords in the Windows Credential Manager"),
    ("PyInstaller bootloader", "GPL-2.0 with bootloader exception", "the .exe launcher"),
    ("Inno Setup", "Inno Setup License", "the installer"),
    ("Demo market", "synthetic, generated on your machine", "no exchange data is shipped"),
    ("Market data", "© CME Group, Cboe (via your Sierra Chart data feed)", "VIX is a Cboe trademark"),
)


def _icon() -> QPixmap:
    pix = QPixmap()
    try:
        data = resources.files("mia_desktop.resources").joinpath("icon.png").read_bytes()
        pix.loadFromData(data)
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        pass
    return pix


def _link(path: Path) -> str:
    url = QUrl.fromLocalFile(str(path)).toString()
    return f'<a href="{html.escape(url)}">{html.escape(str(path))}</a>'


def current_paths() -> AppPaths:
    """The folders this process uses. Under `--config-dir DIR` the log lives in DIR/logs
    (storage.paths), so a configured log file outside the platformdirs log folder names the
    override root; otherwise the platformdirs folders."""
    default = app_paths()
    log = logging_setup.log_file()
    if log is not None and log.parent != default.log_dir and log.parent.name == "logs":
        candidate = app_paths(log.parent.parent)
        if candidate.log_dir == log.parent:
            return candidate
    return default


def about_info(paths: AppPaths | None = None) -> dict[str, str]:
    """Plain-text facts shown in the box (also what "Copy" puts on the clipboard)."""
    p = paths or current_paths()
    log = logging_setup.log_file() or (p.log_dir / logging_setup.LOG_FILE_NAME)
    return {
        "version": __version__,
        "settings": str(p.settings_file),
        "journal": str(p.journal_file),
        "log": str(log),
        "python": platform.python_version(),
        "qt": qVersion(),
        "pyside6": PySide6.__version__,
        "os": platform.platform(),
        "frozen": str(bool(getattr(sys, "frozen", False))),
    }


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, paths: AppPaths | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_TITLE}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        p = paths or current_paths()
        self.info = about_info(p)
        lay = QVBoxLayout(self)

        top = QHBoxLayout()
        icon = QLabel()
        pix = _icon()
        if not pix.isNull():
            icon.setPixmap(pix.scaled(72, 72, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        self.title_label = QLabel(f"<h2>{APP_TITLE} {html.escape(__version__)}</h2>"
                                  "<p>Order-flow companion for Sierra Chart.</p>")
        top.addWidget(self.title_label, 1)
        lay.addLayout(top)

        self.orders_label = QLabel(f"<b>{html.escape(NEVER_SENDS_ORDERS)}</b>")
        self.orders_label.setWordWrap(True)
        lay.addWidget(self.orders_label)

        rows = "".join(
            f"<tr><td>{name}</td><td>{_link(path)}</td></tr>"
            for name, path in (("Settings", p.settings_file), ("Journal", p.journal_file),
                               ("Logs", Path(self.info["log"])))
        )
        self.paths_label = QLabel(f"<p><b>Your files</b> (kept when you uninstall)</p><table>{rows}</table>")
        self.paths_label.setOpenExternalLinks(True)
        self.paths_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        lay.addWidget(self.paths_label)

        lic = "".join(
            f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td><i>{html.escape(c)}</i></td></tr>"
            for a, b, c in LICENCES
        )
        self.licences_label = QLabel(f"<p><b>Licences</b></p><table cellspacing='4'>{lic}</table>")
        self.licences_label.setWordWrap(True)
        lay.addWidget(self.licences_label)

        self.runtime_label = QLabel(
            f"Python {self.info['python']} · Qt {self.info['qt']} · PySide6 {self.info['pyside6']}"
            f" · {html.escape(self.info['os'])}"
        )
        self.runtime_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.runtime_label)

        row = QHBoxLayout()
        self.copy_button = QPushButton("Copy info")
        self.copy_button.clicked.connect(self.copy_info)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        row.addWidget(box)
        lay.addLayout(row)

    def copy_info(self) -> None:
        """Version and paths as text, for a bug report."""
        QGuiApplication.clipboard().setText("\n".join(f"{k}: {v}" for k, v in self.info.items()))
        self.copy_button.setText("Copied")


def show_about(parent: QWidget | None = None, paths: AppPaths | None = None) -> AboutDialog:
    """Open the About box without a nested event loop (qasync-safe) and return it."""
    dlg = AboutDialog(parent, paths)
    dlg.open()
    return dlg
