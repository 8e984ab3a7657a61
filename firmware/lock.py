"""The lock controller's behaviour: keypad codes, penalty lockout, bolt, door and alarms.

Safety rules this model keeps (and real locks must):

* a code attempt is committed to persistent state as *wrong* before the code is compared, and
  only withdrawn once it has matched, so cutting power mid-check cannot reset the counter;
* codes are compared in constant time against every user;
* a penalty lockout and a hard lockout survive power cycles; the penalty window and a lockout's
  end are kept on the board's *lived time* (a monotonic count kept across power cycles), never on
  the settable real-time clock, so moving the clock cannot shorten them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from firmware.clock import Clock
from firmware.codes import FACTORY_CODES, KeypadUser, Role, find_user
from firmware.hardware import LOW_BATTERY_MV, Battery, Hardware, Motor
from firmware.policy import LockPolicy
from firmware.storage import StateStore
from protocols.catalogue import Alerts, BoltState, DoorState, EventKind, LockState
from protocols.diag_messages import BoardError

KEYS = "0123456789*#"
KEYPAD_TIMEOUT_S = 10.0
MAX_CODE_DIGITS = 12
RELOCK_IF_UNOPENED_S = 10.0
RELOCK_AFTER_CLOSE_S = 3.0
SECOND_CODE_S = 60.0
"""Dual control: how long after the first code the second user has."""
CLOCK_JUMP_S = 5.0
FLOOR_COMMIT_S = 60.0
"""The clock floor and the lived time are written to flash at least this often (and with every
other commit); a power cut loses at most that much lived time, which only makes waits longer."""
CERTIFICATE_CLOCK_ALLOWANCE_S = 300
"""How far past its newest signed time (run on by lived time) the board lets its clock count
when judging certificates: a fast clock cannot expire every technician (SPEC.md 12.6)."""

EmitEvent = Callable[[EventKind, int], None]


class CodeResult(Enum):
    OPENED = "opened"
    WAITING = "waiting"
    """Right code; the lock waits for its time delay or for a second user's code."""
    WRONG = "wrong"
    BLOCKED = "blocked"


class Refused(Exception):
    """A physical action the lock does not allow right now (e.g. opening a bolted door)."""


@dataclass(slots=True)
class Identity:
    serial: str = "SL-0000-0001"
    model: str = "SL-100"
    hardware_revision: str = "B"
    firmware_version: str = "2.3.1"
    bootloader_version: str = "1.0.0"


