"""Build the PyInstaller bundle from packaging/mia_desktop.spec and smoke-test the frozen app.

    python packaging/build_and_smoke.py                  # build into build/pyi, then all checks
    python packaging/build_and_smoke.py --skip-build     # re-test an existing dist folder
    python packaging/build_and_smoke.py --no-gui         # bundle checks only (no window)

Checks, in order (each prints one line; the first failure exits 1):
  1. `--version` exits 0 (and prints the version where the exe has a console);
  2. `--bundle-check REPORT.json`: every mia_desktop module imports, resources and Qt plugins load;
  3. `analyze` on a small recorded file, when one is given (--depth) or found in ../shared/data;
  4. the GUI: `--quit-after N --screenshot shot.png --config-dir DIR` with QT_QPA_PLATFORM=offscreen
     exits 0, the screenshot exists and is not blank, and the log has no ERROR/CRITICAL/Traceback.
Figures printed at the end: build seconds, bundle size, process start to first frame (from the
"first frame painted" log line), exit time. The Windows workflow runs the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import spec_config as cfg  # noqa: E402

BAD_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")
FIRST_FRAME = re.compile(r"first frame painted.*epoch=([0-9.]+)")


class SmokeError(Exception):
    pass


def exe_path(dist: Path) -> Path:
    name = cfg.APP_NAME + (".exe" if sys.platform == "win32" else "")
    return dist / cfg.APP_NAME / name


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path) -> float:
    t0 = time.perf_counter()
    # No --clean: it also empties PyInstaller's shared binary-dependency cache, which makes every
    # build pay the full ~20 s dependency scan again. The work folder is per build anyway.
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(HERE / "mia_desktop.spec")]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SmokeError(f"PyInstaller failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return time.perf_counter() - t0


def run(exe: Path, args: list[str], *, timeout: float, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=cwd, encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired as e:
        raise SmokeError(f"{exe.name} {' '.join(args)} did not finish in {timeout:.0f} s") from e


def check_version(exe: Path) -> None:
    r = run(exe, ["--version"], timeout=60)
    if r.returncode != 0:
        raise SmokeError(f"--version exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    version = cfg.read_version()
    out = (r.stdout + r.stderr).strip()
    if out and version not in out:  # a windowed Windows exe has no stdout: empty is fine there
        raise SmokeError(f"--version printed {out!r}, expected {version}")
    print(f"ok   --version ({out or 'no console'})", flush=True)


def check_bundle(exe: Path, out_dir: Path, env: dict[str, str]) -> dict[str, object]:
    report_file = out_dir / "bundle-check.json"
    r = run(exe, ["--bundle-check", str(report_file)], timeout=120, env=env)
    if not report_file.exists():
        raise SmokeError(f"--bundle-check wrote no report (exit {r.returncode}): {r.stderr[-2000:]}")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    if r.returncode != 0 or report.get("failed") or not report.get("frozen"):
        raise SmokeError(f"--bundle-check failed: {json.dumps(report.get('failed'), indent=1)}")
    print(f"ok   --bundle-check ({report['modules']} modules, resources {report['resources']}, "
          f"keyring {report['keyring']})")
    return report


def check_analyze(exe: Path, depth: Path, out_dir: Path, env: dict[str, str]) -> None:
    out = out_dir / "analyze.jsonl"
    r = run(exe, ["analyze", "--depth", str(depth), "--out", str(out)], timeout=300, env=env)
    if r.returncode != 0:
        raise SmokeError(f"analyze exited {r.returncode}: {r.stderr.strip()[-2000:]}")
    if not out.exists():
        raise SmokeError("analyze wrote no output file")
    lines = sum(1 for _ in out.open(encoding="utf-8"))
    summary: dict[str, object] = {}
    for line in reversed(r.stdout.splitlines()):  # empty where a windowed exe has no stdout
        if line.startswith("{") and '"summary"' in line:
            summary = json.loads(line)
            break
    if r.stdout.strip() and not summary:
        raise SmokeError(f"analyze printed no summary line: {r.stdout[-1000:]}")
    if summary and not summary.get("events"):
        raise SmokeError(f"analyze processed no events: {summary}")
    print(f"ok   analyze {depth.name} ({lines} lines, {summary.get('events', '?')} events)", flush=True)


def screenshot_colours(path: Path) -> int:
    """How many distinct colours a grid of samples finds (1 = blank)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    img = QImage(str(path))
    if img.isNull() or img.width() < 100 or img.height() < 100:
        return 0
    seen = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    return len(seen)


def log_time(line: str) -> float | None:
    m = LOG_TIME.match(line)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()


def _log_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("mia-desktop.log*")) if folder.exists() else []


