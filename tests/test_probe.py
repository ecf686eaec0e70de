"""`mia-desktop probe` against a DTC server over loopback (the scripted peer of test_dtc_client)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mia_desktop.cli import build_parser
from mia_desktop.sources.probe_cmd import run_probe
from tests.test_dtc_client import SIERRA_REJECT, ScriptedPeer


class PeerThread:
    """Runs a ScriptedPeer on its own event loop in a background thread."""

    def __init__(self, peer: ScriptedPeer) -> None:
        self.peer = peer
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(peer.start(), self.loop).result(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.peer.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture()
def peer() -> Iterator[PeerThread]:
    p = PeerThread(ScriptedPeer(reject_symbols={"ESH7": SIERRA_REJECT}))
    yield p
    p.stop()


def _probe(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | None, str]:
    args = build_parser().parse_args(["probe", *argv])
    rc = run_probe(args)
    out, err = capsys.readouterr()
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) <= 1  # one JSON object at most
    return rc, json.loads(lines[0]) if lines else None, err


@pytest.mark.parametrize("encoding", ["binary", "json", "compact"])
def test_probe_reports_what_it_received(peer: PeerThread, capsys: pytest.CaptureFixture[str],
                                        encoding: str) -> None:
    rc, out, err = _probe(capsys, "--port", str(peer.port), "--symbol", "ESZ6", "--encoding", encoding,
                          "--seconds", "0.6")
    assert rc == 0 and out is not None, err
    assert out["connected"] is True and out["logon"] == {"ok": True, "result": 1, "text": "Logon successful",
                                                         "server": "scripted peer"}
    assert out["encoding"] == {"binary": "binary", "json": "json", "compact": "json_compact"}[encoding]
    assert out["messages"]["2"] == 1 and out["messages"]["122"] == 3 and out["messages"]["107"] == 1
    assert out["message_names"]["122"] == "MarketDepthSnapshotLevel"
    assert out["best_bid"] == 6000.0 and out["best_ask"] == 6000.25
    assert out["rejects"] == [] and out["trades"] == 2 and out["error"] is None
    assert 0.5 <= out["elapsed_s"] < 3
    assert peer.peer.logons[-1].HeartbeatIntervalInSeconds == 10


def test_probe_shows_reject_text(peer: PeerThread, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _probe(capsys, "--port", str(peer.port), "--symbol", "ESH7", "--seconds", "0.5", "--relay",
                        "--username", "me", "--password", "pw", "--heartbeat", "5")
    assert rc == 0 and out is not None
    assert out["rejects"] == [{"symbol": "ESH7", "text": SIERRA_REJECT}]
    assert out["messages"]["103"] == 1 and out["best_bid"] is None
    logon = peer.peer.logons[-1]
    assert logon.Integer_1 & 0x2 and logon.Username == "me" and logon.Password == "pw"
    assert logon.HeartbeatIntervalInSeconds == 5


def test_probe_unreachable_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, out, err = _probe(capsys, "--port", str(port), "--symbol", "ES", "--seconds", "0.5")
    assert rc == 2 and out is not None and out["connected"] is False
    assert err.startswith("probe: cannot connect") and err.count("\n") == 1


@pytest.mark.parametrize("argv", [["--port", "0"], ["--port", "70000"], ["--seconds", "0"],
                                  ["--heartbeat", "0"], ["--symbol", " "]])
def test_probe_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    base = {"--port": "11099", "--symbol": "ES", "--seconds": "1", "--heartbeat": "10"}
    for k, v in zip(argv[::2], argv[1::2], strict=True):
        base[k] = v
    rc, out, err = _probe(capsys, *[x for kv in base.items() for x in kv])
    assert rc == 2 and out is None and err.startswith("probe: ") and err.count("\n") == 1


def test_probe_command_line(peer: PeerThread) -> None:
    proc = subprocess.run([sys.executable, "-m", "mia_desktop", "probe", "--port", str(peer.port),
                           "--symbol", "ESZ6", "--seconds", "0.5"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["logon"]["ok"] and out["messages"]["140"] == 2  # depth updates asked as 140 (Integer_1 0x80)
