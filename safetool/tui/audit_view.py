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

from safetool.messages import render_list
from safetool.services.audit import AuditEntry, AuditReport, detail_message, entry_dict

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
    language: str = "en"
    """The search text is also looked for in the detail as worded in this language."""

    def keeps(self, entry: AuditEntry) -> bool:
        if self.kind and entry.kind_name != self.kind:
            return False
        if self.since_s is not None and entry.time_s < self.since_s:
            return False
        if self.until_s is not None and entry.time_s > self.until_s:
            return False
        if self.text:
            needle = self.text.casefold()
            shown = f"{entry.kind_name} {raw_detail(entry)} {detail_text(entry, self.language)}"
            return needle in shown.casefold()
        return True


def detail_text(entry: AuditEntry, language: str = "en") -> str:
    """The entry's fields and values in words (services.audit.detail_message)."""
    return render_list(detail_message(entry), language)


def raw_detail(entry: AuditEntry) -> str:
    """The fields as the lock wrote them (``result=wrong``), for CSV and searching."""
    detail = {k: v for k, v in entry.detail().items() if k != "kind"}
    return ", ".join(f"{key}={value}" for key, value in sorted(detail.items()))


def time_text(time_s: int) -> str:
    """An entry's time on this laptop's clock face (the zone is in the column title)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time_s))


def zone_text(time_s: float | None = None) -> str:
    """This laptop's time zone as an offset from UTC: ``UTC+08:00``."""
    offset = time.strftime("%z", time.localtime(time.time() if time_s is None else time_s))
    offset = offset or "+0000"
    return f"UTC{offset[0]}{offset[1:3]}:{offset[3:5]}"


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
