"""``safetool technician request``: a key pair on this laptop and the enrolment request the
service centre's desk turns into a certificate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from safetool.cli.common import add_output_options, print_json, say
from safetool.command_words import h
from safetool.messages import Message
from safetool.services.enrolment import request_enrolment


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


async def cmd_request(args: argparse.Namespace) -> int:
    path = request_enrolment(args.folder, args.technician_id, args.name, args.region)
    if args.json:
        print_json({"ok": True, "request": str(path), "key": str(args.folder / "technician.key")})
        return 0
    say(args, Message("enrolment.requested", {"path": str(path), "folder": str(args.folder)}))
    return 0
