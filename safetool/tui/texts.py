"""Words for the lock's states and events in the interface language.

States, events and refusal reasons are coded messages worded once in safetool/messages;
the app renders them in its language. Its own labels go through the gettext catalogs."""

from __future__ import annotations

from datetime import UTC, datetime

from safetool.messages import Message, render
from safetool.services.events import (
    bolt_message,
    door_message,
    lock_state_message,
    received_message,
    refusal_message,
)
from safetool.services.lock_state import BoltState, DoorState, EventSeen, LockState
from safetool.tui.i18n import _, current_language, ngettext


def event_text(received: EventSeen) -> str:
    return render(received_message(received), current_language())


def said(message: Message) -> str:
    """A coded message (safetool/messages) in the interface language."""
    return render(message, current_language())


def lock_state_text(state: LockState) -> str:
    return said(lock_state_message(state))


def door_text(state: DoorState) -> str:
    return said(door_message(state))


def bolt_text(state: BoltState) -> str:
    return said(bolt_message(state))


def refusal_text(reason: int) -> str:
    return said(refusal_message(reason))


def event_time(received: EventSeen) -> str:
    """The lock's time of the event on this laptop's clock face (its local time zone)."""
    return datetime.fromtimestamp(received.time_s, UTC).astimezone().strftime("%H:%M:%S")


def attempts_left(count: int) -> str:
    return ngettext("{count} attempt left", "{count} attempts left", count).format(count=count)


def duration(seconds: int) -> str:
    minutes, rest = divmod(max(seconds, 0), 60)
    return _("{minutes}:{seconds:02d} min").format(minutes=minutes, seconds=rest)
