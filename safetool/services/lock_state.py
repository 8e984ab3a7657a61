"""What the services say a lock is and does, as their own typed records.

The front ends (CLI, app) see a lock through these and never through the wire's messages, so
a change to the wire format stops at the services. The enums are the lock's vocabulary (the
states and kinds SPEC.md names); they are the services' words as much as the wire's, so they
are handed on as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from protocols.catalogue import (
    Alerts,
    BoltState,
    DoorState,
    ErrorCode,
    EventKind,
    LockState,
    RefusalReason,
)
from protocols.events import LockEventReceived
from protocols.messages import IdentifyResponse, StatusResponse

__all__ = [
    "Alerts",
    "BoltState",
    "DoorState",
    "ErrorCode",
    "EventKind",
    "EventSeen",
    "LockIdentity",
    "LockState",
    "LockStatus",
    "RefusalReason",
]


def _same_fields(record: type, wire: object) -> dict[str, Any]:
    """The wire message's values for the record's fields (the record names a subset)."""
    return {field.name: getattr(wire, field.name) for field in fields(record)}


@dataclass(frozen=True, slots=True)
class LockIdentity:
    """Who the lock is (IDENTIFY)."""

    serial: str
    model: str
    hardware_revision: str
    firmware_version: str
    bootloader_version: str
    protocol_version: int

    @classmethod
    def from_wire(cls, response: IdentifyResponse) -> LockIdentity:
        return cls(**_same_fields(cls, response))


@dataclass(frozen=True, slots=True)
class LockStatus:
    """How the lock is (STATUS)."""

    lock_state: LockState
    door: DoorState
    bolt: BoltState
    wrong_code_count: int
    lockout_seconds: int
    battery_mv: int
    temperature_dc: int
    """Tenths of a degree Celsius."""
    uptime_s: int
    alerts: Alerts

    @classmethod
    def from_wire(cls, response: StatusResponse) -> LockStatus:
        return cls(**_same_fields(cls, response))


@dataclass(frozen=True, slots=True)
class EventSeen:
    """One lock event as it arrived: ``missed`` counts events lost on the link before it."""

    seq: int
    kind: EventKind | int
    """An :class:`EventKind`, or the number of a kind newer than this safetool."""
    time_s: int
    """The lock's clock, seconds since 1970-01-01 UTC."""
    value: int
    missed: int = 0

    @classmethod
    def from_wire(cls, received: LockEventReceived) -> EventSeen:
        event = received.event
        return cls(received.seq, event.kind, event.time_s, event.value, received.missed)
