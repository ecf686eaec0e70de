"""engine package: the per-instrument worker, the DTC server and its command-line entry points.

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so
headless commands (serve, analyze) do not pay for Qt or the analysis pipeline they do not use.
"""

from __future__ import annotations

from mia_desktop._lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "BadInput": "analyze_cmd",
    "run_analyze": "analyze_cmd",
    "DemoServer": "demo_server",
    "DtcServer": "dtc_server",
    "ServerStats": "dtc_server",
    "BadArgs": "serve_cmd",
    "build_feed": "serve_cmd",
    "run_serve": "serve_cmd",
    "SymbolState": "server_symbols",
    "HeatColumn": "snapshot",
    "InstrumentSnapshot": "snapshot",
    "InstrumentWorker": "worker",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
