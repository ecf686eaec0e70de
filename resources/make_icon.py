"""Draw the app icon with QPainter and write resources/icon.png (256 px) and resources/icon.ico.

Run: `python resources/make_icon.py` (offscreen is fine). The .ico holds PNG-compressed images at
16-256 px, each drawn at its own size so small icons stay crisp; Windows Vista and later (and
PyInstaller, Inno Setup) read that form. Output is deterministic, so the committed files only
change when this drawing does.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

SIZES = (16, 24, 32, 48, 64, 128, 256)
HERE = Path(__file__).resolve().parent
# depth-of-market ladder: (relative y, relative length, colour) — a heatmap in miniature
BARS = (
    (0.20, 0.55, "#3b4cc0"), (0.31, 0.80, "#6f8ff0"), (0.42, 0.62, "#f0d050"),
    (0.53, 0.95, "#ff8c1a"), (0.64, 0.70, "#f04a1a"), (0.75, 0.45, "#6f8ff0"),
)
PRICE = ((0.12, 0.72), (0.32, 0.58), (0.48, 0.66), (0.66, 0.38), (0.88, 0.26))


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    bg = QPainterPath()
    bg.addRoundedRect(QRectF(0.5, 0.5, s - 1, s - 1), s * 0.18, s * 0.18)
    p.fillPath(bg, QColor("#10182b"))
    bar_h = max(1.0, s * 0.075)
    for y, length, colour in BARS:
        p.fillRect(QRectF(s * 0.12, s * y, s * 0.76 * length, bar_h), QColor(colour))
    pen = QPen(QColor("#e8fbff"), max(1.2, s * 0.06))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    line = QPainterPath(QPointF(s * PRICE[0][0], s * PRICE[0][1]))
    for x, y in PRICE[1:]:
        line.lineTo(QPointF(s * x, s * y))
    p.drawPath(line)
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RuntimeError("PNG encoder unavailable")
    return bytes(data.data())


def ico_bytes(images: dict[int, bytes]) -> bytes:
    """ICONDIR + ICONDIRENTRY per size + the PNG payloads (size 256 is written as 0)."""
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, payload = b"", b""
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    return head + entries + payload


def main(out: Path = HERE) -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    images = {n: png_bytes(draw(n)) for n in SIZES}
    (out / "icon.png").write_bytes(images[256])
    (out / "icon.ico").write_bytes(ico_bytes(images))
    print(f"wrote {out / 'icon.png'} and {out / 'icon.ico'} ({', '.join(map(str, SIZES))} px)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
