"""Dashboard: the lock at a glance, the technician's certificate, live events.

Events arrive from ``LockLink.events()`` in a worker; a second worker reads STATUS every few
seconds and at once after any event, so the UI thread never waits on the lock."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Header, Static

from safetool.errors import SafetoolError
from safetool.identity import IdentityError, TechnicianIdentity
from safetool.messages import Message as Coded
from safetool.messages import render
from safetool.services.clock import SKEW_THAT_MATTERS_S, skew_message
from safetool.services.firmware_status import FirmwareStatus
from safetool.services.lock_state import (
    ErrorCode,
    EventKind,
    EventSeen,
    LockIdentity,
    LockState,
    LockStatus,
)
from safetool.services.session import LockRefused
from safetool.tui.i18n import N_, _, current_language
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.widgets.battery import Battery
from safetool.tui.widgets.error_note import ErrorNote, explain, what_happened
from safetool.tui.widgets.event_log import EventLog
from safetool.tui.widgets.firmware_slots import FirmwareSlots
from safetool.tui.widgets.key_footer import KeyFooter
from safetool.tui.widgets.lock_panel import LockPanel
from safetool.tui.widgets.technician_card import TechnicianCard

if TYPE_CHECKING:
    from safetool.tui.backend import Backend, LockLink

STATUS_EVERY_S = 3.0
BATTERY_HISTORY = 60
QUIET_EVENTS = {EventKind.KEY_PRESS}


class DashboardScreen(SafetoolScreen):
    TITLE_TEXT = N_("Dashboard")
    HELP_TEXT = N_(
        "The lock at a glance. The state, battery, door and bolt update by themselves; the "
        "event log on the right shows what happens at the lock as it happens.\n\n"
        "**R** recovers a locked-out lock, **C** shows or changes the lock policy, **D** "
        "diagnoses, **A** reads the audit trail, **V** keeps the visit's record and report, "
        "**F** installs firmware (newer or older: the same steps), **X** disconnects. The "
        "firmware box shows what runs, the other slot, a trial waiting for its confirmation "
        "and the security floor."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("r", "recover", N_("Recover")),
        Binding("c", "config", N_("Policy")),
        Binding("d", "diagnose", N_("Diagnose")),
        Binding("f", "firmware", N_("Firmware")),
        Binding("a", "audit", N_("Audit")),
        Binding("v", "visit", N_("Visit")),
        Binding("x", "disconnect", N_("Disconnect")),
        Binding("f5", "refresh_status", N_("Refresh"), show=False),
    ]

    class Disconnect(Message):
        """Up to the app: close the link and go back to Connect."""

    class Navigate(Message):
        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where

    def __init__(self, backend: Backend, link: LockLink) -> None:
        super().__init__()
        self.backend = backend
        self.link = link
        self.identity: LockIdentity | None = None
        self.status: LockStatus | None = None
        self.lockout_until = 0.0
        self.battery_mv: list[int] = []
        self.events: list[EventSeen] = []
        self.technician: TechnicianIdentity | None = None
        self.technician_error: SafetoolError | None = None
        self.link_error: BaseException | None = None
        self.firmware: FirmwareStatus | None = None
        self.firmware_error: BaseException | None = None
        self.paused = False
        """The Firmware screen is open: the lock resets during an install, so the watchers
        stop and start again when the dashboard is back."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="dashboard-body"):
            with Vertical(id="dashboard-left"):
                panel = LockPanel(id="lock-panel")
                panel.border_title = _("Lock")
                panel.identity, panel.status = self.identity, self.status
                yield panel
                battery = Battery(id="battery")
                battery.readings_mv = self.battery_mv
                yield battery
                card = TechnicianCard(self.technician, self._technician_problem(), id="technician")
                card.border_title = _("Technician")
                yield card
            with Vertical(id="dashboard-right"):
                yield Static(id="hint")
                yield Static(id="clock-skew", classes="hidden")
                firmware = FirmwareSlots(id="dashboard-firmware")
                firmware.compact = True
                firmware.border_title = _("Firmware")
                firmware.border_subtitle = "F"
                firmware.status, firmware.problem = self.firmware, self._firmware_problem()
                yield firmware
                log = EventLog(self.events, id="event-log")
                log.border_title = _("Events")
                yield log
                yield ErrorNote(id="link-error")
        yield KeyFooter(drop_first=("config", "disconnect"))

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = self.link.port
        self._show_hint()
        self.query_one(ErrorNote).show_error(self.link_error, _("Connection:"))
        self._load_technician()
        self._start_watching()
        self.set_interval(1.0, self._tick)

    def _start_watching(self) -> None:
        self._watch_events()
        self._poll_status()
        self._read_firmware()

    def on_screen_resume(self) -> None:
        if not self.paused:
            return
        self.paused, self.link_error, self.identity = False, None, None
        self.query_one(ErrorNote).show_error(None)
        self._start_watching()

    async def relabel(self) -> None:
        await super().relabel()
        self.sub_title = self.link.port
        self._show_hint()

    # --- data from the lock, in workers ----------------------------------------------------

    def _technician_problem(self) -> str:
        return explain(self.technician_error) if self.technician_error else ""

    def _firmware_problem(self) -> str:
        error = self.firmware_error
        if error is None:
            return ""
        if isinstance(error, LockRefused) and error.code == ErrorCode.NOT_ALLOWED:
            return _("Needs a certificate with the firmware qualification.")
        return what_happened(error)

    def _load_technician(self) -> None:
        try:
            self.technician = self.backend.identity()
        except SafetoolError as error:
            self.technician_error = error
        card = self.query_one(TechnicianCard)
        card.identity, card.problem = self.technician, self._technician_problem()
        card.refresh(layout=True)

    @work(group="firmware-status", exclusive=True, exit_on_error=False)
    async def _read_firmware(self) -> None:
        if self.technician is None:
            self.firmware_error = self.technician_error or IdentityError(Coded("identity.none"))
        else:
            try:
                self.firmware, self.firmware_error = await self.link.firmware_status(), None
            except SafetoolError as error:
                self.firmware_error = error
        if self.is_mounted:
            panel = self.query_one(FirmwareSlots)
            panel.status, panel.problem = self.firmware, self._firmware_problem()
        if self.firmware_error is None:
            await self._read_clock()

    async def _read_clock(self) -> None:
        """Show how far off the lock's clock is when it matters (SPEC.md 12.6): beyond what a
        laptop may correct, it changes how the lock judges certificates."""
        try:
            offset = await self.link.clock_offset_s()
        except SafetoolError:
            return  # no 'diagnose', or the link is busy: the dashboard simply says nothing
        note = self.query_one("#clock-skew", Static)
        matters = abs(offset) > SKEW_THAT_MATTERS_S
        if matters:
            message = Coded("dashboard.clock_skew", {"skew": skew_message(offset)})
            note.update(render(message, current_language()))
        note.set_class(not matters, "hidden")

    @work(group="events", exit_on_error=False)
    async def _watch_events(self) -> None:
        try:
            async for received in self.link.events():
                if received.kind in QUIET_EVENTS:
                    continue
                self.events.append(received)
                del self.events[:-500]
                self.query_one(EventLog).add(received)
                self._poll_status_now()
        except SafetoolError as error:
            self._lost(error)

    @work(group="status", exit_on_error=False)
    async def _poll_status(self) -> None:
        try:
            if self.identity is None:
                info = await self.link.read_info()
                self.identity = info.identity
                self._show_status(info.status)
            while True:
                await asyncio.sleep(STATUS_EVERY_S)
                self._show_status(await self.link.status())
        except SafetoolError as error:
            self._lost(error)

    @work(group="status-now", exclusive=True, exit_on_error=False)
    async def _poll_status_now(self) -> None:
        await asyncio.sleep(0.05)  # let a burst of events settle
        try:
            self._show_status(await self.link.status())
        except SafetoolError as error:
            self._lost(error)

    def action_refresh_status(self) -> None:
        self._poll_status_now()
        self._read_firmware()

    # --- presentation ---------------------------------------------------------------------

    def _show_status(self, status: LockStatus) -> None:
        self.status = status
        self.lockout_until = time.monotonic() + status.lockout_seconds
        self.battery_mv = [*self.battery_mv, status.battery_mv][-BATTERY_HISTORY:]
        if not self.is_mounted:
            return
        panel = self.query_one(LockPanel)
        panel.identity, panel.status = self.identity, status
        panel.lockout_left_s = status.lockout_seconds
        self.query_one(Battery).readings_mv = self.battery_mv
        self._show_hint()

    def _tick(self) -> None:
        if self.status is not None and self.status.lock_state == LockState.PENALTY_LOCKOUT:
            left = int(self.lockout_until - time.monotonic() + 0.999)
            self.query_one(LockPanel).lockout_left_s = max(left, 0)

    def _show_hint(self) -> None:
        hint = self.query_one("#hint", Static)
        state = self.status.lock_state if self.status else None
        if state == LockState.HARD_LOCKOUT:
            hint.update(_("Hard lockout: only a service recovery opens this lock. Press R."))
            hint.set_class(True, "alarm")
        elif state == LockState.PENALTY_LOCKOUT:
            hint.update(_("Penalty lockout: the keypad is blocked until the countdown ends."))
            hint.set_class(True, "alarm")
        else:
            hint.update("")
            hint.set_class(False, "alarm")
        hint.display = bool(state in (LockState.HARD_LOCKOUT, LockState.PENALTY_LOCKOUT))

    def _lost(self, error: BaseException) -> None:
        self.link_error = error
        if self.is_mounted:
            self.query_one(ErrorNote).show_error(error, _("Connection:"))
        self.notify(explain(error), title=_("Connection lost"), severity="error")

    # --- navigation (up to the app) ---------------------------------------------------------

    def action_recover(self) -> None:
        self.post_message(self.Navigate("recover"))

    def action_config(self) -> None:
        self.post_message(self.Navigate("config"))

    def action_diagnose(self) -> None:
        self.post_message(self.Navigate("diagnose"))

    def action_firmware(self) -> None:
        self.paused = True
        for group in ("events", "status", "status-now", "firmware-status"):
            self.workers.cancel_group(self, group)
        self.post_message(self.Navigate("firmware"))

    def action_audit(self) -> None:
        self.post_message(self.Navigate("audit"))

    def action_visit(self) -> None:
        self.post_message(self.Navigate("visit"))

    def action_disconnect(self) -> None:
        self.post_message(self.Disconnect())
