"""The message catalogue: one dataclass per message, its body declared with construct.

Each request class names its response class (``RESPONSE``), as smpclient does, so a client
knows what to expect and the type checker knows what ``request()`` returns. The body layouts
here are the normative ones; SPEC.md describes the same bytes in prose and tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Generic, TypeAlias, TypeVar

from construct import (
    Construct,
    GreedyBytes,
    Int8ul,
    Int16sl,
    Int16ul,
    Int32sl,
    Int32ul,
    PascalString,
    Struct,
)

from protocols.catalogue import (
    Alerts,
    BoltState,
    DoorState,
    ErrorCode,
    EventKind,
    LockState,
    MsgType,
)

Str8 = PascalString(Int8ul, "utf8")
"""A string on the wire: u8 length, then that many bytes of UTF-8."""


@dataclass(slots=True)
class Message:
    """Base of every message. ``TYPE`` is the header type byte, ``BODY`` the body layout."""

    TYPE: ClassVar[MsgType]
    BODY: ClassVar[Construct]


@dataclass(slots=True)
class Response(Message):
    """A message sent by the board with the RESPONSE flag, answering one request."""


R_co = TypeVar("R_co", bound=Response, covariant=True)
"""The response a request is answered with (a request class names it as its type argument)."""


@dataclass(slots=True)
class Request(Message, Generic[R_co]):
    """A message sent by the tool; the board answers with ``RESPONSE`` or an ``ErrorResponse``.

    ``Request[IdentifyResponse]`` types ``LockClient.request`` for it, as smpclient does."""

    RESPONSE: ClassVar[type[Response]]


AnyRequest: TypeAlias = "Request[Response]"
"""Any request (what a board receives, what a log records)."""

# --- HELLO ----------------------------------------------------------------------------------


@dataclass(slots=True)
class HelloResponse(Response):
    """The board's answer: the version chosen, its own range, its frame limit and boot id."""

    TYPE = MsgType.HELLO
    BODY = Struct(
        "version" / Int8ul,
        "min_version" / Int8ul,
        "max_version" / Int8ul,
        "max_frame" / Int16ul,
        "boot_id" / Int32ul,
    )
    version: int
    min_version: int
    max_version: int
    max_frame: int
    boot_id: int


@dataclass(slots=True)
class HelloRequest(Request[HelloResponse]):
    """Opens a link session: the versions the tool speaks and the largest frame it accepts."""

    TYPE = MsgType.HELLO
    BODY = Struct("min_version" / Int8ul, "max_version" / Int8ul, "max_frame" / Int16ul)
    RESPONSE = HelloResponse
    min_version: int
    max_version: int
    max_frame: int


# --- IDENTIFY -------------------------------------------------------------------------------


@dataclass(slots=True)
class IdentifyResponse(Response):
    TYPE = MsgType.IDENTIFY
    BODY = Struct(
        "serial" / Str8,
        "model" / Str8,
        "hardware_revision" / Str8,
        "firmware_version" / Str8,
        "bootloader_version" / Str8,
        "protocol_version" / Int8ul,
    )
    serial: str
    model: str
    hardware_revision: str
    firmware_version: str
    bootloader_version: str
    protocol_version: int


@dataclass(slots=True)
class IdentifyRequest(Request[IdentifyResponse]):
    TYPE = MsgType.IDENTIFY
    BODY = Struct()
    RESPONSE = IdentifyResponse


# --- STATUS ---------------------------------------------------------------------------------


@dataclass(slots=True)
class StatusResponse(Response):
    TYPE = MsgType.STATUS
    BODY = Struct(
        "lock_state" / Int8ul,
        "door" / Int8ul,
        "bolt" / Int8ul,
        "wrong_code_count" / Int8ul,
        "lockout_seconds" / Int32ul,
        "battery_mv" / Int16ul,
        "temperature_dc" / Int16sl,
        "uptime_s" / Int32ul,
        "alerts" / Int8ul,
    )
    lock_state: LockState
    door: DoorState
    bolt: BoltState
    wrong_code_count: int
    lockout_seconds: int
    battery_mv: int
    temperature_dc: int
    """Temperature in tenths of a degree Celsius."""
    uptime_s: int
    alerts: Alerts


@dataclass(slots=True)
class StatusRequest(Request[StatusResponse]):
    TYPE = MsgType.STATUS
    BODY = Struct()
    RESPONSE = StatusResponse


# --- PING -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PingResponse(Response):
    TYPE = MsgType.PING
    BODY = Struct("data" / GreedyBytes)
    data: bytes


@dataclass(slots=True)
class PingRequest(Request[PingResponse]):
    """Echo: the board returns ``data`` unchanged (link checks, round-trip and MTU tests)."""

    TYPE = MsgType.PING
    BODY = Struct("data" / GreedyBytes)
    RESPONSE = PingResponse
    data: bytes = b""


# --- EVENT and ERROR ------------------------------------------------------------------------


@dataclass(slots=True)
class LockEvent(Message):
    """Unsolicited, board to tool. Its header sequence number counts events since boot."""

    TYPE = MsgType.EVENT
    BODY = Struct("kind" / Int8ul, "time_s" / Int32ul, "value" / Int32sl)
    kind: EventKind
    time_s: int
    """Board clock, seconds since 1970-01-01 UTC."""
    value: int


DETAIL_MAX_BYTES = 200
"""An ERROR's ``detail`` is at most this many bytes of UTF-8, so the ERROR fits 256 bytes
(SPEC.md 5.6)."""


def error_detail(text: str) -> str:
    """``text`` cut to :data:`DETAIL_MAX_BYTES` bytes of UTF-8, never inside a character."""
    return text.encode()[:DETAIL_MAX_BYTES].decode(errors="ignore")


@dataclass(slots=True)
class ErrorResponse(Response):
    """The board could not carry out the request with the same sequence number."""

    TYPE = MsgType.ERROR
    BODY = Struct("code" / Int16ul, "detail" / Str8)
    code: ErrorCode
    detail: str


REQUESTS: tuple[type[AnyRequest], ...] = (HelloRequest, IdentifyRequest, StatusRequest, PingRequest)
RESPONSES: tuple[type[Response], ...] = (
    HelloResponse,
    IdentifyResponse,
    StatusResponse,
    PingResponse,
    ErrorResponse,
)
