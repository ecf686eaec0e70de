"""ui package: the Qt widgets (main window, status panel, blotter, dialogs, alerts, theme).

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so
`import mia_desktop.ui` alone does not start loading PySide6; each name loads its module on first use.
"""

from __future__ import annotations

from mia_desktop._lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "AboutDialog": "about",
    "show_about": "about",
    "AlertGate": "alerts",
    "AlertPlayer": "alerts",
    "BlotterModel": "blotter_model",
    "BlotterFilter": "blotter_model",
    "BlotterView": "blotter_view",
    "DetailsDialog": "details_dialog",
    "MainWindow": "main_window",
    "SettingsDialog": "settings_dialog",
    "StatusPanel": "status_panel",
    "apply_dark_theme": "theme",
    "VixGauge": "vix_gauge",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
