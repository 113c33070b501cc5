"""Simulated time: real time by default, or `speed` times faster so a 60 s call takes a fraction of a second.

Every wait in the sandbox goes through `Clock.seconds_to_wait()`, and every timestamp it reports
(event dates, channel times, durations) comes from `Clock.now()`, so both stay consistent.
"""
from __future__ import annotations

import time


class Clock:
    def __init__(self, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        """Simulated wall-clock seconds since the epoch."""
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed

    def now_us(self) -> int:
        return int(self.now() * 1_000_000)

    def uptime(self) -> float:
        """Simulated seconds since start."""
        return (time.monotonic() - self._mono0) * self.speed

    def real(self, simulated_seconds: float) -> float:
        """Real seconds to wait for `simulated_seconds` of simulated time."""
        return max(0.0, simulated_seconds) / self.speed
