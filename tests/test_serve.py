"""`mia-desktop serve` and the built-in DemoServer, over real loopback sockets."""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import threading
import time

import pytest

from mia_desktop.engine.demo_server import DemoServer
from mia_desktop.engine.serve_cmd import run_serve
from mia_desktop.market.events import DepthBatch, MarketEvent, Trade, VixReading
from mia_desktop.sources.dtc_client import DtcClient
from tests.conftest import ES_DEPTH, ES_SCID, ROOT

pytestmark = pytest.mark.timeout(60)


def _collect(port: int, symbols: list[str], until: float, enough: int = 1) -> list[MarketEvent]:
    got: list[MarketEvent] = []

    async def main() -> None:
        client = DtcClient("127.0.0.1", port, symbols, got.append, heartbeat_s=5)
        task = asyncio.create_task(client.run())
        end = time.monotonic() + until
        while time.monotonic() < end and sum(isinstance(e, DepthBatch) for e in got) < enough:
            await asyncio.sleep(0.05)
        await client.close()
        await task

    asyncio.run(main())
    return got


def _args(**kw: object) -> argparse.Namespace:
    base = dict(source="sim", file=None, scid=None, host="127.0.0.1", port=0, speed=1.0, seed=1, rate=2000.0,
                username="", password="", reject=[], seconds=0.5)
    base.update(kw)
    return argparse.Namespace(**base)


def test_serve_sim_command_prints_its_address_and_serves_clients() -> None:
    posix = sys.platform != "win32"
    cmd = [sys.executable, "-m", "mia_desktop", "serve", "--source", "sim", "--port", "0", "--rate", "1000"]
    cmd += [] if posix else ["--seconds", "2.5"]  # POSIX: stopped with Ctrl+C (SIGINT) below
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ES, NQ, VIX" in line and "127.0.0.1:" in line
        port = int(line.split("127.0.0.1:")[1].split()[0])
        got = _collect(port, ["ES", "VIX"], until=2.5, enough=5)
        assert sum(len(e) for e in got if isinstance(e, DepthBatch)) >= 40
        if posix:
            proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("kw,reason", [
    (dict(source="replay"), "needs --file"),
    (dict(source="replay", file="/no/such.depth"), "no such file"),
    (dict(rate=0.0), "--rate must be > 0"),
    (dict(port=70000), "--port must be"),
    (dict(seconds=-1.0), "--seconds must be"),
    (dict(password="x"), "--password needs --username"),
])
def test_bad_arguments_exit_2_with_one_line(kw: dict[str, object], reason: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run_serve(_args(**kw)) == 2
    err = capsys.readouterr().err
    assert reason in err and err.count("\n") == 1


def test_a_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert run_serve(_args(port=s.getsockname()[1])) == 2
    assert "cannot listen on 127.0.0.1:" in capsys.readouterr().err


def test_serve_replay_streams_the_recording(tmp_path: object) -> None:
    if not ES_DEPTH.exists():
        pytest.skip("shared data not present")
    from mia_desktop.engine.serve_cmd import build_feed, serve

    got: list[MarketEvent] = []

    async def main() -> None:
        args = _args(source="replay", file=str(ES_DEPTH), scid=str(ES_SCID), speed=0.0, seconds=30.0)
        feed = build_feed(args)
        out: list[str] = []

        class Out:
            def write(self, s: str) -> None:
                out.append(s)

            def flush(self) -> None:
                pass

        task = asyncio.create_task(serve(feed, args, out=Out()))
        while not out:
            await asyncio.sleep(0.02)
        port = int("".join(out).split("127.0.0.1:")[1].split()[0])
        client = DtcClient("127.0.0.1", port, ["ES"], got.append, heartbeat_s=5)
        ctask = asyncio.create_task(client.run())
        end = time.monotonic() + 10
        while time.monotonic() < end and not any(isinstance(e, Trade) for e in got):
            await asyncio.sleep(0.05)
        await client.close()
        await ctask
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert any(isinstance(e, DepthBatch) for e in got)


def test_demo_server_serves_and_plants_early_then_stops_cleanly() -> None:
    before = threading.active_count()
    demo = DemoServer(seed=3, first_plant_s=0.3)
    port = demo.start()
    try:
        assert demo.running and port > 0
        got = _collect(port, ["ES", "NQ", "VIX"], until=3.0, enough=20)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(demo.ground_truth) < 2:
            time.sleep(0.05)
        truth = demo.ground_truth
        # the opening act: a 2500-lot bid pulled after 2 s on each. The ask wall queued behind it may
        # already be in the ground truth on a slow machine, so look at each symbol's first plant.
        first = {}
        for g in truth:
            first.setdefault(g.symbol, g)
        assert set(first) == {"ES", "NQ"} and all(g.pattern == "spoofing" for g in first.values())
        assert all(g.direction == "short" and g.params["size"] == 2500 for g in first.values())
        assert {e.symbol for e in got if isinstance(e, DepthBatch)} == {"ES", "NQ"}
        assert any(isinstance(e, VixReading) for e in got)
    finally:
        demo.stop()
    assert not demo.running
    assert threading.active_count() == before
