"""Firmware messages (0x30-0x3F): the board's A/B slots and bootloader state. SPEC.md section 19.

All are privileged: they need a session whose certificate carries ``firmware``. This slice has
FIRMWARE_STATUS only; transfer, trial confirmation and erase come later (issue 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from construct import GreedyRange, Int8ul, Int32ul, Struct

from protocols.catalogue import MsgType
from protocols.messages import Request, Response, Str8


class FirmwareSlot(IntEnum):
    """Which slot the board runs from; ``NONE`` is the built-in factory image."""

    NONE = 0
    A = 1
    B = 2


class SlotState(IntEnum):
    EMPTY = 0
    """Erased: no image header."""
    VALID = 1
    """A signed image the bootloader would boot (signature good, not below the floor)."""
    INVALID = 2
    """Holds bytes the bootloader refuses: damaged, badly signed, wrong model or below the floor."""
    TRIAL = 3
    """A valid image on trial: marked to be tried at the next boot, or running unconfirmed."""


class InstallResult(IntEnum):
    """The outcome of the last image the bootloader was asked to activate."""

    NONE = 0
    BOOTED = 1
    """The new image booted (on trial if it was installed for trial)."""
    CONFIRMED = 2
    INVALID_IMAGE = 3
    """Refused: the image is damaged or its signature does not verify."""
    BELOW_FLOOR = 4
    """Refused: its security counter is below the board's security floor."""
    WRONG_MODEL = 5
    REVERTED = 6
    """The trial image was not confirmed before a reset: the board went back to the other slot."""


SLOT_RECORD = Struct(
    "slot" / Int8ul,
    "state" / Int8ul,
    "security_counter" / Int32ul,
    "size" / Int32ul,
    "version" / Str8,
)
"""One per slot (A, then B). ``version`` is empty when no image header could be read."""


@dataclass(slots=True)
class FirmwareStatusResponse(Response):
    TYPE = MsgType.FIRMWARE_STATUS
    BODY = Struct(
        "active_slot" / Int8ul,
        "trial_pending" / Int8ul,
        "security_floor" / Int32ul,
        "last_result" / Int8ul,
        "running_version" / Str8,
        "slots" / GreedyRange(SLOT_RECORD),
    )
    active_slot: FirmwareSlot
    trial_pending: int
    """1 while the running image is on trial and not confirmed: a reset reverts it."""
    security_floor: int
    """Highest SEC_CNT of a confirmed image; images below it are refused."""
    last_result: InstallResult
    running_version: str
    """What IDENTIFY reports: the active image's version, or the built-in factory version."""
    slots: list[dict[str, object]]


@dataclass(slots=True)
class FirmwareStatusRequest(Request):
    TYPE = MsgType.FIRMWARE_STATUS
    BODY = Struct()
    RESPONSE = FirmwareStatusResponse


FIRMWARE_REQUESTS: tuple[type[Request], ...] = (FirmwareStatusRequest,)
FIRMWARE_RESPONSES: tuple[type[Response], ...] = tuple(r.RESPONSE for r in FIRMWARE_REQUESTS)
