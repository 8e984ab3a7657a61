"""The ``safetool`` command. Exit codes: 0 ok, 1 the lock reported a problem or refused,
2 usage or connection error. No traceback reaches the user unless ``--debug`` asks for one."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from safetool import __version__
from safetool.cli.extras import missing_extra_message
from safetool.errors import SafetoolError

Command = Callable[[argparse.Namespace], Awaitable[int]]
Register = Callable[[Any], None]

USAGE_ERROR = 2


def _parsers_in(module: str, function: str) -> Register:
    """A command group whose module (and what it imports) loads only when it is asked for."""

    def register(commands: Any) -> None:
        getattr(importlib.import_module(module), function)(commands)

    return register


def _command(
    commands: Any,
    name: str,
    handler: Command,
) -> argparse.ArgumentParser:
    help_text = COMMANDS[name][0]
    sub: argparse.ArgumentParser = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(handler=handler)
    return sub


def _add_lock_parsers(commands: Any) -> None:
    from safetool.cli.common import add_output_options, add_port_options
    from safetool.cli.lock_commands import cmd_info, cmd_monitor, cmd_ports, cmd_status

    add_output_options(_command(commands, "ports", cmd_ports))
    add_port_options(_command(commands, "info", cmd_info))
    add_port_options(_command(commands, "status", cmd_status))
    add_port_options(_command(commands, "monitor", cmd_monitor))


async def cmd_emulate(args: argparse.Namespace) -> int:
    from safetool.emulator import serve_emulator

    await serve_emulator(args)
    return 0


def _add_emulate_parser(commands: Any) -> None:
    from safetool.emulator import add_emulator_arguments

    emulate = _command(commands, "emulate", cmd_emulate)
    add_emulator_arguments(emulate)
    emulate.add_argument("--debug", action="store_true", help="show tracebacks")


def _add_demo_parser(commands: Any) -> None:
    from safetool.cli.common import add_output_options
    from safetool.cli.demo import cmd_demo

    demo = _command(commands, "demo", cmd_demo)
    add_output_options(demo)
    demo.add_argument(
        "--fault",
        metavar="NAME",
        help="give the board a fault (docs/diagnostics.md) or hard_lockout",
    )
    demo.set_defaults(emulator_args=[])


_LOCK = _add_lock_parsers
_TRUST = _parsers_in("safetool.cli.trust_commands", "add_trust_parsers")
_DIAG = _parsers_in("safetool.cli.diag_commands", "add_diag_parsers")
_VISIT = _parsers_in("safetool.cli.visit_commands", "add_visit_parsers")

# The lazy command table: name -> (help, what registers it). `safetool --help` shows the helps
# without importing any command module; a command imports its own module only. A module that
# registers several commands is registered once, for whichever of them was asked for.
# tests/test_cold_start.py checks these helps against the ones the modules register.
COMMANDS: dict[str, tuple[str, Register]] = {
    "ports": ("list serial ports, likely locks first", _LOCK),
    "info": ("identify the lock and show its state", _LOCK),
    "status": ("show the lock's state", _LOCK),
    "monitor": ("show lock events live until Ctrl-C (JSON lines)", _LOCK),
    "emulate": ("run an emulated lock board (pty, TCP or BLE)", _add_emulate_parser),
    "dev-pki": ("development PKI (keys made on this machine)", _TRUST),
    "recover": ("recover a locked-out lock with the service centre's authorisation", _TRUST),
    "config": ("show or change the lock policy (penalty, time delay, dual control)", _TRUST),
    "tui": (
        "open the technician's app (the default with no command)",
        _parsers_in("safetool.cli.tui_commands", "add_tui_parsers"),
    ),
    "authority": (
        "the service authority: issue and record recovery authorisations",
        _parsers_in("safetool.cli.authority", "add_authority_parser"),
    ),
    "scan": (
        "list the locks in Bluetooth range (name, address, signal, serial, model)",
        _parsers_in("safetool.cli.ble_commands", "add_ble_parsers"),
    ),
    "diag": (
        "diagnose the lock: battery, motor, bolt sensor, keypad, clock, tamper, errors",
        _DIAG,
    ),
    "clock": (
        "show the lock's clock against this laptop's; --set sets it (needs 'configure')",
        _DIAG,
    ),
    "audit": (
        "download and verify the lock's audit trail (only new entries after the first time)",
        _parsers_in("safetool.cli.audit_commands", "add_audit_parsers"),
    ),
    "visit": (
        "the service record of a visit: start, parts, notes, close, list, show, export",
        _VISIT,
    ),
    "report": ("the customer's report of a visit: one self-contained HTML file, or JSON", _VISIT),
    "firmware": (
        "build, inspect and verify signed firmware images",
        _parsers_in("safetool.cli.firmware_commands", "add_firmware_parsers"),
    ),
    "demo": (
        "start an emulated board and open the app on it (text in a pipe or with --json)",
        _add_demo_parser,
    ),
}


def _command_in(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (the top level has only
    --help and --version, which take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only its command's module is imported and registered; every
    other command is a name and a help line. Without ``argv``, every command, in full."""
    parser = argparse.ArgumentParser(
        prog="safetool",
        description="Companion and diagnostics tool for smart-safe lock controllers.",
        epilog="Ports: /dev/ttyUSB0, COM3, socket://host:port, rfc2217://host:port or "
        "ble:<address or name>. SAFETOOL_PORT sets the default.",
    )
    parser.add_argument("--version", action="version", version=f"safetool {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = COMMANDS.get(_command_in(argv) or "") if argv is not None else None
    registered: set[Register] = set()
    for name, (help_text, register) in COMMANDS.items():
        if argv is None or (wanted is not None and register is wanted[1]):
            if register not in registered:  # a group registers all its commands at once
                registered.add(register)
                register(commands)
        else:
            commands.add_parser(name, help=help_text, description=help_text)
    return parser


def _is_provisioning_error(error: Exception) -> bool:
    """A bad ``--pki`` folder (emulate, dev-pki), without importing firmware/ for every command."""
    provisioning = sys.modules.get("firmware.provisioning")
    return provisioning is not None and isinstance(error, provisioning.ProvisioningError)


def _missing_extra(error: ModuleNotFoundError, debug: bool) -> int:
    message = missing_extra_message(error)
    if message is None:
        raise error
    if debug:
        traceback.print_exc()
    print(f"safetool: {message}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        parser = build_parser(argv)
    except ModuleNotFoundError as error:
        if missing_extra_message(error) is None:
            return _internal_error(error, debug)
        return _missing_extra(error, debug)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        if not sys.stdout.isatty():
            parser.print_help()
            return USAGE_ERROR
        from safetool.cli.tui_commands import cmd_tui

        args.handler = cmd_tui  # `safetool` with no command opens the app
    debug = bool(getattr(args, "debug", False))
    as_json = bool(getattr(args, "json", False))
    import asyncio  # here, not at the top: `safetool --help` does without its 50 ms

    try:
        exit_code: int = asyncio.run(args.handler(args))
    except KeyboardInterrupt:
        # Ctrl-C is how `monitor` is meant to end; elsewhere it interrupts the work.
        return 0 if args.command == "monitor" else 130
    except SafetoolError as error:
        if debug:
            traceback.print_exc()
        if as_json:
            print(json.dumps({"ok": False, **error.as_dict()}, ensure_ascii=False), flush=True)
        else:
            print(f"safetool: {error.explain(_reader_language(args))}", file=sys.stderr)
        return error.exit_code
    except ModuleNotFoundError as error:
        if missing_extra_message(error) is None:
            return _internal_error(error, debug)
        return _missing_extra(error, debug)
    except Exception as error:
        if isinstance(error, ValueError) or _is_provisioning_error(error):
            # e.g. --lockout-s 10, a bad --pki
            if debug:
                traceback.print_exc()
            print(f"safetool: {error}", file=sys.stderr)
            return USAGE_ERROR
        return _internal_error(error, debug, _reader_language(args))
    return exit_code


def _reader_language(args: argparse.Namespace) -> str:
    from safetool.messages import pick_language

    try:
        return pick_language(getattr(args, "lang", None))
    except ValueError:
        return "en"


def _internal_error(error: Exception, debug: bool, language: str = "en") -> int:
    """A bug: say so plainly, keep the traceback for --debug."""
    if debug:
        traceback.print_exc()
    from safetool.messages import Message, render

    said = Message("cli.error.internal", {"error": f"{type(error).__name__}: {error}"})
    print(f"safetool: {render(said, language)}", file=sys.stderr)
    return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
