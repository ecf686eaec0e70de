"""Packaging: the PyInstaller spec's inputs, the installer script, the workflow, the frozen app.

The fast tests check what a broken spec would get wrong without running PyInstaller: the entry
script, icon and data files exist, every excluded Qt module is a real module that the app never
imports, hidden imports resolve, the version is read from the one place. `test_frozen_build`
(marked slow, ~30-60 s) runs packaging/build_and_smoke.py for real: build, --bundle-check, and the
GUI with --quit-after when app.py is present.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import spec_config as cfg  # noqa: E402

from mia_desktop.__version__ import __version__  # noqa: E402


def _imports_of_package() -> set[str]:
    """Every module name imported anywhere in mia_desktop (absolute, incl. `from X import Y` as X.Y)."""
    names: set[str] = set()
    for path in (ROOT / "mia_desktop").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_spec_compiles_and_names_its_inputs() -> None:
    text = (PACKAGING / "mia_desktop.spec").read_text(encoding="utf-8")
    compile(text, "mia_desktop.spec", "exec")
    for needle in ("import spec_config as cfg", "cfg.EXCLUDES", "cfg.data_files()", "cfg.ICON_ICO",
                   "console=CONSOLE", "exclude_binaries=True", "COLLECT("):
        assert needle in text
    assert cfg.ENTRY_SCRIPT.is_file()
    compile(cfg.ENTRY_SCRIPT.read_text(encoding="utf-8"), str(cfg.ENTRY_SCRIPT), "exec")


def test_icon_files_are_valid() -> None:
    png = cfg.ICON_PNG.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ico = cfg.ICON_ICO.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico, 0)
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = []
    for i in range(count):
        w, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack_from("<BBBBHHII", ico, 6 + 16 * i)
        assert offset + length <= len(ico)
        assert ico[offset:offset + 8] == b"\x89PNG\r\n\x1a\n"
        sizes.append(w or 256)
    assert {16, 32, 48, 256} <= set(sizes)


def test_excluded_qt_modules_exist_and_are_not_used() -> None:
    for mod in cfg.QT_EXCLUDES:
        assert importlib.util.find_spec(mod) is not None, f"{mod}: no such module (typo in the excludes?)"
    used = _imports_of_package()
    for mod in cfg.EXCLUDES:
        clash = sorted(u for u in used if u == mod or u.startswith(mod + "."))
        assert not clash, f"{mod} is excluded from the bundle but the app imports {clash}"
    for mod in cfg.QT_KEEP:
        assert mod not in cfg.EXCLUDES


def test_qt_modules_the_app_uses_are_kept() -> None:
    used = {u for u in _imports_of_package() if u.startswith("PySide6.Qt")}
    used_modules = {".".join(u.split(".")[:2]) for u in used}
    assert "PySide6.QtWidgets" in used_modules
    assert not used_modules & set(cfg.QT_EXCLUDES)


def test_hidden_imports_resolve() -> None:
    for mod in cfg.HIDDEN_IMPORTS:
        assert importlib.util.find_spec(mod) is not None, mod
    assert "keyring.backends.Windows" in cfg.HIDDEN_IMPORTS


def test_data_files_exist_and_cover_resources() -> None:
    files = cfg.data_files()
    for src, dest in files:
        assert Path(src).is_file(), src
        assert dest in ("mia_desktop/resources", "mia_desktop/dtc")
    names = {Path(s).name for s, _ in files}
    assert {"__init__.py", "icon.png", "icon.ico"} <= names
    assert {p.name for p in (ROOT / "resources").glob("*.wav")} <= names
    assert {p.name for p in (ROOT / "mia_desktop" / "dtc").glob("*.json")} <= names


def test_binary_and_data_filters() -> None:
    for dropped in ("PySide6/Qt/lib/libQt6Quick.so.6", r"PySide6\Qt6Pdf.dll",
                    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
                    r"PySide6\plugins\multimedia\ffmpegmediaplugin.dll", r"PySide6\avcodec-61.dll"):
        assert not cfg.keep_binary(dropped), dropped
    for kept in ("PySide6/Qt/lib/libQt6Core.so.6", r"PySide6\Qt6Gui.dll", r"PySide6\Qt6Multimedia.dll",
                 r"PySide6\plugins\platforms\qwindows.dll", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
                 r"PySide6\Qt6OpenGLWidgets.dll", "numpy.libs/libscipy_openblas64_.so"):
        assert cfg.keep_binary(kept), kept
    assert not cfg.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert cfg.keep_data("mia_desktop/resources/icon.png")


def test_version_has_one_source() -> None:
    assert cfg.read_version() == __version__
    assert cfg.version_tuple("1.2.3") == (1, 2, 3, 0)
    assert cfg.version_tuple("0.10.0rc2") == (0, 10, 0, 0)
    assert cfg.version_tuple("2") == (2, 0, 0, 0)


def test_version_is_not_repeated_elsewhere() -> None:
    """Only mia_desktop/__version__.py holds the version string; everything else reads it."""
    files = [ROOT / "pyproject.toml", *PACKAGING.glob("*.*"), *(ROOT / ".github").rglob("*.yml"),
             *(p for p in (ROOT / "mia_desktop").rglob("*.py") if p.name != "__version__.py")]
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        for quoted in (f'"{__version__}"', f"'{__version__}'", f"={__version__}\n"):
            assert quoted not in text, f"{f} repeats the version {__version__}"


def test_installer_script_is_per_user_and_keeps_user_files() -> None:
    iss = (PACKAGING / "installer.iss").read_text(encoding="utf-8")
    assert re.search(r"^AppId=\{\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$", iss, re.M)
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.M)
    assert re.search(r"^DefaultDirName=\{localappdata\}\\Programs\\", iss, re.M)
    assert "AppVersion={#MyAppVersion}" in iss and "#error" in iss  # no version baked in
    assert '"{autodesktop}' in iss and "Tasks: desktopicon" in iss and "{group}" in iss
    assert 'Source: "{#MyDistDir}\\*"' in iss and '"..\\dist\\MIA Desktop"' in iss
    # every delete the installer or uninstaller performs stays inside {app}
    def section(name: str) -> str:
        return re.split(rf"^\[{name}\]$", iss, maxsplit=1, flags=re.M)[1].split("\n[", 1)[0]

    for name in ("InstallDelete", "UninstallDelete"):
        body = section(name)
        targets = re.findall(r'Name:\s*"([^"]+)"', body)
        assert targets, name
        for t in targets:
            assert t.startswith("{app}"), f"[{name}] deletes {t} outside the program folder"
    for user_dir in ("{userappdata}", "{localappdata}\\{#MyAppName}", "{userdocs}"):
        assert user_dir not in section("UninstallDelete")


def test_workflow_builds_tests_and_smokes_on_windows() -> None:
    wf = (ROOT / ".github" / "workflows" / "windows.yml").read_text(encoding="utf-8")
    assert "runs-on: windows-latest" in wf and 'python-version: "3.11"' in wf
    assert "packaging/build_and_smoke.py" in wf and "--quit-after" in wf
    assert "QT_QPA_PLATFORM: offscreen" in wf
    assert "/DMyAppVersion=" in wf and "spec_config.read_version()" in wf
    assert "installer.iss" in wf and "upload-artifact" in wf
    assert "unins000.exe" in wf and "keep-me.txt" in wf


def test_bundle_check_unfrozen(tmp_path: Path) -> None:
    """The launcher's self-check passes from source: every module imports, resources load."""
    out = tmp_path / "report.json"
    r = subprocess.run([sys.executable, str(cfg.ENTRY_SCRIPT), "--bundle-check", str(out)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    report = json.loads(out.read_text(encoding="utf-8"))
    assert r.returncode == 0, report["failed"]
    assert report["frozen"] is False and report["modules"] > 20
    assert "icon.png" in report["resources"] and report["icon_px"] == 256


def test_smoke_script_rejects_error_lines() -> None:
    import build_and_smoke as bs

    assert bs.BAD_LINE.search("2026-01-01 00:00:00.000 ERROR    [MainThread] x: boom")
    assert bs.BAD_LINE.search("Traceback (most recent call last):")
    assert bs.BAD_LINE.search("2026-01-01 00:00:00.000 CRITICAL [MainThread] mia_desktop.crash: ...")
    assert not bs.BAD_LINE.search("2026-01-01 00:00:00.000 WARNING  [MainThread] qt: no audio device")
    assert not bs.BAD_LINE.search("2026-01-01 00:00:00.000 INFO     [MainThread] x: 0 errors so far")
    m = bs.FIRST_FRAME.search("first frame painted: MainWindow after 310 ms from watch start (epoch=17.250)")
    assert m and float(m.group(1)) == 17.25


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_frozen_build(tmp_path: Path) -> None:
    """Build the bundle with PyInstaller and smoke-test it (build_and_smoke.py)."""
    pytest.importorskip("PyInstaller")
    try:
        r = subprocess.run(
            [sys.executable, str(PACKAGING / "build_and_smoke.py"), "--dist", str(tmp_path / "dist"),
             "--work", str(tmp_path / "work"), "--out", str(tmp_path / "smoke"), "--quit-after", "5"],
            capture_output=True, text=True, timeout=580, cwd=ROOT,
        )
    finally:  # ~250 MB per build: do not leave it in pytest's kept temp folders
        for big in ("dist", "work"):
            shutil.rmtree(tmp_path / big, ignore_errors=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    assert "ok   --bundle-check" in r.stdout
    figures = json.loads(r.stdout.split("figures: ", 1)[1].splitlines()[0])
    assert figures["bundle_mb"] > 20
