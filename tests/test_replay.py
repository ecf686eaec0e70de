"""Replay: clock, batching at batch ends, speed honoured (loosely), ReplayFeed as a MarketFeed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DepthBatch, MarketEvent, Trade
from mia_desktop.market.timeutil import unix_us_to_sc
from mia_desktop.sources.clock import ReplayClock
from mia_desktop.sources.replay import ReplayFeed, batch_cuts, load_recording, recording_events
from mia_desktop.sources.scfiles import write_depth, write_scid
from tests.conftest import ES_DEPTH, ES_SCID

T0 = 1_764_028_800_000_000
SC0 = unix_us_to_sc(T0)


def one_second_recording(tmp_path: Path) -> tuple[Path, Path]:
    d = tmp_path / "ESZ25.CME.2025-11-25.depth"
    rows = [(SC0, 1, 0, 0, 0.0, 0), (SC0, 2, 0, 1, 6800.0, 5), (SC0, 3, BATCH_END, 1, 6800.25, 6)]
    rows += [(SC0 + k * 100_000, 4, BATCH_END, 1, 6800.0, 5 + k) for k in range(1, 11)]
    write_depth(d, rows)
    s = tmp_path / "ESZ25.CME.scid"
    write_scid(s, [(SC0 + 450_000, 6800.25, 2, 0, 2), (SC0 + 950_000, 6800.0, 1, 1, 0)])
    return d, s


class FakeWall:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def test_clock_runs_at_speed_pauses_and_rejects_bad_speed() -> None:
    wall = FakeWall()
    c = ReplayClock(10, wall_ns=wall)
    c.start(1_000_000)
    wall.ns = 100_000_000                      # 0.1 s of wall time at 10x = 1 s exchange
    assert c.now_us() == 2_000_000
    assert c.wait_s(3_000_000) == pytest.approx(0.1)
    c.pause()
    wall.ns += 5_000_000_000
    assert c.now_us() == 2_000_000
    c.resume()
    c.set_speed(1)
    wall.ns += 1_000_000_000
    assert c.now_us() == 3_000_000
    m = ReplayClock(0)
    assert m.max_speed and m.wait_s(5) == 0.0
    m.observe(99)
    assert m.now_us() == 99
    with pytest.raises(ValueError):
        ReplayClock(-1)


def test_batches_end_at_batch_end_and_trades_merge(tmp_path: Path) -> None:
    d, s = one_second_recording(tmp_path)
    rec = load_recording(d, s)
    assert rec.symbol == "ES" and len(rec.trades) == 2
    assert batch_cuts(rec.records) == list(range(3, 14))
    assert batch_cuts(rec.records, max_batch=2) == [2, 3, *range(4, 14)]
    evs = [e for _t, e in recording_events(rec)]
    kinds = ["T" if isinstance(e, Trade) else "D" for e in evs]
    assert kinds == list("DDDDDTDDDDDTD")
    times = [t for t, _e in recording_events(rec)]
    assert times == sorted(times)


@pytest.mark.parametrize("speed", [10.0, 0.0])
def test_speed_honoured(tmp_path: Path, speed: float) -> None:
    d, s = one_second_recording(tmp_path)
    feed = ReplayFeed(d, s, speed=speed)
    got: list[MarketEvent] = []
    t = time.perf_counter()
    feed.play(got.append)
    took = time.perf_counter() - t
    assert feed.finished and len(got) == 13
    if speed == 10.0:
        assert 0.05 < took < 0.6
    else:
        assert took < 0.3
    assert all(e.recv_us > 0 for e in got if isinstance(e, DepthBatch | Trade))


def test_replay_feed_async_serves_es_and_loops(tmp_path: Path) -> None:
    d, s = one_second_recording(tmp_path)
    feed = ReplayFeed(d, s, speed=0, loop=True)
    assert feed.symbols() == ["ES"] and feed.instrument("es").symbol == "ES"
    with pytest.raises(KeyError):
        feed.instrument("NQ")
    got: list[MarketEvent] = []

    async def main() -> None:
        task = asyncio.create_task(feed.run(got.append))
        while len(got) < 40:
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    ts = [e.ts_us if isinstance(e, Trade) else int(e.records["ts_us"][0]) for e in got
          if isinstance(e, Trade | DepthBatch)]
    assert ts == sorted(ts) and ts[-1] > T0 + 2_000_000      # the second pass runs on in time


def test_replay_of_shared_file_ends_in_known_book(shared_data: Path) -> None:
    feed = ReplayFeed(ES_DEPTH, ES_SCID, speed=0)
    book = OrderBook()
    trades = 0

    def sink(e: MarketEvent) -> None:
        nonlocal trades
        if isinstance(e, DepthBatch):
            book.apply(e.records)
            assert book.consistent
        elif isinstance(e, Trade):
            trades += 1

    feed.play(sink)
    assert trades == 2973
    assert (book.best_bid(), book.best_ask()) == (19240, 19241)


def test_streamed_in_small_chunks_same_events_and_bad_files_refused(tmp_path: Path) -> None:
    d, s = one_second_recording(tmp_path)
    whole = [e for _t, e in recording_events(load_recording(d, s))]
    small = ReplayFeed(d, s, speed=0, chunk=4)
    got: list[MarketEvent] = []
    small.play(got.append)
    assert [type(e) for e in got] == [type(e) for e in whole]
    flat = [int(x) for e in got if isinstance(e, DepthBatch) for x in e.records["qty"]]
    assert flat == [int(x) for e in whole if isinstance(e, DepthBatch) for x in e.records["qty"]]
    trunc = tmp_path / "ESZ25.CME.2025-11-26.depth"
    trunc.write_bytes(d.read_bytes()[:-3])
    with pytest.raises(ValueError, match="truncated"):
        ReplayFeed(trunc)
    with pytest.raises(ValueError, match=r"not a \.scid file"):
        ReplayFeed(d, d)
