"""Entry script of the frozen app (PyInstaller): the same `main()` as `mia-desktop`.

`--bundle-check [REPORT.json]` (first argument; for the packaging smoke test) imports every
module of the package, reads the bundled resources, starts an offscreen QApplication and asks
keyring for its backend, then prints one JSON line (also written to REPORT.json, since a windowed
Windows exe has no stdout) and exits 0 when all worked: a check of the bundle that needs no GUI.
"""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any


def bundle_check(out: str | None = None) -> int:
    import importlib
    import json
    import os
    import pkgutil
    from importlib import resources

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import mia_desktop

    report: dict[str, Any] = {"frozen": bool(getattr(sys, "frozen", False)), "failed": {}}
    names = [m.name for m in pkgutil.walk_packages(mia_desktop.__path__, "mia_desktop.")]
    names = [n for n in names if not n.endswith((".make_icon", ".__main__"))]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as e:  # report every broken module, not just the first
            report["failed"][name] = f"{type(e).__name__}: {e}"
    report["modules"] = len(names)
    try:
        res = resources.files("mia_desktop.resources")
        report["resources"] = sorted(p.name for p in res.iterdir() if not p.name.startswith("__"))
        report["icon_bytes"] = len(res.joinpath("icon.png").read_bytes())
    except Exception as e:
        report["failed"]["resources"] = f"{type(e).__name__}: {e}"
    try:
        from PySide6.QtGui import QImageReader, QPixmap
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(sys.argv[:1])
        pix = QPixmap()
        pix.loadFromData(res.joinpath("icon.png").read_bytes())
        report["icon_px"] = pix.width()
        formats = QImageReader.supportedImageFormats()
        report["image_formats"] = sorted(bytes(f.data()).decode() for f in formats)
        report["platform"] = app.platformName()
        if pix.isNull():
            report["failed"]["qt"] = "icon.png did not load (imageformats plugins missing?)"
    except Exception as e:
        report["failed"]["qt"] = f"{type(e).__name__}: {e}"
    try:
        import keyring

        report["keyring"] = type(keyring.get_keyring()).__module__
    except Exception as e:
        report["failed"]["keyring"] = f"{type(e).__name__}: {e}"
    text = json.dumps(report, sort_keys=True)
    if out:  # a windowed Windows exe has no stdout: the report goes to a file as well
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
    if sys.stdout is not None:
        print(text, flush=True)
    return 0 if not report["failed"] else 1


if __name__ == "__main__":
    # A frozen Windows exe re-runs itself for multiprocessing children; this returns at once otherwise.
    multiprocessing.freeze_support()
    if sys.argv[1:2] == ["--bundle-check"]:
        sys.exit(bundle_check(sys.argv[2] if len(sys.argv) > 2 else None))
    from mia_desktop.cli import main

    sys.exit(main())
