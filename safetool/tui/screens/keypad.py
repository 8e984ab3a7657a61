"""The keypad test: the technician presses every key once; each key lights up as the board
reports it. Enter (or every key seen) ends it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from safetool.services.diagnostics import KEYPAD_KEYS
from safetool.services.lock_state import EventKind
from safetool.tui.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink

KEY_ROWS = ("123", "456", "789", "*0#")


class KeypadDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,escape", "done", N_("Done")),
    ]

    def __init__(self, link: LockLink) -> None:
        super().__init__()
        self.link = link
        self.seen: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="keypad-box", classes="dialog"):
            yield Static(
                _("Press every key on the lock's keypad once. Enter when done."),
                id="keypad-instructions",
            )
            yield Static(self._keys(), id="keypad-keys")
            yield Static(self._count(), id="keypad-count")

    def on_mount(self) -> None:
        self._watch_keys()

    def _keys(self) -> Text:
        text = Text()
        for row in KEY_ROWS:
            for key in row:
                style = "bold reverse green" if key in self.seen else "dim"
                text.append(f" {key} ", style=style)
                text.append(" ")
            text.append("\n")
        return text

    def _count(self) -> str:
        missing = len(KEYPAD_KEYS) - len(self.seen)
        if not missing:
            return _("Every key registered.")
        return ngettext(
            "{count} key not registered yet.", "{count} keys not registered yet.", missing
        ).format(count=missing)

    @work(group="keypad", exit_on_error=False)
    async def _watch_keys(self) -> None:
        async for received in self.link.events():
            if received.kind == EventKind.KEY_PRESS and received.value:
                self.key_seen(chr(received.value))

    def key_seen(self, key: str) -> None:
        self.seen.add(key)
        self.query_one("#keypad-keys", Static).update(self._keys())
        self.query_one("#keypad-count", Static).update(self._count())

    def action_done(self) -> None:
        self.workers.cancel_group(self, "keypad")
        self.dismiss(None)
