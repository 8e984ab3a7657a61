"""Visit: the service record of this call-out. Start (or take up) the visit for the connected
lock, record genuine parts from the model's list and notes, then close it with the
customer's sign-off and rating; the HTML report is written and its path shown.

The record is SQLite on this laptop (services/visits.py); each change is its own short
transaction, run in a thread worker with its own connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from safetool.errors import SafetoolError
from safetool.report.render import render_html, service_centre
from safetool.services.diagnostics.model_data import Part
from safetool.services.info import LockInfo
from safetool.services.visits import ServiceRecord
from safetool.tui.i18n import N_, _, current_language, ngettext
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.widgets.error_note import ErrorNote
from safetool.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from safetool.tui.backend import Backend, LockLink

T = TypeVar("T")
REPORT_LANGUAGE = {"en": "en", "zh_CN": "zh-CN"}
STARS = "★★★★★"


class VisitScreen(SafetoolScreen):
    TITLE_TEXT = N_("Visit")
    HELP_TEXT = N_(
        "The service record of this visit, kept on this laptop.\n\n1. Type the customer site "
        "and press **F5** to start the visit (a visit still open on this lock is taken up "
        "again).\n2. Pick a part from the model's list, its quantity, and press **F6** to "
        "record it; type a note and press **F7**.\n3. Ask the customer to rate the visit "
        "(1–5) and type their name, then **F8** closes the visit and writes the HTML report; "
        "its path is shown.\n\nMove between fields with **Tab**; **Esc** goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("escape", "back", N_("Back"), show=False),
        Binding("f5", "start", N_("Start")),
        Binding("f6", "add_part", N_("Part")),
        Binding("f7", "add_note", N_("Note")),
        Binding("f8", "close_visit", N_("Close")),
    ]

    def __init__(self, backend: Backend, link: LockLink) -> None:
        super().__init__()
        self.backend = backend
        self.link = link
        self.db_path = backend.data_folder / "visits.sqlite"
        self.reports = backend.data_folder / "reports"
        self.info: LockInfo | None = None
        self.parts: list[Part] = []
        self.visit: dict[str, Any] | None = None
        self.report_path: Path | None = None
        self.typed: dict[str, str] = {}
        self.chosen: dict[str, str] = {}
        self.error: BaseException | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="visit-body"):
            yield Static(self._status_text(), id="visit-status")
            yield self._input("visit-site", _("customer site"))
            with Horizontal(classes="visit-row"):
                yield Select[str](
                    [(f"{p.number} {p.name}", p.number) for p in self.parts],
                    prompt=_("part used"),
                    value=self.chosen.get("visit-part", Select.NULL),
                    id="visit-part",
                )
                yield self._input("visit-quantity", _("qty"), default="1")
            yield self._input("visit-note", _("note: what was found or done"))
            yield Static(self._record_text(), id="visit-record")
            with Horizontal(classes="visit-row"):
                yield Select[str](
                    [(f"{n} {STARS[:n]}", str(n)) for n in range(5, 0, -1)],
                    prompt=_("satisfaction 1–5"),
                    value=self.chosen.get("visit-rating", Select.NULL),
                    id="visit-rating",
                )
                yield self._input("visit-signoff", _("customer's name (sign-off)"))
            yield Static(self._report_text(), id="visit-report")
            yield ErrorNote(id="visit-error")
        yield KeyFooter()

    def _input(self, name: str, placeholder: str, default: str = "") -> Input:
        return Input(self.typed.get(name, default), placeholder=placeholder, id=name)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#visit-site", Input).focus()  # the first thing a visit needs
        self.query_one(ErrorNote).show_error(self.error)
        if self.info is None:
            self._load()

    # --- texts from state -------------------------------------------------------------------

    def _status_text(self) -> Text:
        visit = self.visit
        if self.info is None:
            return Text(_("Reading the lock…"))
        serial = self.info.identity.serial
        if visit is None:
            return Text(
                _("No visit open for {serial}. Type the customer site and press F5.").format(
                    serial=serial
                )
            )
        if visit["status"] == "closed":
            return Text(
                _("Visit {id} to {serial} is closed, signed off by {name}.").format(
                    id=visit["visit_id"], serial=serial, name=visit["signed_off_by"]
                ),
                style="bold green",
            )
        return Text(
            _("Visit {id} to {serial} at {site}, open since {started}.").format(
                id=visit["visit_id"],
                serial=serial,
                site=visit["customer_site"],
                started=visit["started_at"].replace("T", " ").rstrip("Z"),
            ),
            style="bold",
        )

    def _record_text(self) -> str:
        visit = self.visit
        if visit is None:
            return ""
        lines = [
            ngettext("{count} part used:", "{count} parts used:", len(visit["parts"])).format(
                count=len(visit["parts"])
            )
        ]
        lines += [
            f"  {p['quantity']} × {p['part_number']} {p['description']}" for p in visit["parts"]
        ]
        notes = [*visit["findings"], *visit["work_done"], *visit["notes"]]
        lines.append(
            ngettext("{count} note:", "{count} notes:", len(notes)).format(count=len(notes))
        )
        lines += [f"  {text}" for text in notes]
        return "\n".join(lines)

    def _report_text(self) -> str:
        if self.report_path is None:
            return ""
        return _("Report written: {path}").format(path=self.report_path)

    def _redraw(self) -> None:
        self.query_one("#visit-status", Static).update(self._status_text())
        self.query_one("#visit-record", Static).update(self._record_text())
        self.query_one("#visit-report", Static).update(self._report_text())
        self.query_one(ErrorNote).show_error(self.error)

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id:
            self.typed[message.input.id] = message.value

    def on_select_changed(self, message: Select.Changed) -> None:
        if message.select.id and isinstance(message.value, str):
            self.chosen[message.select.id] = message.value

    # --- the record, in workers ---------------------------------------------------------------

    async def _with_record(self, change: Callable[[ServiceRecord], T]) -> T:
        def run() -> T:
            with ServiceRecord(self.db_path) as record:
                return change(record)

        return await asyncio.to_thread(run)

    @work(group="visit", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        self.info = await self.link.read_info()
        self.parts = await self.link.model_parts()
        serial = self.info.identity.serial

        def open_visit(record: ServiceRecord) -> dict[str, Any] | None:
            for row in record.list_visits("open"):
                if row["lock_serial"] == serial:
                    return record.visit(int(row["id"]))
            return None

        self.visit = await self._with_record(open_visit)
        parts = self.query_one("#visit-part", Select)
        parts.set_options([(f"{p.number} {p.name}", p.number) for p in self.parts])

    def _technician_id(self) -> str:
        identity = self.backend.identity()
        if identity is None:
            raise SafetoolError(
                _("No technician folder is loaded."),
                next_step=_("Start the app with --technician DIR."),
            )
        return identity.technician_id

    def action_start(self) -> None:
        if self.info is None or (self.visit is not None and self.visit["status"] == "open"):
            self.app.bell()
            return
        self._start(self.typed.get("visit-site", "").strip())

    @work(group="visit", exclusive=True, exit_on_error=False)
    async def _start(self, site: str) -> None:
        assert self.info is not None
        identity = self.info.identity
        technician = self._technician_id()

        def start(record: ServiceRecord) -> dict[str, Any]:
            visit_id, _reopened = record.start(
                serial=identity.serial,
                site=site,
                technician=technician,
                model=identity.model,
                firmware_before=identity.firmware_version,
            )
            return record.visit(visit_id)

        self.visit, self.report_path = await self._with_record(start), None

    def _open_visit_id(self) -> int | None:
        if self.visit is None or self.visit["status"] != "open":
            self.notify(_("Start the visit first (F5)."), severity="warning")
            return None
        return int(self.visit["visit_id"])

    def action_add_part(self) -> None:
        visit_id = self._open_visit_id()
        number = self.chosen.get("visit-part")
        if visit_id is None:
            return
        quantity_text = self.typed.get("visit-quantity", "1").strip() or "1"
        if not number or not quantity_text.isdigit() or int(quantity_text) < 1:
            self.notify(_("Pick a part and a quantity of at least 1."), severity="warning")
            return
        part = next(p for p in self.parts if p.number == number)
        self._add_part(visit_id, part, int(quantity_text))

    @work(group="visit", exclusive=True, exit_on_error=False)
    async def _add_part(self, visit_id: int, part: Part, quantity: int) -> None:
        def add(record: ServiceRecord) -> dict[str, Any]:
            record.add_part(visit_id, part.number, quantity, str(part.name))
            return record.visit(visit_id)

        self.visit = await self._with_record(add)

    def action_add_note(self) -> None:
        visit_id = self._open_visit_id()
        text = self.typed.get("visit-note", "").strip()
        if visit_id is None:
            return
        if not text:
            self.notify(_("Type the note first."), severity="warning")
            return
        self._add_note(visit_id, text)

    @work(group="visit", exclusive=True, exit_on_error=False)
    async def _add_note(self, visit_id: int, text: str) -> None:
        def add(record: ServiceRecord) -> dict[str, Any]:
            record.add_note(visit_id, text)
            return record.visit(visit_id)

        self.visit = await self._with_record(add)
        self.typed["visit-note"] = ""
        self.query_one("#visit-note", Input).value = ""

    def action_close_visit(self) -> None:
        visit_id = self._open_visit_id()
        if visit_id is None:
            return
        name = self.typed.get("visit-signoff", "").strip()
        rating = self.chosen.get("visit-rating")
        if not name or rating is None:
            self.notify(
                _("Ask the customer for a rating (1–5) and their name first."),
                severity="warning",
            )
            return
        self._close(visit_id, name, int(rating))

    @work(group="visit", exclusive=True, exit_on_error=False)
    async def _close(self, visit_id: int, name: str, rating: int) -> None:
        language = REPORT_LANGUAGE.get(current_language(), "en")
        path = self.reports / f"visit-{visit_id}.html"

        def close(record: ServiceRecord) -> dict[str, Any]:
            record.close_visit(visit_id, signed_off_by=name, satisfaction=rating)
            visit = record.visit(visit_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            identity = self.backend.identity()
            centre = service_centre(identity.folder if identity is not None else None)
            path.write_text(render_html(visit, language, centre, identity), encoding="utf-8")
            return visit

        self.visit = await self._with_record(close)
        self.report_path = path

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "visit" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.error = worker.error if event.state == WorkerState.ERROR else None
        self._redraw()

    def action_back(self) -> None:
        self.app.pop_screen()
