"""Numbers of the wire protocol: versions, message types, flags, enums, error and event codes.

Everything here is defined in SPEC.md; keep the two in step.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

PROTOCOL_VERSION = 1
"""The protocol version this implementation speaks (header byte 0)."""
MIN_PROTOCOL_VERSION = 1
MAX_PROTOCOL_VERSION = 1

MIN_MAX_FRAME = 256
"""Every implementation accepts frames of this size; HELLO may negotiate larger ones."""
ABSOLUTE_MAX_FRAME = 65535


class MsgType(IntEnum):
    """Message type byte (header byte 1). Ranges are reserved for later message families."""

    HELLO = 0x01
    IDENTIFY = 0x02
    STATUS = 0x03
    PING = 0x04
    SESSION_INIT = 0x10
    SESSION_AUTH = 0x11
    SESSION_END = 0x12
    REVOCATIONS = 0x13
    RECOVERY_CHALLENGE = 0x20
    RECOVERY_AUTHORISE = 0x21
    RECOVERY_SEAL = 0x22
    CONFIG_GET = 0x28
    CONFIG_SET = 0x29
    # 0x30-0x3F firmware (protocols/firmware_messages.py)
    FIRMWARE_STATUS = 0x30
    FIRMWARE_BEGIN = 0x31
    FIRMWARE_STREAM = 0x32
    FIRMWARE_WRITE = 0x33
    FIRMWARE_ACTIVATE = 0x34
    FIRMWARE_CONFIRM = 0x35
    FIRMWARE_HEALTH = 0x36
    FIRMWARE_HASH = 0x37
    FIRMWARE_DELTA = 0x38
    # 0x40-0x47 diagnostics (protocols/diag_messages.py)
    DIAG_SENSORS = 0x40
    DIAG_MOTOR_TEST = 0x41
    DIAG_KEYPAD_TEST = 0x42
    DIAG_OUTPUT_TEST = 0x43
    DIAG_ERROR_LOG = 0x44
    # 0x48-0x4F audit trail and clock (protocols/audit_messages.py)
    AUDIT_HEAD = 0x48
    AUDIT_READ = 0x49
    CLOCK_SET = 0x4A
    # 0x10-0x1F secure session, 0x20-0x2F recovery and configuration,
    # 0x30-0x3F firmware, 0x40-0x4F diagnostics and audit, 0x50-0x6F reserved.
    EVENT = 0x70
    ERROR = 0x7F
    # 0x80-0xFF reserved for vendor extensions.


class Flags(IntFlag):
    """Header byte 2."""

    NONE = 0x00
    RESPONSE = 0x01  # answers the request with the same sequence number
    RETRANSMIT = 0x02  # a resend; the board answers from its reply cache, never runs it twice
    ENCRYPTED = 0x04  # body is counter || AEAD ciphertext under the session keys


KNOWN_FLAGS = Flags.RESPONSE | Flags.RETRANSMIT | Flags.ENCRYPTED
"""Flags this version understands; a frame with any other flag set is rejected."""


class ErrorCode(IntEnum):
    """ERROR body ``code``."""

    UNKNOWN_TYPE = 1
    MALFORMED = 2
    UNSUPPORTED_VERSION = 3
    FRAME_TOO_LARGE = 4
    BUSY = 5
    NOT_ALLOWED = 6
    INVALID_STATE = 7
    INTERNAL = 8
    OUT_OF_RANGE = 9


class LockState(IntEnum):
    LOCKED = 0
    UNLOCKED = 1
    PENALTY_LOCKOUT = 2
    HARD_LOCKOUT = 3
    TIME_DELAY = 4  # a good code was entered; waiting out the time delay
    OPENING_WINDOW = 5  # the time delay is over: a good code now opens


class DoorState(IntEnum):
    CLOSED = 0
    OPEN = 1
    UNKNOWN = 2


class BoltState(IntEnum):
    EXTENDED = 0
    RETRACTED = 1
    MOVING = 2
    UNKNOWN = 3


class Alerts(IntFlag):
    """STATUS ``alerts`` bit field."""

    TAMPER = 0x01
    LOW_BATTERY = 0x02


class EventKind(IntEnum):
    """EVENT body ``kind``; the meaning of ``value`` is given per kind in SPEC.md."""

    POWER_ON = 1  # value: boot count
    KEY_PRESS = 2  # value: 0 (the key is withheld outside a keypad test)
    CODE_ACCEPTED = 3  # value: user slot
    WRONG_CODE = 4  # value: wrong codes in the current window
    INPUT_BLOCKED = 5  # value: lockout seconds remaining
    LOCKOUT_STARTED = 6  # value: lockout seconds
    LOCKOUT_ENDED = 7  # value: 0
    HARD_LOCKOUT = 8  # value: penalty lockouts in a row
    BOLT_RETRACTED = 9  # value: motor travel time in ms
    BOLT_EXTENDED = 10  # value: motor travel time in ms
    DOOR_OPENED = 11  # value: 0
    DOOR_CLOSED = 12  # value: 0
    LOW_BATTERY = 13  # value: battery voltage in mV
    TAMPER = 14  # value: 1 opened, 0 closed again
    SESSION_OPENED = 15  # value: technician certificate serial
    SESSION_REFUSED = 16  # value: RefusalReason
    RECOVERED = 17  # value: recovery counter
    RECOVERY_REFUSED = 18  # value: RefusalReason
    TIME_DELAY_STARTED = 19  # value: delay in seconds
    OPENING_WINDOW_STARTED = 20  # value: window in seconds
    OPENING_WINDOW_EXPIRED = 21  # value: 0
    SECOND_CODE_NEEDED = 22  # value: seconds left to enter it (dual control)
    CONFIG_CHANGED = 23  # value: certificate serial of the technician who changed it


class RefusalReason(IntEnum):
    """Why the board refused a session or a recovery (RECOVERY_AUTHORISE ``reason``)."""

    NONE = 0
    BAD_CERTIFICATE = 1
    EXPIRED = 2
    REVOKED = 3
    BAD_SIGNATURE = 4
    NOT_QUALIFIED = 5
    NO_CHALLENGE = 6
    WRONG_BOARD = 7
    WRONG_CHALLENGE = 8
    WRONG_TECHNICIAN = 9
    OUTSIDE_WINDOW = 10
    WRONG_RESPONSE = 11
    CHALLENGE_USED_UP = 12
    LOCKED_OUT = 13
    NOT_PROVISIONED = 14
    NO_SESSION = 15


class RecoveryMethod(IntEnum):
    ONLINE = 1
    PHONE = 2


class RecoveryResult(IntEnum):
    OPENED = 0
    REFUSED = 1
