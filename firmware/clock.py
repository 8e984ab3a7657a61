"""Board time, injected so tests can run a five-minute lockout in milliseconds.

A board has two clocks: a monotonic one for intervals (motor travel, uptime) and a battery-backed
real-time clock for what must survive a power cut (lockout end, wrong-code window). Both move
together when a test or the side channel advances time.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds, only ever increasing; for intervals."""
        ...

    def rtc(self) -> float:
        """Seconds since 1970-01-01 UTC, as the board's real-time clock shows it."""
        ...


class SystemClock:
    """The host's clocks plus an offset that :meth:`advance` moves forward."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.rtc_skew_s = 0.0
        """Fault: how far the real-time clock is off, on top of any drift."""
        self.drift_ppm = 0.0
        self._drift_since = time.monotonic()

    def monotonic(self) -> float:
        return time.monotonic() + self.offset_s

    def rtc(self) -> float:
        drifted = (time.monotonic() - self._drift_since) * self.drift_ppm / 1e6
        return time.time() + self.offset_s + self.rtc_skew_s + drifted

    def set_drift(self, ppm: float, skew_s: float) -> None:
        """Fault: an RTC crystal that runs ``ppm`` fast (negative: slow), already ``skew_s``
        off."""
        self.drift_ppm = ppm
        self.rtc_skew_s = skew_s
        self._drift_since = time.monotonic()

    def advance(self, seconds: float) -> None:
        self.offset_s += seconds

    def shift_rtc(self, seconds: float) -> None:
        """Set the real-time clock forward (CLOCK_SET); time as the board counts it goes on."""
        self.rtc_skew_s += seconds


class ManualClock:
    """A clock that moves only when told to (unit tests)."""

    def __init__(self, rtc_start: float = 1_780_000_000.0) -> None:
        self._mono = 1000.0
        self._rtc = rtc_start

    def monotonic(self) -> float:
        return self._mono

    def rtc(self) -> float:
        return self._rtc

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._rtc += seconds
