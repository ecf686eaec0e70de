"""Bridge: a real replay runner -> worker -> bridge at display rate; journal before alert."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import ES_DEPTH, VIX_CSV
from signal_factory import make_signal

from mia_desktop.app import run_in_qasync
from mia_desktop.bridge import Bridge
from mia_desktop.config.settings import InstanceConfig, Settings
from mia_desktop.instances import InstanceRunner
from mia_desktop.storage.journal import Journal
from mia_desktop.ui.alerts import AlertPlayer


def test_replay_flows_through_bridge_to_qt_signals(qtbot, tmp_path, shared_data) -> None:
    cfg = InstanceConfig("R", instrument="ES", source="replay", symbol="ES", replay_file=str(ES_DEPTH),
                         replay_speed=0.0, vix_source="csv", vix_path=str(VIX_CSV))   # as fast as possible
    runner = InstanceRunner(cfg, Settings())
    bridge = Bridge(None, None, fast_hz=60, slow_hz=10)
    bridge.add(runner)
    cols: list[int] = []
    trades: list[object] = []
    best: list[tuple[object, object]] = []
    statuses: list[str] = []
    stats: list[float] = []
    vix: list[tuple[float, str, float]] = []
    bridge.vix_changed.connect(lambda v, r, m: vix.append((v, r, m)))
    bridge.columns_ready.connect(lambda n, cs: cols.extend(c.seq for c in cs))
    resets: list[int] = []
    bridge.history_reset.connect(lambda n, view: resets.append(len(view)))
    bridge.trades_ready.connect(lambda n, ts: trades.extend(ts))
    bridge.best_changed.connect(lambda n, b, a: best.append((b, a)))
    bridge.status_changed.connect(lambda n, st: statuses.append(st.state))
    bridge.stats_changed.connect(lambda n, rate, age: stats.append(rate))

    async def scenario() -> None:
        runner.start()
        bridge.start()
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 15 and (len(cols) < 50 or not trades or not vix):
                await asyncio.sleep(0.05)
        finally:
            bridge.stop()
            await runner.stop()

    run_in_qasync(scenario())
    assert len(cols) >= 50, "heatmap columns reached the Qt side"
    assert cols == sorted(set(cols)), "each column once, in order"
    # a max-speed replay outruns the 60 Hz reader: every gap is covered by a full redraw (≤ 1/s)
    assert bridge.column_gaps == 0 or resets, "a gap without a history redraw"
    assert all(n > 0 for n in resets)
    assert trades and len({id(t) for t in trades}) == len(trades), "each trade once"
    assert best and best[-1][0] is not None and best[-1][0] < best[-1][1]
    assert "connected" in statuses
    assert max(stats) > 0
    assert not runner.worker.running
    last_close = float(VIX_CSV.read_text().strip().splitlines()[-1].split(",")[-1])
    assert vix[-1][0] == pytest.approx(last_close)          # the daily CSV sets the regime context
    assert vix[-1][1] in ("ultra_low", "low", "normal", "high", "extreme")


def test_signal_is_journaled_before_the_alert_plays(qtbot, tmp_path) -> None:
    cfg = InstanceConfig("ES", instrument="ES", source="sim", vix_source="none")
    runner = InstanceRunner(cfg, Settings())   # not started: only its worker's output queue is used
    journal = Journal(tmp_path / "j.sqlite3")
    player = AlertPlayer(audio=False)
    bridge = Bridge(journal, player)
    bridge.add(runner)
    in_journal_when_played: list[bool] = []
    player.played.connect(lambda sid: in_journal_when_played.append(journal.get(sid) is not None))
    got: list[object] = []
    bridge.signals_ready.connect(got.extend)
    elite = make_signal(1, tier="elite", score=0.8)
    limited = make_signal(2, tier="elite", score=0.8, direction="short", risk_state="rate_limited")
    runner.worker.output.put(elite)          # the worker's real output queue
    runner.worker.output.put(limited)
    bridge.tick_slow()
    assert [s.signal_id for s in got] == [elite.signal_id, limited.signal_id]
    assert in_journal_when_played == [True]            # one alert (the rate-limited one is silent)
    assert journal.get(limited.signal_id) is not None  # ...but journaled all the same
    assert bridge.signals_seen == 2
    journal.close()


def test_paper_outcome_reaches_journal_and_views(qtbot, tmp_path) -> None:
    from mia_desktop.analysis.risk import PaperOutcome

    cfg = InstanceConfig("ES", instrument="ES", source="sim", vix_source="none")
    runner = InstanceRunner(cfg, Settings())
    journal = Journal(tmp_path / "j.sqlite3")
    bridge = Bridge(journal, None)
    bridge.add(runner)
    outcomes: list[tuple[str, str, object]] = []
    bridge.outcome_changed.connect(lambda sid, o, pnl: outcomes.append((sid, o, pnl)))
    sig = make_signal(3, tier="elite")
    runner.worker.output.put(sig)
    runner.worker.output.put(PaperOutcome(sig.signal_id, "target", 250.0, 0, sig.ts_us + 60_000_000))
    bridge.tick_slow()
    assert outcomes == [(sig.signal_id, "target", 250.0)]
    rec = journal.get(sig.signal_id)
    assert rec is not None and rec.outcome == "target" and rec.pnl_usd == 250.0
    journal.close()


def test_sierra_chart_files_source_tails_the_data_folder(qtbot, tmp_path, shared_data) -> None:
    import shutil

    from conftest import ES_SCID

    (tmp_path / "MarketDepthData").mkdir()
    shutil.copy(ES_DEPTH, tmp_path / "MarketDepthData" / ES_DEPTH.name)
    shutil.copy(ES_SCID, tmp_path / ES_SCID.name)
    cfg = InstanceConfig("ES files", instrument="ES", source="scfiles", symbol="ESH4",
                         data_folder=str(tmp_path), vix_source="none")
    runner = InstanceRunner(cfg, Settings())
    bridge = Bridge(None, None, fast_hz=60, slow_hz=10)
    bridge.add(runner)
    cols: list[int] = []
    states: list[tuple[str, str]] = []
    bridge.columns_ready.connect(lambda n, cs: cols.extend(c.seq for c in cs))
    bridge.status_changed.connect(lambda n, st: states.append((st.state, st.text)))

    async def scenario() -> None:
        runner.start()
        bridge.start()
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < 10 and len(cols) < 20:
                await asyncio.sleep(0.05)
        finally:
            bridge.stop()
            await runner.stop()

    run_in_qasync(scenario())
    assert len(cols) >= 20
    assert ("connected", f"following {ES_DEPTH.name}") in states


def test_files_source_without_depth_files_says_what_to_do(qtbot, tmp_path) -> None:
    cfg = InstanceConfig("NQ files", instrument="NQ", source="scfiles", symbol="NQZ5",
                         data_folder=str(tmp_path), vix_source="none")
    runner = InstanceRunner(cfg, Settings())
    runner.start()          # fails before any task: no loop needed
    runner.worker.stop()
    st = runner.statuses.get_nowait()
    assert st.state == "error" and "Record Market Depth Data" in st.text and "NQZ5" in st.text
