"""The ``safetool`` command. Exit codes: 0 ok, 1 the lock reported a problem or refused,
2 usage or connection error. No traceback reaches the user unless ``--debug`` asks for one."""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence

import firmware.run
from firmware.provisioning import ProvisioningError
from safetool import __version__
from safetool.cli.audit_commands import add_audit_parsers
from safetool.cli.authority import add_authority_parser
from safetool.cli.ble_commands import add_ble_parsers
from safetool.cli.common import add_output_options, add_port_options, print_json
from safetool.cli.demo import cmd_demo
from safetool.cli.diag_commands import add_diag_parsers
from safetool.cli.firmware_commands import add_firmware_parsers
from safetool.cli.lock_commands import cmd_info, cmd_monitor, cmd_ports, cmd_status
from safetool.cli.trust_commands import add_trust_parsers
from safetool.cli.tui_commands import add_tui_parsers, cmd_tui
from safetool.cli.visit_commands import add_visit_parsers
from safetool.errors import SafetoolError

Command = Callable[[argparse.Namespace], Awaitable[int]]

USAGE_ERROR = 2


async def cmd_emulate(args: argparse.Namespace) -> int:
    await firmware.run.serve(args)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safetool",
        description="Companion and diagnostics tool for smart-safe lock controllers.",
        epilog="Ports: /dev/ttyUSB0, COM3, socket://host:port, rfc2217://host:port or "
        "ble:<address or name>. SAFETOOL_PORT sets the default.",
    )
    parser.add_argument("--version", action="version", version=f"safetool {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add_output_options(command("ports", cmd_ports, "list serial ports, likely locks first"))
    add_port_options(command("info", cmd_info, "identify the lock and show its state"))
    add_port_options(command("status", cmd_status, "show the lock's state"))
    add_port_options(
        command("monitor", cmd_monitor, "show lock events live until Ctrl-C (JSON lines)")
    )
    emulate = command("emulate", cmd_emulate, "run an emulated lock board (pty, TCP or BLE)")
    firmware.run.add_arguments(emulate)
    emulate.add_argument("--debug", action="store_true", help="show tracebacks")
    add_trust_parsers(commands)
    add_tui_parsers(commands)
    add_authority_parser(commands)
    add_ble_parsers(commands)
    add_diag_parsers(commands)
    add_audit_parsers(commands)
    add_visit_parsers(commands)
    add_firmware_parsers(commands)
    demo = command(
        "demo",
        cmd_demo,
        "start an emulated board and open the app on it (text in a pipe or with --json)",
    )
    add_output_options(demo)
    demo.add_argument(
        "--fault",
        metavar="NAME",
        help="give the board a fault (docs/diagnostics.md) or hard_lockout",
    )
    demo.add_argument("--lang", choices=("en", "zh_CN"), help="the app's language")
    demo.set_defaults(emulator_args=[])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        if not sys.stdout.isatty():
            parser.print_help()
            return USAGE_ERROR
        args.handler = cmd_tui  # `safetool` with no command opens the app
    debug = bool(getattr(args, "debug", False))
    as_json = bool(getattr(args, "json", False))
    try:
        exit_code: int = asyncio.run(args.handler(args))
    except KeyboardInterrupt:
        # Ctrl-C is how `monitor` is meant to end; elsewhere it interrupts the work.
        return 0 if args.command == "monitor" else 130
    except SafetoolError as error:
        if debug:
            traceback.print_exc()
        if as_json:
            print_json({"ok": False, **error.as_dict()})
        else:
            print(f"safetool: {error.explain()}", file=sys.stderr)
        return error.exit_code
    except (ValueError, ProvisioningError) as error:  # e.g. --lockout-s 10, a bad --pki
        if debug:
            traceback.print_exc()
        print(f"safetool: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
        if debug:
            traceback.print_exc()
        print(
            f"safetool: internal error ({type(error).__name__}: {error}). "
            "Run again with --debug and send the output to the safetool team.",
            file=sys.stderr,
        )
        return USAGE_ERROR
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
