"""`mia-desktop analyze`: the shared file's final book, every flag on tiny files, exit 2 on bad input."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mia_desktop.cli import main
from mia_desktop.market.events import BATCH_END
from mia_desktop.market.timeutil import unix_us_to_sc
from mia_desktop.sources.scfiles import write_depth, write_scid
from tests.conftest import ES_DEPTH, ES_SCID, VIX_CSV

T0 = 1_764_028_800_000_000     # 2025-11-25 00:00 UTC
SC0 = unix_us_to_sc(T0)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object] | None, str]:
    rc = main(["analyze", *argv])
    cap = capsys.readouterr()
    lines = cap.out.strip().splitlines()
    assert len(lines) <= 1
    return rc, (json.loads(lines[0]) if lines else None), cap.err


def tiny(tmp_path: Path, name: str = "ESZ25.CME.2025-11-25.depth", mid: float = 6800.0) -> Path:
    p = tmp_path / name
    rows = [(SC0, 1, 0, 0, 0.0, 0)]
    rows += [(SC0, 2, 0, 1, mid - 0.25 * i, 10 + i) for i in range(5)]
    rows += [(SC0, 3, 0, 1, mid + 0.25 * (i + 1), 20 + i) for i in range(5)]
    rows[-1] = (*rows[-1][:2], BATCH_END, *rows[-1][3:])
    rows += [(SC0 + k * 100_000, 4, BATCH_END, 1, mid, 10 + k) for k in range(1, 30)]
    write_depth(p, rows)
    return p


def test_shared_file_final_book(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, s, err = run(capsys, "--depth", str(ES_DEPTH))
    assert rc == 0, err
    assert s is not None
    assert s["final_book"] == {"best_bid": 4810.0, "best_ask": 4810.25, "bid_levels": 922, "ask_levels": 565}
    assert s["events"] == 58_586 and s["depth_records"] == 58_586
    # the pre-open is crossed at ~891 batch ends although the final book is sound
    assert s["book_problem"] is None
    problems = s["book_problems"]
    assert isinstance(problems, dict)
    assert problems["crossed"] + problems["locked"] > 800
    assert problems["first"].startswith("2023-12-25T22:") and problems["last"] >= problems["first"]
    for key in ("seconds", "events_per_s", "patterns", "elite", "signals"):
        assert key in s


def test_shared_files_with_scid_vix_and_out(shared_data: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.jsonl"
    rc, s, err = run(capsys, "--depth", str(ES_DEPTH), "--scid", str(ES_SCID), "--vix", str(VIX_CSV),
                     "--out", str(out), "--profile", "production")
    assert rc == 0, err
    assert s is not None and s["trades"] == 2973
    assert s["events"] == 58_586 + 2973 + (1 if s["analyzer"] else 0)
    lines = out.read_text().splitlines()
    kinds = {json.loads(x)["kind"] for x in lines}
    assert kinds <= {"pattern", "signal"}
    assert len(lines) == s["pattern_events"] + s["signals"]
    assert sum(s["patterns"].values()) == s["pattern_events"]   # type: ignore[union-attr]


def test_every_flag_on_tiny_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tiny(tmp_path, "NQZ25.CME.2025-11-25.depth", 21000.0)
    sc = tmp_path / "NQZ25.CME.scid"
    write_scid(sc, [(SC0 + k * 200_000, 21000.25, 1, 0, 1) for k in range(10)])
    vix = tmp_path / "vix.csv"
    vix.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n2025-11-20,20,21,19,20.5\n2025-11-24,21,22,20,21.5\n")
    lv = tmp_path / "levels.csv"
    lv.write_text("21000,pivot\n")
    out = tmp_path / "o.jsonl"
    rc, s, err = run(capsys, "--depth", str(d), "--scid", str(sc), "--vix", str(vix), "--instrument", "NQ",
                     "--profile", "scalping", "--auto", "--levels", str(lv), "--out", str(out))
    assert rc == 0, err
    assert s is not None and s["instrument"] == "NQ" and s["trades"] == 10
    assert s["final_book"] == {"best_bid": 21000.0, "best_ask": 21000.25, "bid_levels": 5, "ask_levels": 5}
    if s["analyzer"]:
        assert s["profile"] == "scalping" and s["vix_regime"] is not None
    assert out.exists()


def test_plain_tiny_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, s, _err = run(capsys, "--depth", str(tiny(tmp_path)))
    assert rc == 0 and s is not None and s["events"] == 40 and s["final_book"]["bid_levels"] == 5  # type: ignore[index]
    assert s["book_problems"] == {"crossed": 0, "locked": 0, "first": None, "last": None}


HEADER = b"SCDD" + struct.pack("<III", 64, 24, 1).ljust(60, b"\0")


@pytest.mark.parametrize(("blob", "reason"), [
    (b"", "empty file"),
    (HEADER, "no depth records"),
    (HEADER + b"\0" * 30, "truncated"),
    (b"SCID" + struct.pack("<III", 56, 40, 1).ljust(52, b"\0"), "not a .depth file"),
    (b"hello, I am a text file\n" * 4, "magic"),
])
def test_bad_depth_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], blob: bytes,
                          reason: str) -> None:
    p = tmp_path / "x.depth"
    p.write_bytes(blob)
    rc, s, err = run(capsys, "--depth", str(p))
    assert rc == 2 and s is None
    assert reason in err and err.count("\n") == 1


def test_other_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tiny(tmp_path)
    cases = [
        (["--depth", str(tmp_path / "missing.depth")], "cannot read"),
        (["--depth", str(d), "--instrument", "ZZZ"], "unknown instrument"),
        (["--depth", str(d), "--scid", str(d)], "not a .scid file"),
        (["--depth", str(d), "--out", str(tmp_path / "no" / "dir" / "o.jsonl")], "cannot write"),
        (["--depth", str(d), "--vix", str(tmp_path / "missing.csv")], "cannot read"),
        (["--depth", str(d), "--levels", str(tmp_path / "missing.csv")], "cannot read"),
    ]
    pytest.importorskip("mia_desktop.config.profiles")
    cases.append((["--depth", str(d), "--profile", "nonsense"], "nonsense"))
    for argv, reason in cases:
        rc, s, err = run(capsys, *argv)
        assert rc == 2 and s is None, argv
        assert reason in err and err.count("\n") == 1, (argv, err)


def test_binary_or_empty_vix_and_levels_exit_2(shared_data: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    d = tiny(tmp_path)
    pytest.importorskip("mia_desktop.analysis.vix")
    no_rows = tmp_path / "vix_no_rows.csv"
    no_rows.write_text("DATE,OPEN,HIGH,LOW,CLOSE\n2025-11-20,x,21,19,20\n2025-11-21,20,21\n")
    header_only = tmp_path / "levels_header.csv"
    header_only.write_text("price,label\n")
    bad_level = tmp_path / "levels_bad.csv"
    bad_level.write_text("21000,pivot\nnope,x\n")
    cases = [
        (["--vix", str(ES_SCID)], "--vix"), (["--vix", str(ES_SCID)], "not UTF-8 text"),
        (["--vix", str(no_rows)], "no valid"), (["--vix", str(no_rows)], "2 bad"),
        (["--levels", str(ES_SCID)], "not UTF-8 text"), (["--levels", str(header_only)], "no key levels"),
        (["--levels", str(bad_level)], "line 2"),
    ]
    for argv, reason in cases:
        rc, s, err = run(capsys, "--depth", str(d), *argv)
        assert rc == 2 and s is None, argv
        assert reason in err and err.count("\n") == 1 and "Traceback" not in err, (argv, err)


def test_shared_binary_vix_through_the_console_script(shared_data: Path) -> None:
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "mia_desktop.cli", "analyze", "--depth", str(ES_DEPTH),
                        "--vix", str(ES_SCID)], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 2 and "No module named" in r.stderr:
        pytest.skip("mia_desktop.cli is not runnable with -m")
    assert r.returncode == 2 and r.stdout == ""
    assert "not UTF-8 text" in r.stderr and r.stderr.count("\n") == 1


def test_truncated_mid_batch_exit_2(shared_data: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = ES_DEPTH.read_bytes()
    cut = tmp_path / "ESH4.CME.2023-12-25.depth"
    cut.write_bytes(data[:1000])            # header + 39 records of the 1,452-record snapshot batch
    rc, s, err = run(capsys, "--depth", str(cut))
    assert rc == 2 and s is None
    assert "truncated: the last batch never ends (39 records after the last batch end)" in err
    assert err.count("\n") == 1
    # one batch end, then 3 records of the next batch
    rows = [(SC0, 2, BATCH_END, 1, 6800.0, 5), *[(SC0 + 1, 3, 0, 1, 6800.25 + k, 5) for k in range(3)]]
    write_depth(cut, rows)
    rc, s, err = run(capsys, "--depth", str(cut))
    assert rc == 2 and "(3 records after the last batch end)" in err
    # a partial trailing record (size not a multiple of 24)
    cut.write_bytes(data[:64 + 24 * 1452 + 10])
    rc, s, err = run(capsys, "--depth", str(cut))
    assert rc == 2 and s is None and "truncated: 10 bytes of a partial 24-byte record" in err
    # cut exactly after the snapshot batch's end: a finished, consistent file
    cut.write_bytes(data[:64 + 24 * 1452])
    rc, s, err = run(capsys, "--depth", str(cut))
    assert rc == 0, err
    assert s is not None and s["depth_records"] == 1452


def test_vix_row_counts_in_summary(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("mia_desktop.analysis.vix")
    rc, s, err = run(capsys, "--depth", str(ES_DEPTH), "--vix", str(VIX_CSV))
    assert rc == 0, err
    assert s is not None and s["vix_rows"] == 9188 and s["vix_bad_rows"] == 47
    rc, s, err = run(capsys, "--depth", str(ES_DEPTH))
    assert rc == 0 and s is not None and s["vix_rows"] is None and s["vix_bad_rows"] is None


def test_elite_counts_split_by_risk_state(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, s, err = run(capsys, "--depth", str(ES_DEPTH), "--scid", str(ES_SCID), "--profile", "development")
    assert rc == 0, err
    assert s is not None
    elite, ok, limited = s["elite"], s["elite_ok"], s["rate_limited"]
    assert isinstance(elite, int) and isinstance(ok, int) and isinstance(limited, int)
    assert 0 <= ok <= elite and 0 <= limited <= elite and ok + limited <= elite
