"""storage/journal.py on real SQLite files: append, reopen, history, outcomes, damaged files."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.storage.journal import Journal, JournalCorruptError, JournalError, JournalLockedError

T0 = 1_703_541_600_000_000


def make_signal(i: int = 0, *, elite: bool = True, risk_state: str = "ok", instrument: str = "ES") -> Signal:
    pats = (
        PatternEvent(
            T0 + i,
            instrument,
            "dom",
            "iceberg",
            "long",
            4800.25,
            0.9,
            0.8,
            {"traded": 1200, "shown": np.int64(300), "ratio": np.float64(4.0), "levels": [1, 2]},
        ),
        PatternEvent(
            T0 + i - 5, instrument, "battle_navale", "vikings", "long", 4800.0, 0.7, 0.9, {"B": 0.74}
        ),
    )
    return Signal(
        ts_us=T0 + i * 1_000_000,
        instrument=instrument,
        direction="long",
        score=0.82,
        tier="elite" if elite else "strong",
        elite=elite,
        patterns=pats,
        vix_regime="normal",
        contracts=2,
        entry=4800.25,
        stop=4798.25,
        target=4804.25,
        risk_state=risk_state,
        score_breakdown={"dom": 0.216, "bonus": 0.1},
        sizing_breakdown={"multiplier": 1.0},
        signal_id=f"{instrument}-{i}",
    )


def test_append_is_durable_and_every_field_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    sig = make_signal(1)
    with Journal(path) as j:
        assert j.append(sig) == "ES-1"
        # committed: a second, independent connection sees the row before the journal is closed
        other = sqlite3.connect(path)
        assert other.execute("SELECT signal_id, tier, elite FROM signals").fetchall() == [
            ("ES-1", "elite", 1)
        ]
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        other.close()
    with Journal(path) as j:
        (rec,) = j.history()
    got = rec.signal
    assert got.patterns[0].evidence == {"traded": 1200, "shown": 300, "ratio": 4.0, "levels": [1, 2]}
    expected = make_signal(1)
    assert got.patterns[1] == expected.patterns[1]
    assert (
        got.ts_us,
        got.instrument,
        got.direction,
        got.score,
        got.tier,
        got.elite,
        got.vix_regime,
        got.contracts,
        got.entry,
        got.stop,
        got.target,
        got.risk_state,
        got.score_breakdown,
        got.sizing_breakdown,
        got.signal_id,
    ) == (
        expected.ts_us,
        "ES",
        "long",
        0.82,
        "elite",
        True,
        "normal",
        2,
        4800.25,
        4798.25,
        4804.25,
        "ok",
        {"dom": 0.216, "bonus": 0.1},
        {"multiplier": 1.0},
        "ES-1",
    )
    assert rec.outcome is None and rec.pnl_usd is None and rec.recorded_us > 0


def test_history_newest_last_with_limit_and_duplicates_ignored(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as j:
        for i in (3, 1, 2, 5, 4):
            j.append(make_signal(i))
        j.append(make_signal(5))  # the same signal twice: one row
        assert len(j) == 5
        assert [r.signal.signal_id for r in j.history()] == ["ES-1", "ES-2", "ES-3", "ES-4", "ES-5"]
        assert [r.signal.signal_id for r in j.history(limit=2)] == ["ES-4", "ES-5"]
        assert j.history(limit=0) == []


def test_outcome_updated_later_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        j.append(make_signal(1))
        j.append(make_signal(2, elite=False, risk_state="rate_limited"))
        assert j.set_outcome("ES-1", "target", 100.0) is True
        assert j.set_outcome("nope", "stop", -50.0) is False
    with Journal(path) as j:
        r1, r2 = j.history()
        assert (r1.outcome, r1.pnl_usd) == ("target", 100.0) and r1.outcome_us is not None
        assert r2.outcome is None and r2.signal.risk_state == "rate_limited" and not r2.signal.elite
        assert j.get("ES-2") == r2 and j.get("missing") is None


def test_signal_without_id_gets_a_stable_key_and_nan_prices_survive(tmp_path: Path) -> None:
    import dataclasses

    sig = dataclasses.replace(make_signal(7), signal_id="", stop=math.nan)
    with Journal(tmp_path / "j.db") as j:
        key = j.append(sig)
        assert key == f"ES-{sig.ts_us}-long"
        (rec,) = j.history()
        assert rec.signal.signal_id == key and math.isnan(rec.signal.stop)


def test_not_a_database_gives_corrupt_error(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"this is certainly not sqlite" * 100)
    with pytest.raises(JournalCorruptError, match="damaged"):
        Journal(path)


def test_locked_database_gives_locked_error(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        import mia_desktop.storage.journal as jmod

        old = jmod.BUSY_TIMEOUT_MS
        jmod.BUSY_TIMEOUT_MS = 50
        try:
            with pytest.raises(JournalLockedError, match="locked"):
                j = Journal(path)
                j.append(make_signal(1))
        finally:
            jmod.BUSY_TIMEOUT_MS = old
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert issubclass(JournalLockedError, JournalError)


def test_closed_journal_and_wrong_thread_are_refused(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    errors: list[BaseException] = []

    def other() -> None:
        try:
            j.append(make_signal(1))
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join(5)
    assert errors and isinstance(errors[0], sqlite3.ProgrammingError)
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.append(make_signal(1))


def test_damaged_row_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        j.append(make_signal(1))
        j.append(make_signal(2))
    db = sqlite3.connect(path)
    db.execute("UPDATE signals SET patterns = '{not json' WHERE signal_id = 'ES-1'")
    db.commit()
    db.close()
    with Journal(path) as j:
        assert [r.signal.signal_id for r in j.history()] == ["ES-2"] and j.skipped_rows == 1


def test_append_many_is_one_committed_batch(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal(path) as j:
        assert j.append_many([]) == []
        assert j.append_many([make_signal(1), make_signal(2), make_signal(1)]) == ["ES-1", "ES-2", "ES-1"]
        other = sqlite3.connect(path)
        assert other.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 2
        other.close()
        # a row SQLite refuses (an integer beyond 64 bits) rolls the whole batch back
        import dataclasses

        bad = dataclasses.replace(make_signal(3), contracts=2**70)
        with pytest.raises(JournalError, match="out of range"):
            j.append_many([make_signal(4), bad])
        with pytest.raises(JournalError, match="wrong type"):
            j.append(dataclasses.replace(make_signal(6), contracts="two"))  # type: ignore[arg-type]
        assert len(j) == 2 and j.get("ES-4") is None
        j.append(make_signal(5))  # still usable afterwards
        assert len(j) == 3
