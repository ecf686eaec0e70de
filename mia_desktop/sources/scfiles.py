"""Sierra Chart data files: `.depth` (market depth) and `.scid` (intraday) readers.

Layouts (see shared/data/README.md): a `.depth` file is a 64-byte header (magic ``SCDD``, uint32
header size, uint32 record size, uint32 version, zero padding) and 24-byte records ``<qBBHfII>``
(µs since 1899-12-30 UTC, command, flags, num orders, float price, uint32 quantity, reserved). A
`.scid` file is a 56-byte header (magic ``SCID``, uint32 header size, uint32 record size, uint16
version, …) and 40-byte records ``<qffffIIII>`` (time, open, high, low, close, num trades, volume,
bid volume, ask volume); tick files store open = 0, close = trade price, and bid volume > 0 when the
trade hit the bid.

How this works: ``DepthReader``/``ScidReader`` keep a file offset and read whatever complete
records have been appended since the last ``poll()`` (a partial record at the end of a growing file
waits for the rest), decode them with one ``np.frombuffer``, convert Sierra Chart time to Unix µs
and snap prices to integer ticks. Rows with a non-finite price or an unknown command are counted in
``bad_records`` and dropped, never raised. ``read_depth``/``read_scid`` read a whole finished file
and refuse a truncated one (``ScFileError``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from mia_desktop.market.events import DEPTH_DTYPE, Side, Trade
from mia_desktop.market.instrument import Instrument
from mia_desktop.market.timeutil import SC_EPOCH_OFFSET_US

DEPTH_MAGIC = b"SCDD"
DEPTH_HEADER_SIZE = 64
DEPTH_RECORD_SIZE = 24
SCID_MAGIC = b"SCID"
SCID_HEADER_SIZE = 56
SCID_RECORD_SIZE = 40

SC_DEPTH_DTYPE = np.dtype([("sc_us", "<i8"), ("command", "u1"), ("flags", "u1"), ("num_orders", "<u2"),
                           ("price", "<f4"), ("qty", "<u4"), ("reserved", "<u4")])
SC_SCID_DTYPE = np.dtype([("sc_us", "<i8"), ("open", "<f4"), ("high", "<f4"), ("low", "<f4"),
                          ("close", "<f4"), ("num_trades", "<u4"), ("volume", "<u4"),
                          ("bid_volume", "<u4"), ("ask_volume", "<u4")])
assert SC_DEPTH_DTYPE.itemsize == DEPTH_RECORD_SIZE and SC_SCID_DTYPE.itemsize == SCID_RECORD_SIZE

_MAX_READ = 64 * 1024 * 1024   # bytes per poll: bounded memory however far behind the reader is


class ScFileError(ValueError):
    """A Sierra Chart file that is not what it claims: wrong magic, sizes, or a truncated body."""


@dataclass(frozen=True, slots=True)
class ScHeader:
    kind: str            # "depth" | "scid"
    magic: bytes
    header_size: int
    record_size: int
    version: int


def parse_header(data: bytes, kind: str, name: str = "file") -> ScHeader:
    """Validate a `.depth` or `.scid` header; raises ScFileError with the reason."""
    if kind == "depth":
        magic, hsize, rsize = DEPTH_MAGIC, DEPTH_HEADER_SIZE, DEPTH_RECORD_SIZE
    elif kind == "scid":
        magic, hsize, rsize = SCID_MAGIC, SCID_HEADER_SIZE, SCID_RECORD_SIZE
    else:
        raise ValueError(f"unknown Sierra Chart file kind {kind!r}")
    if len(data) >= 4 and data[:4] != magic:
        raise ScFileError(f"{name}: not a .{kind} file: magic {data[:4]!r}, expected {magic!r}")
    if len(data) < hsize:
        raise ScFileError(f"{name}: truncated header: {len(data)} bytes, a .{kind} header has {hsize}")
    got_h, got_r = struct.unpack_from("<II", data, 4)
    if got_h != hsize:
        raise ScFileError(f"{name}: .{kind} header size is {got_h}, expected {hsize}")
    if got_r != rsize:
        raise ScFileError(f"{name}: .{kind} record size is {got_r}, expected {rsize}")
    version = struct.unpack_from("<I" if kind == "depth" else "<H", data, 12)[0]
    return ScHeader(kind, magic, got_h, got_r, int(version))


def depth_from_raw(raw: npt.NDArray[np.void], instrument: Instrument) -> tuple[npt.NDArray[np.void], int]:
    """SC `.depth` rows -> DEPTH_DTYPE (Unix µs, integer ticks); returns (records, rows dropped)."""
    price = raw["price"].astype(np.float64)
    cmd = raw["command"]
    ok = np.isfinite(price) & (cmd >= 1) & (cmd <= 7)
    bad = int(len(raw) - int(ok.sum()))
    if bad:
        raw, price = raw[ok], price[ok]
    out = np.empty(len(raw), dtype=DEPTH_DTYPE)
    out["ts_us"] = raw["sc_us"] - SC_EPOCH_OFFSET_US
    out["command"] = raw["command"]
    out["flags"] = raw["flags"]
    out["num_orders"] = raw["num_orders"]
    out["price"] = np.rint(price * (instrument.price_multiplier / instrument.tick_size)).astype(np.int64)
    out["qty"] = raw["qty"]
    return out, bad


def trades_from_raw(raw: npt.NDArray[np.void], instrument: Instrument,
                    symbol: str) -> tuple[list[Trade], int]:
    """SC `.scid` tick rows -> Trades (aggressor BID when the trade hit the bid); (trades, dropped)."""
    close = raw["close"].astype(np.float64)
    ok = np.isfinite(close) & (raw["volume"] > 0)
    bad = int(len(raw) - int(ok.sum()))
    if bad:
        raw, close = raw[ok], close[ok]
    ts = (raw["sc_us"] - SC_EPOCH_OFFSET_US).tolist()
    ticks = np.rint(close * (instrument.price_multiplier / instrument.tick_size)).astype(np.int64).tolist()
    size = raw["volume"].tolist()
    hit_bid = (raw["bid_volume"] > 0).tolist()
    trades = [Trade(symbol, t, p, s, Side.BID if hb else Side.ASK)
              for t, p, s, hb in zip(ts, ticks, size, hit_bid, strict=True)]
    return trades, bad


class _Reader:
    """Incremental reader of fixed-size records after a validated header."""

    kind = ""
    raw_dtype: np.dtype[np.void] = SC_DEPTH_DTYPE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.header: ScHeader | None = None
        self.offset = 0            # bytes consumed (header + whole records)
        self.records_read = 0
        self.bad_records = 0
        self.restarts = 0          # times the file shrank under us and was read again from the top

    @property
    def pending_bytes(self) -> int:
        """Bytes of a partial record (or header) waiting at the end of the file."""
        try:
            return max(0, self.path.stat().st_size - self.offset)
        except OSError:
            return 0

    def _open(self) -> BinaryIO | None:
        # opened for each read and closed again: on Windows an open handle would stop Sierra
        # Chart from deleting or replacing its own file
        try:
            return open(self.path, "rb")
        except FileNotFoundError:
            return None

    def close(self) -> None:
        """Nothing stays open between polls; kept for symmetry with context-manager use."""

    def _read_raw(self, max_records: int | None = None) -> npt.NDArray[np.void]:
        fh = self._open()
        if fh is None:
            return np.zeros(0, dtype=self.raw_dtype)
        with fh:
            return self._read_from(fh, max_records)

    def _read_from(self, fh: BinaryIO, max_records: int | None) -> npt.NDArray[np.void]:
        empty = np.zeros(0, dtype=self.raw_dtype)
        rsize = self.raw_dtype.itemsize
        if self.header is not None and self._size(fh) < self.offset:
            # the file shrank: replaced or cleared (Sierra Chart "clear data"): start it again
            self.header = None
            self.offset = 0
            self.restarts += 1
        if self.header is None:
            size = self._size(fh)
            fh.seek(0)
            hsize = DEPTH_HEADER_SIZE if self.kind == "depth" else SCID_HEADER_SIZE
            if size < hsize:
                head = fh.read(size)
                # an incomplete header may still be being written; a wrong magic is wrong already
                magic = DEPTH_MAGIC if self.kind == "depth" else SCID_MAGIC
                if head and not magic.startswith(head[:4]):
                    parse_header(head.ljust(hsize, b"\0"), self.kind, self.path.name)
                return empty
            self.header = parse_header(fh.read(hsize), self.kind, self.path.name)
            self.offset = hsize
        size = self._size(fh)
        n = (size - self.offset) // rsize
        limit = _MAX_READ // rsize if max_records is None else max_records
        n = min(n, limit)
        if n <= 0:
            return empty
        fh.seek(self.offset)
        data = fh.read(n * rsize)
        n = len(data) // rsize
        self.offset += n * rsize
        self.records_read += n
        return np.frombuffer(data[:n * rsize], dtype=self.raw_dtype)

    @staticmethod
    def _size(fh: BinaryIO) -> int:
        return fh.seek(0, 2)

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DepthReader(_Reader):
    """Follows one `.depth` file: ``poll()`` returns the DEPTH_DTYPE records appended since last time."""

    kind = "depth"
    raw_dtype = SC_DEPTH_DTYPE

    def __init__(self, path: str | Path, instrument: Instrument) -> None:
        super().__init__(path)
        self.instrument = instrument

    def poll(self, max_records: int | None = None) -> npt.NDArray[np.void]:
        raw = self._read_raw(max_records)
        out, bad = depth_from_raw(raw, self.instrument)
        self.bad_records += bad
        return out


class ScidReader(_Reader):
    """Follows one `.scid` file: ``poll()`` returns the trades appended since last time."""

    kind = "scid"
    raw_dtype = SC_SCID_DTYPE

    def __init__(self, path: str | Path, instrument: Instrument, symbol: str) -> None:
        super().__init__(path)
        self.instrument = instrument
        self.symbol = symbol

    def seek_time(self, unix_us: int) -> None:
        """Skip to the first record at or after unix_us (binary search over fixed-size records), so a
        live start does not replay months of history."""
        if self.header is None:
            self._read_raw(0)
            if self.header is None:
                return
        fh = self._open()
        if fh is None:
            return
        with fh:
            self._seek_in(fh, unix_us)

    def _seek_in(self, fh: BinaryIO, unix_us: int) -> None:
        rsize = SCID_RECORD_SIZE
        n = (self._size(fh) - SCID_HEADER_SIZE) // rsize
        lo, hi = 0, n
        target = unix_us + SC_EPOCH_OFFSET_US
        while lo < hi:
            mid = (lo + hi) // 2
            fh.seek(SCID_HEADER_SIZE + mid * rsize)
            (t,) = struct.unpack("<q", fh.read(8))
            if t < target:
                lo = mid + 1
            else:
                hi = mid
        self.offset = SCID_HEADER_SIZE + lo * rsize

    def poll(self, max_records: int | None = None) -> list[Trade]:
        raw = self._read_raw(max_records)
        trades, bad = trades_from_raw(raw, self.instrument, self.symbol)
        self.bad_records += bad
        return trades


def _read_whole(path: str | Path, kind: str) -> tuple[ScHeader, bytes]:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ScFileError(f"{p.name}: cannot read: {e.strerror or e}") from e
    if not data:
        raise ScFileError(f"{p.name}: empty file")
    header = parse_header(data, kind, p.name)
    body = len(data) - header.header_size
    if body % header.record_size:
        raise ScFileError(f"{p.name}: truncated: {body % header.record_size} bytes of a partial "
                          f"{header.record_size}-byte record at the end")
    return header, data


@dataclass(frozen=True, slots=True)
class DepthFile:
    header: ScHeader
    records: npt.NDArray[np.void]    # DEPTH_DTYPE
    bad_records: int


@dataclass(frozen=True, slots=True)
class DepthInfo:
    header: ScHeader
    records: int
    first_us: int | None     # Unix µs of the first and last record (None when there are none)
    last_us: int | None


def depth_info(path: str | Path) -> DepthInfo:
    """Validate a finished `.depth` file without reading its body: header, whole records, the first
    and last times. ScFileError when missing, empty, not a depth file, or truncated."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            size = fh.seek(0, 2)
            if size == 0:
                raise ScFileError(f"{p.name}: empty file")
            fh.seek(0)
            header = parse_header(fh.read(DEPTH_HEADER_SIZE), "depth", p.name)
            body = size - header.header_size
            if body % header.record_size:
                raise ScFileError(f"{p.name}: truncated: {body % header.record_size} bytes of a partial "
                                  f"{header.record_size}-byte record at the end")
            n = body // header.record_size
            if n == 0:
                return DepthInfo(header, 0, None, None)
            (first,) = struct.unpack("<q", fh.read(8))
            fh.seek(size - header.record_size)
            (last,) = struct.unpack("<q", fh.read(8))
    except OSError as e:
        raise ScFileError(f"{p.name}: cannot read: {e.strerror or e}") from e
    return DepthInfo(header, n, first - SC_EPOCH_OFFSET_US, last - SC_EPOCH_OFFSET_US)


