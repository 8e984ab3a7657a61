"""Firmware messages (0x30-0x3F): the board's A/B slots and bootloader state (SPEC.md section
19) and the install: a resumable, windowed, compressed transfer into the free slot, a trial
boot and its confirmation (section 20).

All are privileged: they need a session whose certificate carries ``firmware``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, TypedDict

from construct import Array, Bytes, GreedyBytes, Int8ul, Int16ul, Int32ul, Struct

from protocols.catalogue import MsgType
from protocols.messages import AnyRequest, Request, Response, Str8


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

RecordSlot = Literal[FirmwareSlot.A, FirmwareSlot.B]
"""A slot record's ``slot``: a real slot, never ``NONE`` (SPEC.md 19.1)."""


class SlotRecord(TypedDict):
    """One SLOT_RECORD, as the codec parses it (``slot`` and ``state`` checked)."""

    slot: RecordSlot
    state: SlotState
    security_counter: int
    size: int
    version: str


@dataclass(slots=True)
class FirmwareStatusResponse(Response):
    TYPE = MsgType.FIRMWARE_STATUS
    BODY = Struct(
        "active_slot" / Int8ul,
        "trial_pending" / Int8ul,
        "security_floor" / Int32ul,
        "last_result" / Int8ul,
        "running_version" / Str8,
        "slots" / Array(2, SLOT_RECORD),
    )
    active_slot: FirmwareSlot
    trial_pending: Literal[0, 1]
    """1 while the running image is on trial and not confirmed: a reset reverts it."""
    security_floor: int
    """Highest SEC_CNT of a confirmed image; images below it are refused."""
    last_result: InstallResult
    running_version: str
    """What IDENTIFY reports: the active image's version, or the built-in factory version."""
    slots: list[SlotRecord]
    """Exactly two: slot A, then slot B."""


@dataclass(slots=True)
class FirmwareStatusRequest(Request[FirmwareStatusResponse]):
    TYPE = MsgType.FIRMWARE_STATUS
    BODY = Struct()
    RESPONSE = FirmwareStatusResponse


# --- the install (section 20) ------------------------------------------------------------------

SHA256_SIZE = 32


class Compression(IntEnum):
    """How FIRMWARE_WRITE chunks carry the image (section 20.3)."""

    NONE = 0
    """The image bytes themselves."""
    LZMA2 = 1
    """One raw LZMA2 stream (no container), as MCUboot's compressed images use."""


class TrialState(IntEnum):
    """FIRMWARE_BEGIN ``trial``: whether an earlier install still waits for its confirmation."""

    NONE = 0
    RUNNING = 1
    """The running image is on trial and not yet confirmed; a reset reverts it."""


@dataclass(slots=True)
class FirmwareBeginResponse(Response):
    TYPE = MsgType.FIRMWARE_BEGIN
    BODY = Struct(
        "slot" / Int8ul,
        "held" / Int32ul,
        "held_sha256" / Bytes(SHA256_SIZE),
        "page_size" / Int32ul,
        "compressions" / Int8ul,
        "max_dict_size" / Int32ul,
        "trial" / Int8ul,
        "trial_seconds_left" / Int32ul,
    )
    slot: FirmwareSlot
    """The slot the image goes to: never the running one."""
    held: int
    """Bytes of this very image already programmed there and recorded (a multiple of
    ``page_size``, or the whole image); 0 for a new image or after an erase."""
    held_sha256: bytes
    """SHA-256 of the first ``held`` bytes as read back from the slot."""
    page_size: int
    compressions: int
    """Bit ``1 << c`` for each :class:`Compression` ``c`` the board decodes."""
    max_dict_size: int
    """The largest LZMA2 dictionary the board can decode with."""
    trial: TrialState
    trial_seconds_left: int
    """With ``trial`` RUNNING: seconds until the board reverts by itself."""


@dataclass(slots=True)
class FirmwareBeginRequest(Request[FirmwareBeginResponse]):
    TYPE = MsgType.FIRMWARE_BEGIN
    BODY = Struct("image_size" / Int32ul, "image_sha256" / Bytes(SHA256_SIZE))
    RESPONSE = FirmwareBeginResponse
    image_size: int
    """Bytes of the image up to the end of its unprotected TLVs (no slot padding)."""
    image_sha256: bytes


@dataclass(slots=True)
class FirmwareStreamResponse(Response):
    TYPE = MsgType.FIRMWARE_STREAM
    BODY = Struct("start" / Int32ul)
    start: int


@dataclass(slots=True)
class FirmwareStreamRequest(Request[FirmwareStreamResponse]):
    TYPE = MsgType.FIRMWARE_STREAM
    BODY = Struct(
        "start" / Int32ul,
        "compression" / Int8ul,
        "dict_size" / Int32ul,
        "stream_size" / Int32ul,
    )
    RESPONSE = FirmwareStreamResponse
    start: int
    """Image offset the stream begins at: 0, or at most the ``held`` of FIRMWARE_BEGIN."""
    compression: Compression
    dict_size: int
    """LZMA2 dictionary size (0 with NONE)."""
    stream_size: int
    """Bytes of the stream that FIRMWARE_WRITE chunks will carry."""


@dataclass(slots=True)
class FirmwareWriteResponse(Response):
    TYPE = MsgType.FIRMWARE_WRITE
    BODY = Struct("received" / Int32ul, "written" / Int32ul)
    received: int
    """Stream bytes taken in order so far (every chunk below this offset is in)."""
    written: int
    """Image bytes programmed and recorded so far (a resume may start here)."""


