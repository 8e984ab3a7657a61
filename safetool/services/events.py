"""Lock events and the lock's states as coded messages (safetool/messages), and events as
dictionaries for JSON. The one place that maps the wire's enums to message keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from safetool.messages import Message, as_dict, render
from safetool.services.lock_state import (
    BoltState,
    DoorState,
    EventKind,
    EventSeen,
    LockState,
    RefusalReason,
)

_REASON_IN_VALUE = {EventKind.SESSION_REFUSED, EventKind.RECOVERY_REFUSED}


def refusal_message(reason: int) -> Message:
    """Why the lock refused a session or a recovery, worded once for every front end."""
    try:
        return Message(f"refusal.{RefusalReason(reason).name.lower()}")
    except ValueError:
        return Message("refusal.unknown", {"reason": reason})


def event_message(kind: int, value: int) -> Message:
    """An event of ``kind`` with its ``value`` (SPEC.md gives each kind's value)."""
    try:
        known = EventKind(kind)
    except ValueError:
        return Message("event.unknown", {"kind": kind, "value": value})
    key = f"event.{known.name.lower()}"
    if known in _REASON_IN_VALUE:
        return Message(key, {"reason": refusal_message(value)})
    if known == EventKind.TAMPER:
        return Message(key, {"state": Message("tamper.opened" if value else "tamper.closed")})
    return Message(key, {"value": value})


def received_message(event: EventSeen) -> Message:
    return event_message(event.kind, event.value)


def lock_state_message(state: LockState) -> Message:
    return Message(f"lock_state.{state.name.lower()}")


def door_message(state: DoorState) -> Message:
    return Message(f"door.{state.name.lower()}")


def bolt_message(state: BoltState) -> Message:
    return Message(f"bolt.{state.name.lower()}")


def describe(event: EventSeen, language: str = "en") -> str:
    return render(received_message(event), language)


def event_dict(event: EventSeen) -> dict[str, Any]:
    message = received_message(event)
    return {
        "seq": event.seq,
        "kind": event.kind.name.lower() if isinstance(event.kind, EventKind) else int(event.kind),
        "time": datetime.fromtimestamp(event.time_s, UTC).isoformat(),
        "value": event.value,
        "text": render(message, "en"),
        "message": as_dict(message),
        "missed_before": event.missed,
    }
