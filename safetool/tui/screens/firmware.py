"""Firmware: the lock's slots and security floor, an image chosen, the pre-check with the
version change (or the refusal, why, and what would allow it), one confirmation, then the
install with progress (bytes/s, ETA), trial boot, health check and confirmation.

Newer or older is the same action with the same steps (docs/firmware.md). Everything that
talks to the lock runs in one worker group, cancelled by Esc at any moment: the install
service's resume and the lock's trial logic keep the lock as it was (an unconfirmed image is
reverted by the lock itself), and the screen reads the lock again to show where it stands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from safetool.messages import render
from safetool.services.firmware_image import (
    FirmwareImageError,
    FirmwareUsageError,
    Image,
    read_image,
)
from safetool.services.firmware_install import InstallOutcome, InstallPlan, InstallProgress
from safetool.services.firmware_status import FirmwareStatus
from safetool.tui import visit_log
from safetool.tui.firmware_texts import (
    STEPS,
    phase_text,
    rate_text,
    seconds_text,
    size_text,
    version_change,
)
from safetool.tui.i18n import N_, _, current_language
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.screens.confirm import ConfirmDialog
from safetool.tui.screens.file_dialog import ImageDialog
from safetool.tui.widgets.error_note import ErrorNote, explain, what_happened
from safetool.tui.widgets.firmware_slots import FirmwareSlots
from safetool.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink

WORK = "firmware"
STATUS = "firmware-status"
DRAW_EVERY_S = 0.1
AFTER_ACTIVATE = ("reboot", "health", "confirm")


class FirmwareScreen(SafetoolScreen):
    TITLE_TEXT = N_("Firmware")
    HELP_TEXT = N_(
        "The lock's firmware: what runs, the two slots, a trial waiting for its confirmation, "
        "and the security floor (images with a lower security counter cannot be installed).\n\n"
        "1. **O** chooses an image file; the pre-check runs at once and shows the version "
        "change (newer, older or the same: it is the same install), or why the lock would "
        "refuse it and what would allow it. Nothing is sent before you confirm.\n"
        "2. **I** installs, after one confirmation: the transfer (with speed and time left), "
        "the trial boot, the health check and the confirmation.\n\n"
        "**Esc** cancels at any moment: the lock keeps its old firmware (an image not yet "
        "confirmed is reverted by the lock itself), and installing again continues where it "
        "stopped. **F5** reads the lock again; **Esc** when idle goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("o", "choose_image", N_("Image")),
        Binding("i", "install", N_("Install")),
        Binding("f5", "reread", N_("Refresh")),
        Binding("escape", "cancel", N_("Cancel")),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self, link: LockLink, data_folder: Path, image_folder: Path) -> None:
        super().__init__()
        self.link = link
        self.visits = data_folder / visit_log.VISITS_FILE
        self.image_folder = image_folder
        self.status: FirmwareStatus | None = None
        self.status_error: BaseException | None = None
        self.image_path: Path | None = None
        self.image: Image | None = None
        self.plan: InstallPlan | None = None
        self.refusal: BaseException | None = None
        """The pre-check's refusal (or why the image could not be read)."""
        self.phase = ""
        """What runs now: precheck, a step of the install (firmware_texts.STEPS), or nothing."""
        self.done_bytes = 0
        self.total_bytes = 0
        self.rate_bytes_per_s: float | None = None
        self._rate_origin: tuple[float, int] | None = None
        self._drawn_at = 0.0
        self.outcome: InstallOutcome | None = None
        self.failure: BaseException | None = None
        self.cancelled_in = ""
        """The step Esc stopped, until the next install."""
        self.visit_id: int | None = None

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="firmware-body"):
            with Horizontal(id="firmware-top"):
                slots = FirmwareSlots(id="firmware-slots")
                slots.border_title = _("Lock firmware")
                slots.status = self.status
                slots.problem = self._status_problem()
                yield slots
                image = Static(self._image_text(), id="firmware-image")
                image.border_title = _("Image")
                yield image
            yield Static(self._plan_text(), id="firmware-plan")
            with Vertical(id="firmware-progress"):
                yield ProgressBar(total=self.total_bytes or None, show_eta=False, id="firmware-bar")
                yield Static(self._progress_text(), id="firmware-rate")
                yield Static(self._steps_text(), id="firmware-steps")
            yield Static(self._result_text(), id="firmware-result")
            yield ErrorNote(id="firmware-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._redraw()
        if self.status is None and not self.busy:
            self._read_status()

    async def relabel(self) -> None:
        await super().relabel()
        self._redraw()

    @property
    def busy(self) -> bool:
        return bool(self.phase)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy
        if action == "back":
            return not self.busy
        if action == "install":
            return None if self.busy or self.plan is None else True
        if action in ("choose_image", "reread"):
            return None if self.busy else True
        return True

    # --- texts from state -------------------------------------------------------------------

    def _status_problem(self) -> str:
        if self.status_error is None:
            return ""
        return what_happened(self.status_error)

    def _image_text(self) -> Text:
        if self.image is None:
            if self.image_path is not None and self.refusal is not None:
                return Text(self.image_path.name, style="red")
            return Text(_("No image chosen: press O."), style="dim")
        image = self.image
        assert self.image_path is not None
        text = Text(self.image_path.name + "\n", style="bold")
        text.append(
            _("{version} for {model}, revision {revisions}").format(
                version=image.version,
                model=image.model or "?",
                revisions=", ".join(image.hardware_revisions) or "?",
            )
            + "\n"
        )
        text.append(
            _("security counter {counter} · {size}").format(
                counter=image.security_counter if image.security_counter is not None else "?",
                size=size_text(image.total_size),
            )
        )
        if image.channel:
            text.append("\n" + _("channel: {channel}").format(channel=image.channel), "dim")
        return text

    def _plan_text(self) -> Text:
        if self.phase == "precheck":
            return Text(_("Pre-check: reading the image and the lock…"))
        if isinstance(self.refusal, (FirmwareImageError, FirmwareUsageError)):
            return Text(
                "✘ " + _("Refused by the pre-check: nothing was sent to the lock."), "bold red"
            )
        if self.refusal is not None:
            return Text(
                "✘ " + _("The pre-check could not finish: nothing was sent to the lock."),
                "bold red",
            )
        plan = self.plan
        if plan is None:
            return Text("")
        change = version_change(plan.installed_version, plan.new_version)
        text = Text()
        text.append("✔ " + _("Pre-check passed: {change}").format(change=change), "bold green")
        floor = _("security counter {counter}, floor {floor}").format(
            counter=plan.precheck.security_counter, floor=plan.precheck.floor
        )
        if plan.precheck.raises_floor:
            floor += "\n  " + _(
                "(raises the floor to {counter}: older releases cannot be installed afterwards)"
            ).format(counter=plan.precheck.security_counter)
        text.append("\n  ")
        if plan.finish_only:
            text.append(_("The image already runs on trial: only the health check and the "
                          "confirmation remain."))  # fmt: skip
        else:
            text.append(_("Into slot {slot}").format(slot=plan.target_slot))
            if plan.switch_back:
                kept = _("it still holds {version}: nothing to send once the lock proves it is "
                         "this image")  # fmt: skip
                text.append(" · " + kept.format(version=plan.new_version))
            if plan.delta_message is not None:  # a patch from the running image (issue 18)
                text.append("\n  " + render(plan.delta_message, current_language()).strip())
        text.append(
            " · " + _("battery {volts:.2f} V").format(volts=plan.battery_mv / 1000) + "\n  " + floor
        )
        if not self.busy and self.outcome is None:
            text.append("\n  " + _("Press I to install (you confirm once)."), "bold")
        return text

    def _progress_text(self) -> str:
        if self.phase != "transfer" or not self.total_bytes:
            return ""
        parts = [
            _("{done} of {total}").format(
                done=size_text(self.done_bytes), total=size_text(self.total_bytes)
            )
        ]
        rate = self.rate_bytes_per_s
        if rate:
            parts.append(rate_text(rate))
            left = (self.total_bytes - self.done_bytes) / rate
            parts.append(_("{time} left").format(time=seconds_text(left)))
        return " · ".join(parts)

    def _installing(self) -> bool:
        return self.phase in STEPS and self.phase != "precheck"

    def _steps_text(self) -> Text:
        """✔ pre-check  ✔ transfer  ▶ activate  · trial boot  · health check  · confirm"""
        text = Text()
        if self._installing():
            reached, mark = STEPS.index(self.phase), ("▶ ", "bold")
        elif self.outcome is not None:
            reached, mark = len(STEPS), ("", "")
        elif self.cancelled_in in STEPS:
            reached, mark = STEPS.index(self.cancelled_in), ("✘ ", "bold red")
        else:
            return text
        for index, step in enumerate(STEPS):
            if index:
                text.append("  ")
            label = phase_text(step)
            if index < reached:
                text.append("✔ " + label, "green")
            elif index == reached:
                text.append(mark[0] + label, mark[1])
            else:
                text.append("· " + label, "dim")
        return text

    def _result_text(self) -> Text:
        outcome = self.outcome
        if outcome is not None:
            text = Text()
            text.append(
                "✔ "
                + _("Installed {version} in slot {slot}, confirmed: {change}.").format(
                    version=outcome.version,
                    slot=outcome.slot,
                    change=self._change_done(),
                ),
                "bold green",
            )
            text.append(
                "\n  "
                + (render(outcome.health, current_language()) if outcome.health else "")
                + " · "
                + _("security floor {floor}").format(floor=outcome.security_floor)
                + " · "
                + _("{seconds:.1f} s").format(seconds=outcome.seconds)
            )
            if outcome.resumed_from:
                text.append(
                    " · " + _("resumed at byte {offset}").format(offset=outcome.resumed_from[-1])
                )
            if self.visit_id is not None:
                text.append("\n  " + _("Recorded in visit {id}.").format(id=self.visit_id), "dim")
            return text
        if self.cancelled_in in AFTER_ACTIVATE:
            return Text(
                "✘ "
                + _(
                    "Cancelled after the trial boot: the new image runs on trial and is not "
                    "confirmed, so the lock goes back to its old firmware by itself. Press I "
                    "to confirm it instead."
                ),
                "bold yellow",
            )
        if self.cancelled_in:
            return Text(
                "✘ "
                + _(
                    "Cancelled: nothing was installed and the lock keeps its firmware. Press I "
                    "to install again; it continues where it stopped."
                ),
                "bold yellow",
            )
        return Text("")

    def _change_done(self) -> str:
        plan = self.plan
        if plan is None:
            return ""
        return version_change(plan.installed_version, plan.new_version)

    def _redraw(self) -> None:
        slots = self.query_one(FirmwareSlots)
        slots.status, slots.problem = self.status, self._status_problem()
        self.query_one("#firmware-image", Static).update(self._image_text())
        self.query_one("#firmware-plan", Static).update(self._plan_text())
        self._draw_progress()
        result = self._result_text()
        shown = self.query_one("#firmware-result", Static)
        shown.update(result)
        shown.display = bool(result.plain)
        problem = self.refusal or self.failure
        self.query_one(ErrorNote).show_error(problem)
        self.refresh_bindings()

    def _draw_progress(self) -> None:
        box = self.query_one("#firmware-progress")
        box.display = self._installing() or self.outcome is not None or bool(self.cancelled_in)
        bar = self.query_one(ProgressBar)
        if self.outcome is not None:
            bar.update(total=1, progress=1)
        elif self.phase == "transfer" and self.total_bytes:
            bar.update(total=self.total_bytes, progress=self.done_bytes)
        elif self.phase in AFTER_ACTIVATE or self.phase == "activate":
            bar.update(total=1, progress=1)
        elif self.cancelled_in:
            done = self.total_bytes if self.cancelled_in in AFTER_ACTIVATE else self.done_bytes
            bar.update(total=max(self.total_bytes, 1), progress=done)
        else:
            bar.update(total=None, progress=0)
        self.query_one("#firmware-rate", Static).update(self._progress_text())
        self.query_one("#firmware-steps", Static).update(self._steps_text())

    # --- actions ----------------------------------------------------------------------------

    def action_choose_image(self) -> None:
        if self.busy:
            return
        suggested = self.image_path or self.image_folder
        self.app.push_screen(
            ImageDialog(_("Firmware image to install:"), suggested), self._image_chosen
        )

    def _image_chosen(self, path: Path | None) -> None:
        if path is None:
            return
        self.image_path, self.image, self.plan, self.refusal = path, None, None, None
        self.outcome, self.failure, self.cancelled_in, self.visit_id = None, None, "", None
        self._precheck(path)

    def action_reread(self) -> None:
        if self.busy:
            return
        if self.image_path is not None and self.outcome is None:
            self._precheck(self.image_path)
        else:
            self._read_status()

    def action_install(self) -> None:
        plan = self.plan
        if self.busy or plan is None or self.image is None:
            self.app.bell()
            return
        change = version_change(plan.installed_version, plan.new_version)
        question = _("Install firmware {version} on {serial}?\n{change}").format(
            version=plan.new_version, serial=plan.serial, change=change
        )
        if plan.precheck.raises_floor:  # the one thing an install cannot take back: say it again
            question += "\n" + _(
                "(raises the floor to {counter}: older releases cannot be installed afterwards)"
            ).format(counter=plan.precheck.security_counter)
        self.app.push_screen(
            ConfirmDialog(question, _("Y install · N or Esc: do not install")),
            self._confirmed,
        )

    def _confirmed(self, answer: bool | None) -> None:
        if answer and self.plan is not None and self.image is not None:
            self._install(self.image, self.plan)

    def action_cancel(self) -> None:
        if self.busy:
            self.workers.cancel_group(self, WORK)

    def action_back(self) -> None:
        if self.busy:
            return
        self.workers.cancel_group(self, STATUS)
        self.app.pop_screen()

    # --- work on the lock, in workers --------------------------------------------------------

    def _start(self, phase: str) -> None:
        self.phase = phase
        if self.is_mounted:
            self._redraw()

    @work(group=STATUS, exclusive=True, exit_on_error=False)
    async def _read_status(self) -> FirmwareStatus:
        return await self.link.firmware_status()

    @work(group=WORK, exclusive=True, exit_on_error=False)
    async def _precheck(self, path: Path) -> InstallPlan:
        self.workers.cancel_group(self, STATUS)
        self._start("precheck")
        self.image = await asyncio.to_thread(read_image, path)
        if self.is_mounted:
            self._redraw()
        return await self.link.plan_firmware(self.image, path.name)

    @work(group=WORK, exclusive=True, exit_on_error=False)
    async def _install(self, image: Image, plan: InstallPlan) -> InstallOutcome:
        self.outcome, self.failure, self.cancelled_in, self.visit_id = None, None, "", None
        self.done_bytes, self.total_bytes = 0, image.total_size
        self._rate_origin, self.rate_bytes_per_s = None, None
        self._start("health" if plan.finish_only else "transfer")
        return await self.link.install_firmware(image, plan, self._progress)

    def _progress(self, event: InstallProgress) -> None:
        phase_changed = event.phase != self.phase and event.phase in STEPS
        if event.phase == "transfer":  # the rate on the transfer's own clock (event.seconds)
            at = event.seconds
            origin = self._rate_origin
            if origin is None or event.done_bytes < self.done_bytes or at < origin[0]:
                self._rate_origin = origin = (at, event.done_bytes)  # a new (or resumed) stream
            started_at, started_with = origin
            if at - started_at > 0.3 and event.done_bytes > started_with:
                self.rate_bytes_per_s = (event.done_bytes - started_with) / (at - started_at)
            self.done_bytes, self.total_bytes = event.done_bytes, event.total_bytes
        if event.phase in STEPS:
            self.phase = event.phase
        if not self.is_mounted:
            return
        now = asyncio.get_running_loop().time()
        if phase_changed:
            self._redraw()
        elif now - self._drawn_at >= DRAW_EVERY_S:
            self._drawn_at = now
            self._draw_progress()

    @work(group="firmware-visit", exit_on_error=False)
    async def _record_in_visit(self, outcome: InstallOutcome, before: str) -> int | None:
        note = _("Firmware {change} installed in slot {slot} and confirmed.").format(
            change=version_change(before, outcome.version), slot=outcome.slot
        )
        return await asyncio.to_thread(visit_log.record_firmware, self.visits, outcome, note)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker, state = event.worker, event.state
        if state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == STATUS:
            if state == WorkerState.SUCCESS:
                assert isinstance(worker.result, FirmwareStatus)
                self.status, self.status_error = worker.result, None
            elif state == WorkerState.ERROR:
                self.status_error = worker.error
        elif worker.group == WORK:
            self._work_ended(worker, state)
        elif worker.group == "firmware-visit" and state == WorkerState.SUCCESS:
            self.visit_id = worker.result if isinstance(worker.result, int) else None
            if self.visit_id is not None:
                self.notify(_("Recorded in visit {id}.").format(id=self.visit_id))
        elif worker.group == "firmware-visit" and state == WorkerState.ERROR:
            problem = explain(worker.error) if worker.error else ""
            self.notify(problem, title=_("Not recorded in the visit"), severity="warning")
        if self.is_mounted:
            self._redraw()

    def _work_ended(self, worker: Worker[object], state: WorkerState) -> None:
        phase, self.phase = self.phase, ""
        if state == WorkerState.CANCELLED:
            if phase == "precheck":
                return
            # where the lock stands now: the plan is stale, so check again (and read the slots)
            self.cancelled_in, self.plan = phase, None
            if self.image_path is not None:
                self.call_later(self._recheck_after_cancel)
            return
        if phase == "precheck":
            if state == WorkerState.SUCCESS:
                assert isinstance(worker.result, InstallPlan)
                self.plan, self.refusal = worker.result, None
                self.status, self.status_error = worker.result.status, None
            else:
                self.plan, self.refusal = None, worker.error
                self._read_status()
            return
        if state == WorkerState.SUCCESS:
            assert isinstance(worker.result, InstallOutcome)
            self.outcome, self.failure = worker.result, None
            before = self.plan.installed_version if self.plan else ""
            self._record_in_visit(worker.result, before)
        else:
            self.failure = worker.error
        self._read_status()

    def _recheck_after_cancel(self) -> None:
        if self.image_path is None or self.busy:
            return
        cancelled = self.cancelled_in
        self._precheck(self.image_path)
        self.cancelled_in = cancelled
