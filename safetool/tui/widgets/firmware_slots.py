"""The lock's firmware at a glance: what runs (slot and version), the other slot, a trial
waiting for its confirmation, the security floor and the last install's outcome."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from safetool.services.firmware_status import FirmwareStatus
from safetool.tui.firmware_texts import (
    last_result_text,
    other_slot,
    running_text,
    slot_text,
    trial_text,
)
from safetool.tui.i18n import _


class FirmwareSlots(Static):
    status: reactive[FirmwareStatus | None] = reactive(None, layout=True)
    problem: reactive[str] = reactive("", layout=True)
    """Why the status could not be read (already in the interface language)."""
    compact: reactive[bool] = reactive(False, layout=True)
    """The dashboard's three lines; the Firmware screen shows both slots and the last install."""

    def render(self) -> RenderableType:
        status = self.status
        if status is None:
            if self.problem:
                return Text(self.problem, style="dim")
            return Text(_("reading…"), style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="ellipsis", no_wrap=not self.compact)
        grid.add_row(_("Running"), Text(running_text(status), style="bold"))
        if self.compact:
            other = other_slot(status)
            if other is not None:
                grid.add_row(_("Slot {slot}").format(slot=other.slot), slot_text(other))
        else:
            for slot in status.slots:
                mark = " ▶" if slot.slot == status.active_slot else ""
                grid.add_row(_("Slot {slot}").format(slot=slot.slot) + mark, slot_text(slot))
        trial = Text(trial_text(status), style="bold yellow" if status.trial_pending else "")
        if self.compact:
            line = Text.assemble(
                trial, "  ", (_("floor {floor}").format(floor=status.security_floor), "")
            )
            grid.add_row(_("Trial"), line)
            return grid
        grid.add_row(_("Trial"), trial)
        grid.add_row(_("Security floor"), str(status.security_floor))
        grid.add_row(_("Last install"), last_result_text(status))
        return grid
