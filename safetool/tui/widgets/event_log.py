"""The live event log: one line per lock event, newest at the bottom."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from safetool.services.lock_state import EventKind, EventSeen
from safetool.tui.i18n import ngettext
from safetool.tui.texts import event_text, event_time

ALARMING = {
    EventKind.WRONG_CODE,
    EventKind.LOCKOUT_STARTED,
    EventKind.HARD_LOCKOUT,
    EventKind.TAMPER,
    EventKind.LOW_BATTERY,
    EventKind.SESSION_REFUSED,
    EventKind.RECOVERY_REFUSED,
}


def event_line(received: EventSeen) -> Text:
    line = Text(f"{event_time(received)} ", style="dim")
    style = "bold red" if received.kind in ALARMING else ""
    line.append(event_text(received), style=style)
    if received.missed:
        missed = ngettext(
            " ({count} event missed)", " ({count} events missed)", received.missed
        ).format(count=received.missed)
        line.append(missed, style="yellow")
    return line


class EventLog(RichLog):
    def __init__(self, events: list[EventSeen], **kw: str) -> None:
        super().__init__(max_lines=500, min_width=20, wrap=True, markup=False, **kw)  # type: ignore[arg-type]
        self.events = events

    def on_mount(self) -> None:
        for received in self.events:
            self.write(event_line(received))

    def add(self, received: EventSeen) -> None:
        self.write(event_line(received))
