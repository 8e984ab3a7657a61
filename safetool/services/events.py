"""Lock events in words, for people, and as dictionaries, for JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from protocols.catalogue import EventKind
from protocols.events import LockEventReceived

_TEXT: dict[EventKind, str] = {
    EventKind.POWER_ON: "powered on (boot {value})",
    EventKind.KEY_PRESS: "key pressed",
    EventKind.CODE_ACCEPTED: "code accepted (user slot {value})",
    EventKind.WRONG_CODE: "wrong code ({value} in the current window)",
    EventKind.INPUT_BLOCKED: "keypad input blocked ({value} s of lockout left)",
    EventKind.LOCKOUT_STARTED: "penalty lockout started ({value} s)",
    EventKind.LOCKOUT_ENDED: "penalty lockout ended",
    EventKind.HARD_LOCKOUT: "HARD LOCKOUT after {value} penalty lockouts: service recovery needed",
    EventKind.BOLT_RETRACTED: "bolt retracted ({value} ms)",
    EventKind.BOLT_EXTENDED: "bolt extended ({value} ms)",
    EventKind.DOOR_OPENED: "door opened",
    EventKind.DOOR_CLOSED: "door closed",
    EventKind.LOW_BATTERY: "low battery ({value} mV)",
    EventKind.TAMPER: "tamper switch {tamper}",
}


def describe(event: LockEventReceived) -> str:
    body = event.event
    template = _TEXT.get(body.kind, "event {kind}")
    return template.format(
        value=body.value, kind=body.kind, tamper="opened" if body.value else "closed"
    )


def event_dict(event: LockEventReceived) -> dict[str, Any]:
    body = event.event
    return {
        "seq": event.seq,
        "kind": body.kind.name.lower(),
        "time": datetime.fromtimestamp(body.time_s, UTC).isoformat(),
        "value": body.value,
        "text": describe(event),
        "missed_before": event.missed,
    }
