"""The technician on this laptop: certificate name, qualifications and expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from safetool.identity import Qualification, TechnicianIdentity
from safetool.tui.i18n import N_, _

QUALIFICATION = {
    "diagnose": N_("diagnose"),
    "recover": N_("recover"),
    "firmware": N_("firmware"),
    "configure": N_("configure"),
}


def qualification_names(flags: Qualification) -> list[str]:
    return [_(QUALIFICATION.get(name, name)) for name in Qualification(flags).names()]


class TechnicianCard(Static):
    def __init__(self, identity: TechnicianIdentity | None, problem: str = "", **kw: str) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.identity = identity
        self.problem = problem

    def render(self) -> RenderableType:
        if self.problem:
            return Text(self.problem, style="red")
        if self.identity is None:
            return Text(_("No technician identity loaded (--technician DIR)."), style="dim")
        certificate = self.identity.certificate
        expires = datetime.fromtimestamp(certificate.not_after, UTC)
        expired = expires < datetime.now(UTC)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(_("Technician"), f"{certificate.name} ({certificate.subject_id})")
        grid.add_row(_("Qualified"), ", ".join(qualification_names(certificate.qualifications)))
        grid.add_row(
            _("Expires"),
            Text(expires.strftime("%Y-%m-%d"), style="bold red" if expired else ""),
        )
        return grid
