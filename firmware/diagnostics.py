"""Diagnostics on the board: sensor readings, the motor test, the keypad test, outputs and the
error log, served to a session whose certificate carries ``diagnose``."""

from __future__ import annotations

from dataclasses import dataclass, field

from firmware.audit import AuditTrail
from firmware.lock import Lock
from firmware.pending import Pending
from firmware.trust import BoardTrust
from protocols.catalogue import BoltState, DoorState, MsgType
from protocols.certificates import Certificate, Qualification
from protocols.diag_messages import (
    KEYPAD_KEYS,
    BoardError,
    ErrorLogResponse,
    ErrorRecord,
    KeypadTestRequest,
    KeypadTestResponse,
    MotorResult,
    MotorTestResponse,
    Output,
    OutputTestRequest,
    OutputTestResponse,
    SensorsResponse,
)
from protocols.firmware_messages import HealthCheck
from protocols.messages import AnyRequest, Response

MAX_KEYPAD_TEST_S = 300


def key_mask(keys: set[str]) -> int:
    return sum(1 << KEYPAD_KEYS.index(k) for k in keys if k in KEYPAD_KEYS)


@dataclass(slots=True)
class _MotorTest:
    """Out, then back in, measuring each way; polled until done."""

    lock: Lock
    rest_mv: int
    phase: str = "extend"
    started: float = 0.0
    extend_ms: int = 0
    loaded_mv: int = 0
    peak_ma: int = 0
    log: list[str] = field(default_factory=list)

    def begin(self) -> None:
        self.started = self.lock.clock.monotonic()
        self.lock.drive_bolt(BoltState.EXTENDED)
        self._sample()

    def _sample(self) -> None:
        hardware = self.lock.hardware
        self.peak_ma = max(self.peak_ma, hardware.load_ma)
        volts = hardware.battery_mv
        self.loaded_mv = volts if not self.loaded_mv else min(self.loaded_mv, volts)

    def poll(self) -> Response | None:
        lock = self.lock
        lock.tick()
        motor = lock.hardware.motor
        if motor.running:
            self._sample()
            return None
        elapsed_ms = int((lock.clock.monotonic() - self.started) * 1000)
        if motor.stalled:
            return self._result(MotorResult.STALLED, elapsed_ms)
        if self.phase == "extend":
            self.extend_ms = elapsed_ms
            self.phase = "retract"
            self.started = lock.clock.monotonic()
            lock.drive_bolt(BoltState.RETRACTED)
            self._sample()
            return None
        return self._result(MotorResult.OK, elapsed_ms)

    def _result(self, result: MotorResult, last_ms: int) -> Response:
        extend_ms, retract_ms = (
            (self.extend_ms, last_ms)
            if self.phase == "retract"
            else (
                last_ms,
                0,
            )
        )
        return MotorTestResponse(
            result, extend_ms, retract_ms, self.peak_ma, self.rest_mv, self.loaded_mv
        )


class BoardDiagnostics:
    def __init__(self, lock: Lock, audit: AuditTrail) -> None:
        self.lock = lock
        self.audit = audit

    def register(self, trust: BoardTrust) -> None:
        need = Qualification.DIAGNOSE
        trust.register(MsgType.DIAG_SENSORS, need, self.sensors)
        trust.register(MsgType.DIAG_MOTOR_TEST, need, self.motor_test)
        trust.register(MsgType.DIAG_KEYPAD_TEST, need, self.keypad_test)
        trust.register(MsgType.DIAG_OUTPUT_TEST, need, self.output_test)
        trust.register(MsgType.DIAG_ERROR_LOG, need, self.error_log)

    def sensors(self, request: AnyRequest, technician: Certificate) -> Response:
        lock = self.lock
        lock.tick()
        hardware = lock.hardware
        commanded = hardware.motor.target if hardware.motor.running else lock.saved.bolt
        return SensorsResponse(
            battery_mv=min(hardware.battery.voltage_mv(5), 0xFFFF),
            temperature_dc=hardware.temperature_dc,
            rtc_s=int(lock.clock.rtc()) & 0xFFFFFFFF,
            uptime_s=lock.uptime_s,
            tamper_open=1 if hardware.tamper_open else 0,
            door=DoorState.OPEN if hardware.door_sensor_stuck_open else hardware.door,
            bolt_sensor=hardware.bolt_sensor,
            bolt_commanded=commanded,
            keys_held=key_mask(hardware.stuck_keys),
        )

    def motor_test(self, request: AnyRequest, technician: Certificate) -> Response | Pending:
        lock = self.lock
        lock.tick()
        rest = lock.hardware.battery.voltage_mv(5)
        if lock.hardware.motor.running or lock.saved.bolt != BoltState.RETRACTED:
            self.audit.append(
                lock.trusted_rtc(),
                "diag_motor_refused",
                technician=technician.subject_id,
                bolt=lock.saved.bolt.name,
            )
            return MotorTestResponse(MotorResult.REFUSED_LOCKED, 0, 0, 0, rest, rest)
        self.audit.append(lock.trusted_rtc(), "diag_motor_test", technician=technician.subject_id)
        test = _MotorTest(lock, rest)
        test.begin()
        return Pending(test.poll)

    def keypad_test(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, KeypadTestRequest)
        lock = self.lock
        if request.active:
            duration = max(1, min(int(request.duration_s), MAX_KEYPAD_TEST_S))
            lock.keypad_test_until = lock.clock.monotonic() + duration
            self.audit.append(
                lock.trusted_rtc(),
                "diag_keypad_test",
                technician=technician.subject_id,
                seconds=duration,
            )
        else:
            lock.keypad_test_until = None
        return KeypadTestResponse(request.active, key_mask(lock.hardware.stuck_keys))

    def end_keypad_test(self) -> None:
        """The session ended: keys go back to being code entry, never reported."""
        self.lock.keypad_test_until = None

    def output_test(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, OutputTestRequest)
        duration = max(50, min(int(request.duration_ms), 5000))
        name = Output(request.output).name.lower()
        if name not in self.lock.hardware.dead_outputs:  # a dead buzzer stays silent
            self.lock.hardware.outputs.append((name, duration))
        del self.lock.hardware.outputs[:-20]
        return OutputTestResponse(request.output, duration)

    def self_test(self) -> tuple[int, int, int]:
        """The quick self-test after a boot (FIRMWARE_HEALTH): HealthCheck bits checked and
        failed, and the error-log entries counted since manufacture."""
        checked = HealthCheck.MOTOR_DRIVER | HealthCheck.SENSORS | HealthCheck.KEYPAD
        hardware = self.lock.hardware
        failed = 0
        if hardware.motor.jammed or hardware.motor.stalled:
            failed |= HealthCheck.MOTOR_DRIVER
        if hardware.bolt_sensor_misaligned or hardware.door_sensor_stuck_open:
            failed |= HealthCheck.SENSORS
        if hardware.stuck_keys:
            failed |= HealthCheck.KEYPAD
        log = self.lock.saved.service.get("errors", {})
        return checked, failed, sum(int(record["count"]) for record in log.values())

    def error_log(self, request: AnyRequest, technician: Certificate) -> Response:
        log = self.lock.saved.service.get("errors", {})
        records = [
            ErrorRecord(
                code=BoardError(int(code)), count=r["count"], first_s=r["first"], last_s=r["last"]
            )
            for code, r in sorted(log.items(), key=lambda item: int(item[0]))
        ]
        return ErrorLogResponse(records)
