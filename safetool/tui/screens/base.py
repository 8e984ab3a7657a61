"""What every screen of the app shares: translated key labels, F1 help, relabelling on a
language switch."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.binding import ActiveBinding, Binding, BindingType
from textual.screen import Screen

from safetool.tui.i18n import N_, _


class SafetoolScreen(Screen[None]):
    TITLE_TEXT: ClassVar[str] = ""
    """Shown in the header (marked with N_, translated when shown)."""
    HELP_TEXT: ClassVar[str] = ""
    """Markdown for F1 (marked with N_)."""
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "help", N_("Help"))]

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The bindings, with descriptions in the interface language (footer, palette, help)."""
        return {
            key: active._replace(
                binding=replace(active.binding, description=_(active.binding.description))
            )
            for key, active in super().active_bindings.items()
        }

    def title_text(self) -> str:
        return _(self.TITLE_TEXT)

    def on_mount(self) -> None:
        self.title = self.title_text()

    async def relabel(self) -> None:
        """The language changed: draw everything again from the screen's state."""
        self.title = self.title_text()
        await self.recompose()
        self.refresh_bindings()

    def action_help(self) -> None:
        from safetool.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.title_text(), _(self.HELP_TEXT), self))
