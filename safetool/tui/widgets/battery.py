"""Battery voltage now, and a sparkline of the last readings (the sag under motor load)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Sparkline, Static

from safetool.tui.i18n import _

LOW_MV = 4800


class Battery(Vertical):
    readings_mv: reactive[list[int]] = reactive(list, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static(id="battery-value")
        yield Sparkline([], id="battery-sparkline")

    def watch_readings_mv(self, readings: list[int]) -> None:
        if not self.is_mounted:
            return
        text = _("Battery {mv} mV").format(mv=readings[-1]) if readings else _("Battery")
        self.query_one("#battery-value", Static).update(text)
        self.query_one(Sparkline).data = list(readings) or [0]

    def on_mount(self) -> None:
        self.watch_readings_mv(self.readings_mv)
