"""The signal journal: every signal, durable before anyone hears about it.

How this works: one SQLite file (WAL mode, synchronous=FULL) with one row per signal. `append`
inserts and commits before it returns, so a signal is on disk before its alert sounds (see
ui/alerts.py `AlertGate`). Every Signal field is stored; the contributing pattern events and the
score/sizing breakdowns as JSON text. The paper-outcome columns start empty and `set_outcome` fills
them later. `history` gives the newest `limit` records oldest-first (newest last), as the blotter
wants them at start.

Threading: a Journal must be created and used from ONE thread (the bridge's / GUI thread). SQLite
connections refuse use from another thread (`sqlite3.ProgrammingError`), which is the guard.

Errors: a file that is not a SQLite database raises `JournalCorruptError`; a database another
process holds locked past the busy timeout raises `JournalLockedError`; other SQLite failures raise
`JournalError`. All three are `JournalError`, so the app can catch one type, report it and keep running.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mia_desktop.analysis.types import PatternEvent, Signal

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 2000
MAX_HISTORY = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id TEXT NOT NULL UNIQUE,
    ts_us INTEGER NOT NULL,
    instrument TEXT NOT NULL,
    direction TEXT NOT NULL,
    score REAL,
    tier TEXT NOT NULL,
    elite INTEGER NOT NULL,
    patterns TEXT NOT NULL,
    vix_regime TEXT NOT NULL,
    contracts INTEGER NOT NULL,
    entry REAL,
    stop REAL,
    target REAL,
    risk_state TEXT NOT NULL,
    score_breakdown TEXT NOT NULL,
    sizing_breakdown TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    outcome TEXT,
    pnl_usd REAL,
    outcome_us INTEGER
);
CREATE INDEX IF NOT EXISTS signals_ts ON signals (ts_us);
"""

_COLUMNS = (
    "signal_id",
    "ts_us",
    "instrument",
    "direction",
    "score",
    "tier",
    "elite",
    "patterns",
    "vix_regime",
    "contracts",
    "entry",
    "stop",
    "target",
    "risk_state",
    "score_breakdown",
    "sizing_breakdown",
    "recorded_us",
    "outcome",
    "pnl_usd",
    "outcome_us",
)


class JournalError(RuntimeError):
    """The journal cannot be used; the text says why (the app reports it and keeps running)."""


class JournalCorruptError(JournalError):
    """The file is not a usable SQLite database."""


class JournalLockedError(JournalError):
    """Another process holds the database locked."""


@dataclass(frozen=True, slots=True)
class JournalRecord:
    signal: Signal
    recorded_us: int  # wall clock when it was journaled
    outcome: str | None = None  # "target", "stop", "session_end", ... (None: still open)
    pnl_usd: float | None = None
    outcome_us: int | None = None


def signal_key(sig: Signal) -> str:
    """The journal key: the signal's own id, else instrument + exchange time + direction."""
    return sig.signal_id or f"{sig.instrument}-{sig.ts_us}-{sig.direction}"


def _jsonable(o: Any) -> Any:
    """json.dumps fallback: numpy scalars/arrays and other odd evidence values."""
    if hasattr(o, "item") and callable(o.item):
        try:
            return o.item()
        except (TypeError, ValueError):
            pass
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, set | frozenset | tuple):
        return list(o)
    return str(o)


def _dumps(obj: Any) -> str:
    # NaN/inf stay as the json module's NaN/Infinity tokens, which json.loads reads back
    return json.dumps(obj, default=_jsonable, ensure_ascii=False)


def _wrap(exc: sqlite3.Error, path: Path) -> JournalError:
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return JournalLockedError(f"signal journal {path} is locked by another program: {text}")
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return JournalCorruptError(
            f"signal journal {path} is damaged ({text}); move it aside to start a new one"
        )
    return JournalError(f"signal journal {path}: {text}")


