"""ui/alerts.py: which signals sound, mute, cooldown, flash fallback, journal-before-sound."""

from __future__ import annotations

import dataclasses
import sqlite3
import wave
from pathlib import Path

import pytest

from mia_desktop.analysis.types import PatternEvent, Signal
from mia_desktop.config.settings import AlertSettings
from mia_desktop.storage.journal import Journal
from mia_desktop.ui.alerts import SOUND_FILES, AlertGate, AlertPlayer, journal_then_alert, sound_path

T0 = 1_703_541_600_000_000


def sig(
    n: int = 0,
    *,
    direction: str = "long",
    tier: str = "elite",
    risk_state: str = "ok",
    instrument: str = "ES",
) -> Signal:
    p = PatternEvent(T0, instrument, "dom", "wall", direction, 4800.0, 0.9, 0.9, {"size": 1500})
    return Signal(
        T0 + n,
        instrument,
        direction,
        0.8,
        tier,
        tier == "elite",
        (p,),
        "normal",
        2,
        4800.0,
        4798.0,
        4804.0,
        risk_state,
        signal_id=f"{instrument}-{direction}-{n}",
    )


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def player(qtbot) -> AlertPlayer:  # type: ignore[no-untyped-def]
    return AlertPlayer(AlertSettings(cooldown_s=30), clock=Clock())


def test_bundled_sounds_exist_and_are_short_wavs() -> None:
    for key in SOUND_FILES:
        with wave.open(str(sound_path(key))) as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
            assert 0.1 < w.getnframes() / w.getframerate() < 1.0
    assert sound_path("elite_long").read_bytes() != sound_path("elite_short").read_bytes()


def test_elite_plays_rate_limited_and_blocked_do_not(qtbot, player: AlertPlayer) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(player.played, timeout=1000) as blocker:
        assert player.alert(sig(1)) is True
    assert blocker.args == ["ES-long-1"] and player.last_sound == "elite_long"
    seen: list[str] = []
    player.played.connect(seen.append)
    assert player.alert(sig(2, direction="short", risk_state="rate_limited")) is False
    assert player.alert(sig(3, direction="short", risk_state="blocked: daily loss")) is False
    assert player.alert(sig(4, direction="short", tier="strong")) is False  # strong: off by default
    assert player.alert(sig(5, direction="short", tier="watch")) is False
    assert seen == []
    assert player.alert(sig(6, direction="short")) is True and player.last_sound == "elite_short"
    assert seen == ["ES-short-6"]


def test_cooldown_per_instrument_and_direction(qtbot, player: AlertPlayer) -> None:  # type: ignore[no-untyped-def]
    clock: Clock = player._clock  # type: ignore[assignment]
    seen: list[str] = []
    player.played.connect(seen.append)
    assert player.alert(sig(1))
    clock.t += 10
    assert not player.alert(sig(2)) and "cooldown" in player.last_reason
    assert player.alert(sig(3, direction="short"))  # other direction: own cooldown
    assert player.alert(sig(4, instrument="NQ"))  # other instrument: own cooldown
    clock.t += 21
    assert player.alert(sig(5))  # 31 s after the first
    assert seen == ["ES-long-1", "ES-short-3", "NQ-long-4", "ES-long-5"]


def test_mute_disable_and_per_direction_switches(qtbot, player: AlertPlayer) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    player.played.connect(seen.append)
    player.set_settings(AlertSettings(muted=True))
    assert not player.alert(sig(1)) and player.last_reason == "muted"
    player.set_settings(AlertSettings(enabled=False))
    assert not player.alert(sig(2))
    player.set_settings(AlertSettings(sound_elite_long=False, sound_strong_short=True))
    assert not player.alert(sig(3))
    assert player.alert(sig(4, direction="short", tier="strong")) and player.last_sound == "strong"
    assert seen == ["ES-short-4"]
    # muting did not start a cooldown: unmuted, the next long sounds
    player.set_settings(AlertSettings())
    assert player.alert(sig(5))


def test_audio_unavailable_said_once_and_flashes(qtbot) -> None:  # type: ignore[no-untyped-def]
    p = AlertPlayer(AlertSettings(cooldown_s=0), audio=False)
    assert not p.available and p.unavailable_reason
    told: list[str] = []
    flashes: list[str] = []
    played: list[str] = []
    p.audio_unavailable.connect(told.append)
    p.flash.connect(flashes.append)
    p.played.connect(played.append)
    assert p.alert(sig(1)) and p.alert(sig(2, direction="short"))
    assert len(told) == 1 and "unavailable" in told[0]
    assert flashes == ["ES-long-1", "ES-short-2"] and played == flashes
    assert not p.alert(sig(3, risk_state="rate_limited")) and flashes == ["ES-long-1", "ES-short-2"]


def test_test_button_ignores_mute(qtbot) -> None:  # type: ignore[no-untyped-def]
    p = AlertPlayer(AlertSettings(muted=True))
    with qtbot.waitSignal(p.played, timeout=1000) as blocker:
        p.test("elite_short")
    assert blocker.args == ["test:elite_short"]
    with pytest.raises(ValueError, match="unknown sound"):
        p.test("fanfare")


def test_journal_is_written_before_the_sound(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path)
    player = AlertPlayer(AlertSettings())
    rows_when_played: list[list[tuple[str]]] = []

    def check(signal_id: str) -> None:
        # an independent connection: only committed rows are visible
        db = sqlite3.connect(path)
        rows_when_played.append(
            db.execute("SELECT signal_id FROM signals WHERE signal_id = ?", (signal_id,)).fetchall()
        )
        db.close()

    player.played.connect(check)
    gate = AlertGate(journal, player)
    r = gate.submit(sig(1))
    assert r.sounded and r.journal_key == "ES-long-1" and r.error is None
    assert rows_when_played == [[("ES-long-1",)]]
    # a rate-limited signal is journaled and silent
    r2 = gate.submit(sig(2, risk_state="rate_limited"))
    assert not r2.sounded and journal.get("ES-long-2") is not None and len(rows_when_played) == 1
    journal.close()


def test_journal_failure_still_alerts_and_reports(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    journal = Journal(tmp_path / "j.db")
    journal.close()  # appending now raises JournalError
    player = AlertPlayer(AlertSettings())
    with qtbot.waitSignal(player.played, timeout=1000):
        r = journal_then_alert(journal, player, sig(1))
    assert r.sounded and r.journal_key is None and r.error and "closed" in r.error
    r2 = journal_then_alert(None, player, dataclasses.replace(sig(2), instrument="NQ"))
    assert r2.error == "no journal open" and r2.sounded
