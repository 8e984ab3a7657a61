"""Ledger listings: filters read from the CLI or a query string, and CSV / JSON exports.

Times in the ledger are seconds since 1970 (UTC); exports add ``*_utc`` columns in ISO 8601.
CSV cells that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@`` first) are
prefixed with ``'``: the result detail is free text from the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from safetool.authority.digits import parse_name
from safetool.authority.errors import RequestInvalid
from safetool.authority.ledger import COLUMNS, LedgerEntry, LedgerFilter
from safetool.authority.schema import KINDS, STATES
from safetool.messages import Message

TIME_COLUMNS = ("issued_at", "not_after", "used_at", "closed_at")
EXPORT_COLUMNS = COLUMNS + tuple(f"{name}_utc" for name in TIME_COLUMNS)
FILTER_KEYS = ("serial", "technician", "state", "kind", "since", "until", "limit")
MAX_LIMIT = 100_000


def iso_utc(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, *, what: str) -> int:
    """Seconds since 1970, or an ISO 8601 date or date-time (UTC unless it names a zone)."""
    value = text.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RequestInvalid(
            Message("authority.filter.not_a_time", {"filter": what, "text": text}),
            next_step=Message("authority.filter.not_a_time.next"),
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _seconds(text: str, *, what: str) -> int:
    value = parse_time(text, what=what)
    if not -(2**62) < value < 2**62:
        raise RequestInvalid(
            Message("authority.filter.time_out_of_range", {"filter": what, "text": text}),
            next_step=Message("authority.filter.time_out_of_range.next"),
        )
    return value


def parse_ledger_filter(params: Mapping[str, str]) -> LedgerFilter:
    """``serial``, ``technician``, ``state``, ``kind``, ``since``, ``until``, ``limit``."""
    unknown = sorted(set(params) - set(FILTER_KEYS) - {"format"})
    if unknown:
        raise RequestInvalid(
            Message("authority.filter.unknown", {"filter": unknown[0]}),
            next_step=Message("authority.filter.unknown.next", {"filters": ", ".join(FILTER_KEYS)}),
        )
    state = params.get("state") or None
    if state is not None and state not in STATES:
        raise RequestInvalid(
            Message("authority.filter.state", {"text": state, "choices": ", ".join(STATES)})
        )
    kind = params.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise RequestInvalid(
            Message("authority.filter.kind", {"text": kind, "choices": ", ".join(KINDS)})
        )
    limit_text = params.get("limit") or None
    limit: int | None = None
    if limit_text is not None:
        if not (limit_text.isascii() and limit_text.isdigit()) or not (
            0 < int(limit_text) <= MAX_LIMIT
        ):
            raise RequestInvalid(
                Message("authority.filter.limit", {"text": limit_text, "maximum": MAX_LIMIT}),
                next_step=Message("authority.filter.limit.next"),
            )
        limit = int(limit_text)
    since_text = params.get("since") or None
    until_text = params.get("until") or None
    serial = params.get("serial") or None
    technician = params.get("technician") or None
    return LedgerFilter(
        serial=None if serial is None else parse_name(serial, what="serial"),
        technician_id=None if technician is None else parse_name(technician, what="technician"),
        state=state,
        kind=kind,
        since=None if since_text is None else _seconds(since_text, what="since"),
        until=None if until_text is None else _seconds(until_text, what="until"),
        limit=limit,
    )


def export_row(entry: LedgerEntry) -> dict[str, Any]:
    row = entry.as_dict()
    for name in TIME_COLUMNS:
        row[f"{name}_utc"] = iso_utc(row[name])
    return row


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(entries: Iterable[LedgerEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        row = export_row(entry)
        writer.writerow([_cell(row[name]) for name in EXPORT_COLUMNS])
    return out.getvalue()


def to_json(entries: Iterable[LedgerEntry]) -> str:
    rows = [export_row(entry) for entry in entries]
    return json.dumps({"entries": rows, "count": len(rows)}, ensure_ascii=False, indent=1) + "\n"


def from_csv(text: str) -> list[dict[str, str]]:
    """Read an export back (for checks and tests): one dict of strings per entry."""
    return list(csv.DictReader(io.StringIO(text)))
