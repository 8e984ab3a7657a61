"""What the lock does, written to the audit trail: codes entered and their result, lockouts,
openings, the door, tamper, and power lost without a clean shutdown."""

from __future__ import annotations

from collections.abc import Callable

from firmware.audit import AuditTrail
from firmware.lock import Lock
from protocols.catalogue import EventKind

_CODE_RESULTS = {
    EventKind.CODE_ACCEPTED: "accepted",
    EventKind.WRONG_CODE: "wrong",
    EventKind.INPUT_BLOCKED: "blocked",
}
_LOCKOUTS = {
    EventKind.LOCKOUT_STARTED: "penalty",
    EventKind.HARD_LOCKOUT: "hard",
    EventKind.LOCKOUT_ENDED: "ended",
}
_OTHER = {
    EventKind.BOLT_RETRACTED: "bolt_retracted",
    EventKind.BOLT_EXTENDED: "bolt_extended",
    EventKind.DOOR_OPENED: "door_opened",
    EventKind.DOOR_CLOSED: "door_closed",
    EventKind.LOW_BATTERY: "low_battery",
}
RUNNING_KEY = "running"
"""Set in flash while the board runs and cleared on a clean shutdown: found set at boot, it
means the power went."""


def audit_tap(
    audit: AuditTrail, now: Callable[[], float], forward: Callable[[EventKind, int], None]
) -> Callable[[EventKind, int], None]:
    """An event sink that writes the event to ``audit`` and passes it on to ``forward``."""

    def emit(kind: EventKind, value: int) -> None:
        if kind in _CODE_RESULTS:
            audit.append(now(), "code_entered", result=_CODE_RESULTS[kind], value=value)
        elif kind in _LOCKOUTS:
            audit.append(now(), "lockout", state=_LOCKOUTS[kind], value=value)
        elif kind == EventKind.TAMPER:
            audit.append(now(), "tamper", open=bool(value))
        elif kind in _OTHER:
            audit.append(now(), _OTHER[kind], value=value)
        forward(kind, value)

    return emit


def note_power(lock: Lock, audit: AuditTrail) -> None:
    """At boot: record a power loss if the board did not shut down cleanly last time."""
    if lock.saved.service.get(RUNNING_KEY):
        audit.append(lock.trusted_rtc(), "power_loss", boot=lock.saved.boot_count)
    lock.saved.service[RUNNING_KEY] = True
    lock.commit()


def note_clean_shutdown(lock: Lock) -> None:
    lock.saved.service[RUNNING_KEY] = False
    lock.commit()