def check_gui(exe: Path, out_dir: Path, env: dict[str, str], quit_after: float,
              user_folders: bool = False) -> dict[str, float]:
    """Run the GUI offscreen; `user_folders`: use the real platformdirs folders (installed-app
    test) instead of a throw-away --config-dir, reading only what this run adds to the log."""
    cfg_dir = out_dir / "config"
    shot = out_dir / "shot.png"
    args = ["--quit-after", str(quit_after), "--screenshot", str(shot)]
    if user_folders:
        sys.path.insert(0, str(ROOT))
        from mia_desktop.storage.paths import app_paths

        log_folders = [app_paths().log_dir]
    else:
        args += ["--config-dir", str(cfg_dir)]
        log_folders = [cfg_dir, out_dir / "logs-env"]
    before = {p: p.stat().st_size for f in log_folders for p in _log_files(f)}
    t0 = time.time()
    r = run(exe, args, timeout=quit_after + 90, env=env, cwd=out_dir)
    t_exit = time.time() - t0
    logs = [p for f in log_folders for p in _log_files(f)]
    chunks = []
    for p in logs:
        data = p.read_bytes()
        if before.get(p, 0) <= len(data):  # a rotated file starts again from 0: read it whole
            data = data[before.get(p, 0):]
        chunks.append(data.decode("utf-8", errors="replace"))
    text = "\n".join(chunks)
    (out_dir / "gui-log.txt").write_text(text, encoding="utf-8")
    (out_dir / "gui-stdout.txt").write_text(r.stdout + "\n---- stderr ----\n" + r.stderr, encoding="utf-8")
    problems = [ln for ln in text.splitlines() if BAD_LINE.search(ln)]
    problems += [f"stderr: {ln}" for ln in r.stderr.splitlines() if BAD_LINE.search(ln)]
    if r.returncode != 0:
        raise SmokeError(f"GUI exited {r.returncode}; stderr tail:\n{r.stderr[-3000:]}")
    if not text.strip():
        raise SmokeError(f"nothing logged under {log_folders} (does app.py call logging_setup.configure?)")
    if problems:
        raise SmokeError("error lines in the log:\n" + "\n".join(problems[:40]))
    if not shot.exists():
        raise SmokeError("no screenshot written")
    colours = screenshot_colours(shot)
    if colours < 8:
        raise SmokeError(f"screenshot looks blank ({colours} distinct colours)")
    figures = {"gui_exit_s": t_exit, "screenshot_colours": float(colours)}
    m = FIRST_FRAME.search(text)
    if m:
        figures["first_frame_s"] = float(m.group(1)) - t0
    first = next((t for t in map(log_time, text.splitlines()) if t is not None), None)
    if first is not None:
        figures["first_log_line_s"] = first - t0
    print(f"ok   GUI --quit-after {quit_after:g}: exit 0 in {t_exit:.1f} s, screenshot {colours} colours, "
          f"{len(text.splitlines())} log lines, none bad")
    return figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dist", type=Path, default=ROOT / "build" / "pyi" / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyi" / "work")
    p.add_argument("--out", type=Path, default=ROOT / "build" / "pyi" / "smoke", help="smoke-test files")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--no-gui", action="store_true", help="skip the GUI run (bundle checks only)")
    p.add_argument("--quit-after", type=float, default=8.0)
    p.add_argument("--depth", type=Path, help="a small .depth file for the analyze check")
    p.add_argument("--user-folders", action="store_true",
                   help="GUI run with the real settings/journal/log folders (test of an installed app)")
    a = p.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # progress lines appear as each check ends

    # absolute: the GUI runs with its working folder set to --out
    a.dist, a.work, a.out = a.dist.resolve(), a.work.resolve(), a.out.resolve()
    a.out.mkdir(parents=True, exist_ok=True)
    for stale in ("config", "logs-env"):  # a previous run's log or screenshot must not pass this one
        shutil.rmtree(a.out / stale, ignore_errors=True)
    for stale in ("shot.png", "bundle-check.json", "analyze.jsonl", "gui-stdout.txt", "gui-log.txt"):
        (a.out / stale).unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MIA_DESKTOP_LOG_DIR": str(a.out / "logs-env"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    figures: dict[str, float] = {}
    try:
        if not a.skip_build:
            figures["build_s"] = build(a.dist, a.work)
            print(f"ok   build in {figures['build_s']:.1f} s", flush=True)
        exe = exe_path(a.dist)
        if not exe.exists():
            raise SmokeError(f"no frozen app at {exe}")
        figures["bundle_mb"] = folder_size(exe.parent) / 1e6
        check_version(exe)
        check_bundle(exe, a.out, env)
        depth = a.depth or ROOT.parent / "shared" / "data" / "ESH4.CME.2023-12-25.depth"
        if not (ROOT / "mia_desktop" / "engine" / "analyze_cmd.py").exists():
            print("skip analyze (mia_desktop/engine/analyze_cmd.py not in this tree yet)")
        elif depth.exists():
            check_analyze(exe, depth, a.out, env)
        else:
            print(f"skip analyze (no {depth})")
        if not a.no_gui and not (ROOT / "mia_desktop" / "app.py").exists():
            print("skip GUI (mia_desktop/app.py not in this tree yet)")
        elif not a.no_gui:
            figures.update(check_gui(exe, a.out, env, a.quit_after, a.user_folders))
    except SmokeError as e:
        print(f"FAIL {e}", file=sys.stderr, flush=True)
        print("figures: " + json.dumps({k: round(v, 2) for k, v in figures.items()}), flush=True)
        return 1
    print("figures: " + json.dumps({k: round(v, 2) for k, v in figures.items()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
