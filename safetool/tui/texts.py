"""Words for the lock's states and events in the interface language.

The services name things in English for the CLI and JSON; the app shows the same facts
through the catalogs. Templates use named placeholders so translators can move them."""

from __future__ import annotations

from datetime import UTC, datetime

from protocols.catalogue import BoltState, DoorState, EventKind, LockState, RefusalReason
from protocols.events import LockEventReceived
from safetool.tui.i18n import N_, _, ngettext

LOCK_STATE: dict[LockState, str] = {
    LockState.LOCKED: N_("locked"),
    LockState.UNLOCKED: N_("unlocked"),
    LockState.PENALTY_LOCKOUT: N_("penalty lockout"),
    LockState.HARD_LOCKOUT: N_("HARD LOCKOUT"),
    LockState.TIME_DELAY: N_("time delay"),
    LockState.OPENING_WINDOW: N_("opening window"),
}
DOOR: dict[DoorState, str] = {
    DoorState.CLOSED: N_("closed"),
    DoorState.OPEN: N_("open"),
    DoorState.UNKNOWN: N_("unknown"),
}
BOLT: dict[BoltState, str] = {
    BoltState.EXTENDED: N_("extended"),
    BoltState.RETRACTED: N_("retracted"),
    BoltState.MOVING: N_("moving"),
    BoltState.UNKNOWN: N_("unknown"),
}
EVENT: dict[EventKind, str] = {
    EventKind.POWER_ON: N_("powered on (boot {value})"),
    EventKind.KEY_PRESS: N_("key pressed"),
    EventKind.CODE_ACCEPTED: N_("code accepted (user slot {value})"),
    EventKind.WRONG_CODE: N_("wrong code ({value} in the current window)"),
    EventKind.INPUT_BLOCKED: N_("keypad input blocked ({value} s of lockout left)"),
    EventKind.LOCKOUT_STARTED: N_("penalty lockout started ({value} s)"),
    EventKind.LOCKOUT_ENDED: N_("penalty lockout ended"),
    EventKind.HARD_LOCKOUT: N_("HARD LOCKOUT after {value} penalty lockouts"),
    EventKind.BOLT_RETRACTED: N_("bolt retracted ({value} ms)"),
    EventKind.BOLT_EXTENDED: N_("bolt extended ({value} ms)"),
    EventKind.DOOR_OPENED: N_("door opened"),
    EventKind.DOOR_CLOSED: N_("door closed"),
    EventKind.LOW_BATTERY: N_("low battery ({value} mV)"),
    EventKind.TAMPER: N_("tamper switch changed ({value})"),
    EventKind.SESSION_OPENED: N_("secure session opened (certificate {value})"),
    EventKind.SESSION_REFUSED: N_("secure session refused ({value})"),
    EventKind.RECOVERED: N_("recovered (recovery {value})"),
    EventKind.RECOVERY_REFUSED: N_("recovery refused ({value})"),
}
REFUSAL: dict[RefusalReason, str] = {
    RefusalReason.NO_CHALLENGE: N_("the lock has no open challenge (ask for a new one)"),
    RefusalReason.WRONG_BOARD: N_("the authorisation is for another lock"),
    RefusalReason.WRONG_CHALLENGE: N_("the authorisation is for another challenge"),
    RefusalReason.WRONG_TECHNICIAN: N_("the authorisation was issued to another technician"),
    RefusalReason.OUTSIDE_WINDOW: N_(
        "the answer came too late after the challenge, by the lock's own count of time "
        "(ask for a new challenge)"
    ),
    RefusalReason.WRONG_RESPONSE: N_("the response code is wrong"),
    RefusalReason.BAD_SIGNATURE: N_("the authorisation is not signed by the service authority"),
    RefusalReason.LOCKED_OUT: N_("too many wrong answers: the lock paces answers for a while"),
    RefusalReason.CHALLENGE_USED_UP: N_("the challenge has no attempts left"),
}
POLICY_LABEL: dict[str, str] = {
    "wrong_codes": N_("Wrong codes before a lockout"),
    "window_s": N_("Counting window (s)"),
    "lockout_s": N_("Penalty lockout (s)"),
    "hard_after_lockouts": N_("Lockouts before a hard lockout"),
    "time_delay_s": N_("Time delay (s)"),
    "opening_window_s": N_("Opening window (s)"),
    "dual_control": N_("Dual control (0 or 1)"),
}


def event_text(received: LockEventReceived) -> str:
    body = received.event
    template = EVENT.get(body.kind)
    if template is None:
        return _("event {kind}").format(kind=int(body.kind))
    return _(template).format(value=body.value)


def event_time(received: LockEventReceived) -> str:
    return datetime.fromtimestamp(received.event.time_s, UTC).strftime("%H:%M:%S")


def attempts_left(count: int) -> str:
    return ngettext("{count} attempt left", "{count} attempts left", count).format(count=count)


def duration(seconds: int) -> str:
    minutes, rest = divmod(max(seconds, 0), 60)
    return _("{minutes}:{seconds:02d} min").format(minutes=minutes, seconds=rest)