def read_depth(path: str | Path, instrument: Instrument) -> DepthFile:
    """Read a whole finished `.depth` file; ScFileError on a wrong header or a truncated body."""
    header, data = _read_whole(path, "depth")
    raw = np.frombuffer(data, dtype=SC_DEPTH_DTYPE, offset=header.header_size)
    recs, bad = depth_from_raw(raw, instrument)
    return DepthFile(header, recs, bad)


def read_scid(path: str | Path, instrument: Instrument, symbol: str) -> tuple[ScHeader, list[Trade], int]:
    """Read a whole `.scid` file: (header, trades, rows dropped)."""
    header, data = _read_whole(path, "scid")
    raw = np.frombuffer(data, dtype=SC_SCID_DTYPE, offset=header.header_size)
    trades, bad = trades_from_raw(raw, instrument, symbol)
    return header, trades, bad


def read_scid_range(path: str | Path, instrument: Instrument, symbol: str, start_us: int,
                    end_us: int, *, chunk: int = 65_536) -> tuple[list[Trade], int]:
    """Trades stamped start_us .. end_us only: a binary search to the start, then chunked reads
    until the end — an `.scid` file holds the whole contract's history (often gigabytes), so a
    replay or an analysis of one session must not read all of it. Returns (trades, rows dropped).
    Raises ScFileError for a wrong header (a truncated last record is simply not read)."""
    p = Path(path)
    if not p.exists():
        raise ScFileError(f"{p.name}: cannot read: no such file")
    reader = ScidReader(p, instrument, symbol)
    try:
        with p.open("rb") as fh:
            head = fh.read(SCID_HEADER_SIZE)
        if not head:
            raise ScFileError(f"{p.name}: empty file")
        parse_header(head, "scid", p.name)
        reader.seek_time(start_us)
        out: list[Trade] = []
        while True:
            before = reader.records_read
            got = reader.poll(chunk)
            if reader.records_read == before:
                break
            if got and got[-1].ts_us > end_us:
                out += [t for t in got if t.ts_us <= end_us]
                break
            out += got
        return out, reader.bad_records
    finally:
        reader.close()


