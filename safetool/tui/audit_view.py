"""The audit trail as the app shows it: rows, filters (kind, time range, text) and export of
what is shown, to CSV or JSON. No Textual here, so it is tested on its own."""

from __future__ import annotations

import csv
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetool.services.audit import AuditEntry, AuditReport, entry_dict

_AGE = re.compile(r"^(\d+)\s*([dhm])$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}


def parse_when(text: str, *, now_s: float | None = None) -> int | None:
    """A time typed in a filter as UTC seconds: a date (2026-11-01), a UTC time
    (2026-11-01T09:30) or an age (7d, 12h, 30m); empty is no limit. ValueError otherwise."""
    value = text.strip()
    if not value:
        return None
    match = _AGE.match(value)
    if match:
        now = time.time() if now_s is None else now_s
        return int(now - int(match.group(1)) * _UNIT_S[match.group(2)])
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


@dataclass(frozen=True, slots=True)
class AuditFilter:
    kind: str = ""
    since_s: int | None = None
    until_s: int | None = None
    text: str = ""

    def keeps(self, entry: AuditEntry) -> bool:
        if self.kind and entry.kind_name != self.kind:
            return False
        if self.since_s is not None and entry.time_s < self.since_s:
            return False
        if self.until_s is not None and entry.time_s > self.until_s:
            return False
        if self.text:
            needle = self.text.casefold()
            return needle in f"{entry.kind_name} {detail_text(entry)}".casefold()
        return True


def detail_text(entry: AuditEntry) -> str:
    detail = {k: v for k, v in entry.detail().items() if k != "kind"}
    return ", ".join(f"{key}={value}" for key, value in sorted(detail.items()))


def time_text(time_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time_s))


def kinds_in(entries: list[AuditEntry]) -> list[str]:
    return sorted({entry.kind_name for entry in entries})


def export(report: AuditReport, entries: list[AuditEntry], path: Path) -> str:
    """Write ``entries`` to ``path``: JSON if it ends in .json, otherwise CSV. Return the
    format written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [entry_dict(entry) for entry in entries]
    if path.suffix.lower() == ".json":
        document: dict[str, Any] = {**report.as_dict(), "entries": rows}
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        return "json"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["index", "time", "kind", "detail"])
        for row in rows:
            detail = ";".join(f"{k}={v}" for k, v in sorted(row["detail"].items()))
            writer.writerow([row["index"], row["time"], row["kind"], detail])
    return "csv"
