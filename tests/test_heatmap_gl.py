"""GL path renders the same test pattern as the CPU path (under Xvfb + Mesa when available)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from mia_desktop.ui.heatmap.gl_selftest import PATTERN_VIEW, pattern_view, render_cells
from mia_desktop.ui.heatmap.synthetic import PATTERN_BLOCKS

pytestmark = pytest.mark.gl


def _run_gl(out: Path, *extra: str) -> dict[str, object]:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", LIBGL_ALWAYS_SOFTWARE="1", MIA_GL_STRIP_H="128")
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-m",
           "mia_desktop.ui.heatmap.gl_selftest", str(out), *extra]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    if r.returncode == 2:
        pytest.skip(f"no usable OpenGL under Xvfb: {r.stdout.strip()} {r.stderr.strip()[-300:]}")
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed: no headless OpenGL")
def test_gl_path_renders_same_pattern_as_cpu(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    info = _run_gl(tmp_path / "gl.png")
    assert str(info["renderer"]).startswith("GPU (OpenGL")
    assert info["full_uploads"] == 1 and info["uploaded_columns"] == 70   # then only the new columns
    gl = QImage(str(tmp_path / "gl.png")).convertToFormat(QImage.Format.Format_RGB32)
    v = pattern_view("cpu")
    qtbot.addWidget(v)
    cpu = render_cells(v)
    v.shutdown()
    assert (gl.width(), gl.height()) == (cpu.width(), cpu.height())
    w, h = cpu.width(), cpu.height()
    x0, x1, y0, y1 = PATTERN_VIEW

    def px(img: QImage, col: float, tick: float) -> tuple[int, int, int]:
        c = img.pixelColor(int((col + 0.5 - x0) / (x1 - x0) * w), int(h - (tick - y0) / (y1 - y0) * h))
        return c.red(), c.green(), c.blue()

    for b in PATTERN_BLOCKS:   # block centres: same colour on both paths
        col = (max(b.col0, int(x0)) + b.col1) / 2
        tick = (b.tick0 + b.tick1 - 1) / 2
        g, c = px(gl, col, tick), px(cpu, col, tick)
        assert max(abs(i - j) for i, j in zip(g, c, strict=True)) <= 6, (b, g, c)
        assert max(g) > 30
    # the whole picture: nearly every pixel matches (edges may differ by one pixel row/column)
    diff = 0
    step = 3
    for yy in range(0, h, step):
        for xx in range(0, w, step):
            a, b2 = gl.pixelColor(xx, yy), cpu.pixelColor(xx, yy)
            if max(abs(a.red() - b2.red()), abs(a.green() - b2.green()), abs(a.blue() - b2.blue())) > 12:
                diff += 1
    total = (h // step + 1) * (w // step + 1)
    assert diff / total < 0.01, f"{diff} of {total} sampled pixels differ"


def _diff_fraction(a: QImage, b: QImage, step: int = 3, tol: int = 12) -> float:
    diff = total = 0
    for yy in range(0, a.height(), step):
        for xx in range(0, a.width(), step):
            p, q = a.pixelColor(xx, yy), b.pixelColor(xx, yy)
            total += 1
            if max(abs(p.red() - q.red()), abs(p.green() - q.green()), abs(p.blue() - q.blue())) > tol:
                diff += 1
    return diff / total


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed: no headless OpenGL")
def test_gl_matches_cpu_through_reanchors_and_ring_wrap(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mia_desktop.ui.heatmap.gl_selftest import market_view, render_market

    info = _run_gl(tmp_path / "gl.png", "--scenario", "market")
    assert int(info["reanchors"]) >= 1                       # type: ignore[call-overload]
    assert int(info["full_uploads"]) >= 2                    # type: ignore[call-overload]
    gl = QImage(str(tmp_path / "gl.png")).convertToFormat(QImage.Format.Format_RGB32)
    v = market_view("cpu")
    qtbot.addWidget(v)
    cpu = render_market(v)
    v.shutdown()
    lit = sum(1 for y in range(0, cpu.height(), 4) for x in range(0, cpu.width(), 4)
              if cpu.pixelColor(x, y).value() > 60)
    assert lit > 500                                          # the picture is not empty
    assert _diff_fraction(gl, cpu) < 0.02
