"""``safetool visit ...`` (the service record on this laptop) and ``safetool report``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from safetool.cli.common import (
    add_output_options,
    add_port_options,
    cells,
    connected,
    language,
    print_fields,
    print_json,
    say,
)
from safetool.command_words import h
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, as_dict, local_time, os_error_message, pick_language, render
from safetool.messages.catalogue import TEXTS
from safetool.messages.shown import json_text
from safetool.report.render import render_html, render_json, service_centre
from safetool.report.translations import LANGUAGES
from safetool.services.visits import ServiceRecord

OK = 0


def add_visit_parsers(commands: Any) -> None:
    visit = commands.add_parser(
        "visit",
        help=h("cli.help.visit.visit"),
        description=h("cli.help.visit.visit.description"),
    )
    actions = visit.add_subparsers(dest="visit_command", metavar="ACTION", required=True)

    start = actions.add_parser("start", help=h("cli.help.visit.start"))
    add_port_options(start)
    start.add_argument("--serial", help=h("cli.help.visit.serial"))
    start.add_argument("--model", default="", help=h("cli.help.visit.model"))
    start.add_argument("--site", required=True, help=h("cli.help.visit.site"))
    start.add_argument("--technician-id", help=h("cli.help.visit.technician_id"))
    start.add_argument(
        "--technician", type=Path, metavar="DIR", help=h("cli.help.visit.technician")
    )
    start.add_argument("--firmware-before", default="", help=h("cli.help.visit.firmware_before"))
    start.set_defaults(handler=cmd_visit_start)

    part = actions.add_parser("add-part", help=h("cli.help.visit.add_part"))
    part.add_argument(
        "--visit", dest="visit_id", type=int, metavar="ID", help=h("cli.help.visit.visit_2")
    )
    part.add_argument("--part", required=True, metavar="PART_NUMBER")
    part.add_argument("--quantity", type=int, default=1)
    part.add_argument("--description", default="")
    part.add_argument("--reason", default="")
    part.set_defaults(handler=cmd_visit_add_part)

    note = actions.add_parser("note", help=h("cli.help.visit.note"))
    note.add_argument(
        "--visit", dest="visit_id", type=int, metavar="ID", help=h("cli.help.visit.visit_2")
    )
    note.add_argument("text", nargs="?", default="")
    kind = note.add_mutually_exclusive_group()
    kind.add_argument("--finding", action="store_const", const="finding", dest="kind")
    kind.add_argument("--work", action="store_const", const="work", dest="kind")
    note.add_argument("--diag", type=Path, metavar="FILE", help=h("cli.help.visit.diag"))
    note.add_argument("--audit", type=Path, metavar="FILE", help=h("cli.help.visit.audit"))
    note.add_argument("--recovery", type=int, metavar="COUNTER", help=h("cli.help.visit.recovery"))
    note.add_argument("--method", default="phone", choices=("phone", "online"))
    note.add_argument("--seal", default="", help=h("cli.help.visit.seal"))
    note.add_argument("--firmware-after", help=h("cli.help.visit.firmware_after"))
    note.set_defaults(handler=cmd_visit_note, kind="note")

    close = actions.add_parser("close", help=h("cli.help.visit.close"))
    close.add_argument(
        "--visit", dest="visit_id", type=int, metavar="ID", help=h("cli.help.visit.visit_2")
    )
    close.add_argument("--signed-off-by", required=True, metavar="NAME")
    close.add_argument("--satisfaction", type=int, choices=range(1, 6), metavar="1-5")
    close.add_argument("--comment", default="")
    close.add_argument("--firmware-after")
    close.set_defaults(handler=cmd_visit_close)

    listing = actions.add_parser("list", help=h("cli.help.visit.list"))
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--open", action="store_const", const="open", dest="status")
    which.add_argument("--closed", action="store_const", const="closed", dest="status")
    listing.set_defaults(handler=cmd_visit_list)

    show = actions.add_parser("show", help=h("cli.help.visit.show"))
    show.add_argument("visit_id", nargs="?", type=int, help=h("cli.help.visit.visit_2"))
    show.set_defaults(handler=cmd_visit_show)

    export = actions.add_parser("export", help=h("cli.help.visit.export"))
    export.add_argument("--since", metavar="DATE", help=h("cli.help.visit.since"))
    export.add_argument("--output", type=Path, metavar="FILE", help=h("cli.help.visit.output"))
    export.set_defaults(handler=cmd_visit_export)

    for sub in (part, note, close, listing, show, export):
        _add_common(sub)
    _add_db(start)

    report = commands.add_parser("report", help=h("cli.help.visit.report"))
    report.add_argument("visit_id", type=int)
    form = report.add_mutually_exclusive_group()
    form.add_argument("--html", action="store_const", const="html", dest="form")
    form.add_argument("--json", action="store_const", const="json", dest="form")
    report.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help=h("cli.help.visit.lang"),
    )
    report.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help=h("cli.help.visit.output_2")
    )
    report.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.visit.report_technician", env_var=ENV_VAR),
    )
    report.add_argument("--debug", action="store_true", help=h("cli.help.main.debug"))
    _add_db(report)
    report.set_defaults(handler=cmd_report, form="html")


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_output_options(parser)
    _add_db(parser)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help=h("cli.help.visit.db"))


async def cmd_visit_start(args: argparse.Namespace) -> int:
    serial, model, firmware = args.serial, args.model, args.firmware_before
    if args.port:
        async with connected(args) as lock:
            identity = await lock.identify()
        serial, model = identity.serial, identity.model
        firmware = firmware or identity.firmware_version
    if not serial:
        raise SafetoolError(Message("visit.which_lock"), next_step=Message("visit.which_lock.next"))
    technician = args.technician_id or TechnicianIdentity.load(args.technician).technician_id
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit_id, reopened = record.start(
            serial=serial,
            site=args.site,
            technician=technician,
            model=model,
            firmware_before=firmware,
        )
    if args.json:
        print_json({"visit_id": visit_id, "reopened": reopened, "serial": serial})
    else:
        key = "visit.reopened" if reopened else "visit.started"
        say(args, Message(key, {"id": visit_id, "serial": serial}))
    return OK


async def cmd_visit_add_part(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit_id = record.resolve(args.visit_id)
        record.add_part(visit_id, args.part, args.quantity, args.description, args.reason)
    _done(
        args,
        visit_id,
        Message("visit.part_added", {"count": args.quantity, "part": args.part, "id": visit_id}),
    )
    return OK


async def cmd_visit_note(args: argparse.Namespace) -> int:
    said: list[Message] = []
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit_id = record.resolve(args.visit_id)
        if args.text:
            record.add_note(visit_id, args.text, args.kind)
            said.append(Message(f"visit.noted.{args.kind}"))
        if args.diag is not None:
            count = record.attach_diagnostics(visit_id, _read_json(args.diag))
            said.append(Message("visit.checks_attached", {"count": count}))
        if args.audit is not None:
            count = record.attach_audit(visit_id, _read_json(args.audit))
            said.append(Message("visit.audit_attached", {"count": count}))
        if args.recovery is not None:
            record.add_recovery(visit_id, args.recovery, args.method, args.seal)
            said.append(Message("visit.recovery_recorded", {"counter": args.recovery}))
        if args.firmware_after:
            record.set_firmware_after(visit_id, args.firmware_after)
            said.append(Message("visit.firmware_now", {"version": args.firmware_after}))
    if not said:
        raise SafetoolError(
            Message("visit.nothing_to_note"), next_step=Message("visit.nothing_to_note.next")
        )
    _done(args, visit_id, Message("visit.noted", {"id": visit_id, "what": said}))
    return OK


async def cmd_visit_close(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit_id = record.resolve(args.visit_id)
        record.close_visit(
            visit_id,
            signed_off_by=args.signed_off_by,
            satisfaction=args.satisfaction,
            comment=args.comment,
            firmware_after=args.firmware_after,
        )
    _done(args, visit_id, Message("visit.closed", {"id": visit_id, "name": args.signed_off_by}))
    return OK


async def cmd_visit_list(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visits = record.list_visits(args.status)
    if args.json:
        print_json(visits)
        return OK
    reader = language(args)
    for v in visits:
        status = render(Message(f"visit.status.{v['status']}"), reader)
        status += " " * max(6 - cells(status), 0)
        print(
            f"{v['id']:>5}  {status}  {v['lock_serial']:<16} "
            f"{local_time(v['started_at'], reader)}  {v['technician']:<8} {v['customer_site']}"
        )
    if not visits:
        say(args, Message("visit.none_yet"))
    return OK


async def cmd_visit_show(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit = record.visit(record.resolve(args.visit_id))
    if args.json:
        print_json(visit)
        return OK
    reader = language(args)

    def said(key: str, **values: Any) -> str:
        return render(Message(key, values), reader)

    status = Message(f"visit.status.{visit['status']}")
    say(args, Message("visit.heading", {"id": visit["visit_id"], "status": status,
                                        "serial": visit["lock"]["serial"]}))  # fmt: skip
    ended = local_time(visit["ended_at"], reader) if visit["ended_at"] else said("visit.still_open")
    rows: list[tuple[Message, Any]] = [
        (Message("visit.field.site"), visit["customer_site"]),
        (
            Message("visit.field.technician"),
            said(
                "visit.when",
                technician=visit["technician"],
                started=local_time(visit["started_at"], reader),
                ended=ended,
            ),
        ),
    ]
    for key in ("findings", "work_done", "notes"):
        rows += [(Message(f"visit.field.{key}"), text) for text in visit[key]]
    for part in visit["parts"]:
        text = f"{part['quantity']} × {part['part_number']} {part['description']}"
        rows.append((Message("visit.field.part"), text))
    for check in visit["checks"]:
        title = _known(f"diag.check.{check['name']}", check["name"], reader)
        verdict = _known(f"diag.verdict.{check['verdict']}", check["verdict"], reader)
        rows.append((Message("visit.field.check"), f"{title}: {verdict}"))
    firmware = visit["firmware"]
    after = firmware["after"] or said("report.unchanged")
    rows.append((Message("visit.field.firmware"), f"{firmware['before'] or '?'} -> {after}"))
    if visit["audit"] is not None:
        state = said("visit.audit_verified" if visit["audit"]["verified"] else "visit.audit_failed")
        count = said("visit.audit_entries", count=len(visit["audit"]["entries"]))
        rows.append((Message("visit.field.audit"), f"{count}, {state}"))
    if visit["status"] == "closed":
        rating = visit["satisfaction"]["rating"]
        signed = said("visit.signed", name=visit["signed_off_by"], rating=rating or "-")
        rows.append((Message("visit.field.signed_off"), signed))
    print_fields(rows, reader, indent="  ")
    return OK


async def cmd_visit_export(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        lines = [json_text(v) for v in record.export_closed(args.since)]
    text = "".join(line + "\n" for line in lines)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        written = Message("visit.exported", {"count": len(lines), "file": str(args.output)})
        print(render(written, language(args)), file=sys.stderr)
    return OK


def _signed_report(visit: dict[str, Any], language: str, technician: Path | None) -> str:
    """The report, headed by the technician's service centre and signed by their key when
    their identity folder is given (``--technician`` or ``$SAFETOOL_TECHNICIAN``)."""
    folder = technician or (Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None)
    if folder is None:
        return render_html(visit, language)
    return render_html(visit, language, service_centre(folder), TechnicianIdentity.load(folder))


async def cmd_report(args: argparse.Namespace) -> int:
    with ServiceRecord(args.db, create_folder=args.db is None) as record:
        visit = record.visit(args.visit_id)
    document = (
        render_json(visit)
        if args.form == "json"
        else _signed_report(visit, args.lang or pick_language(), args.technician)
    )
    if args.output is None:
        sys.stdout.write(document)
    else:
        args.output.write_text(document, encoding="utf-8")
        written = Message("visit.report_written", {"id": args.visit_id, "file": str(args.output)})
        print(render(written, pick_language(args.lang)), file=sys.stderr)
    return OK


def _known(key: str, fallback: str, reader: str) -> str:
    """The catalogue's words for ``key``, or ``fallback`` as kept (a check from another tool)."""
    return render(Message(key), reader) if key in TEXTS else fallback