@dataclass(slots=True)
class _Persistent:
    """What the board keeps in flash; written through :class:`StateStore` on every change."""

    users: list[KeypadUser]
    policy: LockPolicy
    wrong_code_lived: list[float] = field(default_factory=list)
    """Lived times of the wrong codes in the penalty window."""
    lockout_until_lived: float = 0.0
    lived_s: float = 0.0
    """Seconds the board has lived (powered, or on its clock battery), as last committed."""
    counter_s: float = 0.0
    """The battery-backed counter's reading at that commit."""
    lockouts_in_row: int = 0
    hard_lockout: bool = False
    boot_count: int = 0
    bolt: BoltState = BoltState.EXTENDED
    silent_alarms: int = 0
    rtc_floor: float = 0.0
    """The latest time the clock has shown: setting the clock back cannot go below it."""
    service: dict[str, Any] = field(default_factory=dict)
    """State of the service functions (revocation list, recovery), kept by firmware.trust."""

    def to_json(self) -> dict[str, Any]:
        return {
            "users": [u.to_json() for u in self.users],
            "policy": self.policy.to_json(),
            "wrong_code_lived": self.wrong_code_lived,
            "lockout_until_lived": self.lockout_until_lived,
            "lived_s": self.lived_s,
            "counter_s": self.counter_s,
            "lockouts_in_row": self.lockouts_in_row,
            "hard_lockout": self.hard_lockout,
            "boot_count": self.boot_count,
            "bolt": self.bolt.name,
            "silent_alarms": self.silent_alarms,
            "rtc_floor": self.rtc_floor,
            "service": self.service,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Persistent:
        policy = LockPolicy.from_json(data["policy"])
        lived = float(data.get("lived_s", 0.0))
        lockout_until = float(data.get("lockout_until_lived", 0.0))
        on_the_rtc = float(data.get("lockout_until", 0.0))  # how the first boards kept it
        if "lockout_until_lived" not in data and on_the_rtc:
            lockout_until = lived + policy.lockout_s  # its end unknown on lived time: a full one
        return cls(
            users=[KeypadUser.from_json(u) for u in data["users"]],
            policy=policy,
            wrong_code_lived=[float(t) for t in data.get("wrong_code_lived", [])],
            lockout_until_lived=lockout_until,
            lived_s=lived,
            counter_s=float(data.get("counter_s", 0.0)),
            lockouts_in_row=int(data["lockouts_in_row"]),
            hard_lockout=bool(data["hard_lockout"]),
            boot_count=int(data["boot_count"]),
            bolt=BoltState[data["bolt"]],
            silent_alarms=int(data.get("silent_alarms", 0)),
            rtc_floor=float(data.get("rtc_floor", 0.0)),
            service=dict(data.get("service", {})),
        )


class Lock:
    def __init__(
        self,
        clock: Clock,
        store: StateStore,
        emit: EmitEvent,
        *,
        policy: LockPolicy | None = None,
        door: DoorState = DoorState.CLOSED,
    ) -> None:
        """``door`` is what the door switch reads at boot (a power cut does not move the door)."""
        self.clock = clock
        self.store = store
        self._emit = emit
        self.on_clock_jump: Callable[[float, float], None] | None = None
        """Called with (clock, floor) when the clock reads earlier than it already has."""
        self._floor_committed = 0.0  # pragma: no mutate (any time before the clock's)
        self.keypad_test_until: float | None = None
        """While set and in the future, key presses are reported (with the key), not entered."""
        self.on_silent_alarm: Callable[[int], None] | None = None
        """Called with the user slot when a duress code is used (for the audit trail)."""
        self.boot_monotonic = clock.monotonic()
        loaded = store.load()
        if loaded is None:
            users = [KeypadUser.create(slot, role, code) for slot, role, code in FACTORY_CODES]
            self.saved = _Persistent(users=users, policy=policy or LockPolicy())
        else:
            try:
                self.saved = _Persistent.from_json(loaded)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise ValueError(f"the board's state has the wrong shape ({error!r})") from None
        self.saved.boot_count += 1
        # Lived time runs on the battery-backed counter, off-time included; a counter that
        # started again (battery changed) loses only the time since the last commit.
        self._counter_at_boot = clock.lived_counter()
        off_s = max(0.0, self._counter_at_boot - self.saved.counter_s)
        self._lived_at_boot = self.saved.lived_s + off_s
        bolt = self.saved.bolt if self.saved.bolt != BoltState.MOVING else BoltState.UNKNOWN
        self.hardware = Hardware(Battery(), Motor(), bolt=bolt)
        self.hardware.door = door
        self._keys: list[str] = []
        self._last_key_at = 0.0  # pragma: no mutate (any time long before the first key)
        self._relock_at: float | None = None
        self._relock_cause: str | None = None  # pragma: no mutate (only "power_loss" is read)
        """Why the relock at ``_relock_at`` is due, when the audit trail must say so."""
        self.on_power_loss_relock: Callable[[], None] | None = None
        """Called when the bolt starts to extend because the power went while it was not
        (for the audit trail, SPEC.md 10.1)."""
        if self.saved.bolt in (BoltState.RETRACTED, BoltState.MOVING):
            # The relock timer lived in RAM and is gone: relock now, once the door is shut.
            self._schedule_relock(self.clock.monotonic(), cause="power_loss")
        self._delay: tuple[float, float] | None = None
        """A time delay running: when it ends and when its opening window ends (monotonic)."""
        self._window_announced = False  # pragma: no mutate (a delay's start sets it)
        self._first_code: tuple[int, float] | None = None
        self._low_battery = False  # pragma: no mutate (None is as false)
        self._lockout_announced = bool(self.saved.lockout_until_lived)  # one ran at the cut
        self.commit()
        self._emit(EventKind.POWER_ON, self.saved.boot_count)

    # --- what the board reports ----------------------------------------------------------------

    @property
    def lock_state(self) -> LockState:
        if self.saved.hard_lockout:
            return LockState.HARD_LOCKOUT
        if self.lockout_seconds > 0:
            return LockState.PENALTY_LOCKOUT
        delay_state = self._delay_state()
        if delay_state is not None:
            return delay_state[0]
        if self.hardware.bolt == BoltState.EXTENDED and not self.hardware.motor.running:
            return LockState.LOCKED
        return LockState.UNLOCKED

    def _delay_state(self) -> tuple[LockState, float] | None:
        """In a time delay or its opening window: which, and how many seconds are left."""
        if self._delay is None:
            return None
        delay_until, window_until = self._delay
        now = self.clock.monotonic()
        if now < delay_until:
            return LockState.TIME_DELAY, delay_until - now
        if now < window_until:
            return LockState.OPENING_WINDOW, window_until - now
        return None

    @property
    def countdown_seconds(self) -> int:
        """What STATUS reports as ``lockout_seconds``: time left in a penalty lockout, or else
        in a time delay or opening window."""
        if self.lockout_seconds or self.saved.hard_lockout:
            return self.lockout_seconds
        delay_state = self._delay_state()
        return 0 if delay_state is None else math.ceil(delay_state[1])

    @property
    def lockout_seconds(self) -> int:
        remaining = self.saved.lockout_until_lived - self.lived_s()
        return math.ceil(remaining) if remaining > 0 else 0

    @property
    def wrong_code_count(self) -> int:
        now = self.lived_s()
        window = self.saved.policy.window_s
        return sum(1 for t in self.saved.wrong_code_lived if 0 <= now - t < window)

    def lived_s(self) -> float:
        """Seconds this board has lived: monotonic, kept across power cycles, never set."""
        return self._lived_at_boot + (self.clock.lived_counter() - self._counter_at_boot)

    # --- signed time: what certificates are judged against ------------------------------------

    def signed_time(self) -> float | None:
        """The newest time the service authority has signed, run on by the lived time since the
        board took it; ``None`` if it has never been given one."""
        anchor = self.saved.service.get("signed_time")
        if not anchor:
            return None
        return float(anchor["time_s"]) + (self.lived_s() - float(anchor["lived_s"]))

    def take_signed_time(self, time_s: int) -> bool:
        """Keep ``time_s`` (verified by the caller) if it is newer than the newest signed time."""
        anchor = self.saved.service.get("signed_time")
        if anchor and time_s <= int(anchor["time_s"]):
            return False
        self.saved.service["signed_time"] = {"time_s": int(time_s), "lived_s": self.lived_s()}
        self.saved.service.pop("nudged_s", None)
        self.commit()
        return True

    def certificate_times(self) -> tuple[float, float]:
        """When certificates are judged: ``(expiry_at, started_by)`` (SPEC.md 12.6).

        Real time is at least the newest signed time (run on by lived time), so expiry is judged
        at the clock held to between that and :data:`CERTIFICATE_CLOCK_ALLOWANCE_S` past it: a
        slow clock cannot revive a certificate that had expired by then, a fast one cannot expire
        them all. A certificate counts as started if it has by the clock or by that signed time
        plus the allowance, so a slow clock does not refuse new certificates. Without a signed
        time, the clock (and the allowance for the start)."""
        clock = self.trusted_rtc()
        signed = self.signed_time()
        low = clock if signed is None else signed
        allowance = CERTIFICATE_CLOCK_ALLOWANCE_S
        return min(max(clock, low), low + allowance), max(clock, low + allowance)

    def clock_skew_s(self) -> float | None:
        """How far the clock is from the signed time (positive: fast); ``None`` if unknown."""
        signed = self.signed_time()
        return None if signed is None else self.clock.rtc() - signed

    @property
    def alerts(self) -> Alerts:
        alerts = Alerts(0)
        if self.hardware.tamper_open:
            alerts |= Alerts.TAMPER
        if self._low_battery:
            alerts |= Alerts.LOW_BATTERY
        return alerts

    @property
    def uptime_s(self) -> int:
        return int(self.clock.monotonic() - self.boot_monotonic)

    # --- keypad ------------------------------------------------------------------------------

    def press_key(self, key: str) -> CodeResult | None:
        """One key press; ``#`` submits the digits so far, ``*`` clears them."""
        if len(key) != 1 or key not in KEYS:
            raise Refused(f"no key {key!r} on the keypad (keys: {KEYS})")
        self.tick()
        if key in self.hardware.dead_keys:
            return None  # the contact never closes: the board sees nothing
        now = self.clock.monotonic()
        if self.keypad_test_until is not None and now < self.keypad_test_until:
            self._emit(EventKind.KEY_PRESS, ord(key))  # a technician's keypad test: not a code
            return None
        if now - self._last_key_at > KEYPAD_TIMEOUT_S:
            self._keys.clear()
        self._last_key_at = now
        self._emit(EventKind.KEY_PRESS, 0)  # which key stays on the board
        if key == "*":
            self._keys.clear()
            return None
        if key == "#":
            code = "".join(self._keys)
            self._keys.clear()
            return self._check_code(code)
        if len(self._keys) < MAX_CODE_DIGITS:
            self._keys.append(key)
        return None

    def enter_code(self, code: str) -> CodeResult | None:
        """Type ``code`` and ``#`` on the keypad; ``None`` when a keypad test takes the keys
        (they are named on the link, never taken as a code)."""
        if not code.isdigit() or len(code) > MAX_CODE_DIGITS:
            raise Refused(f"a code is 1 to {MAX_CODE_DIGITS} digits")
        self.press_key("*")
        for digit in code:
            self.press_key(digit)
        return self.press_key("#")

    def _check_code(self, code: str) -> CodeResult:
        if self.saved.hard_lockout or self.lockout_seconds > 0:
            self._emit(EventKind.INPUT_BLOCKED, self.lockout_seconds)
            return CodeResult.BLOCKED
        self.count_attempt()  # committed before comparing: a power cut cannot undo it
        user = find_user(self.saved.users, code)
        if user is None:
            self.attempt_failed()
            return CodeResult.WRONG
        self.saved.wrong_code_lived = []
        self.saved.lockouts_in_row = 0
        reported_slot = user.slot
        if user.role == Role.DURESS:
            self.saved.silent_alarms += 1  # to the alarm output only, never the link
            if self.on_silent_alarm is not None:
                self.on_silent_alarm(user.slot)
            reported_slot = 0  # a duress opening looks like the master's (SPEC.md 10.5)
        self.commit()
        self._emit(EventKind.CODE_ACCEPTED, reported_slot)
        if not self._second_code_given(user.slot) or not self._time_delay_over():
            return CodeResult.WAITING
        self._start_motor(BoltState.RETRACTED)
        return CodeResult.OPENED

    def _second_code_given(self, slot: int) -> bool:
        """Dual control: the first good code waits for a different user's within a minute."""
        if not self.saved.policy.dual_control:
            return True
        now = self.clock.monotonic()
        first = self._first_code
        if first is not None and first[0] != slot and now - first[1] <= SECOND_CODE_S:
            self._first_code = None
            return True
        self._first_code = (slot, now)
        self._emit(EventKind.SECOND_CODE_NEEDED, int(SECOND_CODE_S))
        return False

    def _time_delay_over(self) -> bool:
        """Time delay: a good code starts it; after it, a good code in the window opens."""
        policy = self.saved.policy
        if not policy.time_delay_s:
            return True
        now = self.clock.monotonic()
        if self._delay is not None:
            delay_until, window_until = self._delay
            if delay_until <= now < window_until:  # pragma: no mutate (at its end, tick shut it)
                self._delay = None
                return True
            if now < delay_until:  # pragma: no mutate (<=: equal is the window's)
                return False  # still counting down: the code changes nothing
        delay_until = now + policy.time_delay_s
        self._delay = (delay_until, delay_until + policy.opening_window_s)
        self._window_announced = False  # pragma: no mutate (None is as false)
        self._emit(EventKind.TIME_DELAY_STARTED, policy.time_delay_s)
        return False

    # --- attempts: codes typed at the keypad and recovery answers alike ----------------------

    def trusted_rtc(self) -> float:
        """The clock, never earlier than the latest time it has shown (a clock set back
        cannot bring an expired authorisation back to life)."""
        now = self.clock.rtc()
        if now > self.saved.rtc_floor:  # pragma: no mutate (`>=`: the same floor)
            self.saved.rtc_floor = now
            if now - self._floor_committed > FLOOR_COMMIT_S:
                self._floor_committed = now
                self.commit()
        elif now < self.saved.rtc_floor - CLOCK_JUMP_S and self.on_clock_jump is not None:
            self.on_clock_jump(now, self.saved.rtc_floor)
        return max(now, self.saved.rtc_floor)

    def count_attempt(self) -> None:
        """Record an attempt as wrong, durably, before it is checked."""
        now = self.lived_s()
        window = self.saved.policy.window_s
        recent = [t for t in self.saved.wrong_code_lived if 0 <= now - t < window]
        self.saved.wrong_code_lived = [*recent, now]
        self.commit()

    def withdraw_attempt(self) -> None:
        """The attempt was right after all: it does not count."""
        if self.saved.wrong_code_lived:
            self.saved.wrong_code_lived.pop()
            self.commit()

    def clear_lockouts(self) -> None:
        """What a service recovery does: every lockout and wrong-code count is cleared."""
        self.saved.hard_lockout = False  # pragma: no mutate (None is as false)
        self.saved.lockout_until_lived = 0.0  # pragma: no mutate (1.0: lived time is past it)
        self.saved.lockouts_in_row = 0
        self.saved.wrong_code_lived = []
        self._lockout_announced = False  # pragma: no mutate (None is as false)
        self.commit()

    def open_bolt(self) -> None:
        self._start_motor(BoltState.RETRACTED)

    def _schedule_relock(self, at_s: float | None, cause: str | None = None) -> None:
        """Relock at ``at_s`` on the monotonic clock (``None``: not at all)."""
        self._relock_at, self._relock_cause = at_s, cause

    def drive_bolt(self, target: BoltState) -> None:
        """Run the motor towards ``target`` (diagnostics: the caller has checked it is safe)."""
        self._schedule_relock(None)
        self._start_motor(target)

    def log_error(self, code: BoardError) -> None:
        """Count ``code`` in the error log, with first and last time seen."""
        now = int(self.trusted_rtc())
        log = self.saved.service.setdefault("errors", {})
        record = log.setdefault(str(int(code)), {"count": 0, "first": now, "last": now})
        record["count"] += 1
        record["last"] = now
        self.commit()

    def emit(self, kind: EventKind, value: int) -> None:
        self._emit(kind, value)

    def attempt_failed(self) -> None:
        """A counted attempt was wrong: announce it and start a lockout if the policy says."""
        policy = self.saved.policy
        now = self.lived_s()
        wrong = len(self.saved.wrong_code_lived)
        self._emit(EventKind.WRONG_CODE, wrong)
        if wrong < policy.wrong_codes:
            return
        # Recovery answers are paced on their own (firmware.recovery): this lockout blocks the
        # keypad only, so a hard lockout never refuses the hotline's first answer.
        self.saved.wrong_code_lived = []
        self.saved.lockouts_in_row += 1
        self.saved.lockout_until_lived = now + policy.lockout_s
        self._lockout_announced = True
        newly_hard = (
            not self.saved.hard_lockout and self.saved.lockouts_in_row >= policy.hard_after_lockouts
        )
        self.saved.hard_lockout = self.saved.hard_lockout or newly_hard
        self.commit()
        if newly_hard:
            self._emit(EventKind.HARD_LOCKOUT, self.saved.lockouts_in_row)
        else:
            self._emit(EventKind.LOCKOUT_STARTED, math.ceil(policy.lockout_s))

    # --- door, bolt, sensors -------------------------------------------------------------------

    def open_door(self) -> None:
        self.tick()
        if self.hardware.bolt != BoltState.RETRACTED:
            raise Refused(f"the door cannot open: the bolt is {self.hardware.bolt.name.lower()}")
        if self.hardware.door == DoorState.OPEN:
            return
        self.hardware.door = DoorState.OPEN
        self._schedule_relock(None)
        self._emit(EventKind.DOOR_OPENED, 0)

    def close_door(self) -> None:
        self.tick()
        if self.hardware.door == DoorState.CLOSED:
            return
        self.hardware.door = DoorState.CLOSED
        self._schedule_relock(self.clock.monotonic() + RELOCK_AFTER_CLOSE_S)
        self._emit(EventKind.DOOR_CLOSED, 0)

    def set_tamper(self, opened: bool) -> None:
        if opened != self.hardware.tamper_open:
            self.hardware.tamper_open = opened
            self._emit(EventKind.TAMPER, int(opened))

    def set_battery(
        self, rest_mv: int | None = None, internal_resistance_mohm: int | None = None
    ) -> None:
        if rest_mv is not None:
            self.hardware.battery.rest_mv = rest_mv
        if internal_resistance_mohm is not None:
            self.hardware.battery.internal_resistance_mohm = internal_resistance_mohm
        self.tick()

    def _start_motor(self, target: BoltState) -> None:
        self.hardware.motor.start(self.clock.monotonic(), target, self.hardware.temperature_dc)
        self.hardware.bolt = BoltState.MOVING
        self.saved.bolt = BoltState.MOVING
        self.commit()
        self._check_battery()

    # --- time ----------------------------------------------------------------------------------

    def tick(self) -> None:
        """Let time act: motor travel, relocking, end of a lockout, battery warnings."""
        self.trusted_rtc()  # keeps the clock floor moving with the clock
        if self.lived_s() - self._lived_committed > FLOOR_COMMIT_S:  # pragma: no mutate (>=)
            self.commit()
        now = self.clock.monotonic()
        self._check_battery()
        motor = self.hardware.motor
        if motor.finished(now) and motor.stalling:
            motor.running_until = None
            motor.stalled = True
            self.hardware.bolt = self.saved.bolt = BoltState.UNKNOWN
            self.commit()
            self.log_error(BoardError.MOTOR_STALL)
        elif motor.finished(now):
            motor.running_until = None
            self.hardware.bolt = motor.target
            self.saved.bolt = motor.target
            self.commit()
            travel_ms = int((now - motor.started_at) * 1000)
            if motor.slow_factor > 1.4:
                self.log_error(BoardError.MOTOR_SLOW)
            if motor.target == BoltState.RETRACTED:
                self._schedule_relock(now + RELOCK_IF_UNOPENED_S)
                self._emit(EventKind.BOLT_RETRACTED, travel_ms)
            else:
                self._emit(EventKind.BOLT_EXTENDED, travel_ms)
        relock_due = self._relock_at is not None and now >= self._relock_at
        if relock_due and self.hardware.door == DoorState.CLOSED and not motor.running:
            cause = self._relock_cause
            self._schedule_relock(None)
            self._start_motor(BoltState.EXTENDED)
            if cause == "power_loss" and self.on_power_loss_relock is not None:
                self.on_power_loss_relock()
        if self._delay is not None:
            delay_until, window_until = self._delay
            if now >= delay_until and not self._window_announced:
                self._window_announced = True
                self._emit(EventKind.OPENING_WINDOW_STARTED, self.saved.policy.opening_window_s)
            if now >= window_until:
                self._delay = None
                self._emit(EventKind.OPENING_WINDOW_EXPIRED, 0)
        if self._lockout_announced and self.lockout_seconds == 0:
            self._lockout_announced = False  # pragma: no mutate (None is as false)
            self.saved.lockout_until_lived = 0.0
            self.commit()
            self._emit(EventKind.LOCKOUT_ENDED, 0)

    def _check_battery(self) -> None:
        voltage = self.hardware.battery_mv
        if voltage < LOW_BATTERY_MV and not self._low_battery:
            self._low_battery = True
            self.log_error(BoardError.LOW_VOLTAGE)
            self._emit(EventKind.LOW_BATTERY, voltage)
        elif voltage >= LOW_BATTERY_MV + 200:  # 200 mV above, so a warning does not flicker
            self._low_battery = False  # pragma: no mutate (None is as false)

    def commit(self) -> None:
        """Write the persistent state (flash) now."""
        self.saved.lived_s = self._lived_committed = self.lived_s()
        self.saved.counter_s = self.clock.lived_counter()
        self.store.commit(self.saved.to_json())
