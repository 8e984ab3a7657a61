"""Audit-trail and clock messages (0x48-0x4F). SPEC.md section 17.

The trail is a hash chain: entry ``i`` has ``hash_i = SHA-256(hash_{i-1} || entry_bytes_i)``
where ``entry_bytes_i`` is the entry's canonical encoding (:data:`ENTRY_BODY`, below), and the
chain starts from 32 zero bytes before entry 0. AUDIT_HEAD gives the newest hash signed by the
device key; AUDIT_READ pages entries, each followed by the first 8 bytes of the hash the board
stored for it (so a tool can say *which* entry no longer matches; the signed head is what
proves the whole).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from construct import Bytes, GreedyBytes, Int8ul, Int16ul, Int32ul, PascalString, Struct

from protocols.catalogue import MsgType
from protocols.errors import MalformedMessage
from protocols.messages import AnyRequest, Request, Response

HASH_SIZE = 32
CHECK_SIZE = 8
"""Bytes of each entry's stored hash sent with it in AUDIT_READ (to say where a chain breaks)."""
GENESIS_HASH = bytes(HASH_SIZE)
"""The hash 'before' entry 0."""
MAX_DETAIL_BYTES = 512
"""The board truncates an entry's detail to this (it must fit a 640-byte frame with room)."""
HEAD_DOMAIN = b"safetool audit head v1\x00"
CLOCK_NUDGE_S = 300
"""SPEC.md 17.2: how far a laptop's own time may move a board's clock forward, in all between two
signed times; back, or further, takes the authority's time statement."""
NONCE_SIZE = 16


class AuditKind(IntEnum):
    """Entry ``kind`` on the wire; the board's kind strings are these names in lower case.
    A kind this table lacks travels as OTHER with its name in the detail under ``"kind"``."""

    POWER_ON = 1
    SESSION_OPENED = 2
    SESSION_REFUSED = 3
    SESSION_CLOSED = 4
    REVOCATIONS_UPDATED = 5
    REVOCATIONS_REFUSED = 6
    PRIVILEGED_REFUSED = 7
    RECOVERY_CHALLENGE = 8
    RECOVERY_REFUSED = 9
    RECOVERY_OPENED = 10
    RECOVERY_SEALED = 11
    CONFIG_CHANGED = 12
    CONFIG_REFUSED = 13
    CLOCK_JUMP_BACK = 14
    CLOCK_JUMP_FORWARD = 15
    CLOCK_SET = 16
    CLOCK_SET_REFUSED = 17
    SILENT_ALARM = 18
    CODE_ENTERED = 19
    LOCKOUT = 20
    TAMPER = 21
    FIRMWARE_INSTALLED = 22
    POWER_LOSS = 23
    DIAGNOSTIC = 24
    TEST_FILL = 25
    OTHER = 255


def kind_code(name: str) -> AuditKind:
    try:
        return AuditKind[name.upper()]
    except KeyError:
        return AuditKind.OTHER


def kind_name(code: int, detail: dict[str, Any]) -> str:
    try:
        kind = AuditKind(code)
    except ValueError:
        return f"unknown_{code}"
    if kind is AuditKind.OTHER:
        return str(detail.get("kind", "other"))
    return kind.name.lower()


def canonical_detail(detail: dict[str, Any]) -> bytes:
    """Detail as it travels and is hashed: compact JSON, keys sorted, UTF-8."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


ENTRY_BODY = Struct(
    "index" / Int32ul,
    "time_s" / Int32ul,
    "kind" / Int8ul,
    "detail" / PascalString(Int16ul, "utf8"),
)
"""One entry's canonical bytes (what is hashed): index, time, kind, detail as u16-length JSON."""
_FIXED = 4 + 4 + 1 + 2


@dataclass(frozen=True, slots=True)
class WireEntry:
    index: int
    time_s: int
    kind: int
    detail_json: bytes
    check: bytes = b""
    """The first CHECK_SIZE bytes of the hash the board stored for this entry."""

    def canonical(self) -> bytes:
        return (
            self.index.to_bytes(4, "little")
            + self.time_s.to_bytes(4, "little")
            + bytes([self.kind])
            + len(self.detail_json).to_bytes(2, "little")
            + self.detail_json
        )

    def detail(self) -> dict[str, Any]:
        try:
            value = json.loads(self.detail_json)
        except ValueError:
            return {"unreadable": self.detail_json.decode(errors="replace")}
        return value if isinstance(value, dict) else {"value": value}

    @property
    def kind_name(self) -> str:
        return kind_name(self.kind, self.detail())


