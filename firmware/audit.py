"""The board's audit trail: every security-relevant act, in a hash chain, durable across power cuts.

Entry ``i``'s hash is SHA-256 over the previous hash and the entry's canonical bytes (SPEC.md
section 17; the same bytes travel in AUDIT_READ). The trail holds at most
:data:`CAPACITY_ENTRIES`; when full, the oldest :data:`SECTOR_ENTRIES` are erased at once (a
flash sector) and the hash before the first kept entry is kept as ``start_hash``, so the rest
still verifies. At least 10,240 entries are always kept once the trail has filled.

Stored as JSON lines: a header line ``{"v": 1, "first": index, "start": hex}`` and one line per
entry ``{"i", "t", "k", "d", "h"}`` (index, time, kind, canonical detail JSON, hash hex). A torn
last line (power cut mid-write) is dropped on load; everything before it stands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.flash import PowerCut
from protocols.audit_messages import (
    CHECK_SIZE,
    GENESIS_HASH,
    MAX_DETAIL_BYTES,
    AuditKind,
    WireEntry,
    canonical_detail,
    chain_hash,
    kind_code,
)

AUDIT_FILE = "audit.jsonl"
REFUSALS_PER_MINUTE = 10
"""Refusal entries written per minute; more are counted into one ``refusals_repeated``."""
SECTOR_ENTRIES = 256
CAPACITY_ENTRIES = 10_240 + SECTOR_ENTRIES
MAX_ENTRIES = CAPACITY_ENTRIES


@dataclass(slots=True)
class StoredEntry:
    index: int
    time_s: int
    kind: str
    detail_json: bytes
    hash: bytes

    def wire(self) -> WireEntry:
        code = int(kind_code(self.kind))
        return WireEntry(self.index, self.time_s, code, self.detail_json, self.hash[:CHECK_SIZE])

    def as_dict(self) -> dict[str, Any]:
        detail = json.loads(self.detail_json)
        return {
            **detail,
            "n": self.index,
            "index": self.index,
            "time": self.time_s,
            "kind": self.kind,
            "hash": self.hash.hex(),
        }

    def line(self) -> str:
        return json.dumps(
            {
                "i": self.index,
                "t": self.time_s,
                "k": self.kind,
                "d": self.detail_json.decode(),
                "h": self.hash.hex(),
            },
            ensure_ascii=False,  # pragma: no mutate (None is as false)
        )


def _detail_bytes(kind: str, detail: dict[str, Any]) -> bytes:
    if kind_code(kind) is AuditKind.OTHER:
        detail = {**detail, "kind": kind}
    data = canonical_detail(detail)
    if len(data) > MAX_DETAIL_BYTES:
        cut = data[: MAX_DETAIL_BYTES - 64].decode(errors="ignore")
        short = {"truncated": cut} if kind_code(kind) is not AuditKind.OTHER else {"kind": kind}
        data = canonical_detail(short)
    return data


class AuditTrail:
    def __init__(self, directory: Path | None, *, capacity: int = CAPACITY_ENTRIES) -> None:
        self.path = None if directory is None else directory / AUDIT_FILE
        self.capacity = capacity
        self.first_index = 0
        self.start_hash = GENESIS_HASH
        self._entries: list[StoredEntry] = []
        # The first refusal sets both (its minute, never below 0, is not -1): any start serves.
        self._refusal_minute = -1  # pragma: no mutate (see above)
        self._refusals_written = 0  # pragma: no mutate (see above)
        self._held: dict[str, int] = {}
        """Refusals counted this minute beyond the limit, by kind and request (or reason)."""
        self.power_cut_hook: Callable[[], bool] | None = None
        """Counts each append as a flash operation; ``True`` if power fails during it: then
        only part of the entry reaches the file (a torn line) and :class:`PowerCut` is raised."""
        self.repaired = 0
        """Lines dropped when the trail was read back (torn by a power cut): the board records
        it in an entry of its own, then sets this back to 0."""
        if self.path is not None and self.path.exists():
            self._load(self.path)

    # --- reading -------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Entries ever written: the next entry's index (one past the newest held)."""
        return self._entries[-1].index + 1 if self._entries else self.first_index

    @property
    def head_hash(self) -> bytes:
        return self._entries[-1].hash if self._entries else self.start_hash

    def stored(self, start_index: int = 0) -> list[StoredEntry]:
        """The entries held from ``start_index`` on (from the oldest held if that is gone)."""
        return self._entries[max(0, start_index - self.first_index) :]

    def entries(self, last: int | None = None) -> list[dict[str, Any]]:
        chosen = self._entries if last is None else self._entries[-last:]
        return [entry.as_dict() for entry in chosen]

    # --- writing -------------------------------------------------------------------------------

    def append(self, time_s: float, kind: str, **detail: Any) -> dict[str, Any]:
        """Write an entry. Refusals (kinds ending ``_refused``) beyond
        :data:`REFUSALS_PER_MINUTE` in a minute are counted instead, and written as one
        ``refusals_repeated`` entry before the next other entry or minute, so nobody on the
        port can push what matters out of the trail with refused requests (SPEC.md 17.1)."""
        if kind.endswith("_refused"):
            minute = int(time_s // 60)  # pragma: no mutate (`/`: int() floors it as well)
            if minute != self._refusal_minute:
                self.flush_refusals(time_s)
                self._refusal_minute, self._refusals_written = minute, 0
            if self._refusals_written >= REFUSALS_PER_MINUTE:
                key = f"{kind}:{detail.get('request') or detail.get('reason') or ''}"
                self._held[key] = self._held.get(key, 0) + 1
                return {}
            self._refusals_written += 1
        else:
            self.flush_refusals(time_s)
        entry = self._make(int(time_s), kind, detail)
        self._add([entry])
        return entry.as_dict()

    def flush_refusals(self, time_s: float) -> None:
        """Write the refusals counted but not written, as one ``refusals_repeated`` entry."""
        if not self._held:
            return
        held, self._held = self._held, {}
        entry = self._make(int(time_s), "refusals_repeated", {"counts": dict(sorted(held.items()))})
        self._add([entry])

    def append_many(self, items: list[tuple[float, str, dict[str, Any]]]) -> int:
        """Append several entries with one write (the side channel's fill for benchmarks)."""
        made: list[StoredEntry] = []
        for time_s, kind, detail in items:
            made.append(self._make(int(time_s), kind, detail, previous=made))
        self._add(made)
        return len(made)

    def _make(
        self,
        time_s: int,
        kind: str,
        detail: dict[str, Any],
        previous: list[StoredEntry] | None = None,
    ) -> StoredEntry:
        index = self.count + len(previous or [])
        prior = previous[-1].hash if previous else self.head_hash
        detail_json = _detail_bytes(kind, detail)
        time_s = max(0, min(time_s, 0xFFFFFFFF))
        wire = WireEntry(index, time_s, int(kind_code(kind)), detail_json)
        return StoredEntry(index, time_s, kind, detail_json, chain_hash(prior, wire.canonical()))

    def _continuing(self, record: dict[str, Any]) -> StoredEntry | None:
        """``record`` as the next entry of the trail, or ``None`` if it is damaged or does not
        continue the chain (a fragment, or a line written after one)."""
        try:
            entry = StoredEntry(
                int(record["i"]),
                int(record["t"]),
                str(record["k"]),
                str(record["d"]).encode(),
                bytes.fromhex(record["h"]),
            )
            wire = WireEntry(
                entry.index, entry.time_s, int(kind_code(entry.kind)), entry.detail_json
            )
        except (KeyError, TypeError, ValueError):
            return None
        if entry.index != self.count or chain_hash(self.head_hash, wire.canonical()) != entry.hash:
            return None
        return entry

    def _add(self, made: list[StoredEntry]) -> None:
        self._entries.extend(made)
        if len(self._entries) > self.capacity:  # pragma: no mutate (`>=` rewrites the same)
            while len(self._entries) > self.capacity:
                erased = self._entries[:SECTOR_ENTRIES]
                del self._entries[:SECTOR_ENTRIES]
                self.first_index = erased[-1].index + 1
                self.start_hash = erased[-1].hash
            self.rewrite()
            return
        if self.path is None:
            return
        new_file = not self.path.exists()
        text = "".join(entry.line() + "\n" for entry in made)
        cut = self.power_cut_hook is not None and self.power_cut_hook()
        with open(self.path, "a", encoding="utf-8") as handle:  # pragma: no mutate (a codec name)
            if new_file:
                handle.write(self._header() + "\n")
            handle.write(text[: len(text) // 2] if cut else text)  # pragma: no mutate (any tear)
            handle.flush()
            os.fsync(handle.fileno())
        if cut:  # what is in RAM is gone with the power; the next boot reads the file back
            raise PowerCut("power cut while appending to the audit trail")  # pragma: no mutate

    def rewrite(self) -> None:
        """Write the whole trail anew (after a sector erase, or a tamper from the side channel)."""
        if self.path is None:
            return
        temporary = self.path.with_suffix(".tmp")  # pragma: no mutate (any name serves)
        with open(temporary, "w", encoding="utf-8") as handle:  # pragma: no mutate (a codec name)
            handle.write(self._header() + "\n")
            handle.write("".join(entry.line() + "\n" for entry in self._entries))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def _header(self) -> str:
        return json.dumps({"v": 1, "first": self.first_index, "start": self.start_hash.hex()})

    # --- loading -------------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        """Read the trail back. A power cut can tear the line being written; a line that does
        not parse, or whose entry does not continue the chain, is dropped (never what follows
        it), the file is written anew without it, and :attr:`repaired` says how many went, for
        the board to record in its next entry (SPEC.md 17.1)."""
        data = path.read_bytes()
        lines = [line for line in data.split(b"\n") if line.strip()]
        records: list[dict[str, Any]] = []
        dropped = 0
        for line in lines:
            try:
                record = json.loads(line.decode("utf-8"))  # pragma: no mutate (a codec name)
            except ValueError:
                dropped += 1
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                dropped += 1
        if records and records[0].get("v") == 1:
            self.first_index = int(records[0]["first"])
            self.start_hash = bytes.fromhex(records[0]["start"])
            for record in records[1:]:
                entry = self._continuing(record)
                if entry is None:
                    dropped += 1
                    continue
                self._entries.append(entry)
            self.repaired = dropped
            if dropped or not data.endswith(b"\n"):  # never append after a fragment
                self.rewrite()
            return
        # The first form of the trail (plain entries, no chain): chain them now, in order.
        items = []
        for record in records:
            record.pop("n", None)
            items.append((float(record.pop("time", 0)), str(record.pop("kind", "other")), record))
        made: list[StoredEntry] = []
        for time_s, kind, detail in items:
            made.append(self._make(int(time_s), kind, detail, previous=made))
        self._entries = made
        self.rewrite()
