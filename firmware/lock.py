"""The lock controller's behaviour: keypad codes, penalty lockout, bolt, door and alarms.

Safety rules this model keeps (and real locks must):

* a code attempt is committed to persistent state as *wrong* before the code is compared, and
  only withdrawn once it has matched, so cutting power mid-check cannot reset the counter;
* codes are compared in constant time against every user;
* a penalty lockout and a hard lockout survive power cycles (their end is kept on the RTC).
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
from firmware.policy import PenaltyPolicy
from firmware.storage import StateStore
from protocols.catalogue import Alerts, BoltState, DoorState, EventKind, LockState

KEYS = "0123456789*#"
KEYPAD_TIMEOUT_S = 10.0
MAX_CODE_DIGITS = 12
RELOCK_IF_UNOPENED_S = 10.0
RELOCK_AFTER_CLOSE_S = 3.0

EmitEvent = Callable[[EventKind, int], None]


class CodeResult(Enum):
    OPENED = "opened"
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
    policy: PenaltyPolicy
    wrong_code_times: list[float] = field(default_factory=list)
    lockout_until: float = 0.0
    lockouts_in_row: int = 0
    hard_lockout: bool = False
    boot_count: int = 0
    bolt: BoltState = BoltState.EXTENDED
    silent_alarms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "users": [u.to_json() for u in self.users],
            "policy": self.policy.to_json(),
            "wrong_code_times": self.wrong_code_times,
            "lockout_until": self.lockout_until,
            "lockouts_in_row": self.lockouts_in_row,
            "hard_lockout": self.hard_lockout,
            "boot_count": self.boot_count,
            "bolt": self.bolt.name,
            "silent_alarms": self.silent_alarms,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Persistent:
        return cls(
            users=[KeypadUser.from_json(u) for u in data["users"]],
            policy=PenaltyPolicy.from_json(data["policy"]),
            wrong_code_times=[float(t) for t in data["wrong_code_times"]],
            lockout_until=float(data["lockout_until"]),
            lockouts_in_row=int(data["lockouts_in_row"]),
            hard_lockout=bool(data["hard_lockout"]),
            boot_count=int(data["boot_count"]),
            bolt=BoltState[data["bolt"]],
            silent_alarms=int(data.get("silent_alarms", 0)),
        )


class Lock:
    def __init__(
        self,
        clock: Clock,
        store: StateStore,
        emit: EmitEvent,
        *,
        policy: PenaltyPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.store = store
        self._emit = emit
        self.boot_monotonic = clock.monotonic()
        loaded = store.load()
        if loaded is None:
            users = [KeypadUser.create(slot, role, code) for slot, role, code in FACTORY_CODES]
            self.saved = _Persistent(users=users, policy=policy or PenaltyPolicy())
        else:
            self.saved = _Persistent.from_json(loaded)
        self.saved.boot_count += 1
        bolt = self.saved.bolt if self.saved.bolt != BoltState.MOVING else BoltState.UNKNOWN
        self.hardware = Hardware(Battery(), Motor(), bolt=bolt)
        self._keys: list[str] = []
        self._last_key_at = 0.0
        self._relock_at: float | None = None
        self._low_battery = False
        self._lockout_announced = self.saved.lockout_until > 0
        self._commit()
        self._emit(EventKind.POWER_ON, self.saved.boot_count)

    # --- what the board reports ----------------------------------------------------------------

    @property
    def lock_state(self) -> LockState:
        if self.saved.hard_lockout:
            return LockState.HARD_LOCKOUT
        if self.lockout_seconds > 0:
            return LockState.PENALTY_LOCKOUT
        if self.hardware.bolt == BoltState.EXTENDED and not self.hardware.motor.running:
            return LockState.LOCKED
        return LockState.UNLOCKED

    @property
    def lockout_seconds(self) -> int:
        remaining = self.saved.lockout_until - self.clock.rtc()
        return math.ceil(remaining) if remaining > 0 else 0

    @property
    def wrong_code_count(self) -> int:
        now = self.clock.rtc()
        window = self.saved.policy.window_s
        return sum(1 for t in self.saved.wrong_code_times if 0 <= now - t < window)

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
        now = self.clock.monotonic()
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

    def enter_code(self, code: str) -> CodeResult:
        """Type ``code`` and ``#`` on the keypad."""
        if not code.isdigit() or len(code) > MAX_CODE_DIGITS:
            raise Refused(f"a code is 1 to {MAX_CODE_DIGITS} digits")
        self.press_key("*")
        for digit in code:
            self.press_key(digit)
        result = self.press_key("#")
        assert result is not None
        return result

    def _check_code(self, code: str) -> CodeResult:
        if self.saved.hard_lockout or self.lockout_seconds > 0:
            self._emit(EventKind.INPUT_BLOCKED, self.lockout_seconds)
            return CodeResult.BLOCKED
        now = self.clock.rtc()
        policy = self.saved.policy
        recent = [t for t in self.saved.wrong_code_times if 0 <= now - t < policy.window_s]
        # Count the attempt as wrong and commit before comparing: a power cut cannot undo it.
        self.saved.wrong_code_times = [*recent, now]
        self._commit()
        user = find_user(self.saved.users, code)
        if user is not None:
            self.saved.wrong_code_times = []
            self.saved.lockouts_in_row = 0
            reported_slot = user.slot
            if user.role == Role.DURESS:
                self.saved.silent_alarms += 1  # to the alarm output only, never the link
                reported_slot = 0  # a duress opening looks like the master's (SPEC.md 9)
            self._commit()
            self._emit(EventKind.CODE_ACCEPTED, reported_slot)
            self._start_motor(BoltState.RETRACTED)
            return CodeResult.OPENED
        wrong = len(self.saved.wrong_code_times)
        self._emit(EventKind.WRONG_CODE, wrong)
        if wrong >= policy.wrong_codes:
            self.saved.wrong_code_times = []
            self.saved.lockouts_in_row += 1
            if self.saved.lockouts_in_row >= policy.hard_after_lockouts:
                self.saved.hard_lockout = True
                self._commit()
                self._emit(EventKind.HARD_LOCKOUT, self.saved.lockouts_in_row)
            else:
                self.saved.lockout_until = now + policy.lockout_s
                self._lockout_announced = True
                self._commit()
                self._emit(EventKind.LOCKOUT_STARTED, math.ceil(policy.lockout_s))
        return CodeResult.WRONG

    # --- door, bolt, sensors -------------------------------------------------------------------

    def open_door(self) -> None:
        self.tick()
        if self.hardware.bolt != BoltState.RETRACTED:
            raise Refused(f"the door cannot open: the bolt is {self.hardware.bolt.name.lower()}")
        if self.hardware.door == DoorState.OPEN:
            return
        self.hardware.door = DoorState.OPEN
        self._relock_at = None
        self._emit(EventKind.DOOR_OPENED, 0)

    def close_door(self) -> None:
        self.tick()
        if self.hardware.door == DoorState.CLOSED:
            return
        self.hardware.door = DoorState.CLOSED
        self._relock_at = self.clock.monotonic() + RELOCK_AFTER_CLOSE_S
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
        self.hardware.motor.start(self.clock.monotonic(), target)
        self.hardware.bolt = BoltState.MOVING
        self.saved.bolt = BoltState.MOVING
        self._commit()
        self._check_battery()

    # --- time ----------------------------------------------------------------------------------

    def tick(self) -> None:
        """Let time act: motor travel, relocking, end of a lockout, battery warnings."""
        now = self.clock.monotonic()
        self._check_battery()
        motor = self.hardware.motor
        if motor.finished(now):
            motor.running_until = None
            self.hardware.bolt = motor.target
            self.saved.bolt = motor.target
            self._commit()
            travel_ms = int(motor.travel_s * 1000)
            if motor.target == BoltState.RETRACTED:
                self._relock_at = now + RELOCK_IF_UNOPENED_S
                self._emit(EventKind.BOLT_RETRACTED, travel_ms)
            else:
                self._emit(EventKind.BOLT_EXTENDED, travel_ms)
        relock_due = self._relock_at is not None and now >= self._relock_at
        if relock_due and self.hardware.door == DoorState.CLOSED and not motor.running:
            self._relock_at = None
            self._start_motor(BoltState.EXTENDED)
        if self._lockout_announced and self.lockout_seconds == 0:
            self._lockout_announced = False
            self.saved.lockout_until = 0.0
            self._commit()
            self._emit(EventKind.LOCKOUT_ENDED, 0)

    def _check_battery(self) -> None:
        voltage = self.hardware.battery_mv
        if voltage < LOW_BATTERY_MV and not self._low_battery:
            self._low_battery = True
            self._emit(EventKind.LOW_BATTERY, voltage)
        elif (
            voltage >= LOW_BATTERY_MV + 200
            and self.hardware.battery.rest_mv >= LOW_BATTERY_MV + 200
        ):
            self._low_battery = False

    def _commit(self) -> None:
        self.store.commit(self.saved.to_json())
