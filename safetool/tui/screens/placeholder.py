"""A screen of issue 8 whose service is still being built: says so, and what to use meanwhile."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Static

from safetool.tui.i18n import N_, _
from safetool.tui.screens.base import SafetoolScreen


class PlaceholderScreen(SafetoolScreen):
    HELP_TEXT = N_("This part of the app is not yet available. Esc goes back.")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", N_("Back"))]

    def __init__(self, title: str, waits_for: str) -> None:
        super().__init__()
        self.screen_title = title
        self.waits_for = waits_for

    def title_text(self) -> str:
        return _(self.screen_title)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(
            _("{screen}: not yet available.").format(screen=self.title_text())
            + "\n\n"
            + _(self.waits_for),
            id="placeholder-text",
        )
        yield Footer()

    def action_back(self) -> None:
        self.app.pop_screen()
