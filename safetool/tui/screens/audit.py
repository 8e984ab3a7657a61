"""Audit: the lock's trail downloaded (only what is new) and verified in a worker, shown in a
table with filters (kind, time range, text), the chain's verification status, and export of
what is shown to CSV or JSON."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from safetool.errors import SafetoolError
from safetool.messages import render
from safetool.services.audit import AuditEntry, AuditReport
from safetool.tui import visit_log
from safetool.tui.audit_texts import audit_kind
from safetool.tui.audit_view import (
    AuditFilter,
    detail_text,
    export,
    kinds_in,
    parse_when,
    time_text,
    zone_text,
)
from safetool.tui.i18n import N_, _, current_language, ngettext
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.screens.file_dialog import ExportDialog
from safetool.tui.widgets.error_note import ErrorNote, explain
from safetool.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink

FILTER_INPUTS = ("audit-from", "audit-to", "audit-text")


class AuditScreen(SafetoolScreen):
    TITLE_TEXT = N_("Audit trail")
    HELP_TEXT = N_(
        "The lock's audit trail, downloaded in a secure session (only entries this laptop does "
        "not have yet) and checked: the hash chain must be complete and its head signed by the "
        "lock's device key.\n\nFilter with **Tab** through the fields: the kind, from and to "
        "(a date such as 2026-11-01, a UTC time 2026-11-01T09:30, or an age: 7d, 12h, 30m), "
        "and any text.\n\n**F5** downloads again, **F6** exports the entries shown (a name "
        "ending in .json writes JSON, otherwise CSV), **Esc** goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("escape", "back", N_("Back")),
        Binding("f5", "download", N_("Download")),
        Binding("f6", "export", N_("Export")),
    ]

    def __init__(self, link: LockLink, exports: Path, visits: Path | None = None) -> None:
        super().__init__()
        self.link = link
        self.exports = exports
        self.visits = visits
        """The service record: a verified download goes into the visit open for the lock."""
        self.attached_to: int | None = None
        self.report: AuditReport | None = None
        self.filter = AuditFilter()
        self.typed: dict[str, str] = {}
        self.busy = False
        self.error: BaseException | None = None
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="audit-filters"):
            kinds = kinds_in(self.report.entries) if self.report else []
            yield Select[str](
                [(audit_kind(kind), kind) for kind in kinds],
                prompt=_("every kind"),
                value=self.filter.kind or Select.NULL,
                id="audit-kind",
            )
            for name, placeholder in zip(
                FILTER_INPUTS, (_("from"), _("to"), _("text")), strict=True
            ):
                yield Input(self.typed.get(name, ""), placeholder=placeholder, id=name)
        yield Static(self._status_text(), id="audit-status")
        yield DataTable[str | Text](id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static(self._count_text(), id="audit-count")
        yield ErrorNote(id="audit-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._setup()
        if self.report is None:
            self.action_download()

    async def relabel(self) -> None:
        await super().relabel()
        self._setup()

    def _setup(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", _("Time ({zone})").format(zone=zone_text()), _("Kind"), _("Detail"))
        self._redraw()

    # --- texts from state -------------------------------------------------------------------

    def _shown(self) -> list[AuditEntry]:
        if self.report is None:
            return []
        wanted = replace(self.filter, language=current_language())
        return [entry for entry in self.report.entries if wanted.keeps(entry)]

    def _status_text(self) -> Text:
        report = self.report
        if self.busy:
            return Text(_("Downloading and verifying the audit trail…"))
        if report is None:
            return Text("")
        if report.verified:
            how = (
                _("verified: the hash chain is complete and signed by the lock")
                if report.signed
                else _("verified: the hash chain is complete, but its head is NOT signed")
            )
            text = Text("✔ " + how, style="bold green")
        else:
            text = Text(
                "✘ "
                + _(
                    "VERIFICATION FAILED: this trail was tampered with. Do not rely on it; "
                    "report the lock's serial to the service centre."
                ),
                style="bold red",
            )
        for finding in report.findings:
            where = "" if finding.index is None else f" [{finding.index}]"
            said = render(finding.message, current_language())
            text.append(f"\n{where} {said}", style="red" if finding.tampering else "")
        return text

    def _count_text(self) -> str:
        if self.report is None:
            return ""
        shown, total = len(self._shown()), len(self.report.entries)
        line = ngettext(
            "{shown} of {total} entry shown.", "{shown} of {total} entries shown.", total
        ).format(shown=shown, total=total)
        if self.written is not None:
            line += " " + _("Exported to {path}").format(path=self.written)
        return line

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for entry in self._shown():
            table.add_row(
                str(entry.index),
                time_text(entry.time_s),
                audit_kind(entry.kind_name),
                detail_text(entry, current_language()),
                key=str(entry.index),
            )
        self.query_one("#audit-count", Static).update(self._count_text())

    def _redraw(self) -> None:
        self.query_one("#audit-status", Static).update(self._status_text())
        self.query_one(ErrorNote).show_error(self.error)
        self._fill()

    # --- filters ------------------------------------------------------------------------------

    def on_select_changed(self, message: Select.Changed) -> None:
        value = message.value
        kind = value if isinstance(value, str) else ""
        self._set_filter(kind=kind)

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id not in FILTER_INPUTS:
            return
        self.typed[message.input.id] = message.value
        fields = {"audit-from": "since_s", "audit-to": "until_s"}
        if message.input.id in fields:
            try:
                when = parse_when(message.value)
            except ValueError:
                message.input.set_class(True, "-invalid")
                return
            message.input.set_class(False, "-invalid")
            self._set_filter(**{fields[message.input.id]: when})
        else:
            self._set_filter(text=message.value.strip())

    def _set_filter(self, **changes: str | int | None) -> None:
        self.filter = replace(self.filter, **changes)  # type: ignore[arg-type]
        self._fill()

    # --- download and export ------------------------------------------------------------------

    def action_download(self) -> None:
        if self.busy:
            return
        self.busy, self.error = True, None
        self.query_one("#audit-status", Static).update(self._status_text())
        self._download()

    @work(group="audit", exclusive=True, exit_on_error=False)
    async def _download(self) -> AuditReport:
        return await self.link.download_audit()

    @work(group="audit-visit", exit_on_error=False)
    async def _keep_in_visit(self, visits: Path, report: AuditReport) -> None:
        try:
            visit_id = await asyncio.to_thread(visit_log.attach_audit, visits, report)
        except SafetoolError as error:
            self.notify(explain(error), title=_("Not kept in the visit"), severity="warning")
            return
        if visit_id is not None:
            self.attached_to = visit_id
            self.notify(_("Audit trail kept in visit {id}.").format(id=visit_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "audit" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            return
        self.busy = False
        if event.state == WorkerState.SUCCESS:
            assert isinstance(worker.result, AuditReport)
            self.report = worker.result
            kinds = kinds_in(self.report.entries)
            self.query_one(Select).set_options([(audit_kind(kind), kind) for kind in kinds])
            if self.visits is not None:
                self._keep_in_visit(self.visits, worker.result)
        if event.state == WorkerState.ERROR:
            self.error = worker.error
        self._redraw()

    def action_export(self) -> None:
        report = self.report
        if report is None:
            self.app.bell()
            return
        stamp = time.strftime("%Y%m%d-%H%M", time.gmtime())
        suggested = self.exports / f"audit-{report.serial}-{stamp}.csv"

        def write(path: Path | None) -> None:
            if path is None:
                return
            try:
                export(report, self._shown(), path)
            except OSError as error:
                self.notify(
                    _("Cannot write {path}: {error}").format(path=path, error=error.strerror),
                    severity="error",
                )
                return
            self.written = path
            self.query_one("#audit-count", Static).update(self._count_text())
            self.notify(_("Exported to {path}").format(path=path))

        self.app.push_screen(
            ExportDialog(_("Export the entries shown to (.csv or .json):"), suggested), write
        )

    def action_back(self) -> None:
        self.workers.cancel_group(self, "audit")
        self.app.pop_screen()