def _read_json(path: Path) -> Any:
    """A JSON document, or the output of a ``--json`` command as written (JSON lines: the
    progress lines, then the result; ``diag --json`` ends with its ``report``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SafetoolError(
            Message("visit.bad_json", {"file": str(path), "error": os_error_message(error)}),
            next_step=Message("visit.bad_json.next"),
        ) from None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as error:
        raise SafetoolError(
            Message("visit.bad_json", {"file": str(path), "error": str(error)}),
            next_step=Message("visit.bad_json.next"),
        ) from None
    failed = next((d for d in lines if isinstance(d, dict) and d.get("ok") is False), None)
    if failed is not None:  # the command itself failed: its error is what the file holds
        raise SafetoolError(
            Message("visit.output_is_an_error", {"file": str(path)}),
            meaning=Message("visit.output_error_was", {"error": str(failed.get("message", ""))}),
            next_step=Message("visit.bad_json.next"),
        )
    report = next(
        (d for d in reversed(lines) if isinstance(d, dict) and d.get("event") == "report"), None
    )
    return report if report is not None else (lines[-1] if lines else None)


def _done(args: argparse.Namespace, visit_id: int, message: Message) -> None:
    if args.json:
        print_json({"ok": True, "visit_id": visit_id, "message": as_dict(message)})
    else:
        say(args, message)
