"""The lock at a glance: identity, state, lockout countdown, door, bolt, temperature."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from safetool.messages.shown import visible
from safetool.services.lock_state import Alerts, LockIdentity, LockState, LockStatus
from safetool.tui.i18n import _
from safetool.tui.texts import bolt_text, door_text, duration, lock_state_text

_STATE_STYLE = {
    LockState.LOCKED: "bold green",
    LockState.UNLOCKED: "bold yellow",
    LockState.PENALTY_LOCKOUT: "bold red",
    LockState.HARD_LOCKOUT: "bold white on red",
}


class LockPanel(Static):
    # layout=True: the panel's height follows its rows (a lockout adds one, alerts another)
    identity: reactive[LockIdentity | None] = reactive(None, layout=True)
    status: reactive[LockStatus | None] = reactive(None, layout=True)
    lockout_left_s: reactive[int] = reactive(0)

    def render(self) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="ellipsis", no_wrap=True)
        identity, status = self.identity, self.status
        if identity is None:
            grid.add_row(_("Serial"), _("reading…"))
            return grid
        grid.add_row(_("Serial"), Text(visible(identity.serial), style="bold"))
        grid.add_row(_("Model"), Text(visible(f"{identity.model} ({identity.hardware_revision})")))
        grid.add_row(_("Firmware"), Text(visible(identity.firmware_version)))
        if status is None:
            return grid
        state = Text(lock_state_text(status.lock_state), _STATE_STYLE.get(status.lock_state, ""))
        grid.add_row(_("State"), state)
        if status.lock_state == LockState.PENALTY_LOCKOUT:
            grid.add_row(_("Lockout"), Text(duration(self.lockout_left_s), "bold red"))
        grid.add_row(_("Door / bolt"), f"{door_text(status.door)} / {bolt_text(status.bolt)}")
        grid.add_row(_("Temperature"), f"{status.temperature_dc / 10:.1f} °C")
        alerts = []
        if status.alerts & Alerts.TAMPER:
            alerts.append(_("tamper"))
        if status.alerts & Alerts.LOW_BATTERY:
            alerts.append(_("low battery"))
        if alerts:
            grid.add_row(_("Alerts"), Text(", ".join(alerts), "bold red"))
        return grid
