"""Audio alerts for signals, and the gate that journals a signal before it may sound.

How this works: `AlertPlayer.alert(sig)` decides whether a signal sounds — alerts enabled, risk
state "ok" (rate-limited and blocked signals never sound), an elite signal whose direction's sound
is on (or a strong one whose direction's `sound_strong_long`/`_short` is on), not muted, and
outside the cooldown for its instrument and direction — then plays the bundled WAV for it with
QtMultimedia's QSoundEffect at the configured volume and emits `played(signal_id)`. `played` is the
player's own signal, emitted when an alert is sounded, whatever the sound device does: without a
sound server QSoundEffect reports an error and plays nothing, and tests run there.

When audio is unavailable (QtMultimedia missing, no output device, or QSoundEffect reporting
Error) the player says so once (`audio_unavailable(reason)`) and for every alert that would sound
emits `flash(signal_id)` (and `fallback(signal_id)`, the same, under the INTERFACES.md name) so the
UI flashes the blotter row and the status bar instead.

Ordering contract ("nothing lost"): a signal must be in the journal before its alert sounds.
`alert()` does not journal; callers go through `AlertGate.submit(sig)` (or `journal_then_alert`),
which appends to the journal (committed) and only then calls `alert()`. A journal failure is
reported in the result and the alert still sounds — the trader must hear an elite signal even when
the disk is full.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QUrl, Signal

from mia_desktop.analysis.types import Signal as TradeSignal
from mia_desktop.config.settings import AlertSettings

SOUND_FILES = {"elite_long": "elite_long.wav", "elite_short": "elite_short.wav", "strong": "strong.wav"}
RESOURCE_PACKAGE = "mia_desktop.resources"


def sound_path(key: str) -> Path:
    """Filesystem path of a bundled sound (the resources package is a real folder in the source
    tree, the wheel and the PyInstaller bundle)."""
    res = importlib.resources.files(RESOURCE_PACKAGE) / SOUND_FILES[key]
    return Path(str(res))


def sound_for(sig: TradeSignal, settings: AlertSettings) -> str | None:
    """The sound key this signal earns under `settings`, ignoring mute and cooldown; None: silent."""
    if sig.risk_state != "ok":
        return None  # rate_limited / blocked: journaled and shown, never sounded
    if sig.elite or sig.tier == "elite":
        if sig.direction == "long" and settings.sound_elite_long:
            return "elite_long"
        if sig.direction == "short" and settings.sound_elite_short:
            return "elite_short"
        return None
    if sig.tier == "strong":
        if sig.direction == "long" and settings.sound_strong_long:
            return "strong"
        if sig.direction == "short" and settings.sound_strong_short:
            return "strong"
    return None


class AlertPlayer(QObject):
    played = Signal(str)  # signal id ("test:<sound>" for the Test button) of a sounded alert
    flash = Signal(str)  # signal id to flash because audio is unavailable
    fallback = Signal(str)  # same as flash (INTERFACES.md name)
    audio_unavailable = Signal(str)  # emitted once, with the reason

    def __init__(
        self,
        settings: AlertSettings | None = None,
        parent: QObject | None = None,
        *,
        audio: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._settings = settings or AlertSettings()
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._effects: dict[str, Any] = {}
        self._unavailable: str | None = None
        self._told = False
        self._pending_flash: str | None = None  # last id played, flashed if the device fails later
        self.last_sound: str | None = None
        self.last_reason = ""  # why the last alert() did or did not sound
        if not audio:
            self._unavailable = "audio is turned off for this session"
        else:
            self._unavailable = self._load_effects()

    # ------------------------------------------------------------ settings and state

    @property
    def settings(self) -> AlertSettings:
        return self._settings

    def set_settings(self, settings: AlertSettings) -> None:
        self._settings = settings

    @property
    def available(self) -> bool:
        return self._unavailable is None

    @property
    def unavailable_reason(self) -> str | None:
        return self._unavailable

    def reset_cooldowns(self) -> None:
        self._last.clear()

    # ------------------------------------------------------------ alerts

    def alert(self, sig: TradeSignal) -> bool:
        """Sound `sig` if the settings allow; True when it was sounded (played emitted).
        The caller must have journaled `sig` first (see AlertGate)."""
        s = self._settings
        if not s.enabled:
            return self._no("alerts are off")
        if sig.risk_state != "ok":
            return self._no(f"risk state {sig.risk_state!r}")
        key = sound_for(sig, s)
        if key is None:
            return self._no(f"no sound for {sig.tier} {sig.direction}")
        if s.muted:
            return self._no("muted")
        now = self._clock()
        cool = (sig.instrument, sig.direction)
        last = self._last.get(cool)
        if last is not None and now - last < s.cooldown_s:
            return self._no(
                f"cooldown ({s.cooldown_s - (now - last):.0f} s left for {sig.instrument} {sig.direction})"
            )
        self._last[cool] = now
        self._sound(key, sig.signal_id or f"{sig.instrument}-{sig.ts_us}-{sig.direction}")
        return True

    def test(self, key: str = "elite_long", volume: float | None = None) -> bool:
        """The settings dialog's Test button: play `key` now, ignoring mute and cooldown (the user
        asked for it), at `volume` (the dialog's unsaved slider) or the configured volume."""
        if key not in SOUND_FILES:
            raise ValueError(f"unknown sound {key!r}; one of {', '.join(SOUND_FILES)}")
        self._sound(key, f"test:{key}", volume)
        return True

    # ------------------------------------------------------------ internals

    def _no(self, reason: str) -> bool:
        self.last_reason = reason
        return False

    def _sound(self, key: str, signal_id: str, volume: float | None = None) -> None:
        self.last_sound = key
        effect = self._effects.get(key)
        if self._unavailable is None and effect is not None:
            effect.setVolume(max(0.0, min(1.0, self._settings.volume if volume is None else volume)))
            effect.play()
            self._pending_flash = signal_id
            self.last_reason = f"played {key}"
        else:
            self._tell()
            self.last_reason = f"flashed ({self._unavailable})"
            self.flash.emit(signal_id)
            self.fallback.emit(signal_id)
        self.played.emit(signal_id)

    def _tell(self) -> None:
        if not self._told and self._unavailable is not None:
            self._told = True
            self.audio_unavailable.emit(
                f"Audio alerts unavailable: {self._unavailable}. Signals will flash instead."
            )

    def _load_effects(self) -> str | None:
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:  # a stripped Qt build
            return f"QtMultimedia cannot be loaded ({exc})"
        if not QMediaDevices.audioOutputs():
            return "no audio output device"
        for key in SOUND_FILES:
            path = sound_path(key)
            if not path.is_file():
                return f"bundled sound {path.name} is missing"
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.statusChanged.connect(lambda e=effect: self._on_status(e))
            self._effects[key] = effect
        return None

    def _on_status(self, effect: Any) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        if effect.status() == QSoundEffect.Status.Error and self._unavailable is None:
            self._unavailable = "the sound device refused to play (no sound server?)"
            self._tell()
            if self._pending_flash is not None:  # the alert just "played" silently: flash it now
                pending, self._pending_flash = self._pending_flash, None
                self.flash.emit(pending)
                self.fallback.emit(pending)


# ---------------------------------------------------------------- journal first, then sound


class JournalLike(Protocol):
    def append(self, sig: TradeSignal) -> str: ...


@dataclass(frozen=True, slots=True)
class GateResult:
    journal_key: str | None  # None when journaling failed
    sounded: bool
    error: str | None = None  # the journal's error text, for the status bar


class AlertGate:
    """Enforces "journal first, then sound": `submit` commits the signal to the journal, and only
    after that returns asks the player to alert. Use from the thread that owns the journal."""

    def __init__(self, journal: JournalLike | None, player: AlertPlayer) -> None:
        self.journal = journal
        self.player = player

    def submit(self, sig: TradeSignal) -> GateResult:
        return journal_then_alert(self.journal, self.player, sig)


def journal_then_alert(journal: JournalLike | None, player: AlertPlayer, sig: TradeSignal) -> GateResult:
    key: str | None = None
    error: str | None = None
    if journal is None:
        error = "no journal open"
    else:
        try:
            key = journal.append(sig)
        except Exception as exc:  # JournalError and anything else: still alert, report the failure
            error = str(exc) or type(exc).__name__
    with contextlib.suppress(RuntimeError):  # player already deleted at shutdown
        return GateResult(key, player.alert(sig), error)
    return GateResult(key, False, error)
