"""The board's audit trail: every security-relevant act, appended and flushed to storage.

This is the trail's first form: entries in order, durable across power cuts. The hash chain,
signed head and download come with the diagnostics and audit work (SPEC.md will describe it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

AUDIT_FILE = "audit.jsonl"
MAX_ENTRIES = 10_000


class AuditTrail:
    def __init__(self, directory: Path | None) -> None:
        self.path = None if directory is None else directory / AUDIT_FILE
        self._entries: list[dict[str, Any]] = []
        if self.path is not None and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    self._entries.append(json.loads(line))
                except ValueError:
                    break  # a torn last line from a power cut: everything before it stands

    def append(self, time_s: float, kind: str, **detail: Any) -> dict[str, Any]:
        entry = {"n": len(self._entries) + 1, "time": int(time_s), "kind": kind, **detail}
        self._entries.append(entry)
        if self.path is not None:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return entry

    def entries(self, last: int | None = None) -> list[dict[str, Any]]:
        return list(self._entries if last is None else self._entries[-last:])
