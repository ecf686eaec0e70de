"""Heatmap figures: frame time at 1920x1080 with one hour of history on both renderers, and
event-to-pixel latency (p50/p99) while 20,000 book updates/s stream in.

    python benchmarks/bench_heatmap.py            # CPU here (offscreen); GPU in an xvfb-run child
    python benchmarks/bench_heatmap.py --renderer gpu   (the child; needs an X display + OpenGL)

History: 36,000 columns of 100 ms (one hour) in the view's ring; the GPU texture holds them all
(R8, folded into strips). On a machine without a GPU the "GPU" figures come from Mesa llvmpipe
(software OpenGL under Xvfb) — a lower bound, not what a real GPU does.
Latency: columns are handed over every 5 ms, each carrying 100 changed levels (= 20,000 level
updates/s, 20x the default column rate), plus trades; latency = time from `add_columns` to the
end of the paint of the first frame that contains the column. Frames are timer-driven (60 Hz).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HOUR_COLS = 36_000
W, H = 1920, 1080


def _pct(a: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(a), q)) if a else float("nan")


def run(renderer: str, seconds: float) -> dict[str, object]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from mia_desktop.engine.snapshot import HeatColumn
    from mia_desktop.market.instrument import BUILTIN
    from mia_desktop.ui import theme
    from mia_desktop.ui.heatmap.synthetic import iter_market
    from mia_desktop.ui.heatmap.view import HeatmapView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply_dark_theme(app)  # type: ignore[arg-type]
    v = HeatmapView(BUILTIN["ES"], renderer=renderer, capacity=HOUR_COLS, rows=1024)
    v.resize(W, H)
    v.show()
    app.processEvents()
    out: dict[str, object] = {"renderer": v.renderer_name}
    t0 = time.perf_counter()
    gen = iter_market(HOUR_COLS + 20_000, seed=3)
    batch_c, batch_t = [], []
    for _ in range(HOUR_COLS):
        c, ts = next(gen)
        batch_c.append(c)
        batch_t.extend(ts)
        if len(batch_c) == 1000:
            v.add_columns(batch_c)
            v.add_trades(batch_t)
            batch_c, batch_t = [], []
    out["fill_s"] = round(time.perf_counter() - t0, 2)
    w = v.renderer.widget

    def frame_ms(n: int, feed: bool = False) -> list[float]:
        times = []
        for _ in range(n):
            if feed:
                c, ts = next(gen)
                v.add_columns([c])
                v.add_trades(ts)
            t = time.perf_counter()
            v._dirty = True
            v.render_now()
            (w.viewport() if hasattr(w, "viewport") else w).repaint()   # synchronous paint
            if hasattr(w, "makeCurrent"):
                w.makeCurrent()
                w.context().functions().glFinish()
                w.doneCurrent()
            times.append((time.perf_counter() - t) * 1e3)
        return times

    frame_ms(3)  # warm-up: first (full) texture upload, caches
    v.set_follow(False)
    v.view.x0, v.view.x1 = v.store.oldest_g, v.store.next_g      # the whole hour on screen
    full = frame_ms(10)
    v.reset_view()                                                # 5 minutes, following
    five = frame_ms(15)
    stream = frame_ms(15, feed=True)
    out["frame_ms_full_hour"] = {"p50": round(_pct(full, 50), 2), "max": round(max(full), 2)}
    out["frame_ms_5min_follow"] = {"p50": round(_pct(five, 50), 2), "max": round(max(five), 2)}
    out["frame_ms_5min_new_column"] = {"p50": round(_pct(stream, 50), 2), "max": round(max(stream), 2)}

    # ---- event-to-pixel latency under a 20k updates/s stream -------------------------------
    handed: dict[int, float] = {}
    lat: list[float] = []
    done_upto = [v.store.newest_g]

    def on_painted(t_done: float, newest_g: int) -> None:
        for g in range(done_upto[0] + 1, newest_g + 1):
            t = handed.pop(g, None)
            if t is not None:
                lat.append((t_done - t) * 1e3)
        done_upto[0] = max(done_upto[0], newest_g)

    v.renderer.on_painted = on_painted
    updates = [0]
    rng = np.random.default_rng(5)

    t_first = [0.0]
    rate_cols = 200.0   # columns/s x 100 updates = 20,000 updates/s

    def produce() -> None:
        # Hand over every column that is due by now; its latency counts from when it was due, so
        # time spent waiting behind a long frame is included (no coordinated omission).
        now = time.perf_counter()
        if not t_first[0]:
            t_first[0] = now
        sent = updates[0] // 100
        due = int((now - t_first[0]) * rate_cols) + 1
        for k in range(sent, due):
            produce_one(t_first[0] + k / rate_cols)

    def produce_one(t_due: float) -> None:
        c, ts = next(gen)
        # 100 changed levels per column: perturb 100 cells of the book
        bid = c.bid.copy()
        idx = rng.integers(0, len(bid), 100)
        bid[idx] *= rng.uniform(0.8, 1.2, 100).astype(np.float32)
        col = HeatColumn(c.seq, c.ts_us, c.base_tick, bid, c.ask, c.buy, c.sell, c.best_bid, c.best_ask)
        handed[v.store.next_g] = t_due
        v.add_columns([col])
        v.add_trades(ts)
        v.set_best(c.best_bid, c.best_ask)
        updates[0] += 100

    v.frames_rendered = v.frames_skipped = 0
    prod = QTimer()
    prod.setInterval(5)
    prod.timeout.connect(produce)
    t_start = time.perf_counter()
    prod.start()
    while time.perf_counter() - t_start < seconds:
        app.processEvents()
        time.sleep(0.0005)
    prod.stop()
    elapsed = time.perf_counter() - t_start
    out["stream_updates_per_s"] = round(updates[0] / elapsed)
    out["latency_ms"] = {"p50": round(_pct(lat, 50), 2), "p99": round(_pct(lat, 99), 2), "n": len(lat)}
    out["frames_rendered"] = v.frames_rendered
    out["frames_skipped"] = v.frames_skipped
    out["fps"] = round(v.frames_rendered / elapsed, 1)
    out["uploaded_columns"] = getattr(v.renderer, "uploaded_columns", None)
    out["full_uploads"] = getattr(v.renderer, "full_uploads", None)
    v.shutdown()
    return out


def show(r: dict[str, object], label: str) -> None:
    print(f"[{label}] renderer: {r['renderer']}   "
          f"(history {HOUR_COLS} columns, {W}x{H}; fill {r['fill_s']} s)")
    for k in ("frame_ms_full_hour", "frame_ms_5min_follow", "frame_ms_5min_new_column"):
        f = r[k]
        print(f"  {k:<26} p50 {f['p50']:7.2f} ms   max {f['max']:7.2f} ms   (16.7 ms = 60 Hz budget: "  # type: ignore[index]
              f"ratio {f['p50'] / 16.7:.2f})")  # type: ignore[index]
    lat = r["latency_ms"]
    print(f"  event-to-pixel at {r['stream_updates_per_s']} updates/s: p50 {lat['p50']:.1f} ms, "  # type: ignore[index]
          f"p99 {lat['p99']:.1f} ms (n={lat['n']}); {r['fps']} frames/s, "  # type: ignore[index]
          f"rendered {r['frames_rendered']}, skipped {r['frames_skipped']}")
    if r.get("uploaded_columns") is not None:
        print(f"  GPU texture: {r['full_uploads']} full upload(s), "
              f"then {r['uploaded_columns']} columns uploaded one range at a time")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--renderer", choices=("cpu", "gpu"))
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.renderer:
        r = run(args.renderer, args.seconds)
        if args.json:
            print("JSON " + json.dumps(r), flush=True)
        else:
            show(r, args.renderer)
        os._exit(0)   # skip interpreter teardown of Qt objects: figures are printed
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    r = run("cpu", args.seconds)
    show(r, "CPU, offscreen")
    if shutil.which("xvfb-run") is None:
        print("[GPU] skipped: xvfb-run not installed and no display")
        return 0
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", LIBGL_ALWAYS_SOFTWARE="1")
    cmd = ["xvfb-run", "-a", "-s", f"-screen 0 {W + 100}x{H + 100}x24", sys.executable, str(Path(__file__)),
           "--renderer", "gpu", "--json", "--seconds", str(args.seconds)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        print("[GPU] failed:", p.stdout[-500:], p.stderr[-1500:])
        return 0
    g = json.loads(line[5:])
    show(g, "GPU path, Mesa llvmpipe software GL under Xvfb (no real GPU here)")
    if g["renderer"].startswith("GPU"):
        print(f"  GPU/CPU frame-time ratio (5 min, new column): "
              f"{g['frame_ms_5min_new_column']['p50'] / max(r['frame_ms_5min_new_column']['p50'], 1e-9):.2f}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
