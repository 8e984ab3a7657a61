"""``safetool audit``: download the lock's audit trail (only what is new), verify it, show it."""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetool.cli.common import add_port_options, cells, connected, language, print_json
from safetool.command_words import h
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, local_time, pick_language, render, render_list
from safetool.services.audit import AuditReport, audit_kind_message, detail_message, entry_dict

OK, PROBLEM = 0, 1
_DURATION = re.compile(r"^(\d+)\s*([dhm])$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}


def add_audit_parsers(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help=h("cli.help.audit.audit"),
        description=h("cli.help.audit.audit.description"),
    )
    add_port_options(audit)
    audit.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    audit.add_argument(
        "--since",
        metavar="WHEN",
        help=h("cli.help.audit.since"),
    )
    audit.add_argument(
        "--format", choices=("text", "csv", "json"), default="text", help=h("cli.help.audit.format")
    )
    audit.add_argument(
        "--full",
        action="store_true",
        help=h("cli.help.audit.full"),
    )
    audit.set_defaults(handler=cmd_audit)


def parse_since(text: str | None, *, now_s: float | None = None) -> int | None:
    """``--since`` as UTC seconds; a clear error for anything unreadable."""
    if text is None:
        return None
    now = time.time() if now_s is None else now_s
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return int(now - int(match.group(1)) * _UNIT_S[match.group(2)])
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SafetoolError(
            Message("audit.since_unreadable", {"text": text}),
            next_step=Message("audit.since_unreadable.next"),
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


async def cmd_audit(args: argparse.Namespace) -> int:
    since = parse_since(args.since)
    identity = TechnicianIdentity.load(args.technician)
    output = "json" if args.json else args.format
    progress = None if output != "text" or not sys.stderr.isatty() else _progress
    async with connected(args, identity=identity) as lock:
        report = await lock.download_audit(full=args.full, progress=progress)
    kept = [e for e in report.entries if since is None or e.time_s >= since]
    rows = [entry_dict(e) for e in kept]
    if output == "json":
        print_json({**report.as_dict(), "entries": rows})
    elif output == "csv":
        _print_csv(rows)
        _print_summary(report, sys.stderr, language(args))
    else:
        reader = language(args)
        for entry, row in zip(kept, rows, strict=True):
            detail = render_list(detail_message(entry), reader)
            kind = render(audit_kind_message(row["kind"]), reader)
            kind += " " * max(22 - cells(kind), 0)
            print(f"{row['index']:>6}  {local_time(row['time'], reader)}  {kind} {detail}")
        _print_summary(report, sys.stdout, reader)
    return OK if report.verified else PROBLEM


def _progress(done: int, total: int) -> None:
    reading = render(Message("audit.reading", {"done": done, "total": total}), pick_language())
    print(f"\r{reading}", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _print_csv(rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["index", "time", "kind", "detail"])
    for row in rows:
        detail = ";".join(f"{k}={v}" for k, v in sorted(row["detail"].items()))
        writer.writerow([row["index"], row["time"], row["kind"], detail])


def _print_summary(report: AuditReport, stream: Any, reader: str) -> None:
    def say_to(key: str, **values: Any) -> None:
        print(render(Message(key, values), reader), file=stream)

    say_to(
        "audit.summary",
        serial=report.serial,
        count=report.count,
        held=report.count - report.first_index,
        new=report.new_entries,
        bytes=report.bytes_read,
        seconds=f"{report.seconds:.1f}",
    )
    for finding in report.findings:
        where = (
            ""
            if finding.index is None
            else Message("audit.finding.where", {"index": finding.index})
        )
        label = "audit.finding.problem" if finding.tampering else "audit.finding.note"
        say_to(label, where=where, message=finding.message)
    if report.verified:
        say_to("audit.verified_signed" if report.signed else "audit.verified_unsigned")
    else:
        say_to("audit.tampered")
