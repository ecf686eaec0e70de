"""Is there a usable OpenGL 3.3 core context here? Probed once, quickly, never crashing.

Under QT_QPA_PLATFORM=offscreen/minimal there is no OpenGL at all: answered False without
touching GL. Otherwise a QOpenGLContext is created against a QOffscreenSurface and its version
checked (the GPU renderer needs GLSL 330: texelFetch, integer maths in shaders).
A software rasteriser (Mesa llvmpipe/softpipe, SwiftShader, Microsoft's GDI renderer) counts as
usable but not as "available" for the automatic choice: the per-pixel shader on a CPU is an
order of magnitude slower than the pyqtgraph path (see benchmarks/bench_heatmap.py), so "auto"
picks the CPU renderer there and only an explicit "gpu" setting uses it.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext, QSurfaceFormat

REQUIRED = (3, 3)
_NO_GL_PLATFORMS = {"offscreen", "minimal", "vnc", "linuxfb"}
_SOFTWARE = ("llvmpipe", "softpipe", "swiftshader", "gdi generic", "software rasterizer", "swrast")
_cache: tuple[bool, str] | None = None


def gl_format() -> QSurfaceFormat:
    fmt = QSurfaceFormat()
    fmt.setRenderableType(QSurfaceFormat.RenderableType.OpenGL)
    fmt.setVersion(*REQUIRED)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setDepthBufferSize(0)
    fmt.setStencilBufferSize(8)   # QPainter over GL uses stencil for clipping
    return fmt


def probe() -> tuple[bool, str]:
    """(usable, description): description is 'OpenGL 4.5 (Mesa ...)' or why not."""
    global _cache
    if _cache is not None:
        return _cache
    _cache = _probe()
    return _cache


def _probe() -> tuple[bool, str]:
    app = QGuiApplication.instance()
    if app is None:
        return False, "no Qt application yet"
    platform = QGuiApplication.platformName().lower()
    if platform in _NO_GL_PLATFORMS:
        return False, f"Qt platform '{platform}' has no OpenGL"
    if os.environ.get("MIA_NO_GL"):
        return False, "disabled by MIA_NO_GL"
    ctx = QOpenGLContext()
    ctx.setFormat(gl_format())
    if not ctx.create():
        return False, "could not create an OpenGL context"
    surface = QOffscreenSurface()
    surface.setFormat(ctx.format())
    surface.create()
    try:
        if not surface.isValid() or not ctx.makeCurrent(surface):
            return False, "could not make the OpenGL context current"
        fmt = ctx.format()
        version = (fmt.majorVersion(), fmt.minorVersion())
        f = ctx.functions()
        renderer = str(f.glGetString(0x1F01) or "")  # GL_RENDERER
        ctx.doneCurrent()
        if ctx.isOpenGLES():
            return False, f"OpenGL ES {version[0]}.{version[1]} is not supported ({renderer})"
        if version < REQUIRED:
            return False, f"OpenGL {version[0]}.{version[1]} < 3.3 ({renderer})"
        return True, f"OpenGL {version[0]}.{version[1]} ({renderer})"
    finally:
        surface.destroy()


def is_software(description: str) -> bool:
    d = description.lower()
    return any(s in d for s in _SOFTWARE)


def gl_usable() -> bool:
    """A 3.3 core context can be made (possibly software-rendered)."""
    return probe()[0]


def gl_available() -> bool:
    """Hardware OpenGL 3.3 is here: what the automatic renderer choice uses."""
    ok, text = probe()
    return ok and not is_software(text)


def gl_version_text() -> str:
    ok, text = probe()
    return text.split(" (")[0] if ok else "none"
