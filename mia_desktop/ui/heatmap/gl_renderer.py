"""GPU heatmap renderer: a QOpenGLWidget with the history in one R8 texture used as a ring.

How this works: the store's ring (capacity columns x rows, one byte per cell) is mirrored in a
texture. GL's guaranteed texture size is too small for 36,000 columns in one direction, so the
ring is folded into vertical strips: slot s lives at texel (strip * rows + row, s % strip_h)
with strip = s // strip_h — one column of cells is one texel row, contiguous in memory, so
uploading new columns is one glTexSubImage2D of exactly those rows (per strip touched). A full
re-upload happens only on the first frame and after the price grid re-anchors.

A full-screen triangle runs the fragment shader: pixel -> (column, tick) -> ring slot -> stored
byte (max over a few samples when several columns share a pixel) -> `scale.GLSL_MAPPING`
(log/linear, cut-offs, contrast, normalised by the largest visible size) -> 256-entry colormap
texture. Trades, best bid/ask lines and markers are then painted with QPainter over the GL image.
GL 3.3 core, R8 + RGBA8 textures and texelFetch only: what old Intel laptop drivers offer too.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

import numpy as np
import shiboken6
from PySide6.QtGui import QOpenGLContext, QPainter
from PySide6.QtOpenGL import (
    QOpenGLShader,
    QOpenGLShaderProgram,
    QOpenGLTexture,
    QOpenGLVertexArrayObject,
)
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from mia_desktop.ui import theme
from mia_desktop.ui.heatmap.frame import Frame
from mia_desktop.ui.heatmap.gl_probe import gl_format
from mia_desktop.ui.heatmap.overlay import draw_overlays
from mia_desktop.ui.heatmap.scale import GLSL_MAPPING
from mia_desktop.ui.heatmap.store import HeatStore

GL_TEXTURE_2D = 0x0DE1
GL_RED = 0x1903
GL_RGBA = 0x1908
GL_UNSIGNED_BYTE = 0x1401
GL_UNPACK_ALIGNMENT = 0x0CF5
GL_MAX_TEXTURE_SIZE = 0x0D33
GL_TRIANGLES = 0x0004
GL_COLOR_BUFFER_BIT = 0x4000
GL_BLEND = 0x0BE2
GL_DEPTH_TEST = 0x0B71
GL_SCISSOR_TEST = 0x0C11
GL_STENCIL_TEST = 0x0B90
GL_TEXTURE0 = 0x84C0

VERTEX = """#version 330 core
void main() {
    vec2 pos = vec2((gl_VertexID == 1) ? 3.0 : -1.0, (gl_VertexID == 2) ? 3.0 : -1.0);
    gl_Position = vec4(pos, 0.0, 1.0);
}
"""

FRAGMENT = """#version 330 core
uniform sampler2D u_cells;     // R8: stored bytes, folded ring
uniform sampler2D u_lut;       // 256 x 1 RGBA colormap, entry 0 = background
uniform vec4 u_view;           // x0, x1 (columns, relative to the oldest stored), y0, y1 (ticks rel. anchor)
uniform vec2 u_size;           // framebuffer pixels
uniform int u_count;
uniform int u_oldest_slot;
uniform int u_capacity;
uniform int u_rows;
uniform int u_strip_h;
uniform float u_inv_strip_h;
uniform int u_sx;              // samples per pixel in time
uniform int u_sy;              // samples per pixel in price
out vec4 frag;
""" + GLSL_MAPPING + """
void main() {
    float cols_per_px = (u_view.y - u_view.x) / u_size.x;
    float ticks_per_px = (u_view.w - u_view.z) / u_size.y;
    float xl = u_view.x + (gl_FragCoord.x - 0.5) * cols_per_px;
    float yl = u_view.z + (gl_FragCoord.y - 0.5) * ticks_per_px;
    float qmax = 0.0;
    for (int i = 0; i < u_sx; ++i) {
        float x = (u_sx == 1) ? xl + 0.5 * cols_per_px : xl + (float(i) + 0.5) * cols_per_px / float(u_sx);
        int rel = int(floor(x));
        if (rel < 0 || rel >= u_count) continue;
        // slot = (oldest + rel) mod capacity, strip = slot / strip_h: without integer division,
        // which software rasterisers (llvmpipe) run per lane and slowly
        int slot = u_oldest_slot + rel;
        if (slot >= u_capacity) slot -= u_capacity;
        int strip = int(floor((float(slot) + 0.5) * u_inv_strip_h));
        int ty = slot - strip * u_strip_h;
        for (int j = 0; j < u_sy; ++j) {
            float y = (u_sy == 1) ? yl + 0.5 * ticks_per_px
                                  : yl + (float(j) + 0.5) * ticks_per_px / float(u_sy);
            int row = int(floor(y + 0.5));
            if (row < 0 || row >= u_rows) continue;
            qmax = max(qmax, texelFetch(u_cells, ivec2(strip * u_rows + row, ty), 0).r);
        }
    }
    int idx = color_index(qmax);
    frag = texelFetch(u_lut, ivec2(idx, 0), 0);
}
"""


class GlSetupError(RuntimeError):
    """The GPU renderer cannot run on this context (shader, texture size)."""


class GlHeatWidget(QOpenGLWidget):
    def __init__(self, owner: GlRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.owner = owner
        self.setFormat(gl_format())

    def initializeGL(self) -> None:
        self.owner._init_gl(self)

    def paintGL(self) -> None:
        self.owner._paint_gl(self)


class GlRenderer:
    # Tallest strip of the folded ring; the self-test lowers it to exercise folding on small data.
    max_strip_h = int(os.environ.get("MIA_GL_STRIP_H", "16384"))

    def __init__(self, store: HeatStore, parent: QWidget | None = None) -> None:
        self.store = store
        self.widget = GlHeatWidget(self, parent)
        self.version = "OpenGL"
        self.failed: str | None = None
        self.on_failed: Callable[[str], None] | None = None
        self.on_painted: Callable[[float, int], None] | None = None
        self.frame: Frame | None = None
        self.last_paint_done = 0.0
        self.painted_newest_g = -1
        self.uploaded_columns = 0          # columns sent with glTexSubImage2D (not counting full uploads)
        self.full_uploads = 0
        self._program: QOpenGLShaderProgram | None = None
        self._vao: QOpenGLVertexArrayObject | None = None
        self._cells: QOpenGLTexture | None = None
        self._lut: QOpenGLTexture | None = None
        self._lut_name: str | None = None
        self._strip_h = 0
        self._strips = 0

    @property
    def name(self) -> str:
        return f"GPU ({self.version})"

    def render_frame(self, f: Frame) -> None:
        self.frame = f
        self.widget.update()

    # ---- GL side --------------------------------------------------------------------------
    def _fail(self, why: str) -> None:
        self.failed = why
        if self.on_failed is not None:
            self.on_failed(why)

    def _init_gl(self, w: QOpenGLWidget) -> None:
        try:
            self._setup(w)
        except GlSetupError as e:
            self._fail(str(e))

    def _setup(self, w: QOpenGLWidget) -> None:
        ctx = w.context()
        fmt = ctx.format()
        self.version = f"OpenGL {fmt.majorVersion()}.{fmt.minorVersion()}"
        if (fmt.majorVersion(), fmt.minorVersion()) < (3, 3) or ctx.isOpenGLES():
            raise GlSetupError(f"needs OpenGL 3.3 core, got {self.version}")
        f = ctx.functions()
        max_tex = int(f.glGetIntegerv(GL_MAX_TEXTURE_SIZE) or 0) if hasattr(f, "glGetIntegerv") else 8192
        max_tex = max(min(max_tex, 16384), 2048)
        strip_cap = max(min(max_tex, self.max_strip_h), 16)
        cap, rows = self.store.capacity, self.store.rows
        self._strip_h = min(cap, strip_cap)
        self._strips = math.ceil(cap / self._strip_h)
        if self._strips * rows > max_tex:
            raise GlSetupError(f"history {cap}x{rows} does not fit a {max_tex}^2 texture")
        prog = QOpenGLShaderProgram(w)
        if not prog.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Vertex, VERTEX):
            raise GlSetupError("vertex shader: " + prog.log())
        if not prog.addShaderFromSourceCode(QOpenGLShader.ShaderTypeBit.Fragment, FRAGMENT):
            raise GlSetupError("fragment shader: " + prog.log())
        if not prog.link():
            raise GlSetupError("shader link: " + prog.log())
        self._program = prog
        self._vao = QOpenGLVertexArrayObject(w)
        self._vao.create()
        cells = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
        cells.setFormat(QOpenGLTexture.TextureFormat.R8_UNorm)
        cells.setSize(self._strips * rows, self._strip_h)
        cells.setMipLevels(1)
        cells.allocateStorage(QOpenGLTexture.PixelFormat.Red, QOpenGLTexture.PixelType.UInt8)
        cells.setMinMagFilters(QOpenGLTexture.Filter.Nearest, QOpenGLTexture.Filter.Nearest)
        cells.setWrapMode(QOpenGLTexture.WrapMode.ClampToEdge)
        if not cells.isStorageAllocated():
            raise GlSetupError("could not allocate the heatmap texture")
        self._cells = cells
        lut = QOpenGLTexture(QOpenGLTexture.Target.Target2D)
        lut.setFormat(QOpenGLTexture.TextureFormat.RGBA8_UNorm)
        lut.setSize(256, 1)
        lut.setMipLevels(1)
        lut.allocateStorage(QOpenGLTexture.PixelFormat.RGBA, QOpenGLTexture.PixelType.UInt8)
        lut.setMinMagFilters(QOpenGLTexture.Filter.Nearest, QOpenGLTexture.Filter.Nearest)
        self._lut = lut
        ctx.aboutToBeDestroyed.connect(self._release_gl)  # Qt makes the context current first
        self.store._full_dirty = True

    def _upload(self, f: object) -> None:
        assert self._cells is not None
        full, ranges = self.store.take_dirty()
        if full:
            ranges = [(0, self.store.capacity)]
            self.full_uploads += 1
        if not ranges:
            return
        self._cells.bind()
        f.glPixelStorei(GL_UNPACK_ALIGNMENT, 1)  # type: ignore[attr-defined]
        rows, h = self.store.rows, self._strip_h
        q = self.store.q
        for s0, s1 in ranges:
            s = s0
            while s < s1:
                strip = s // h
                e = min(s1, (strip + 1) * h)
                f.glTexSubImage2D(GL_TEXTURE_2D, 0, strip * rows, s - strip * h, rows, e - s,  # type: ignore[attr-defined]
                                  GL_RED, GL_UNSIGNED_BYTE, q[s:e])
                if not full:
                    self.uploaded_columns += e - s
                s = e

    def _paint_gl(self, w: QOpenGLWidget) -> None:
        ctx = w.context()
        f = ctx.functions()
        bg = theme.qcolor(theme.BG)
        f.glClearColor(bg.redF(), bg.greenF(), bg.blueF(), 1.0)
        f.glClear(GL_COLOR_BUFFER_BIT)
        frame = self.frame
        if self.failed or frame is None or self._program is None or self._cells is None:
            return
        self._upload(f)
        assert self._lut is not None and self._vao is not None
        if self._lut_name != frame.colormap:
            self._lut.setData(0, 0, 0, 256, 1, 1, QOpenGLTexture.PixelFormat.RGBA,
                              QOpenGLTexture.PixelType.UInt8, np.ascontiguousarray(frame.lut))
            self._lut_name = frame.colormap
        dpr = w.devicePixelRatioF()
        fw, fh = max(int(w.width() * dpr), 1), max(int(w.height() * dpr), 1)
        f.glViewport(0, 0, fw, fh)
        for cap in (GL_BLEND, GL_DEPTH_TEST, GL_SCISSOR_TEST, GL_STENCIL_TEST):
            f.glDisable(cap)
        st = self.store
        anchor = st.anchor if st.anchor is not None else 0
        oldest = st.oldest_g
        p = self._program
        p.bind()
        f.glActiveTexture(GL_TEXTURE0)
        self._cells.bind(0)
        self._lut.bind(1)
        p.setUniformValue1i(p.uniformLocation("u_cells"), 0)
        p.setUniformValue1i(p.uniformLocation("u_lut"), 1)
        p.setUniformValue(p.uniformLocation("u_view"), float(frame.x0 - oldest), float(frame.x1 - oldest),
                          float(frame.y0 - anchor), float(frame.y1 - anchor))
        p.setUniformValue(p.uniformLocation("u_size"), float(fw), float(fh))
        for name, val in (("u_count", st.count), ("u_oldest_slot", oldest % st.capacity),
                          ("u_capacity", st.capacity), ("u_rows", st.rows), ("u_strip_h", self._strip_h),
                          ("u_sx", int(min(max(math.ceil((frame.x1 - frame.x0) / fw), 1), 8))),
                          ("u_sy", int(min(max(math.ceil((frame.y1 - frame.y0) / fh), 1), 4))),
                          ("u_log", 1 if frame.params.mode == "log" else 0)):
            p.setUniformValue1i(p.uniformLocation(name), int(val))
        for name, fval in (("u_inv_strip_h", 1.0 / self._strip_h), ("u_norm", frame.norm),
                           ("u_low", frame.params.low_cut), ("u_high", frame.params.high_cut),
                           ("u_contrast", frame.params.contrast)):
            p.setUniformValue1f(p.uniformLocation(name), float(fval))
        self._vao.bind()
        f.glDrawArrays(GL_TRIANGLES, 0, 3)
        self._vao.release()
        self._lut.release(1)
        self._cells.release(0)
        p.release()
        painter = QPainter(w)
        draw_overlays(painter, frame, w.width(), w.height())
        painter.end()
        self.last_paint_done = time.perf_counter()
        self.painted_newest_g = frame.newest_g
        if self.on_painted is not None:
            self.on_painted(self.last_paint_done, frame.newest_g)

    def _release_gl(self) -> None:
        """Free GL objects; the context must be current (Qt warns or crashes otherwise)."""
        if QOpenGLContext.currentContext() is None:
            return
        for tex in (self._cells, self._lut):
            if tex is not None and tex.isCreated():
                tex.destroy()
        if self._vao is not None and self._vao.isCreated():
            self._vao.destroy()
        self._cells = self._lut = None
        self._vao = None
        self._program = None

    def close(self) -> None:
        """Release GL objects and delete the GL widget now, while its window still exists
        (a QOpenGLWidget destroyed late, with its top-level window, can crash Qt)."""
        self.on_painted = None
        self.on_failed = None
        w = self.widget
        if not shiboken6.isValid(w):
            return
        if w.context() is not None and w.context().isValid():
            w.makeCurrent()
            self._release_gl()
            w.doneCurrent()
        w.hide()
        w.setParent(None)
        shiboken6.delete(w)
