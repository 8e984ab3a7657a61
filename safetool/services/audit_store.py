"""This laptop's verified copy of each lock's audit trail: one SQLite file per serial.

Only entries that verified are kept, in one transaction per download, so a crash mid-download
leaves the previous copy whole. The copy is what the next download continues from (and what a
forged history on the lock is compared against).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from protocols.audit_messages import WireEntry
from safetool.services.datadir import data_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY,
    time_s INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    detail TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class StoredAuditEntry:
    entry: WireEntry
    hash: bytes


class AuditCopy:
    """The local copy for one serial. Use as a context manager (closes the database)."""

    def __init__(self, serial: str, directory: Path | None = None) -> None:
        folder = (directory or data_dir()) / "audit"
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", serial)
        self.path = folder / f"{safe}.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.executescript(SCHEMA)

    def __enter__(self) -> AuditCopy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def set_aside(self) -> Path:
        """Keep this copy under another name and start an empty one (the lock's trail started
        afresh: a new controller or a factory reset); return where the old copy went."""
        self.db.close()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = self.path.with_name(f"{self.path.stem}.until-{stamp}.sqlite")
        self.path.rename(kept)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(SCHEMA)
        return kept

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def last(self) -> StoredAuditEntry | None:
        row = self.db.execute(
            "SELECT idx, time_s, kind, detail, hash FROM entries ORDER BY idx DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _stored(row)

    def entries(self, from_index: int = 0) -> list[StoredAuditEntry]:
        rows = self.db.execute(
            "SELECT idx, time_s, kind, detail, hash FROM entries WHERE idx >= ? ORDER BY idx",
            (from_index,),
        ).fetchall()
        return [_stored(row) for row in rows]

    def add(self, entries: list[WireEntry], hashes: list[bytes], meta: dict[str, str]) -> None:
        """Keep verified ``entries`` (with their chain hashes) and ``meta``, all or nothing."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                [
                    (e.index, e.time_s, e.kind, e.detail_json.decode(), h)
                    for e, h in zip(entries, hashes, strict=True)
                ],
            )
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", sorted(meta.items()))


def _stored(row: tuple[int, int, int, str, bytes]) -> StoredAuditEntry:
    index, time_s, kind, detail, digest = row
    return StoredAuditEntry(WireEntry(index, time_s, kind, detail.encode()), bytes(digest))
