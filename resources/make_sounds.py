"""Synthesise the alert sounds and write resources/elite_long.wav, elite_short.wav, strong.wav.

Run: `python resources/make_sounds.py`. Pure numpy + the standard `wave` module, deterministic, so
the committed WAVs only change when this file does. Each sound is a short soft chime (a sine with a
little 2nd and 3rd harmonic, 5 ms attack, exponential decay) — audible over a trading room, short
enough not to annoy when several signals come in a row:

- elite_long:  two notes rising  (E5 -> A5), "up"
- elite_short: two notes falling (A5 -> D5), "down"
- strong:      one quieter short note (C6)
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44_100
HERE = Path(__file__).resolve().parent


def note(freq: float, dur_s: float, decay_s: float) -> np.ndarray:
    t = np.arange(int(RATE * dur_s)) / RATE
    w = 2 * np.pi * freq * t
    tone = np.sin(w) + 0.25 * np.sin(2 * w) + 0.08 * np.sin(3 * w)
    attack = np.minimum(1.0, t / 0.005)
    release = np.minimum(1.0, (dur_s - t) / 0.010)  # fade the tail to zero: no click at the end
    return tone * attack * np.exp(-t / decay_s) * np.clip(release, 0.0, 1.0)


def chime(freqs: list[float], gap_s: float, note_s: float, peak: float) -> np.ndarray:
    total = int(RATE * (gap_s * (len(freqs) - 1) + note_s))
    out = np.zeros(total)
    for i, f in enumerate(freqs):
        start = int(RATE * gap_s * i)
        n = note(f, note_s, decay_s=note_s / 3)
        out[start:start + len(n)] += n
    return out / np.max(np.abs(out)) * peak


def write(name: str, samples: np.ndarray) -> Path:
    path = HERE / name
    pcm = np.round(samples * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return path


SOUNDS = {
    "elite_long.wav": lambda: chime([659.25, 880.00], gap_s=0.14, note_s=0.34, peak=0.5),
    "elite_short.wav": lambda: chime([880.00, 587.33], gap_s=0.14, note_s=0.34, peak=0.5),
    "strong.wav": lambda: chime([1046.5], gap_s=0.0, note_s=0.22, peak=0.3),
}


def main() -> None:
    for name, make in SOUNDS.items():
        p = write(name, make())
        print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
