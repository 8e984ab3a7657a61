"""What the app does during an open visit goes into it by itself: diagnostics results, the
audit trail downloaded, firmware installed (before → after) and a lockout recovery with its
close seal.

Each call finds the visit open for the lock's serial in ``visits.sqlite`` and records into it
through :class:`~safetool.services.visits.ServiceRecord`; with no visit open (or no service
record on this laptop yet) nothing is written and ``None`` comes back. Blocking (SQLite):
screens call these through ``asyncio.to_thread``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from safetool.services.audit import AuditReport, entry_dict
from safetool.services.diagnostics import DiagnosticReport
from safetool.services.firmware_install import InstallOutcome
from safetool.services.visits import ServiceRecord

VISITS_FILE = "visits.sqlite"


def open_visit(db_path: Path, serial: str) -> int | None:
    """The id of the visit open for ``serial``, or ``None``."""
    if not db_path.exists():
        return None
    with ServiceRecord(db_path) as record:
        return _open_id(record, serial)


def _open_id(record: ServiceRecord, serial: str) -> int | None:
    for row in record.list_visits("open"):
        if row["lock_serial"] == serial:
            return int(row["id"])
    return None


def attach_diagnostics(db_path: Path, report: DiagnosticReport) -> int | None:
    """Keep the run's results in the open visit (as ``safetool diag --json`` writes them)."""
    return _with_open_visit(
        db_path, report.serial, lambda r, v: r.attach_diagnostics(v, report.as_dict())
    )


def attach_audit(db_path: Path, report: AuditReport) -> int | None:
    """Keep the verdict and the last entries (as ``safetool audit --json`` writes them)."""
    document = {**report.as_dict(), "entries": [entry_dict(e) for e in report.entries]}
    return _with_open_visit(db_path, report.serial, lambda r, v: r.attach_audit(v, document))


def record_firmware(db_path: Path, outcome: InstallOutcome, work_note: str) -> int | None:
    """The firmware after the install (the visit holds what it found at its start as
    "before"), and a work note saying what was installed."""

    def record(service: ServiceRecord, visit_id: int) -> None:
        service.set_firmware_after(visit_id, outcome.version)
        service.add_note(visit_id, work_note, kind="work")

    return _with_open_visit(db_path, outcome.serial, record)


def record_recovery(db_path: Path, serial: str, counter: int, method: str, seal: str) -> int | None:
    """A recovery done, by its number on the lock (the one reference), how the service centre
    authorised it (``phone`` or ``online``) and the close seal read from the lock."""
    return _with_open_visit(db_path, serial, lambda r, v: r.add_recovery(v, counter, method, seal))


def _with_open_visit(
    db_path: Path, serial: str, change: Callable[[ServiceRecord, int], Any]
) -> int | None:
    if not db_path.exists():
        return None
    with ServiceRecord(db_path) as record:
        visit_id = _open_id(record, serial)
        if visit_id is None:
            return None
        change(record, visit_id)
        return visit_id
