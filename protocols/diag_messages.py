"""Diagnostics messages (0x40-0x47): sensor readings and guided tests. SPEC.md section 16.

All are privileged: they need a session whose certificate carries ``diagnose``. A motor test
never opens a locked safe: the board runs it only with the bolt already retracted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, TypedDict

from construct import GreedyRange, Int8ul, Int16sl, Int16ul, Int32ul, Struct

from protocols.catalogue import BoltState, DoorState, MsgType
from protocols.messages import AnyRequest, Request, Response

KEYPAD_KEYS = "0123456789*#"
"""Bit ``i`` of a key mask is ``KEYPAD_KEYS[i]``."""


class Output(IntEnum):
    BUZZER = 1
    LED_GREEN = 2
    LED_RED = 3


class BoardError(IntEnum):
    """Codes in the board's error log."""

    MOTOR_STALL = 1
    MOTOR_SLOW = 2
    BOLT_SENSOR_MISMATCH = 3
    LOW_VOLTAGE = 4
    KEY_STUCK = 5
    FLASH_RETRY = 6
    WATCHDOG_RESET = 7
    RTC_INVALID = 8


class MotorResult(IntEnum):
    OK = 0
    STALLED = 1
    REFUSED_LOCKED = 2
    """The bolt is extended: the test would open a locked safe, so it is not run."""


def keys_from_mask(mask: int) -> str:
    return "".join(key for i, key in enumerate(KEYPAD_KEYS) if mask & (1 << i))


@dataclass(slots=True)
class SensorsResponse(Response):
    TYPE = MsgType.DIAG_SENSORS
    BODY = Struct(
        "battery_mv" / Int16ul,
        "temperature_dc" / Int16sl,
        "rtc_s" / Int32ul,
        "uptime_s" / Int32ul,
        "tamper_open" / Int8ul,
        "door" / Int8ul,
        "bolt_sensor" / Int8ul,
        "bolt_commanded" / Int8ul,
        "keys_held" / Int16ul,
    )
    battery_mv: int
    """At rest (only the controller's own few mA)."""
    temperature_dc: int
    rtc_s: int
    """The board's real-time clock as it reads, uncorrected."""
    uptime_s: int
    tamper_open: Literal[0, 1]
    door: DoorState
    """What the door sensor reads."""
    bolt_sensor: BoltState
    """What the bolt position sensor reports."""
    bolt_commanded: BoltState
    """Where the controller last drove the bolt."""
    keys_held: int
    """Keys that read as pressed right now (a key mask; a healthy idle keypad reads 0)."""


@dataclass(slots=True)
class SensorsRequest(Request[SensorsResponse]):
    TYPE = MsgType.DIAG_SENSORS
    BODY = Struct()
    RESPONSE = SensorsResponse


@dataclass(slots=True)
class MotorTestResponse(Response):
    TYPE = MsgType.DIAG_MOTOR_TEST
    BODY = Struct(
        "result" / Int8ul,
        "extend_ms" / Int16ul,
        "retract_ms" / Int16ul,
        "peak_current_ma" / Int16ul,
        "rest_mv" / Int16ul,
        "loaded_mv" / Int16ul,
    )
    result: MotorResult
    extend_ms: int
    retract_ms: int
    peak_current_ma: int
    rest_mv: int
    loaded_mv: int
    """Lowest battery voltage while the motor ran: with rest_mv, the internal resistance."""


@dataclass(slots=True)
class MotorTestRequest(Request[MotorTestResponse]):
    """Drive the bolt out and back in (from retracted, ending retracted), measuring it."""

    TYPE = MsgType.DIAG_MOTOR_TEST
    BODY = Struct()
    RESPONSE = MotorTestResponse


@dataclass(slots=True)
class KeypadTestResponse(Response):
    TYPE = MsgType.DIAG_KEYPAD_TEST
    BODY = Struct("active" / Int8ul, "keys_held" / Int16ul)
    active: Literal[0, 1]
    """1 while the keypad test runs."""
    keys_held: int


@dataclass(slots=True)
class KeypadTestRequest(Request[KeypadTestResponse]):
    """Start (1) or stop (0) a keypad test: while it runs, KEY_PRESS events carry the key
    (its ASCII code) and key presses are not taken as code entry. It stops by itself after
    ``duration_s`` and when the session ends."""

    TYPE = MsgType.DIAG_KEYPAD_TEST
    BODY = Struct("active" / Int8ul, "duration_s" / Int16ul)
    RESPONSE = KeypadTestResponse
    active: Literal[0, 1]
    """1 to start the test, 0 to stop it."""
    duration_s: int


@dataclass(slots=True)
class OutputTestResponse(Response):
    TYPE = MsgType.DIAG_OUTPUT_TEST
    BODY = Struct("output" / Int8ul, "duration_ms" / Int16ul)
    output: Output
    duration_ms: int


@dataclass(slots=True)
class OutputTestRequest(Request[OutputTestResponse]):
    """Sound the buzzer or light an LED for ``duration_ms``; the technician confirms it."""

    TYPE = MsgType.DIAG_OUTPUT_TEST
    BODY = Struct("output" / Int8ul, "duration_ms" / Int16ul)
    RESPONSE = OutputTestResponse
    output: Output
    duration_ms: int


ERROR_RECORD = Struct("code" / Int8ul, "count" / Int32ul, "first_s" / Int32ul, "last_s" / Int32ul)


class ErrorRecord(TypedDict):
    """One record of ERROR_RECORD, as the codec parses it (``code`` checked)."""

    code: BoardError
    count: int
    first_s: int
    last_s: int


@dataclass(slots=True)
class ErrorLogResponse(Response):
    """One record per error code seen: how often, first and last time (board clock)."""

    TYPE = MsgType.DIAG_ERROR_LOG
    BODY = Struct("records" / GreedyRange(ERROR_RECORD))
    records: list[ErrorRecord]


@dataclass(slots=True)
class ErrorLogRequest(Request[ErrorLogResponse]):
    TYPE = MsgType.DIAG_ERROR_LOG
    BODY = Struct()
    RESPONSE = ErrorLogResponse


DIAG_REQUESTS: tuple[type[AnyRequest], ...] = (
    SensorsRequest,
    MotorTestRequest,
    KeypadTestRequest,
    OutputTestRequest,
    ErrorLogRequest,
)
DIAG_RESPONSES: tuple[type[Response], ...] = tuple(r.RESPONSE for r in DIAG_REQUESTS)