class Journal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"cannot create the journal folder {self.path.parent}: {exc}") from exc
        self._db: sqlite3.Connection | None = None
        self.skipped_rows = 0  # rows `history` could not decode last time
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from exc
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"signal journal {self.path}: WAL mode refused (got {mode!r})")
            db.execute("PRAGMA synchronous = FULL")  # WAL + NORMAL may lose the last commits on power loss
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"signal journal {self.path} was written by a newer MIA Desktop "
                    f"(schema {version}); move it aside or update"
                )
            db.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        except sqlite3.Error as exc:
            db.close()
            raise _wrap(exc, self.path) from exc
        except JournalError:
            db.close()
            raise
        self._db = db

    # ------------------------------------------------------------ writing

    def append(self, sig: Signal) -> str:
        """Store `sig` and commit before returning; returns its journal key. Appending the same
        signal again is harmless (the first row is kept)."""
        return self.append_many([sig])[0]

    def append_many(self, sigs: Sequence[Signal]) -> list[str]:
        """Store several signals in ONE transaction, committed (one fsync) before returning: the
        bridge's drain journals a whole batch for the price of one append. All or none."""
        if not sigs:
            return []
        now = time.time_ns() // 1000
        keys = [signal_key(s) for s in sigs]
        try:
            rows = [_row(k, s, now) for k, s in zip(keys, sigs, strict=True)]
        except (TypeError, ValueError) as exc:
            raise JournalError(f"signal journal: a signal has a field of the wrong type: {exc}") from exc
        if self._db is None:
            raise JournalError(f"signal journal {self.path} is closed")
        sql = (
            f"INSERT INTO signals ({', '.join(_COLUMNS[:17])}) VALUES ({', '.join('?' * 17)}) "
            "ON CONFLICT(signal_id) DO NOTHING"
        )
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.ProgrammingError:
            raise  # wrong thread / misuse: a bug, not a runtime condition
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from exc
        except OverflowError as exc:  # an integer SQLite cannot hold; the batch was rolled back
            raise JournalError(f"signal journal: a value is out of range: {exc}") from exc
        return keys

    def set_outcome(self, signal_id: str, outcome: str, pnl_usd: float) -> bool:
        """Record the paper outcome; False when no such signal is journaled."""
        cur = self._exec(
            "UPDATE signals SET outcome = ?, pnl_usd = ?, outcome_us = ? WHERE signal_id = ?",
            (outcome, _num(pnl_usd), time.time_ns() // 1000, signal_id),
        )
        return cur.rowcount > 0

    # ------------------------------------------------------------ reading

    def history(self, limit: int = 1000) -> list[JournalRecord]:
        """The newest `limit` signals, oldest first (newest last)."""
        limit = max(0, min(int(limit), MAX_HISTORY))
        cur = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM signals ORDER BY ts_us DESC, id DESC LIMIT ?", (limit,)
        )
        out = []
        self.skipped_rows = 0
        for r in reversed(cur.fetchall()):
            try:
                out.append(_record(r))
            except (ValueError, TypeError, KeyError):
                self.skipped_rows += 1  # a row damaged outside the app; the rest still loads
        return out

    def get(self, signal_id: str) -> JournalRecord | None:
        cur = self._exec(f"SELECT {', '.join(_COLUMNS)} FROM signals WHERE signal_id = ?", (signal_id,))
        r = cur.fetchone()
        return _record(r) if r else None

    def __len__(self) -> int:
        return int(self._exec("SELECT COUNT(*) FROM signals").fetchone()[0])

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        if self._db is None:
            raise JournalError(f"signal journal {self.path} is closed")
        try:
            return self._db.execute(sql, params)
        except sqlite3.ProgrammingError:
            raise  # wrong thread / misuse: a bug, not a runtime condition
        except sqlite3.Error as exc:
            raise _wrap(exc, self.path) from exc


def _row(key: str, sig: Signal, recorded_us: int) -> tuple[Any, ...]:
    return (
        key,
        int(sig.ts_us),
        sig.instrument,
        sig.direction,
        _num(sig.score),
        sig.tier,
        int(bool(sig.elite)),
        _dumps([_pattern_to_dict(p) for p in sig.patterns]),
        sig.vix_regime,
        int(sig.contracts),
        _num(sig.entry),
        _num(sig.stop),
        _num(sig.target),
        sig.risk_state,
        _dumps(sig.score_breakdown),
        _dumps(sig.sizing_breakdown),
        recorded_us,
    )


def _num(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _pattern_to_dict(p: PatternEvent) -> dict[str, Any]:
    return {
        "ts_us": p.ts_us,
        "instrument": p.instrument,
        "family": p.family,
        "pattern": p.pattern,
        "direction": p.direction,
        "price": p.price,
        "strength": p.strength,
        "confidence": p.confidence,
        "evidence": p.evidence,
    }


def _pattern_from_dict(d: dict[str, Any]) -> PatternEvent:
    return PatternEvent(
        ts_us=int(d["ts_us"]),
        instrument=str(d["instrument"]),
        family=str(d["family"]),
        pattern=str(d["pattern"]),
        direction=str(d["direction"]),
        price=_f(d["price"]),
        strength=_f(d["strength"]),
        confidence=_f(d["confidence"]),
        evidence=dict(d.get("evidence") or {}),
    )


def _f(x: Any) -> float:
    return math.nan if x is None else float(x)


def _record(r: tuple[Any, ...]) -> JournalRecord:
    (
        key,
        ts_us,
        instrument,
        direction,
        score,
        tier,
        elite,
        patterns,
        vix_regime,
        contracts,
        entry,
        stop,
        target,
        risk_state,
        score_bd,
        sizing_bd,
        recorded_us,
        outcome,
        pnl,
        outcome_us,
    ) = r
    sig = Signal(
        ts_us=ts_us,
        instrument=instrument,
        direction=direction,
        score=_f(score),
        tier=tier,
        elite=bool(elite),
        patterns=tuple(_pattern_from_dict(p) for p in json.loads(patterns)),
        vix_regime=vix_regime,
        contracts=contracts,
        entry=_f(entry),
        stop=_f(stop),
        target=_f(target),
        risk_state=risk_state,
        score_breakdown=json.loads(score_bd),
        sizing_breakdown=json.loads(sizing_bd),
        signal_id=key,
    )
    return JournalRecord(sig, recorded_us, outcome, pnl, outcome_us)
