"""``safetool technician request``: a key pair on this laptop and the enrolment request the
service centre's desk turns into a certificate; ``safetool technician update``: the centre's
current revocation list, for the locks visited offline."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetool.cli.common import add_output_options, print_json, say
from safetool.command_words import h
from safetool.identity import ENV_VAR
from safetool.messages import Message
from safetool.services.enrolment import request_enrolment, update_revocations

AUTHORITY_ENV = "SAFETOOL_AUTHORITY"


def add_technician_parsers(commands: Any) -> None:
    technician = commands.add_parser("technician", help=h("cli.command.technician"))
    sub = technician.add_subparsers(dest="technician_command", metavar="COMMAND")
    request = sub.add_parser(
        "request",
        help=h("cli.help.technician.request"),
        description=h("cli.help.technician.request.description"),
    )
    request.add_argument("technician_id", metavar="ID", help=h("cli.help.technician.id"))
    request.add_argument("--name", default="", help=h("cli.help.technician.name"))
    request.add_argument("--region", default="", help=h("cli.help.technician.region"))
    request.add_argument(
        "--folder", type=Path, required=True, metavar="DIR", help=h("cli.help.technician.folder")
    )
    add_output_options(request)
    request.set_defaults(handler=cmd_request)

    update = sub.add_parser(
        "update",
        help=h("cli.help.technician.update"),
        description=h("cli.help.technician.update.description"),
    )
    update.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    update.add_argument(
        "--authority",
        metavar="URL",
        default=os.environ.get(AUTHORITY_ENV, ""),
        help=h("cli.help.technician.authority"),
    )
    add_output_options(update)
    update.set_defaults(handler=cmd_update)


async def cmd_request(args: argparse.Namespace) -> int:
    path = request_enrolment(args.folder, args.technician_id, args.name, args.region)
    if args.json:
        print_json({"ok": True, "request": str(path), "key": str(args.folder / "technician.key")})
        return 0
    say(args, Message("enrolment.requested", {"path": str(path), "folder": str(args.folder)}))
    return 0


async def cmd_update(args: argparse.Namespace) -> int:
    crl, kept = await update_revocations(args.technician, args.authority)
    if args.json:
        print_json(
            {
                "ok": True,
                "kept": kept,
                "issued_at": crl.issued_at,
                "next_update": crl.next_update,
                "revoked": list(crl.serials),
            }
        )
        return 0
    values = {
        "issued": datetime.fromtimestamp(crl.issued_at, UTC),
        "next_update": datetime.fromtimestamp(crl.next_update, UTC),
        "count": len(crl.serials),
    }
    say(args, Message(f"technician.revocations.{'kept' if kept else 'same'}", values))
    return 0
