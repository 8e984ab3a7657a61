"""F1: what this screen is for, and every key it answers to."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from safetool.tui.i18n import N_, _


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", N_("Close help")),
    ]

    def __init__(self, title: str, text: str, about: Screen[None]) -> None:
        super().__init__()
        self.help_title = title
        self.text = text
        self.about = about

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        seen: set[str] = set()
        own_keys = {
            b.key
            for b in [*type(self.app).BINDINGS, *type(self.about).BINDINGS]
            if isinstance(b, Binding)
        }
        for active in self.about.active_bindings.values():
            binding = active.binding
            ours = active.node in (self.about, self.app) and binding.key in own_keys
            if ours and binding.description and binding.action not in seen:
                seen.add(binding.action)
                keys.add_row(self.app.get_key_display(binding), binding.description)
        keys.add_row("ctrl+p", _("Command palette: every action, searchable"))
        body = Group(
            Text(self.help_title, style="bold"),
            Text(""),
            Markdown(self.text),
            Text(""),
            keys,
        )
        with VerticalScroll(id="help-body"):
            yield Static(body)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
