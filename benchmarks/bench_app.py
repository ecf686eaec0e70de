"""Resident memory of the whole app running the two-instrument demo for N minutes.

Runs `mia-desktop --demo --quit-after N*60 --config-dir <tmp>` offscreen in a child process and
samples its RSS (Linux /proc; elsewhere the figure is skipped) every few seconds. Prints the samples,
the final RSS, the growth per minute over the second half (a leak shows as a steady slope) and the
ratio to the 400 MB target (the issue's bar) and to the seed report's 98.6 MB.

    python benchmarks/bench_app.py                # 0.75 min (fits the benchmark runner)
    python benchmarks/bench_app.py --minutes 10   # the issue's figure
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MB = 400.0
SEED_MB = 98.6


def rss_mb(pid: int) -> float | None:
    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=0.75)
    ap.add_argument("--every", type=float, default=5.0, help="seconds between samples")
    a = ap.parse_args()
    seconds = a.minutes * 60
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mia_desktop", "--demo", "--quit-after", str(seconds),
               "--config-dir", tmp]
        t0 = time.monotonic()
        wall0 = time.time()
        errf = (Path(tmp) / "stderr.txt").open("w+b")   # a file, not a pipe: a chatty child never blocks
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errf)
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            time.sleep(a.every)
            mb = rss_mb(proc.pid)
            if mb is not None and proc.poll() is None:
                t = time.monotonic() - t0
                samples.append((t, mb))
                print(f"  t={t:6.0f} s  RSS {mb:7.1f} MB", flush=True)
        rc = proc.wait()
        errf.seek(0)
        err = errf.read().decode(errors="replace")
        errf.close()
        journal = Path(tmp) / "data" / "journal.sqlite3"
        n_signals, first_us = _signals(journal)
    print(f"exit code {rc} after {time.monotonic() - t0:.0f} s; signals journaled: {n_signals}")
    if first_us:
        print(f"first signal journaled {first_us / 1e6 - wall0:.1f} s after the process started")
    if rc != 0:
        print(err[-2000:])
    if not samples:
        print("RSS: not measurable on this platform")
        return 1 if rc else 0
    final = samples[-1][1]
    peak = max(mb for _, mb in samples)
    half = [s for s in samples if s[0] >= samples[-1][0] / 2]
    slope = 0.0
    if len(half) >= 2 and half[-1][0] > half[0][0]:
        slope = (half[-1][1] - half[0][1]) / ((half[-1][0] - half[0][0]) / 60)
    print(f"RSS after {a.minutes:g} min of the two-instrument demo: {final:.1f} MB (peak {peak:.1f} MB)")
    print(f"growth over the second half: {slope:+.1f} MB/min")
    print(f"vs target {TARGET_MB:.0f} MB: {final / TARGET_MB:.2f}x   vs seed report {SEED_MB} MB: "
          f"{final / SEED_MB:.2f}x")
    return rc


def _signals(path: Path) -> tuple[int | str, int | None]:
    """(number of signals journaled, wall-clock µs of the first one)."""
    if not path.exists():
        return 0, None
    import sqlite3

    try:
        with sqlite3.connect(path) as db:
            n, first = db.execute("SELECT COUNT(*), MIN(recorded_us) FROM signals").fetchone()
            return int(n), first
    except sqlite3.Error as exc:
        return f"unreadable ({exc})", None


if __name__ == "__main__":
    sys.exit(main())
