"""Live tail: follow a growing .depth file, roll over to the next day's file, merge .scid trades."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date
from pathlib import Path

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DepthBatch, MarketEvent, Side, SourceStatus, Trade
from mia_desktop.market.instrument import BUILTIN
from mia_desktop.market.timeutil import unix_us_to_sc
from mia_desktop.sources.scfiles import write_depth, write_scid
from mia_desktop.sources.tail import DepthTail, FilesTail, day_path, next_day_path, symbol_from_path

ES = BUILTIN["ES"]
T0 = 1_764_028_800_000_000   # 2025-11-25 00:00 UTC
SC0 = unix_us_to_sc(T0)


def snapshot_rows(t: int, mid: float) -> list[tuple[int, int, int, int, float, int]]:
    return [(t, 1, 0, 0, 0.0, 0), (t, 2, 0, 1, mid - 0.25, 10), (t, 3, BATCH_END, 1, mid, 12)]


def test_names_and_next_day(tmp_path: Path) -> None:
    p = tmp_path / "ESZ25.CME.2025-11-25.depth"
    assert symbol_from_path(p) == "ES"
    assert day_path(p, date(2025, 11, 26)).name == "ESZ25.CME.2025-11-26.depth"
    assert next_day_path(p) is None
    (tmp_path / "NQZ25.CME.2025-11-26.depth").touch()          # another symbol does not count
    (tmp_path / "ESZ25.CME.2025-11-28.depth").touch()          # after a holiday gap
    assert next_day_path(p) == tmp_path / "ESZ25.CME.2025-11-28.depth"
    (tmp_path / "ESZ25.CME.2025-11-26.depth").touch()
    assert next_day_path(p) == tmp_path / "ESZ25.CME.2025-11-26.depth"
    assert next_day_path(tmp_path / "plain.depth") is None


def test_follow_appends_then_roll_over_while_writer_runs(tmp_path: Path) -> None:
    day1 = tmp_path / "ESZ25.CME.2025-11-25.depth"
    day2 = tmp_path / "ESZ25.CME.2025-11-26.depth"
    write_depth(day1, snapshot_rows(SC0, 6800.0))
    tail = DepthTail(day1, ES, rollover_check_s=0.0)
    book = OrderBook()
    got: list[int] = []

    def writer() -> None:           # Sierra Chart appending, record by record, then a new day
        for i in range(20):
            write_depth(day1, [(SC0 + 1000 * (i + 1), 4, BATCH_END, 1, 6799.75, 20 + i)], append=True)
            time.sleep(0.002)
        write_depth(day2, snapshot_rows(SC0 + 86_400_000_000, 6900.0))

    th = threading.Thread(target=writer)
    th.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (tail.rollovers and book.best_ask() == ES.to_ticks(6900.0)):
        recs = tail.poll()
        if len(recs):
            book.apply(recs)
            got += recs["qty"].tolist()
        time.sleep(0.001)
    th.join()
    tail.close()
    assert tail.rollovers == 1 and tail.path == day2
    # every appended record arrived, in order, before the next day's snapshot
    assert got[3:23] == list(range(20, 40))
    assert book.best_bid() == ES.to_ticks(6899.75) and book.size_at(Side.BID, ES.to_ticks(6799.75)) == 0


def test_partial_record_waits_across_polls(tmp_path: Path) -> None:
    p = tmp_path / "ESZ25.CME.2025-11-25.depth"
    full = tmp_path / "full.bin"
    write_depth(full, snapshot_rows(SC0, 6800.0))
    blob = full.read_bytes()
    p.write_bytes(blob[:-5])
    tail = DepthTail(p, ES)
    assert len(tail.poll()) == 2
    with p.open("ab") as fh:
        fh.write(blob[-5:])
    assert tail.poll()["qty"].tolist() == [12]
    tail.close()


def test_files_tail_merges_trades_in_time_and_runs_async(tmp_path: Path) -> None:
    depth = tmp_path / "ESZ25.CME.2025-11-25.depth"
    scid = tmp_path / "ESZ25.CME.scid"
    write_scid(scid, [(SC0 - 10_000_000, 6700.0, 1, 1, 0)])            # old history: skipped
    write_depth(depth, [*snapshot_rows(SC0, 6800.0), (SC0 + 2000, 4, BATCH_END, 1, 6799.75, 30)])
    write_scid(scid, [(SC0 + 1000, 6800.0, 2, 0, 2)], append=True)
    src = FilesTail(depth, scid, poll_s=0.01)
    assert src.symbols() == ["ES"] and src.instrument("ES") is ES
    events = src.poll()
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["DepthBatch", "Trade", "DepthBatch"]
    tr = events[1]
    assert isinstance(tr, Trade) and tr.ts_us == T0 + 1000 and tr.aggressor is Side.ASK and tr.size == 2
    src.close()

    seen: list[MarketEvent] = []

    async def main() -> None:
        src2 = FilesTail(depth, scid, poll_s=0.01)
        task = asyncio.create_task(src2.run(seen.append))
        await asyncio.sleep(0.05)
        write_scid(scid, [(SC0 + 3000, 6800.25, 1, 1, 0)], append=True)
        for _ in range(200):
            await asyncio.sleep(0.01)
            if sum(isinstance(e, Trade) for e in seen) == 2:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    trades = [e for e in seen if isinstance(e, Trade)]
    assert [t.aggressor for t in trades] == [Side.ASK, Side.BID]
    states = [e.state for e in seen if isinstance(e, SourceStatus)]
    assert states[0] == "connected" and states[-1] == "stopped"
    assert sum(len(e) for e in seen if isinstance(e, DepthBatch)) == 4


def test_bad_file_reported_as_status_not_crash(tmp_path: Path) -> None:
    depth = tmp_path / "ESZ25.CME.2025-11-25.depth"
    depth.write_bytes(b"GARBAGE!" * 10)
    seen: list[MarketEvent] = []

    async def main() -> None:
        task = asyncio.create_task(FilesTail(depth, poll_s=0.01).run(seen.append))
        await asyncio.sleep(0.1)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    errors = [e for e in seen if isinstance(e, SourceStatus) and e.state == "error"]
    assert len(errors) == 1 and "magic" in errors[0].text
