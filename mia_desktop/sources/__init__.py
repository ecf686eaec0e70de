"""sources package: where market events come from (DTC client, Sierra Chart files, replay, simulator).

Names are imported lazily (PEP 562 `__getattr__`): importing the package loads nothing else, so
a file reader does not pull asyncio or the DTC client, and the simulator does not pull the file tail.
"""

from __future__ import annotations

from mia_desktop._lazy import lazy_exports

# public name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "MarketFeed": "base",
    "ReplayClock": "clock",
    "Backoff": "dtc_backoff",
    "ClientStats": "dtc_client",
    "DtcClient": "dtc_client",
    "REJECT_HINT": "dtc_client",
    "DtcConverter": "dtc_convert",
    "run_probe": "probe_cmd",
    "ReplayFeed": "replay",
    "Recording": "replay",
    "load_recording": "replay",
    "ScFileError": "scfiles",
    "DepthReader": "scfiles",
    "ScidReader": "scfiles",
    "read_depth": "scfiles",
    "read_scid": "scfiles",
    "write_depth": "scfiles",
    "write_scid": "scfiles",
    "SimulatorFeed": "sim_feed",
    "MarketSimulator": "simulator",
    "VixSimulator": "simulator",
    "DepthTail": "tail",
    "FilesTail": "tail",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
