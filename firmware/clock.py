"""Board time, injected so tests can run a five-minute lockout in milliseconds.

A board has three: a monotonic one for intervals within one boot (motor travel, uptime), a
battery-backed real-time clock that people can set (audit times, what a technician reads), and a
battery-backed seconds counter nobody can set, which runs on while the board is off (its *lived
time*: penalty window, lockout end, recovery answers; SPEC.md 12.6). All move together when a
test or the side channel advances time; only the real-time clock moves when it is set or drifts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

CLOCK_GRAIN_S = 1e-6
"""The smallest step the board's waits reckon with: a time less than this ahead is due now. (A
clock that moves only when nothing is due, looptime's, never reaches a deadline a rounding error
ahead if every wait for it is itself due at once.)"""


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds, only ever increasing; for intervals."""
        ...

    def rtc(self) -> float:
        """Seconds since 1970-01-01 UTC, as the board's real-time clock shows it."""
        ...

    def lived_counter(self) -> float:
        """The battery-backed seconds counter: only ever increasing, never set, runs on while
        the board is off (it may start again from 0 if its battery is changed)."""
        ...


class SystemClock:
    """The host's clocks plus an offset that :meth:`advance` moves forward.

    ``elapsed`` and ``wall`` are where time comes from: the host's by default; a board running
    in the tool's own event loop passes the loop's clock, so a test that fast-forwards the loop
    (``looptime``) runs the board's motor, lockouts and timeouts in no real time.
    """

    def __init__(
        self,
        elapsed: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._elapsed = elapsed
        self._wall = wall
        self.offset_s = 0.0
        self.rtc_skew_s = 0.0
        """Fault: how far the real-time clock is off, on top of any drift."""
        self.drift_ppm = 0.0
        self._drift_since = elapsed()
        self._booted_at = elapsed()

    def elapsed(self) -> float:
        """The source's seconds, untouched by :meth:`advance`: what the link's timing is on."""
        return self._elapsed()

    def boot(self) -> None:
        """Power came back: the monotonic clock starts again from zero, as a real board's
        uptime does (the lived counter and the real-time clock run on). So nothing that must
        outlive a power cut can be kept on it unnoticed (issue 21)."""
        self._booted_at = self._elapsed() + self.offset_s

    def monotonic(self) -> float:
        return self._elapsed() + self.offset_s - self._booted_at

    def lived_counter(self) -> float:
        return self._elapsed() + self.offset_s

    def rtc(self) -> float:
        drifted = (self._elapsed() - self._drift_since) * self.drift_ppm / 1e6
        return self._wall() + self.offset_s + self.rtc_skew_s + drifted

    def set_drift(self, ppm: float, skew_s: float) -> None:
        """Fault: an RTC crystal that runs ``ppm`` fast (negative: slow), already ``skew_s``
        off."""
        self.drift_ppm = ppm
        self.rtc_skew_s = skew_s
        self._drift_since = self._elapsed()

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
        self._counter = 50.0

    def monotonic(self) -> float:
        return self._mono

    def lived_counter(self) -> float:
        return self._counter

    def rtc(self) -> float:
        return self._rtc

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._rtc += seconds
        self._counter += seconds

    def shift_rtc(self, seconds: float) -> None:
        """Move only the real-time clock (a clock set, or drift); lived time is untouched."""
        self._rtc += seconds

    def restart_monotonic(self) -> None:
        """A power cycle: the monotonic clock starts again from a new origin."""
        self._mono = 1000.0

    def restart_counter(self) -> None:
        """The battery behind the lived-time counter was changed: it starts again from zero."""
        self._counter = 0.0
