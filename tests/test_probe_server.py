"""probe and DtcClient against the project's own DtcServer serving the simulator (loopback)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mia_desktop.cli import build_parser
from mia_desktop.market.events import DepthBatch, SourceStatus, Trade
from mia_desktop.sources.dtc_client import REJECT_HINT, DtcClient
from mia_desktop.sources.probe_cmd import run_probe

dtc_server = pytest.importorskip("mia_desktop.engine.dtc_server")
sim_feed = pytest.importorskip("mia_desktop.sources.sim_feed")

REJECT = "CME data is not available over DTC"


class ServerThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def start() -> Any:
            srv = dtc_server.DtcServer(sim_feed.SimulatorFeed(), reject_symbols={"ESH7": REJECT})
            await srv.start()
            return srv

        self.server = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.port: int = self.server.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture()
def server() -> Iterator[ServerThread]:
    s = ServerThread()
    yield s
    s.stop()


@pytest.mark.parametrize("encoding", ["binary", "json", "compact"])
def test_probe_against_dtc_server(server: ServerThread, capsys: pytest.CaptureFixture[str],
                                  encoding: str) -> None:
    args = build_parser().parse_args(["probe", "--port", str(server.port), "--symbol", "ES",
                                      "--encoding", encoding, "--seconds", "0.8"])
    assert run_probe(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["logon"]["ok"] and out["encoding"] == {"binary": "binary", "json": "json",
                                                      "compact": "json_compact"}[encoding]
    assert out["messages"].get("122", 0) >= 1 and out["messages"].get("140", 0) >= 1
    assert out["best_bid"] is not None and out["best_ask"] is not None and out["best_bid"] < out["best_ask"]
    assert out["error"] is None and out["rejects"] == []


def test_probe_reject_against_dtc_server(server: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["probe", "--port", str(server.port), "--symbol", "ESH7",
                                      "--seconds", "0.5"])
    assert run_probe(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rejects"] == [{"symbol": "ESH7", "text": REJECT}]
    assert any(s["state"] == "rejected" and REJECT_HINT in s["text"] for s in out["statuses"])


def test_client_reconnects_when_the_server_restarts() -> None:
    events: list[Any] = []

    async def main() -> DtcClient:
        srv = dtc_server.DtcServer(sim_feed.SimulatorFeed())
        port = await srv.start()
        client = DtcClient("127.0.0.1", port, ["ES"], events.append, backoff_initial_s=0.05,
                           backoff_max_s=0.2, name="t")
        task = asyncio.create_task(client.run())

        async def until(cond: Any) -> None:
            t0 = time.monotonic()
            while not cond():
                assert time.monotonic() - t0 < 8, "timed out"
                await asyncio.sleep(0.02)

        await until(lambda: any(isinstance(e, Trade) for e in events))
        await srv.close()
        await until(lambda: any(isinstance(e, SourceStatus) and e.state == "reconnecting" for e in events))
        n = len(events)
        srv2 = dtc_server.DtcServer(sim_feed.SimulatorFeed(), port=port)
        await srv2.start()
        await until(lambda: any(isinstance(e, DepthBatch) for e in events[n:]))
        await client.close()
        await asyncio.wait_for(task, 5)
        await srv2.close()
        return client

    client = asyncio.run(main())
    assert client.stats.connects == 2
    assert [e.state for e in events if isinstance(e, SourceStatus)].count("connected") == 2
