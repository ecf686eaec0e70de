"""The replay clock: exchange time that runs at a chosen speed against the wall clock.

How this works: the clock is anchored at an exchange time ``ex0`` and a wall (monotonic) time
``wall0``; at speed s the exchange time now is ``ex0 + (wall - wall0) * s``. Speed 0 (or inf) means
"as fast as possible": the clock then simply reports the time of the last event it was shown.
Changing speed or pausing re-anchors, so the exchange time never jumps. Detectors and the heatmap
read time from the events (exchange time), and anything that needs "now" during a replay — ageing
in the UI, the status bar — asks this clock instead of the wall clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class ReplayClock:
    def __init__(self, speed: float = 1.0, *, wall_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self._wall_ns = wall_ns
        self._speed = self._check(speed)
        self._ex0: int | None = None
        self._wall0 = 0
        self._last = 0
        self.paused = False

    @staticmethod
    def _check(speed: float) -> float:
        if math.isnan(speed) or speed < 0:
            raise ValueError(f"replay speed must be >= 0 (0 = as fast as possible), got {speed!r}")
        return 0.0 if math.isinf(speed) else float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def max_speed(self) -> bool:
        return self._speed == 0.0

    def start(self, ex_us: int) -> None:
        self._ex0 = ex_us
        self._last = ex_us
        self._wall0 = self._wall_ns()

    def now_us(self) -> int:
        """Current exchange time of the replay."""
        if self._ex0 is None:
            return self._last
        if self.max_speed or self.paused:
            return self._last if self.max_speed else self._ex0
        return self._ex0 + int((self._wall_ns() - self._wall0) / 1000 * self._speed)

    def observe(self, ex_us: int) -> None:
        """An event stamped ex_us was delivered."""
        if self._ex0 is None:
            self.start(ex_us)
        self._last = max(self._last, ex_us)

    def wait_s(self, ex_us: int) -> float:
        """Wall seconds until an event stamped ex_us is due (0 when due, or at max speed)."""
        if self._ex0 is None:
            self.start(ex_us)
            return 0.0
        if self.max_speed:
            return 0.0
        if self.paused:
            return 0.05
        ahead_us = ex_us - self.now_us()
        return max(0.0, ahead_us / self._speed / 1e6)

    def set_speed(self, speed: float) -> None:
        now = self.now_us()
        self._speed = self._check(speed)
        if self._ex0 is not None:
            self._ex0, self._wall0 = now, self._wall_ns()

    def pause(self) -> None:
        if not self.paused:
            self._ex0 = self.now_us()
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self._wall0 = self._wall_ns()
