"""`mia-desktop analyze`: recorded Sierra Chart files through the engine, as fast as it can.

The depth records and `.scid` trades are merged in exchange-time order and fed to the same
``InstrumentWorker.process`` the live app runs (book, bars, detectors at the profile's interval on
the recording's clock). Pattern events and signals go to ``--out`` as JSON lines; one JSON summary
line goes to stdout. Bad input (a missing, empty, truncated or non-depth file, an unknown
instrument or profile, a bad key-levels or VIX file) exits 2 with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import bisect
import inspect
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from mia_desktop.engine.worker import InstrumentWorker
from mia_desktop.market.events import BATCH_END, Side, Trade, VixReading
from mia_desktop.market.instrument import Instrument, instrument_for
from mia_desktop.market.timeutil import iso_utc
from mia_desktop.sources.scfiles import DepthReader, ScFileError, depth_info, read_scid_range
from mia_desktop.sources.tail import merge_in_time, symbol_from_path

CHUNK_RECORDS = 262_144   # depth records per read: memory stays flat whatever the file size


class BadInput(Exception):
    """One-line reason for exit code 2."""


def _profile(name: str, auto: bool) -> Any:
    try:
        from mia_desktop.config.profiles import get_profile
    except ImportError:       # profiles not available: a minimal stand-in with the interval
        class _P:
            analysis_interval_ms = 250

        _P.name = name  # type: ignore[attr-defined]
        return _P()
    try:
        prof = get_profile(name)
    except KeyError as e:
        raise BadInput(str(e.args[0]) if e.args else f"unknown profile {name!r}") from e
    if auto and hasattr(prof, "with_auto"):
        prof = prof.with_auto(True)
    return prof


def _key_levels(path: str | None) -> list[Any] | None:
    if not path:
        return None
    from mia_desktop.analysis.keylevels import parse_key_levels

    text = _read_text("--levels", path)
    try:
        levels = list(parse_key_levels(text))
    except ValueError as e:
        raise BadInput(f"--levels {path}: {_one_line(e)}") from e
    if not levels:
        raise BadInput(f"--levels {path}: no key levels in the file")
    return levels


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _read_text(flag: str, path: str) -> str:
    """A text input file, or BadInput naming the flag: unreadable, or not UTF-8 text (a binary
    file given by mistake — e.g. an .scid as --vix)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadInput(f"{flag} {path}: cannot read: {e.strerror or e}") from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"{flag} {path}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset "
                       f"{e.start}): expected a CSV file") from e


@dataclass(frozen=True, slots=True)
class VixInput:
    closes: list[float] | None       # daily closes before the session (regime history)
    reading: VixReading | None       # the last of them, as the session's reading
    rows: int | None = None          # valid rows in the file (None: no --vix)
    bad_rows: int | None = None      # rows skipped as malformed


def _vix(path: str | None, session_start_us: int) -> VixInput:
    """Daily closes before the session (regime history) and the last one as the session's reading."""
    if not path:
        return VixInput(None, None)
    text = _read_text("--vix", path)
    try:
        from mia_desktop.analysis.vix import parse_vix_daily
    except ImportError:
        return VixInput(None, None)  # VIX parsing not available in this build: no regime context
    try:
        parsed = parse_vix_daily(text)
    except ValueError as e:
        raise BadInput(f"--vix {path}: {_one_line(e)}") from e
    if not parsed.rows:
        first = f"; first: {parsed.problems[0]}" if parsed.problems else ""
        raise BadInput(f"--vix {path}: no valid DATE,OPEN,HIGH,LOW,CLOSE rows ({parsed.bad} bad{first})")
    day = datetime.fromtimestamp(session_start_us / 1e6, tz=UTC).date()
    closes = [r.close for r in parsed.rows if r.day < day]
    if not closes:
        return VixInput(None, None, len(parsed.rows), parsed.bad)
    return VixInput(closes, VixReading(session_start_us, closes[-1]), len(parsed.rows), parsed.bad)


def _analyzer(inst: Instrument, profile: Any, levels: list[Any] | None, closes: list[float] | None) -> Any:
    try:
        from mia_desktop.analysis.pipeline import Analyzer
    except ImportError:
        return None
    params = inspect.signature(Analyzer).parameters
    kwargs: dict[str, Any] = {}
    if levels is not None and "key_levels" in params:
        kwargs["key_levels"] = levels
    if closes is not None and "vix_daily_closes" in params:
        kwargs["vix_daily_closes"] = closes
    return Analyzer(inst, profile, **kwargs)


def _drain(worker: InstrumentWorker, out: TextIO | None) -> None:
    q = worker.output
    while not q.empty():
        item = q.get_nowait()
        if out is not None and hasattr(item, "to_json"):
            out.write(json.dumps(item.to_json(), separators=(",", ":"), default=str))
            out.write("\n")


