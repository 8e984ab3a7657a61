"""The service record: visits on this technician's laptop, in SQLite (docs/visits.md).

Every change is one transaction, committed (WAL, ``synchronous=FULL``) before the command
returns, so a laptop that dies mid-visit loses nothing already entered; the visit stays open and
``visit start`` on the same lock takes it up again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetool.errors import SafetoolError
from safetool.messages import Message
from safetool.services.datadir import data_dir
from safetool.services.visits_schema import migrate

EXPORT_SCHEMA = "safetool.visit/1"
VERDICTS = ("pass", "warn", "fail", "could_not_run")


class VisitError(SafetoolError):
    pass


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_db_path() -> Path:
    return data_dir() / "visits.sqlite"


def _unusable(path: Path, error: Exception) -> VisitError:
    """A visits database sqlite cannot use: damaged, not a database, or not writable."""
    text = str(error)
    values = {"path": str(path), "error": text}
    if "readonly" in text or "read-only" in text or isinstance(error, PermissionError):
        return VisitError(
            Message("visits.db_read_only", values),
            meaning=Message("visits.db_read_only.meaning"),
            next_step=Message("visits.db_read_only.next"),
        )
    return VisitError(
        Message("visits.db_damaged", values),
        meaning=Message("visits.db_damaged.meaning"),
        next_step=Message("visits.db_damaged.next"),
    )


class ServiceRecord:
    def __init__(self, path: Path | None = None, *, create_folder: bool = True) -> None:
        """Open (and migrate) the visits database at ``path`` (the data folder's by default).
        With ``create_folder`` false a missing folder is an error, not a new database: a
        mistyped ``--db`` must not silently start an empty record."""
        self.path = path or default_db_path()
        if not self.path.parent.is_dir():
            if not create_folder:
                raise VisitError(
                    Message("visits.no_folder", {"folder": str(self.path.parent)}),
                    meaning=Message("visits.no_folder.meaning"),
                    next_step=Message("visits.no_folder.next"),
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrate(self.db)
        except (sqlite3.DatabaseError, OSError) as error:
            raise _unusable(self.path, error) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ServiceRecord:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            raise _unusable(self.path, error) from None
        try:
            yield self.db
        except sqlite3.DatabaseError as error:
            self.db.execute("ROLLBACK")
            raise _unusable(self.path, error) from None
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- starting and finding visits ------------------------------------------------------------

    def start(
        self,
        *,
        serial: str,
        site: str,
        technician: str,
        model: str = "",
        firmware_before: str = "",
    ) -> tuple[int, bool]:
        """A new visit to ``serial``, or the one still open there; return (id, reopened)."""
        if not serial.strip() or not site.strip() or not technician.strip():
            raise VisitError(
                Message("visits.needs_fields"), next_step=Message("visits.needs_fields.next")
            )
        with self._transaction() as db:
            open_row = db.execute(
                "SELECT id FROM visits WHERE lock_serial = ? AND status = 'open'", (serial,)
            ).fetchone()
            if open_row is not None:
                return int(open_row["id"]), True
            cursor = db.execute(
                "INSERT INTO visits (lock_serial, lock_model, customer_site, technician, "
                "started_at, firmware_before) VALUES (?, ?, ?, ?, ?, ?)",
                (serial, model, site, technician, now_iso(), firmware_before),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid, False

    def resolve(self, visit_id: int | None) -> int:
        """``visit_id``, or the only open visit when none is given."""
        if visit_id is not None:
            self._visit_row(visit_id)
            return visit_id
        rows = self.db.execute("SELECT id FROM visits WHERE status = 'open'").fetchall()
        if len(rows) != 1:
            raise VisitError(
                Message("visits.none_open")
                if not rows
                else Message("visits.several_open", {"count": len(rows)}),
                next_step=Message("visits.give_id.next"),
            )
        return int(rows[0]["id"])

    def _visit_row(self, visit_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = None
        if 0 < visit_id < 2**63:  # sqlite's integers; a larger number is no visit either
            row = self.db.execute("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
        if row is None:
            raise VisitError(
                Message("visits.no_such", {"id": visit_id}),
                next_step=Message("visits.give_id.next"),
            )
        return row

    def _open_row(self, visit_id: int) -> sqlite3.Row:
        row = self._visit_row(visit_id)
        if row["status"] != "open":
            raise VisitError(
                Message("visits.closed", {"id": visit_id}),
                next_step=Message("visits.closed.next"),
            )
        return row

    # --- during the visit -----------------------------------------------------------------------

    def add_note(self, visit_id: int, text: str, kind: str = "note") -> None:
        if kind not in ("finding", "work", "note") or not text.strip():
            raise VisitError(Message("visits.note_needs_text"))
        self._open_row(visit_id)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO notes (visit_id, kind, text, added_at) VALUES (?, ?, ?, ?)",
                (visit_id, kind, text.strip(), now_iso()),
            )

    def add_part(
        self,
        visit_id: int,
        part_number: str,
        quantity: int,
        description: str = "",
        reason: str = "",
    ) -> None:
        if not part_number.strip() or quantity < 1:
            raise VisitError(
                Message("visits.part_needs_number"),
                next_step=Message("visits.part_needs_number.next"),
            )
        self._open_row(visit_id)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO parts (visit_id, part_number, description, quantity, reason, "
                "added_at) VALUES (?, ?, ?, ?, ?, ?)",
                (visit_id, part_number.strip(), description, quantity, reason, now_iso()),
            )

    def add_recovery(self, visit_id: int, counter: int, method: str, seal: str = "") -> None:
        self._open_row(visit_id)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO recoveries (visit_id, counter, method, seal, added_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (visit_id, counter, method, seal, now_iso()),
            )

    def attach_diagnostics(self, visit_id: int, document: Any) -> int:
        """Keep the diagnostics output as given, and its checks as rows; return checks kept."""
        self._open_row(visit_id)
        checks = extract_checks(document)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO diagnostic_runs (visit_id, attached_at, document) VALUES (?, ?, ?)",
                (visit_id, now_iso(), json.dumps(document, ensure_ascii=False)),
            )
            db.executemany(
                "INSERT INTO check_results (run_id, name, verdict, value, unit, part_number, "
                "detail, codes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        cursor.lastrowid,
                        c["name"],
                        c["verdict"],
                        c["value"],
                        c["unit"],
                        c["part_number"],
                        c["detail"],
                        json.dumps(c["codes"], ensure_ascii=False),
                    )
                    for c in checks
                ],
            )
        return len(checks)

    def attach_audit(self, visit_id: int, document: dict[str, Any], last: int = 50) -> int:
        """Keep an excerpt of ``safetool audit --json`` output: the verdict and the last
        ``last`` entries."""
        if not isinstance(document, dict) or "entries" not in document:
            raise VisitError(
                Message("visits.not_audit_output"),
                next_step=Message("visits.not_audit_output.next"),
            )
        self._open_row(visit_id)
        entries = list(document.get("entries", []))[-last:]
        with self._transaction() as db:
            db.execute(
                "INSERT INTO audit_excerpts (visit_id, attached_at, verified, signed, findings, "
                "entries) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    visit_id,
                    now_iso(),
                    int(bool(document.get("verified"))),
                    int(bool(document.get("signed"))),
                    json.dumps(document.get("findings", []), ensure_ascii=False),
                    json.dumps(entries, ensure_ascii=False),
                ),
            )
        return len(entries)

    def set_firmware_after(self, visit_id: int, version: str) -> None:
        self._open_row(visit_id)
        with self._transaction() as db:
            db.execute("UPDATE visits SET firmware_after = ? WHERE id = ?", (version, visit_id))

    def close_visit(
        self,
        visit_id: int,
        *,
        signed_off_by: str,
        satisfaction: int | None,
        comment: str = "",
        firmware_after: str | None = None,
    ) -> None:
        if not signed_off_by.strip():
            raise VisitError(
                Message("visits.needs_signoff"), next_step=Message("visits.needs_signoff.next")
            )
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            raise VisitError(Message("visits.rating_range"))
        row = self._open_row(visit_id)
        after = row["firmware_after"] if firmware_after is None else firmware_after
        with self._transaction() as db:
            db.execute(
                "UPDATE visits SET status = 'closed', ended_at = ?, signed_off_by = ?, "
                "satisfaction = ?, satisfaction_comment = ?, firmware_after = ? WHERE id = ?",
                (now_iso(), signed_off_by.strip(), satisfaction, comment, after, visit_id),
            )

    # --- reading --------------------------------------------------------------------------------

    def list_visits(self, status: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT id, lock_serial, customer_site, technician, started_at, ended_at, status "
        query += "FROM visits" + (" WHERE status = ?" if status else "") + " ORDER BY id"
        rows = self.db.execute(query, (status,) if status else ()).fetchall()
        return [dict(row) for row in rows]

    def visit(self, visit_id: int) -> dict[str, Any]:
        """The whole visit as one document: the export record (docs/visits.md)."""
        row = self._visit_row(visit_id)
        notes = self._rows("SELECT kind, text, added_at FROM notes WHERE visit_id = ?", visit_id)
        checks = self._rows(
            "SELECT c.name, c.verdict, c.value, c.unit, c.part_number, c.detail, c.codes "
            "FROM check_results c JOIN diagnostic_runs r ON c.run_id = r.id "
            "WHERE r.visit_id = ? ORDER BY c.id",
            visit_id,
        )
        for check in checks:
            check["codes"] = json.loads(check["codes"] or "{}")
        excerpt = self.db.execute(
            "SELECT verified, signed, findings, entries, attached_at FROM audit_excerpts "
            "WHERE visit_id = ? ORDER BY id DESC LIMIT 1",
            (visit_id,),
        ).fetchone()
        return {
            "schema": EXPORT_SCHEMA,
            "visit_id": row["id"],
            "status": row["status"],
            "lock": {"serial": row["lock_serial"], "model": row["lock_model"]},
            "customer_site": row["customer_site"],
            "technician": row["technician"],
            "started_at": row["started_at"],
            "ended_at": row["ended_at"],
            "findings": [n["text"] for n in notes if n["kind"] == "finding"],
            "work_done": [n["text"] for n in notes if n["kind"] == "work"],
            "notes": [n["text"] for n in notes if n["kind"] == "note"],
            "parts": self._rows(
                "SELECT part_number, description, quantity, reason FROM parts "
                "WHERE visit_id = ? ORDER BY id",
                visit_id,
            ),
            "firmware": {"before": row["firmware_before"], "after": row["firmware_after"]},
            "recoveries": self._rows(
                "SELECT counter, method, seal, added_at FROM recoveries WHERE visit_id = ? "
                "ORDER BY id",
                visit_id,
            ),
            "checks": checks,
            "audit": None
            if excerpt is None
            else {
                "verified": bool(excerpt["verified"]),
                "signed": bool(excerpt["signed"]),
                "findings": json.loads(excerpt["findings"]),
                "entries": json.loads(excerpt["entries"]),
                "attached_at": excerpt["attached_at"],
            },
            "satisfaction": {"rating": row["satisfaction"], "comment": row["satisfaction_comment"]},
            "signed_off_by": row["signed_off_by"],
        }

    def export_closed(self, since: str | None = None) -> Iterator[dict[str, Any]]:
        """Closed visits (ended at or after ``since``, an ISO date), oldest first."""
        rows = self.db.execute(
            "SELECT id FROM visits WHERE status = 'closed' AND ended_at >= ? ORDER BY ended_at",
            (since or "",),
        ).fetchall()
        for row in rows:
            record = self.visit(int(row["id"]))
            record.pop("status")
            yield record

    def _rows(self, query: str, visit_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(query, (visit_id,)).fetchall()]


def extract_checks(document: Any) -> list[dict[str, Any]]:
    """Check results from diagnostics output: a list of checks, or an object with ``checks``.
    Each check: ``name``, ``verdict`` and optionally ``value``, ``unit``, ``part_number`` (or
    ``part: {"number": ...}``), ``detail`` (or ``why``) and ``next_step`` (as ``safetool diag
    --json`` writes them)."""
    items = document.get("checks", []) if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise VisitError(
            Message("visits.not_diag_output"), next_step=Message("visits.not_diag_output.next")
        )
    checks = []
    for item in items:
        if not isinstance(item, dict) or "name" not in item:
            continue
        part = item.get("part")
        part_number = item.get("part_number") or (
            part.get("number", "") if isinstance(part, dict) else part or ""
        )
        value = item.get("value")
        said = [item.get("detail") or item.get("why"), item.get("next_step")]
        if value is not None and not isinstance(value, int | float):
            said.insert(0, str(value))  # a reading that is not a number (e.g. a version)
        detail = " — ".join(str(x) for x in said if x)
        checks.append(
            {
                "name": str(item["name"]),
                "verdict": str(item.get("verdict", "could_not_run")).lower(),
                "value": float(value) if isinstance(value, int | float) else None,
                "unit": str(item.get("unit") or ""),
                "part_number": str(part_number),
                "detail": detail,
                "codes": codes if isinstance(codes := item.get("codes"), dict) else {},
            }
        )
    return checks