@dataclass(slots=True)
class FirmwareWriteRequest(Request[FirmwareWriteResponse]):
    TYPE = MsgType.FIRMWARE_WRITE
    BODY = Struct("offset" / Int32ul, "data" / GreedyBytes)
    RESPONSE = FirmwareWriteResponse
    offset: int
    """Where ``data`` sits in the stream."""
    data: bytes


@dataclass(slots=True)
class FirmwareActivateResponse(Response):
    TYPE = MsgType.FIRMWARE_ACTIVATE
    BODY = Struct("slot" / Int8ul, "image_sha256" / Bytes(SHA256_SIZE))
    slot: FirmwareSlot
    image_sha256: bytes
    """SHA-256 of the image as read back from the slot."""


@dataclass(slots=True)
class FirmwareActivateRequest(Request[FirmwareActivateResponse]):
    TYPE = MsgType.FIRMWARE_ACTIVATE
    BODY = Struct("image_sha256" / Bytes(SHA256_SIZE))
    RESPONSE = FirmwareActivateResponse
    image_sha256: bytes


@dataclass(slots=True)
class FirmwareConfirmResponse(Response):
    TYPE = MsgType.FIRMWARE_CONFIRM
    BODY = Struct("slot" / Int8ul, "security_floor" / Int32ul)
    slot: FirmwareSlot
    security_floor: int


@dataclass(slots=True)
class FirmwareConfirmRequest(Request[FirmwareConfirmResponse]):
    TYPE = MsgType.FIRMWARE_CONFIRM
    BODY = Struct()
    RESPONSE = FirmwareConfirmResponse


class HealthCheck(IntEnum):
    """FIRMWARE_HEALTH ``failed`` bits."""

    FLASH = 0x01
    MOTOR_DRIVER = 0x02
    SENSORS = 0x04
    KEYPAD = 0x08
    CLOCK = 0x10


@dataclass(slots=True)
class FirmwareHealthResponse(Response):
    TYPE = MsgType.FIRMWARE_HEALTH
    BODY = Struct("checked" / Int8ul, "failed" / Int8ul, "errors" / Int16ul)
    checked: int
    """:class:`HealthCheck` bits the self-test ran."""
    failed: int
    errors: int
    """Entries in the board's error log since this boot."""


@dataclass(slots=True)
class FirmwareHealthRequest(Request[FirmwareHealthResponse]):
    TYPE = MsgType.FIRMWARE_HEALTH
    BODY = Struct()
    RESPONSE = FirmwareHealthResponse


# --- delta installs (section 20.5) ---------------------------------------------------------------


@dataclass(slots=True)
class FirmwareHashResponse(Response):
    TYPE = MsgType.FIRMWARE_HASH
    BODY = Struct("slot" / Int8ul, "size" / Int32ul, "sha256" / Bytes(SHA256_SIZE))
    slot: FirmwareSlot
    size: int
    sha256: bytes
    """SHA-256 of the slot's first ``size`` bytes, read back from flash."""


@dataclass(slots=True)
class FirmwareHashRequest(Request[FirmwareHashResponse]):
    """What a slot holds, by hash: the tool proves the base of a delta before it plans one."""

    TYPE = MsgType.FIRMWARE_HASH
    BODY = Struct("slot" / Int8ul, "size" / Int32ul)
    RESPONSE = FirmwareHashResponse
    slot: FirmwareSlot
    """A or B."""
    size: int
    """1 up to the slot's size."""


@dataclass(slots=True)
class FirmwareDeltaResponse(Response):
    TYPE = MsgType.FIRMWARE_DELTA
    BODY = Struct("start" / Int32ul)
    start: int


@dataclass(slots=True)
class FirmwareDeltaRequest(Request[FirmwareDeltaResponse]):
    """FIRMWARE_STREAM's twin: the stream is a patch from the image in ``base_slot``."""

    TYPE = MsgType.FIRMWARE_DELTA
    BODY = Struct(
        "start" / Int32ul,
        "base_slot" / Int8ul,
        "base_size" / Int32ul,
        "base_sha256" / Bytes(SHA256_SIZE),
        "compression" / Int8ul,
        "dict_size" / Int32ul,
        "stream_size" / Int32ul,
    )
    RESPONSE = FirmwareDeltaResponse
    start: int
    """Image offset the patch's output begins at: 0, or a recorded page up to ``held``."""
    base_slot: FirmwareSlot
    """The running slot: the patch reads the base there while the other slot is written."""
    base_size: int
    base_sha256: bytes
    """SHA-256 of the base slot's first ``base_size`` bytes: the image the patch is from."""
    compression: Compression
    dict_size: int
    stream_size: int


FIRMWARE_REQUESTS: tuple[type[AnyRequest], ...] = (
    FirmwareStatusRequest,
    FirmwareBeginRequest,
    FirmwareStreamRequest,
    FirmwareWriteRequest,
    FirmwareActivateRequest,
    FirmwareConfirmRequest,
    FirmwareHealthRequest,
    FirmwareHashRequest,
    FirmwareDeltaRequest,
)
FIRMWARE_RESPONSES: tuple[type[Response], ...] = tuple(r.RESPONSE for r in FIRMWARE_REQUESTS)
