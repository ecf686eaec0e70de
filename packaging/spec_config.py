"""What the PyInstaller spec bundles, as plain data, so tests can check it without PyInstaller.

`mia_desktop.spec` imports this module. Keep the lists here honest: `tests/test_packaging.py`
checks that every excluded Qt module really exists (a typo would silently exclude nothing) and is
not imported anywhere in the app, that hidden imports resolve, and that data files exist.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_NAME = "MIA Desktop"  # the folder and the .exe name (Inno Setup uses the same)
ENTRY_SCRIPT = ROOT / "packaging" / "launcher.py"
ICON_ICO = ROOT / "resources" / "icon.ico"
ICON_PNG = ROOT / "resources" / "icon.png"
VERSION_FILE = ROOT / "mia_desktop" / "__version__.py"

# Qt modules the app does not use. Excluding the Python module keeps PyInstaller's PySide6 hook
# from collecting its Qt libraries, QML files and plugins (QtWebEngine alone is ~200 MB).
QT_EXCLUDES: tuple[str, ...] = tuple(
    f"PySide6.{m}"
    for m in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDBus",
        "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLocation", "QtNfc",
        "QtNetworkAuth", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick",
        "QtQuick3D", "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects",
        "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql",
        "QtStateMachine", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
        "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
    )
)
# Other Qt bindings and heavy optional packages that libraries probe for but the app never needs.
OTHER_EXCLUDES: tuple[str, ...] = (
    "PyQt5", "PyQt6", "PySide2", "tkinter", "_tkinter", "scipy", "pandas", "matplotlib",
    "IPython", "jedi", "parso", "pytest", "_pytest", "hypothesis", "pytestqt", "mypy", "ruff",
    "OpenGL", "cupy", "numba", "h5py", "colorcet", "pyqtgraph.examples", "pyqtgraph.jupyter",
    "pyqtgraph.opengl", "setuptools", "pip", "yaml", "mia_desktop.resources.make_icon",
)

# Qt libraries and plugins that plugins of kept modules drag in (the virtual-keyboard input
# context needs QtQuick/QtQml, the PDF image-format plugin needs QtPdf). Matched, lower-case,
# against each binary's file name in the bundle.
DROP_BINARIES: tuple[str, ...] = (
    "qt6pdf", "qt6quick", "qt6qml", "qt6virtualkeyboard", "qtvirtualkeyboardplugin", "qpdf",
    "qt6webengine", "qt6designer",
    # The FFmpeg media backend serves QMediaPlayer/cameras; alerts use QSoundEffect, which Qt's
    # multimedia library plays without any backend plugin ("Only QMediaDevices, QAudioDevice,
    # QSoundEffect, QAudioSink, and QAudioSource are available"). ~20 MB saved.
    "ffmpegmediaplugin", "windowsmediaplugin", "avcodec", "avformat", "avutil", "swresample", "swscale",
    "ffmpegstub",
)
EXCLUDES: tuple[str, ...] = QT_EXCLUDES + OTHER_EXCLUDES

# keyring finds its backends through entry points; PyInstaller cannot see that, so name them.
HIDDEN_IMPORTS: tuple[str, ...] = (
    "keyring.backends.Windows",
    "keyring.backends.null",
    "keyring.backends.fail",
    "keyring.backends.chainer",
    "qasync",
    *(("keyring.backends.SecretService",) if sys.platform.startswith("linux") else ()),
)

# Qt modules the app needs even where only a library imports them lazily.
QT_KEEP: tuple[str, ...] = (
    "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "PySide6.QtMultimedia", "PySide6.QtNetwork",
)


def keep_binary(dest: str) -> bool:
    """False for a bundled library/plugin the app cannot use (see DROP_BINARIES)."""
    name = dest.replace("\\", "/").lower().rsplit("/", 1)[-1]
    return not any(d in name for d in DROP_BINARIES)


def keep_data(dest: str) -> bool:
    """False for Qt's own translations (the app is English-only; ~7 MB)."""
    return "qt/translations/" not in dest.replace("\\", "/").lower()


def data_files() -> list[tuple[str, str]]:
    """(source file, folder inside the bundle) for the package data the app reads at run time.

    `resources/` ships as the package `mia_desktop.resources` through a setuptools package-dir
    mapping that PyInstaller's module finder cannot follow, so its `__init__.py` travels as data
    next to the icons; the frozen importer's file-system fallback then imports it from there.
    """
    out: list[tuple[str, str]] = [(str(ROOT / "resources" / "__init__.py"), "mia_desktop/resources")]
    for pattern in ("*.png", "*.ico", "*.svg", "*.wav"):
        out += [(str(p), "mia_desktop/resources") for p in sorted((ROOT / "resources").glob(pattern))]
    out += [(str(p), "mia_desktop/dtc") for p in sorted((ROOT / "mia_desktop" / "dtc").glob("*.json"))]
    return out


def read_version() -> str:
    """The version from mia_desktop/__version__.py (parsed with ast, never executed)."""
    tree = ast.parse(VERSION_FILE.read_text(encoding="utf-8"), str(VERSION_FILE))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str) and value:
                return value
    raise ValueError(f"no __version__ = '...' string in {VERSION_FILE}")


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'1.2.3' / '1.2.3rc1' -> (1, 2, 3, 0) for the Windows file-version resource."""
    parts: list[int] = []
    for piece in version.split(".")[:4]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    parts += [0] * (4 - len(parts))
    return (parts[0], parts[1], parts[2], parts[3])
