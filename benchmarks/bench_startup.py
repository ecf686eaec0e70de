"""Start-up time to the first painted frame, from source and (when built) from the frozen bundle.

Each run launches the GUI offscreen with a throw-away `--config-dir` and `--quit-after 2`, and
reads the "first frame painted ... epoch=T" line that `logging_setup.watch_first_frame()` writes;
start-up = T - the moment the process was launched. Also prints the bundle's size.

    python benchmarks/bench_startup.py                    # source, plus build/pyi/dist if present
    python benchmarks/bench_startup.py --frozen "dist/MIA Desktop/MIA Desktop"
    python packaging/build_and_smoke.py --no-gui          # builds build/pyi/dist first
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST = re.compile(r"first frame painted.*epoch=([0-9.]+)")
DEFAULT_FROZEN = ROOT / "build" / "pyi" / "dist" / "MIA Desktop" / (
    "MIA Desktop.exe" if sys.platform == "win32" else "MIA Desktop")


def one_run(cmd: list[str]) -> float | None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
        t0 = time.time()
        subprocess.run([*cmd, "--quit-after", "2", "--config-dir", tmp], env=env, timeout=120,
                       capture_output=True)
        text = "".join(p.read_text(encoding="utf-8", errors="replace")
                       for p in Path(tmp).rglob("mia-desktop.log*"))
        m = FIRST.search(text)
        return float(m.group(1)) - t0 if m else None


def measure(label: str, cmd: list[str], runs: int) -> None:
    one_run(cmd)  # warm the OS file cache: the figure is a warm start, as a user's second launch
    times = [t for t in (one_run(cmd) for _ in range(runs)) if t is not None]
    if not times:
        print(f"{label:8s} no 'first frame painted' line (does app.py call watch_first_frame?)")
        return
    print(f"{label:8s} first frame after {statistics.median(times):.2f} s (median of {len(times)}; "
          f"min {min(times):.2f}, max {max(times):.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--frozen", type=Path, default=DEFAULT_FROZEN)
    a = ap.parse_args()
    measure("source", [sys.executable, "-m", "mia_desktop"], a.runs)
    if a.frozen.exists():
        size = sum(p.stat().st_size for p in a.frozen.parent.rglob("*") if p.is_file() and not p.is_symlink())
        print(f"bundle   {a.frozen.parent}: {size / 1e6:.0f} MB")
        measure("frozen", [str(a.frozen)], a.runs)
    else:
        print(f"frozen   skipped: no bundle at {a.frozen} (python packaging/build_and_smoke.py --no-gui)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
