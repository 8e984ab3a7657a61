"""``safetool scan``: the locks in Bluetooth range, most likely first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from safetool.cli.common import add_output_options, language, print_json, say
from safetool.command_words import h
from safetool.messages import Message, render
from safetool.services.ports import DEFAULT_SCAN_TIMEOUT_S, scan_ble

if TYPE_CHECKING:
    from safetool.services.ports import FoundLock

OK = 0


def add_ble_parsers(commands: Any) -> None:
    help_text = h("cli.command.scan")
    parser = commands.add_parser("scan", help=help_text, description=help_text)
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=DEFAULT_SCAN_TIMEOUT_S,
        help=h("cli.help.ble.timeout_s", default=DEFAULT_SCAN_TIMEOUT_S),
    )
    parser.add_argument("--all", action="store_true", help=h("cli.help.ble.all"))
    add_output_options(parser)
    parser.set_defaults(handler=cmd_scan)


async def cmd_scan(args: argparse.Namespace) -> int:
    found = await scan_ble(args.timeout_s, locks_only=not args.all)
    if args.json:
        print_json([lock.as_dict() for lock in found])
        return OK
    if not found:
        say(args, Message("scan.none", {"seconds": f"{args.timeout_s:g}"}))
        return OK
    _print_table(found, language(args))
    return OK


def _print_table(found: list[FoundLock], reader: str) -> None:
    name, address, rssi, serial, model = (
        render(Message(f"scan.column.{column}"), reader)
        for column in ("name", "address", "rssi", "serial", "model")
    )
    print(f"  {name:<16} {address:<20} {rssi:>5}  {serial:<14} {model}")
    for lock in found:
        mark = "*" if lock.is_lock else " "
        signal = "?" if lock.rssi is None else str(lock.rssi)
        print(
            f"{mark} {lock.name or '-':<16} {lock.address:<20} {signal:>5}  "
            f"{lock.serial or '-':<14} {lock.model or '-'}"
        )
    print(render(Message("scan.connect_hint", {"address": found[0].address}), reader))
