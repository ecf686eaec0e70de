"""Instance runners: one source feeding one instrument worker, started and stopped as a unit.

How this works: an `InstanceRunner` builds the worker (its own thread: book, heatmap history,
detectors) and the source named by the instance's config, and connects them with a sink function.
The sink runs wherever the source runs — the DTC client on the qasync loop in the GUI thread, file
tails in their own threads — and does the least possible there: count the message, route a
`SourceStatus` to the runner's status queue (the bridge shows it), hand every market event to the
worker's thread-safe `put`. Simulator instances do not read the simulator directly: they connect
the real DTC client to the built-in demo DTC server (`DemoHub`, one server shared by all simulator
instances, running on its own asyncio loop in a background thread), so the demo exercises the same
path as a live Sierra Chart connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mia_desktop.config.settings import InstanceConfig, Settings
from mia_desktop.market.events import DepthBatch, MarketEvent, SourceStatus
from mia_desktop.market.instrument import BUILTIN, Instrument, custom_instrument, instrument_for

log = logging.getLogger(__name__)

DEMO_SYMBOLS = ("ES", "NQ")


def demo_instances(profile: str = "production") -> tuple[InstanceConfig, ...]:
    """The two instances a fresh install runs: ES and NQ from the simulator over loopback DTC."""
    return tuple(InstanceConfig(name=s, instrument=s, source="sim", symbol=s, vix_source="sim",
                                port=0, profile=profile) for s in DEMO_SYMBOLS)


def instrument_of(cfg: InstanceConfig) -> Instrument:
    if cfg.instrument in BUILTIN:
        return BUILTIN[cfg.instrument]
    if cfg.instrument == "custom":
        return custom_instrument(cfg.symbol or cfg.name, cfg.custom_tick_size, cfg.custom_tick_value)
    return instrument_for(cfg.symbol or cfg.instrument)


def call_with_accepted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call fn passing only the keyword arguments its signature names (constructors evolve)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn(*args, **kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in params})


def find_depth(data_folder: Path, symbol: str) -> Path | None:
    """The newest `.depth` file for `symbol` in a Sierra Chart Data folder (or the folder itself)."""
    cands: list[Path] = []
    for d in (data_folder / "MarketDepthData", data_folder):
        if d.is_dir():
            cands += [p for p in d.glob("*.depth") if p.name.upper().startswith(symbol.upper())]
    return max(cands, key=lambda p: (p.name.rsplit(".", 2)[-2], p.stat().st_mtime)) if cands else None


def find_scid(folder: Path, symbol: str) -> Path | None:
    """`SYMBOL.scid` (or `SYMBOL*.scid`) next to, or one folder above, the depth files."""
    for d in (folder, folder.parent):
        if not d.is_dir():
            continue
        exact = d / f"{symbol}.scid"
        if exact.is_file():
            return exact
        hits = sorted(p for p in d.glob("*.scid") if p.name.upper().startswith(symbol.upper()))
        if hits:
            return hits[0]
    return None


class DemoHub:
    """The built-in demo DTC server (simulated ES, NQ, VIX on 127.0.0.1), started on first use."""

    def __init__(self, *, seed: int | None = None, rate: float | None = None) -> None:
        self.seed = seed
        self.rate = rate
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    def port(self) -> int:
        with self._lock:
            if self._server is None:
                from mia_desktop.engine.demo_server import DemoServer

                # the opening act (a pulled 2500-lot bid + sellers + a VIX lift) starts just after
                # the clients subscribe, so the trader sees a signal about 3 s after opening the app
                kwargs: dict[str, Any] = {"first_plant_s": 0.6}
                if self.seed is not None:
                    kwargs["seed"] = self.seed
                if self.rate is not None:
                    kwargs["rate"] = self.rate
                server = call_with_accepted(DemoServer, **kwargs)
                server.start()
                self._server = server
                log.info("demo DTC server on 127.0.0.1:%s", server.port)
            return int(self._server.port)

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.stop()


class InstanceRunner:
    def __init__(self, cfg: InstanceConfig, settings: Settings, *, demo: DemoHub | None = None,
                 password: str = "") -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.settings = settings
        self.instrument = instrument_of(cfg)
        self.demo = demo
        self._password = password
        self.statuses: queue.SimpleQueue[SourceStatus] = queue.SimpleQueue()
        self.messages = 0          # market messages received (a depth batch counts its records)
        self.worker: Any = self._make_worker()
        self._source: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    # -- construction -------------------------------------------------------------------------
    def _make_worker(self) -> Any:
        from mia_desktop.engine.worker import InstrumentWorker

        profile = self.settings.get_profile(self.cfg.profile)
        analyzer = None
        try:
            from mia_desktop.analysis.pipeline import Analyzer

            analyzer = call_with_accepted(Analyzer, self.instrument, profile, risk=self.settings.risk)
        except ImportError as exc:
            log.warning("%s: analysis pipeline not available (%s); heatmap only", self.name, exc)
        hm = self.settings.heatmap
        return call_with_accepted(InstrumentWorker, self.instrument, profile, analyzer=analyzer,
                                  column_ms=hm.column_ms, history_s=hm.history_minutes * 60, name=self.name)

    def sink(self, event: MarketEvent) -> None:
        """Called by the source for every event (any thread)."""
        if isinstance(event, SourceStatus):
            self.statuses.put(event)
            return
        self.messages += len(event.records) if isinstance(event, DepthBatch) else 1
        self.worker.put(event)

    def _status(self, state: str, text: str = "") -> None:
        self.statuses.put(SourceStatus(self.name, state, text))

    def symbols(self) -> list[str]:
        src = self.cfg.source
        sym = self.instrument.symbol if src == "sim" else (self.cfg.symbol or self.instrument.symbol)
        out = [sym]
        if self.cfg.vix_source in ("sim", "dtc") and (src == "sim" or self.cfg.vix_source == "dtc"):
            out.append("VIX")
        return out

    def _dtc_client(self, host: str, port: int) -> Any:
        from mia_desktop.sources.dtc_client import DtcClient

        syms = self.symbols()
        instruments = {syms[0]: self.instrument}
        if "VIX" in syms:
            instruments["VIX"] = BUILTIN["VIX"]
        sim = self.cfg.source == "sim"
        return call_with_accepted(
            DtcClient, host, port, syms, self.sink,
            encoding="binary" if sim else self.cfg.encoding,
            heartbeat_s=self.cfg.heartbeat_s, client_name="MIA Desktop",
            username="" if sim else self.cfg.username, password="" if sim else self._password,
            relay=False if sim else self.cfg.relay, instruments=instruments, reconnect=True, name=self.name)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread and the source. Needs a running asyncio loop for DTC sources."""
        self.worker.start()
        self._vix_context()
        src = self.cfg.source
        try:
            if src == "sim":
                if self.demo is None:
                    raise RuntimeError("no demo server for a simulator instance")
                self._status("connecting", "starting the built-in demo DTC server")
                self._source = self._dtc_client("127.0.0.1", self.demo.port())
                self._task = asyncio.get_event_loop().create_task(self._source.run(), name=f"dtc-{self.name}")
            elif src == "dtc":
                self._status("connecting", f"{self.cfg.host}:{self.cfg.port}")
                self._source = self._dtc_client(self.cfg.host, self.cfg.port)
                self._task = asyncio.get_event_loop().create_task(self._source.run(), name=f"dtc-{self.name}")
            elif src in ("scfiles", "replay"):
                self._source = self._file_source()
                self._task = asyncio.get_event_loop().create_task(self._source.run(self.sink),
                                                                  name=f"src-{self.name}")
            else:
                raise ValueError(f"unknown source {src!r}")
        except Exception as exc:
            log.exception("%s: source failed to start", self.name)
            self._status("error", f"{type(exc).__name__}: {exc}")
        if self._task is not None:
            self._task.add_done_callback(self._task_done)

    def _vix_context(self) -> None:
        """vix_source 'csv': the last daily close of the CBOE file sets the regime (context only)."""
        if self.cfg.vix_source != "csv" or not self.cfg.vix_path:
            return
        from mia_desktop.analysis.vix import parse_vix_daily
        from mia_desktop.market.events import VixReading

        try:
            parsed = parse_vix_daily(Path(self.cfg.vix_path).read_text(encoding="utf-8", errors="replace"))
        except OSError as exc:
            self._status("error", f"VIX file: {exc}")
            return
        if not parsed.rows:
            self._status("error", f"VIX file {self.cfg.vix_path}: no valid rows")
            return
        last = parsed.rows[-1]
        self.worker.put(VixReading(last.ts_us, float(last.close)))

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopped:
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s: source stopped: %r", self.name, exc)
            self._status("error", f"{type(exc).__name__}: {exc}")

    def _file_source(self) -> Any:
        """Sierra Chart files: the live tail of today's `.depth` (+ `.scid`), or a replay."""
        sym = self.cfg.symbol or self.instrument.symbol
        if self.cfg.source == "replay":
            from mia_desktop.sources.replay import ReplayFeed

            depth = Path(self.cfg.replay_file)
            if not depth.is_file():
                raise FileNotFoundError(f"replay file not found: {depth}")
            feed = ReplayFeed(depth, find_scid(depth.parent, depth.name.split(".")[0]),
                              speed=self.cfg.replay_speed, instrument=self.instrument,
                              symbol=self.instrument.symbol)
            speed = "max" if self.cfg.replay_speed <= 0 else f"{self.cfg.replay_speed:g}×"
            self._status("connected", f"replaying {depth.name} at {speed}")
            return feed
        from mia_desktop.sources.tail import FilesTail

        folder = Path(self.cfg.data_folder)
        live = find_depth(folder, sym)
        if live is None:
            raise FileNotFoundError(f"no {sym}*.depth file in {folder / 'MarketDepthData'} — turn on "
                                    "'Record Market Depth Data' in Sierra Chart for this symbol")
        return FilesTail(live, find_scid(folder, sym), instrument=self.instrument,
                         symbol=self.instrument.symbol, name=self.name)

    async def stop(self, timeout: float = 3.0) -> None:
        """Log off / close the source, then stop the worker. Never raises, never hangs past timeout."""
        self._stopped = True
        src, self._source = self._source, None
        if src is not None:
            closer = getattr(src, "close", None)
            try:
                # an async close is a clean logoff (DTC); file feeds just stop with their task
                if closer is not None and inspect.iscoroutinefunction(closer):
                    await asyncio.wait_for(closer(), timeout)
            except Exception as exc:   # a peer that vanished must not block shutdown
                log.warning("%s: source close: %r", self.name, exc)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout)
        self._stop_worker()   # joins the worker thread (bounded by its own timeout)

    def _stop_worker(self) -> None:
        try:
            self.worker.stop(2.0)
        except Exception as exc:
            log.warning("%s: worker stop: %r", self.name, exc)
