"""The service-record database's schema, as numbered migrations (``PRAGMA user_version``).

Each migration runs in one transaction with the version bump, so a laptop that dies during an
upgrade is left at the old version, whole. Append new migrations; never edit a released one.
"""

from __future__ import annotations

import sqlite3

from safetool.errors import SafetoolError
from safetool.messages import Message

MIGRATIONS: tuple[str, ...] = (
    # 1: visits, their notes, parts, recoveries, diagnostic runs and checks, audit excerpts
    """
    CREATE TABLE visits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        lock_serial TEXT NOT NULL,
        lock_model TEXT NOT NULL DEFAULT '',
        customer_site TEXT NOT NULL,
        technician TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        firmware_before TEXT NOT NULL DEFAULT '',
        firmware_after TEXT NOT NULL DEFAULT '',
        satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
        satisfaction_comment TEXT NOT NULL DEFAULT '',
        signed_off_by TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX one_open_visit_per_lock ON visits (lock_serial) WHERE status = 'open';
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visit_id INTEGER NOT NULL REFERENCES visits (id),
        kind TEXT NOT NULL CHECK (kind IN ('finding', 'work', 'note')),
        text TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE TABLE parts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visit_id INTEGER NOT NULL REFERENCES visits (id),
        part_number TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        reason TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL
    );
    CREATE TABLE recoveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visit_id INTEGER NOT NULL REFERENCES visits (id),
        counter INTEGER NOT NULL,
        method TEXT NOT NULL,
        seal TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL
    );
    CREATE TABLE diagnostic_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visit_id INTEGER NOT NULL REFERENCES visits (id),
        attached_at TEXT NOT NULL,
        document TEXT NOT NULL
    );
    CREATE TABLE check_results (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER NOT NULL REFERENCES diagnostic_runs (id),
        name TEXT NOT NULL,
        verdict TEXT NOT NULL,
        value REAL,
        unit TEXT NOT NULL DEFAULT '',
        part_number TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit_excerpts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visit_id INTEGER NOT NULL REFERENCES visits (id),
        attached_at TEXT NOT NULL,
        verified INTEGER NOT NULL,
        signed INTEGER NOT NULL,
        findings TEXT NOT NULL,
        entries TEXT NOT NULL
    );
    """,
    # 2: each check's coded words (safetool/messages), so a report reads in any language
    """
    ALTER TABLE check_results ADD COLUMN codes TEXT NOT NULL DEFAULT '{}';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseTooNew(SafetoolError):
    pass


def migrate(db: sqlite3.Connection) -> int:
    """Bring ``db`` to :data:`SCHEMA_VERSION`; return the version it was at."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise DatabaseTooNew(
            Message("visits.db_too_new", {"found": found, "known": SCHEMA_VERSION}),
            meaning=Message("visits.db_too_new.meaning"),
            next_step=Message("visits.db_too_new.next"),
        )
    for version in range(found, SCHEMA_VERSION):
        script = MIGRATIONS[version]
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
