"""Diagnose: pick checks (or all), run them in a worker, see each verdict as it finishes, and
the details and genuine part for the one under the cursor. Checks that need the technician
ask in dialogs (:class:`~safetool.tui.interaction.DialogInteraction`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, SelectionList, Static
from textual.widgets.selection_list import Selection
from textual.worker import Worker, WorkerState

from safetool.errors import SafetoolError
from safetool.services.diagnostics import CHECKS, CheckResult, DiagnosticReport
from safetool.tui import visit_log
from safetool.tui.diag_texts import VERDICT_STYLE, check_title, verdict_label
from safetool.tui.i18n import N_, _, current_language, ngettext
from safetool.tui.interaction import DialogInteraction
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.widgets.error_note import ErrorNote, explain
from safetool.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink


COLUMNS = ((N_("Check"), 22), (N_("Verdict"), 7), (N_("Part"), 11), (N_("Reading"), 14))
"""Result columns and their widths in cells (a part number is 11)."""


class DiagnoseScreen(SafetoolScreen):
    TITLE_TEXT = N_("Diagnose")
    HELP_TEXT = N_(
        "Pick the checks on the left (**Space** ticks one, **A** ticks all or none) and press "
        "**F5** to run them in a secure session (needs the *diagnose* qualification). Each "
        "verdict appears as its check finishes; the check under the cursor shows its details "
        "and the genuine part that fixes it.\n\nThe keypad, buzzer and LED checks need you at "
        "the lock: a dialog asks you to press every key, or whether you heard or saw it "
        "(**Y**/**N**).\n\nThe motor checks need the lock open (bolt retracted). **Esc** "
        "stops a run, or goes back. Once checks run, their results take the whole width; **S** "
        "shows the list of checks again."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("escape", "back", N_("Back / stop")),
        Binding("f5", "run", N_("Run checks")),
        Binding("a", "all", N_("All / none")),
        Binding("s", "choose", N_("Checks")),
    ]

    def __init__(self, link: LockLink, visits: Path | None = None) -> None:
        super().__init__()
        self.link = link
        self.visits = visits
        """The service record: a finished run goes into the visit open for the lock."""
        self.attached_to: int | None = None
        self.selected: list[str] = list(CHECKS)
        self.planned: list[str] = []
        self.results: dict[str, CheckResult] = {}
        self.report: DiagnosticReport | None = None
        self.running = False
        self.error: BaseException | None = None
        self.cursor_row = 0
        self.choosing = True
        """The list of checks is shown: before a run, or when asked for again (S)."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(self._status_text(), id="diag-status")
        with Horizontal(id="diag-body"):
            checks = SelectionList[str](
                *(Selection(check_title(n), n, n in self.selected) for n in CHECKS),
                id="diag-checks",
            )
            checks.border_title = _("Checks")
            yield checks
            with Vertical(id="diag-right"):
                table: DataTable[str | Text] = DataTable(id="diag-results", cursor_type="row")
                table.border_title = _("Results")
                yield table
                yield Static(id="diag-detail")
        yield ErrorNote(id="diag-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._setup()

    async def relabel(self) -> None:
        await super().relabel()
        self._setup()

    def _setup(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(_(label), width=width)
        for name in self.planned:
            self._add_row(table, name)
        if self.planned:
            table.move_cursor(row=min(self.cursor_row, len(self.planned) - 1))
        self._show_detail()
        self.query_one(ErrorNote).show_error(self.error)
        self._show_choice()

    def _show_choice(self) -> None:
        """At 80 columns the list and the results do not both fit: the results, once there
        are some, take the whole width unless the technician asks for the list (S)."""
        self.query_one("#diag-checks").display = self.choosing or not self.planned

    def action_choose(self) -> None:
        self.choosing = not self.choosing or not self.planned
        self._show_choice()
        if self.choosing:
            self.query_one(SelectionList).focus()
        else:
            self.query_one(DataTable).focus()

    # --- texts from state -------------------------------------------------------------------

    def _status_text(self) -> str:
        done, total = len(self.results), len(self.planned)
        if self.running:
            return ngettext(
                "Running: {done} of {total} check done. Esc stops.",
                "Running: {done} of {total} checks done. Esc stops.",
                total,
            ).format(done=done, total=total)
        if self.report is not None:
            failed = sum(r.verdict.value in ("warn", "fail") for r in self.results.values())
            if not failed:
                return _("Finished: nothing to fix.")
            return ngettext(
                "Finished: {count} check found a problem.",
                "Finished: {count} checks found a problem.",
                failed,
            ).format(count=failed)
        if total:
            return _("Stopped after {done} of {total} checks.").format(done=done, total=total)
        return _("Tick the checks to run (Space, A for all) and press F5.")

    def _cells(self, name: str) -> tuple[str | Text, ...]:
        result = self.results.get(name)
        if result is None:
            waiting = _("running…") if self.running and self._next() == name else "·"
            return (check_title(name), Text(waiting, style="dim"), "", "")
        worded = result.worded(current_language())
        value = "" if worded.value is None else f"{worded.value}"
        if result.unit and value:
            value = f"{value} {result.unit}"
        return (
            check_title(name),
            Text(verdict_label(result.verdict), style=VERDICT_STYLE[result.verdict]),
            result.part_number or "",
            value,
        )

    def _next(self) -> str | None:
        return next((n for n in self.planned if n not in self.results), None)

    def _add_row(self, table: DataTable[str | Text], name: str) -> None:
        table.add_row(*self._cells(name), key=name)

    def _update_row(self, name: str) -> None:
        table = self.query_one(DataTable)
        for column, cell in zip(table.columns, self._cells(name), strict=True):
            table.update_cell(name, column, cell, update_width=True)

    def _detail_text(self) -> Text:
        if not self.planned:
            return Text("")
        name = self.planned[min(self.cursor_row, len(self.planned) - 1)]
        result = self.results.get(name)
        text = Text(check_title(name), style="bold")
        if result is None:
            return text
        text.append(" · ")
        text.append(verdict_label(result.verdict), style=VERDICT_STYLE[result.verdict])
        worded = result.worded(current_language())
        if worded.detail:
            text.append("\n" + worded.detail)
        if result.part_number:
            text.append(
                "\n"
                + _("Part: {number} ({name})").format(
                    number=result.part_number, name=worded.part_name or ""
                )
            )
        if worded.next_step:
            text.append("\n" + _("Next: {step}").format(step=worded.next_step))
        return text

    def _show_detail(self) -> None:
        self.query_one("#diag-detail", Static).update(self._detail_text())

    def _show_status(self) -> None:
        self.query_one("#diag-status", Static).update(self._status_text())

    # --- picking ------------------------------------------------------------------------------

    def on_selection_list_selected_changed(
        self, message: SelectionList.SelectedChanged[str]
    ) -> None:
        chosen = set(message.selection_list.selected)
        self.selected = [name for name in CHECKS if name in chosen]

    def action_all(self) -> None:
        checks: SelectionList[str] = self.query_one(SelectionList)
        if len(self.selected) == len(CHECKS):
            checks.deselect_all()
        else:
            checks.select_all()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self.cursor_row = message.cursor_row
        self._show_detail()

    # --- running ------------------------------------------------------------------------------

    def action_run(self) -> None:
        if self.running:
            return
        if not self.selected:
            self.notify(_("Tick at least one check first."), severity="warning")
            return
        self.planned, self.results, self.report = list(self.selected), {}, None
        self.running, self.error, self.cursor_row = True, None, 0
        self.choosing = False
        self._show_choice()
        table = self.query_one(DataTable)
        table.clear()
        for name in self.planned:
            self._add_row(table, name)
        table.focus()
        self.query_one(ErrorNote).show_error(None)
        self._show_status()
        self._show_detail()
        self._run(list(self.planned))

    @work(group="diagnose", exclusive=True, exit_on_error=False)
    async def _run(self, checks: list[str]) -> DiagnosticReport:
        interaction = DialogInteraction(self.app, self.link)
        return await self.link.diagnose(checks, interaction, self._finished)

    def _finished(self, result: CheckResult) -> None:
        self.results[result.name] = result
        if not self.is_mounted:
            return
        self._update_row(result.name)
        following = self._next()
        if following is not None:
            self._update_row(following)
        self._show_status()
        self._show_detail()

    @work(group="diagnose-visit", exit_on_error=False)
    async def _keep_in_visit(self, visits: Path, report: DiagnosticReport) -> None:
        try:
            visit_id = await asyncio.to_thread(visit_log.attach_diagnostics, visits, report)
        except SafetoolError as error:
            self.notify(explain(error), title=_("Not kept in the visit"), severity="warning")
            return
        if visit_id is not None:
            self.attached_to = visit_id
            self.notify(_("Results kept in visit {id}.").format(id=visit_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "diagnose" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.running = False
        if event.state == WorkerState.SUCCESS:
            assert isinstance(worker.result, DiagnosticReport)
            self.report = worker.result
            if self.visits is not None:
                self._keep_in_visit(self.visits, worker.result)
        elif event.state == WorkerState.ERROR:
            self.error = worker.error
        self.query_one(ErrorNote).show_error(self.error)
        following = self._next()
        if following is not None:
            self._update_row(following)
        self._show_status()

    def action_back(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "diagnose")
            return
        self.app.pop_screen()