def write_depth(path: str | Path, rows: list[tuple[int, int, int, int, float, int]], *, header: bool = True,
                append: bool = False) -> None:
    """Write SC `.depth` rows (sc_us, command, flags, num_orders, price, qty) — recordings and tests."""
    with open(path, "ab" if append else "wb") as fh:
        if header and not append:
            head = struct.pack("<4sIII", DEPTH_MAGIC, DEPTH_HEADER_SIZE, DEPTH_RECORD_SIZE, 1)
            fh.write(head.ljust(DEPTH_HEADER_SIZE, b"\0"))
        for r in rows:
            fh.write(struct.pack("<qBBHfII", *r, 0))


def write_scid(path: str | Path, rows: list[tuple[int, float, int, int, int]], *,
               append: bool = False) -> None:
    """Write SC `.scid` tick rows (sc_us, price, volume, bid_volume, ask_volume)."""
    with open(path, "ab" if append else "wb") as fh:
        if not append:
            head = struct.pack("<4sIIH", SCID_MAGIC, SCID_HEADER_SIZE, SCID_RECORD_SIZE, 1)
            fh.write(head.ljust(SCID_HEADER_SIZE, b"\0"))
        for t, p, v, bv, av in rows:
            fh.write(struct.pack("<qffffIIII", t, 0.0, p, p, p, 1, v, bv, av))
