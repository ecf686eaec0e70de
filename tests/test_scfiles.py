"""Sierra Chart .depth/.scid readers: shared real files, hand-made files, bad headers, partial tails."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from mia_desktop.market.book import OrderBook
from mia_desktop.market.events import BATCH_END, DepthCommand, Side
from mia_desktop.market.instrument import BUILTIN
from mia_desktop.market.timeutil import iso_utc, unix_us_to_sc
from mia_desktop.sources.scfiles import (
    DepthReader,
    ScFileError,
    ScidReader,
    depth_info,
    parse_header,
    read_depth,
    read_scid,
    read_scid_range,
    write_depth,
    write_scid,
)
from tests.conftest import ES_DEPTH, ES_SCID

ES = BUILTIN["ES"]
T0 = 1_703_541_600_000_000          # 2023-12-25 22:00 UTC, Unix µs
SC0 = unix_us_to_sc(T0)


def test_shared_depth_file(shared_data: Path) -> None:
    f = read_depth(ES_DEPTH, ES)
    h = f.header
    assert (h.magic, h.header_size, h.record_size, h.version) == (b"SCDD", 64, 24, 1)
    assert len(f.records) == 58_586 and f.bad_records == 0
    assert iso_utc(int(f.records["ts_us"][0])) == "2023-12-25T22:00:00.180Z"
    assert iso_utc(int(f.records["ts_us"][-1])) == "2023-12-25T23:59:59.446Z"
    assert f.records["command"][0] == DepthCommand.CLEAR
    book = OrderBook()
    book.apply(f.records)
    assert book.best_bid() == ES.to_ticks(4810.00) and book.best_ask() == ES.to_ticks(4810.25)
    assert (book.level_count(Side.BID), book.level_count(Side.ASK)) == (922, 565)
    assert book.consistent and book.integrity() is None


def test_shared_scid_file(shared_data: Path) -> None:
    header, trades, bad = read_scid(ES_SCID, ES, "ES")
    assert (header.magic, header.header_size, header.record_size) == (b"SCID", 56, 40)
    assert len(trades) == 2_973 and bad == 0
    assert sum(t.size for t in trades) == 9_892
    assert iso_utc(trades[0].ts_us) == "2023-12-25T23:00:00.000Z"
    assert iso_utc(trades[-1].ts_us) == "2023-12-25T23:59:56.799Z"
    prices = [t.price for t in trades]
    assert min(prices) == ES.to_ticks(4800.25) and max(prices) == ES.to_ticks(4811.75)
    assert trades[1].aggressor is Side.ASK          # bid volume 0, ask volume 5: lifted the offer
    assert trades[-1].aggressor is Side.BID


def test_hand_made_depth_roundtrip(tmp_path: Path) -> None:
    p = tmp_path / "ESZ6.CME.2026-11-25.depth"
    write_depth(p, [(SC0, 1, 0, 0, 0.0, 0), (SC0, 2, 0, 3, 4810.13, 7),
                    (SC0 + 5, 3, BATCH_END, 1, 4810.25, 9)])
    f = read_depth(p, ES)
    assert f.records["ts_us"].tolist() == [T0, T0, T0 + 5]
    assert f.records["price"].tolist() == [0, 19241, 19241]       # snapped to the nearest tick
    assert f.records["num_orders"].tolist() == [0, 3, 1] and f.records["qty"].tolist() == [0, 7, 9]
    assert f.records["flags"].tolist() == [0, 0, BATCH_END]


def test_bad_rows_dropped_and_counted(tmp_path: Path) -> None:
    p = tmp_path / "x.depth"
    write_depth(p, [(SC0, 2, 0, 1, float("nan"), 1), (SC0, 9, 0, 1, 100.0, 1), (SC0, 3, 1, 1, 100.0, 1),
                    (SC0, 2, 0, 1, float("inf"), 1)])
    f = read_depth(p, ES)
    assert len(f.records) == 1 and f.bad_records == 3
    s = tmp_path / "x.scid"
    write_scid(s, [(SC0, float("nan"), 1, 1, 0), (SC0, 100.0, 0, 0, 0), (SC0, 100.0, 2, 0, 2)])
    _h, trades, bad = read_scid(s, ES, "ES")
    assert len(trades) == 1 and bad == 2 and trades[0].aggressor is Side.ASK and trades[0].size == 2


@pytest.mark.parametrize(("blob", "message"), [
    (b"", "empty file"),
    (b"SCDD\x40\x00", "truncated header"),
    (b"SCID" + struct.pack("<III", 56, 40, 1).ljust(60, b"\0"), r"not a \.depth file"),
    (b"SCDD" + struct.pack("<III", 48, 24, 1).ljust(60, b"\0"), "header size is 48"),
    (b"SCDD" + struct.pack("<III", 64, 32, 1).ljust(60, b"\0"), "record size is 32"),
    (b"SCDD" + struct.pack("<III", 64, 24, 1).ljust(60, b"\0") + b"\1" * 30, "truncated: 6 bytes"),
])
def test_bad_depth_files(tmp_path: Path, blob: bytes, message: str) -> None:
    p = tmp_path / "bad.depth"
    p.write_bytes(blob)
    with pytest.raises(ScFileError, match=message):
        read_depth(p, ES)


def test_bad_scid_header_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.scid"
    p.write_bytes(b"SCDD" + struct.pack("<III", 64, 24, 1).ljust(60, b"\0"))
    with pytest.raises(ScFileError, match=r"not a \.scid file"):
        read_scid(p, ES, "ES")
    with pytest.raises(ScFileError, match="cannot read"):
        read_depth(tmp_path / "missing.depth", ES)
    with pytest.raises(ScFileError, match="header size"):
        parse_header(b"SCID" + struct.pack("<II", 64, 40).ljust(52, b"\0"), "scid")


def test_reader_waits_for_partial_record_and_header(tmp_path: Path) -> None:
    p = tmp_path / "grow.depth"
    full = tmp_path / "full.depth"
    write_depth(full, [(SC0 + i, 2, 1, 1, 100.0 + i, i + 1) for i in range(3)])
    blob = full.read_bytes()
    r = DepthReader(p, ES)
    assert len(r.poll()) == 0                      # file does not exist yet
    p.write_bytes(blob[:40])                       # half a header
    assert len(r.poll()) == 0 and r.header is None
    p.write_bytes(blob[:64 + 24 + 10])             # one record and a bit
    assert r.poll()["qty"].tolist() == [1]
    assert r.pending_bytes == 10
    with p.open("ab") as fh:
        fh.write(blob[64 + 24 + 10:])
    assert r.poll()["qty"].tolist() == [2, 3]
    assert len(r.poll()) == 0 and r.records_read == 3
    r.close()


def test_reader_rejects_wrong_magic_early(tmp_path: Path) -> None:
    p = tmp_path / "x.depth"
    p.write_bytes(b"NOPE")
    with DepthReader(p, ES) as r, pytest.raises(ScFileError, match="magic"):
        r.poll()


def test_scid_reader_seek_time(tmp_path: Path) -> None:
    p = tmp_path / "ES.scid"
    write_scid(p, [(SC0 + i * 1_000_000, 4800.0 + i * 0.25, 1, i % 2, 1 - i % 2) for i in range(100)])
    r = ScidReader(p, ES, "ES")
    r.seek_time(T0 + 42_500_000)
    trades = r.poll()
    assert len(trades) == 57 and trades[0].ts_us == T0 + 43_000_000
    assert trades[0].aggressor is Side.BID and trades[1].aggressor is Side.ASK
    write_scid(p, [(SC0 + 200_000_000, 4900.0, 3, 0, 3)], append=True)
    (t,) = r.poll()
    assert t.price == ES.to_ticks(4900.0) and t.size == 3
    r.close()
    assert np.dtype("<i8").itemsize == 8


def test_read_scid_range_reads_only_the_span(tmp_path: Path) -> None:
    p = tmp_path / "ES.scid"
    rows = [(SC0 + i * 1_000_000, 4800.0, 1, 0, 1) for i in range(1000)]
    rows[500] = (SC0 + 500 * 1_000_000, float("nan"), 1, 0, 1)
    write_scid(p, rows)
    trades, bad = read_scid_range(p, ES, "ES", T0 + 100_000_000, T0 + 600_000_000, chunk=64)
    assert [t.ts_us for t in trades][:2] == [T0 + 100_000_000, T0 + 101_000_000]
    assert trades[-1].ts_us == T0 + 600_000_000 and len(trades) == 500 and bad == 1
    assert read_scid_range(p, ES, "ES", T0 + 2_000_000_000, T0 + 3_000_000_000)[0] == []
    with pytest.raises(ScFileError, match="cannot read"):
        read_scid_range(tmp_path / "missing.scid", ES, "ES", 0, 1)
    bad_file = tmp_path / "bad.scid"
    bad_file.write_bytes(b"SCDD" + b"\0" * 60)
    with pytest.raises(ScFileError, match="magic"):
        read_scid_range(bad_file, ES, "ES", 0, 1)


def test_depth_info_without_reading_the_body(shared_data: Path, tmp_path: Path) -> None:
    info = depth_info(ES_DEPTH)
    assert info.records == 58_586 and info.header.version == 1
    assert info.first_us is not None and iso_utc(info.first_us) == "2023-12-25T22:00:00.180Z"
    assert info.last_us is not None and iso_utc(info.last_us) == "2023-12-25T23:59:59.446Z"
    p = tmp_path / "h.depth"
    write_depth(p, [])
    assert depth_info(p).records == 0 and depth_info(p).first_us is None
    with p.open("ab") as fh:
        fh.write(b"\0" * 25)
    with pytest.raises(ScFileError, match="truncated: 1 bytes"):
        depth_info(p)


def test_reader_restarts_when_the_file_is_replaced(tmp_path: Path) -> None:
    p = tmp_path / "ESZ25.CME.2025-11-25.depth"
    write_depth(p, [(SC0 + i, 2, 1, 1, 100.0, i + 1) for i in range(5)])
    r = DepthReader(p, ES)
    assert len(r.poll()) == 5
    p.unlink()          # nothing is held open between polls, so the file can be deleted (Windows)
    write_depth(p, [(SC0, 1, 0, 0, 0.0, 0), (SC0, 3, 1, 1, 101.0, 7)])
    recs = r.poll()
    assert r.restarts == 1 and recs["command"].tolist() == [1, 3] and recs["qty"].tolist() == [0, 7]