def analyze(args: argparse.Namespace, out: TextIO | None) -> dict[str, Any]:
    symbol = symbol_from_path(args.depth)
    try:
        inst = instrument_for(args.instrument or symbol)
    except KeyError as e:
        raise BadInput(str(e.args[0])) from e
    sym = inst.symbol
    try:
        info = depth_info(args.depth)
    except ScFileError as e:
        raise BadInput(str(e)) from e
    if info.records == 0 or info.first_us is None or info.last_us is None:
        raise BadInput(f"{Path(args.depth).name}: no depth records")
    trades: list[Trade] = []
    if args.scid:
        try:   # only the depth file's span: an .scid holds the contract's whole history
            trades, _bad = read_scid_range(args.scid, inst, sym, info.first_us - 1_000_000,
                                           info.last_us + 1_000_000)
        except ScFileError as e:
            raise BadInput(str(e)) from e
        trades.sort(key=lambda t: t.ts_us)
    profile = _profile(args.profile, bool(getattr(args, "auto", False)))
    levels = _key_levels(getattr(args, "levels", None))
    vix = _vix(args.vix, info.first_us)
    reading = vix.reading
    analyzer = _analyzer(inst, profile, levels, vix.closes)
    worker = InstrumentWorker(inst, profile, analyzer=analyzer, heatmap=False, name=sym)

    t0 = time.perf_counter()
    if reading is not None:
        worker.process([reading])
    # stream the depth file in chunks (bounded memory for a day of a busy contract), trades merged in
    reader = DepthReader(args.depth, inst)
    ti = 0
    n_records = 0
    unended = 0        # records after the last batch end seen so far
    try:
        while True:
            recs = reader.poll(CHUNK_RECORDS)
            if not len(recs):
                break
            n_records += len(recs)
            ends = np.flatnonzero(recs["flags"] & BATCH_END)
            unended = len(recs) - 1 - int(ends[-1]) if len(ends) else unended + len(recs)
            tj = bisect.bisect_right(trades, int(recs["ts_us"][-1]), lo=ti, key=lambda t: t.ts_us)
            worker.process(merge_in_time(sym, recs, trades[ti:tj]))
            ti = tj
            _drain(worker, out)
    finally:
        reader.close()
    if unended:
        # a finished file whose last batch never ends: the book was never consistent at the end
        # (a copy cut mid-batch); its final book and summary would be a half-applied state
        raise BadInput(f"{Path(args.depth).name}: truncated: the last batch never ends "
                       f"({unended} records after the last batch end)")
    worker.process(trades[ti:])
    _drain(worker, out)
    seconds = time.perf_counter() - t0

    book = worker.book
    bb, ba = book.best_bid(), book.best_ask()
    return {
        "kind": "summary", "instrument": sym, "profile": getattr(profile, "name", args.profile),
        "analyzer": analyzer is not None, "events": worker.events_processed, "depth_records": n_records,
        "trades": len(trades), "bad_records": reader.bad_records, "seconds": round(seconds, 4),
        "events_per_s": round(worker.events_processed / seconds) if seconds > 0 else None,
        "patterns": dict(sorted(worker.pattern_counts.items())),
        "pattern_events": sum(worker.pattern_counts.values()),
        "signals": worker.signals_count, "elite": worker.elite_count,
        "elite_ok": worker.elite_ok_count, "rate_limited": worker.rate_limited_count,
        "vix_regime": getattr(analyzer, "vix_regime", None),
        "vix_rows": vix.rows, "vix_bad_rows": vix.bad_rows,
        "final_book": {
            "best_bid": inst.to_price(bb) if bb is not None else None,
            "best_ask": inst.to_price(ba) if ba is not None else None,
            "bid_levels": book.level_count(Side.BID), "ask_levels": book.level_count(Side.ASK)},
        "book_problem": book.integrity(),
        "book_problems": {
            "crossed": worker.crossed_batches, "locked": worker.locked_batches,
            "first": iso_utc(worker.problem_first_us) if worker.problem_first_us is not None else None,
            "last": iso_utc(worker.problem_last_us) if worker.problem_last_us is not None else None},
        "errors": worker.errors, "first_error": worker.last_error,
    }


def run_analyze(args: argparse.Namespace) -> int:
    out: TextIO | None = None
    try:
        if args.out:
            try:
                out = open(args.out, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            except OSError as e:
                raise BadInput(f"--out {args.out}: cannot write: {e.strerror or e}") from e
        summary = analyze(args, out)
    except BadInput as e:
        print(f"mia-desktop analyze: {e}", file=sys.stderr)
        return 2
    finally:
        if out is not None:
            out.close()
    if summary["errors"]:
        print(f"mia-desktop analyze: warning: {summary['errors']} analyzer errors; first: "
              f"{summary['first_error']}", file=sys.stderr)
    print(json.dumps(summary, separators=(",", ":")))
    return 0