def chain_hash(previous: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(previous + canonical).digest()


def encode_entries(entries: list[WireEntry]) -> bytes:
    return b"".join(e.canonical() + e.check for e in entries)


def decode_entries(data: bytes) -> list[WireEntry]:
    """Entries of an AUDIT_READ answer; :class:`MalformedMessage` for anything else."""
    entries: list[WireEntry] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _FIXED:
            raise MalformedMessage(f"audit entry truncated at byte {offset}")
        index = int.from_bytes(data[offset : offset + 4], "little")
        time_s = int.from_bytes(data[offset + 4 : offset + 8], "little")
        kind = data[offset + 8]
        length = int.from_bytes(data[offset + 9 : offset + 11], "little")
        end = offset + _FIXED + length
        if end + CHECK_SIZE > len(data):
            raise MalformedMessage(f"audit entry {index} runs past the end of the answer")
        detail = data[offset + _FIXED : end]
        try:
            detail.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedMessage(f"audit entry {index} detail is not UTF-8") from None
        entries.append(WireEntry(index, time_s, kind, detail, data[end : end + CHECK_SIZE]))
        offset = end + CHECK_SIZE
    return entries


def head_payload(
    *,
    serial: str,
    nonce: bytes,
    count: int,
    first_index: int,
    start_hash: bytes,
    head_hash: bytes,
    time_s: int,
) -> bytes:
    """What the device key signs for AUDIT_HEAD."""
    encoded = serial.encode()
    return (
        HEAD_DOMAIN
        + bytes([len(encoded)])
        + encoded
        + nonce
        + count.to_bytes(4, "little")
        + first_index.to_bytes(4, "little")
        + start_hash
        + head_hash
        + time_s.to_bytes(4, "little")
    )


# --- messages ----------------------------------------------------------------------------------


@dataclass(slots=True)
class AuditHeadResponse(Response):
    """The trail's head. ``count`` entries were ever written (indices 0..count-1); the board
    still holds ``first_index``..count-1; ``start_hash`` is the chain hash before
    ``first_index``; ``signed`` is 0 on a board without a device key (signature all zero)."""

    TYPE = MsgType.AUDIT_HEAD
    BODY = Struct(
        "count" / Int32ul,
        "first_index" / Int32ul,
        "start_hash" / Bytes(HASH_SIZE),
        "head_hash" / Bytes(HASH_SIZE),
        "time_s" / Int32ul,
        "signed" / Int8ul,
        "signature" / Bytes(64),
    )
    count: int
    first_index: int
    start_hash: bytes
    head_hash: bytes
    time_s: int
    signed: Literal[0, 1]
    signature: bytes


@dataclass(slots=True)
class AuditHeadRequest(Request[AuditHeadResponse]):
    """``nonce`` (fresh from the tool) is signed into the head, so an old head cannot be
    replayed."""

    TYPE = MsgType.AUDIT_HEAD
    BODY = Struct("nonce" / Bytes(NONCE_SIZE))
    RESPONSE = AuditHeadResponse
    nonce: bytes


@dataclass(slots=True)
class AuditReadResponse(Response):
    """Entries from the asked index (or the oldest held, if that one was erased), as many as
    fit ``max_bytes``; none when the asked index is ``count`` or past it. ``first_index`` is
    the position the board read from: the next page starts ``len(entries)`` after it."""

    TYPE = MsgType.AUDIT_READ
    BODY = Struct("count" / Int32ul, "first_index" / Int32ul, "entries" / GreedyBytes)
    count: int
    first_index: int
    entries: bytes


@dataclass(slots=True)
class AuditReadRequest(Request[AuditReadResponse]):
    TYPE = MsgType.AUDIT_READ
    BODY = Struct("start_index" / Int32ul, "max_bytes" / Int16ul)
    RESPONSE = AuditReadResponse
    start_index: int
    max_bytes: int


@dataclass(slots=True)
class ClockSetResponse(Response):
    """The board's trusted time before and after."""

    TYPE = MsgType.CLOCK_SET
    BODY = Struct("before_s" / Int32ul, "after_s" / Int32ul)
    before_s: int
    after_s: int


@dataclass(slots=True)
class ClockSetRequest(Request[ClockSetResponse]):
    """Set the board's clock to ``time_s`` (UTC seconds). Needs ``configure``. Without a
    ``statement`` only a nudge within the drift allowance; with a time statement signed by the
    service authority (protocols.recovery.TimeStatement) to that statement's time (SPEC.md 17.2)."""

    TYPE = MsgType.CLOCK_SET
    BODY = Struct("time_s" / Int32ul, "statement" / GreedyBytes)
    RESPONSE = ClockSetResponse
    time_s: int
    statement: bytes = b""


AUDIT_REQUESTS: tuple[type[AnyRequest], ...] = (AuditHeadRequest, AuditReadRequest, ClockSetRequest)
AUDIT_RESPONSES: tuple[type[Response], ...] = tuple(r.RESPONSE for r in AUDIT_REQUESTS)
