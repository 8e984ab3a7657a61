"""The ``safetool`` command. Exit codes: 0 ok, 1 the lock reported a problem or refused,
2 usage or connection error. No traceback reaches the user unless ``--debug`` asks for one."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from safetool import __version__
from safetool.cli.extras import missing_extra_message
from safetool.command_words import h, language, use_language, wanted_language
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
    help_text = command_help(name)
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
    emulate.add_argument("--lang", metavar="LANG", help=h("cli.help.common.lang"))
    emulate.add_argument("--debug", action="store_true", help=h("cli.help.main.debug"))


def _add_demo_parser(commands: Any) -> None:
    from safetool.cli.common import add_output_options
    from safetool.cli.demo import cmd_demo

    demo = _command(commands, "demo", cmd_demo)
    add_output_options(demo)
    demo.add_argument(
        "--fault",
        metavar="NAME",
        help=h("cli.help.main.fault"),
    )
    demo.set_defaults(emulator_args=[])


_LOCK = _add_lock_parsers
_TRUST = _parsers_in("safetool.cli.trust_commands", "add_trust_parsers")
_DIAG = _parsers_in("safetool.cli.diag_commands", "add_diag_parsers")
_VISIT = _parsers_in("safetool.cli.visit_commands", "add_visit_parsers")

# The lazy command table: name -> (help, what registers it). `safetool --help` shows the helps
# without importing any command module; a command imports its own module only. A module that
# registers several commands is registered once, for whichever of them was asked for.
# tests/process/test_cold_start.py checks these helps against the ones the modules register.
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
    "technician": (
        "a technician's enrolment request, and the current revocation list from the centre",
        _parsers_in("safetool.cli.technician_commands", "add_technician_parsers"),
    ),
}


DESCRIPTION = "Companion and diagnostics tool for smart-safe lock controllers."
EPILOG = (
    "Ports: /dev/ttyUSB0, COM3, socket://host:port, rfc2217://host:port or "
    "ble:<address or name>. SAFETOOL_PORT sets the default."
)
COMMAND_KEYS = {
    "ports": "cli.command.ports",
    "info": "cli.command.info",
    "status": "cli.command.status",
    "monitor": "cli.command.monitor",
    "emulate": "cli.command.emulate",
    "dev-pki": "cli.help.trust.dev_pki",
    "recover": "cli.help.trust.recover",
    "config": "cli.help.trust.config",
    "tui": "cli.help.tui.tui",
    "authority": "cli.command.authority",
    "scan": "cli.command.scan",
    "diag": "cli.help.diag.diag",
    "clock": "cli.help.diag.clock",
    "audit": "cli.help.audit.audit",
    "visit": "cli.help.visit.visit",
    "report": "cli.help.visit.report",
    "firmware": "cli.help.firmware.firmware",
    "demo": "cli.command.demo",
    "technician": "cli.command.technician",
}
"""Each command's help line in the catalogue. In English the table's own text is used, so
``safetool --help`` loads no catalogue (tests/process/test_cold_start.py keeps the two the same)."""


def _said(key: str, english: str) -> str:
    return english if language() == "en" else h(key)


def command_help(name: str) -> str:
    return _said(COMMAND_KEYS[name], COMMANDS[name][0])


def _command_in(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (the top level has only
    --help and --version, which take no value)."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: only its command's module is imported and registered; every
    other command is a name and a help line. Without ``argv``, every command, in full."""
    parser = argparse.ArgumentParser(
        prog="safetool",
        description=_said("cli.help.main.x.description", DESCRIPTION),
        epilog=_said("cli.help.main.x.epilog", EPILOG),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"safetool {__version__}",
        help=_said("cli.argparse.version", "show program's version number and exit"),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = COMMANDS.get(_command_in(argv) or "") if argv is not None else None
    registered: set[Register] = set()
    for name, (_english, register) in COMMANDS.items():
        if argv is None or (wanted is not None and register is wanted[1]):
            if register not in registered:  # a group registers all its commands at once
                registered.add(register)
                register(commands)
        else:
            worded = command_help(name)
            commands.add_parser(name, help=worded, description=worded)
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
    from safetool.messages import render

    print(f"safetool: {render(message, language())}", file=sys.stderr)
    return USAGE_ERROR


class Terminated(Exception):
    """SIGTERM stopped the command (exit 143, as a shell reports it)."""


def _run_stoppable(args: argparse.Namespace) -> int:
    """Run the command's handler. SIGINT (Ctrl-C) and SIGTERM stop it however safetool was
    started: a shell starts a background job with SIGINT ignored, and asyncio's own Ctrl-C
    handling is installed only when it is not. The app (Textual) reads Ctrl-C as a key."""
    import asyncio  # here, not at the top: `safetool --help` does without its 50 ms
    import contextlib
    import signal

    handler = args.handler
    stopped_by: list[int] = []

    async def stoppable() -> int:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        assert task is not None
        for sig in (signal.SIGINT, signal.SIGTERM):

            def stop(sig: int = sig) -> None:
                stopped_by.append(sig)
                task.cancel()

            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop)  # not on Windows: asyncio's Ctrl-C there
        return int(await handler(args))

    if getattr(handler, "__name__", "") in ("cmd_tui", "cmd_tui_demo", "cmd_demo"):
        return int(asyncio.run(handler(args)))
    try:
        return asyncio.run(stoppable())
    except asyncio.CancelledError:
        if stopped_by and stopped_by[0] == signal.SIGTERM:
            raise Terminated from None
        if stopped_by:
            raise KeyboardInterrupt from None
        raise


def _parse(argv: Sequence[str]) -> argparse.Namespace | int:
    """The command's arguments in the reader's language, or the exit code when a command
    group's extra is not installed (argparse itself exits on a usage error or ``--help``)."""
    debug = "--debug" in argv
    use_language(wanted_language(argv))
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
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else list(argv))
    if isinstance(args, int):
        return args
    try:
        return _run_stoppable(args)
    except KeyboardInterrupt:
        # Ctrl-C is how `monitor` is meant to end; elsewhere it interrupts the work.
        return 0 if args.command == "monitor" else 130
    except Terminated:
        return 143
    except Exception as error:
        return _exit_code_for(error, args)


async def main_in_loop(argv: Sequence[str]) -> int:
    """``main`` in the running event loop: the same parsing, output and exit codes, the
    command awaited instead of given a loop of its own (a program or a test that already runs
    asyncio, e.g. beside an in-memory board). Signals stay the caller's."""
    args = _parse(list(argv))
    if isinstance(args, int):
        return args
    try:
        return int(await args.handler(args))
    except Exception as error:
        return _exit_code_for(error, args)


def _exit_code_for(error: Exception, args: argparse.Namespace) -> int:
    """Say what stopped the command, in the reader's language (no traceback unless
    ``--debug``), and give its exit code."""
    debug = bool(getattr(args, "debug", False))
    if isinstance(error, SafetoolError):
        if debug:
            traceback.print_exc()
        if getattr(args, "json", False):
            from safetool.cli.common import print_json

            print_json({"ok": False, **error.as_dict()})
            if not sys.stdout.isatty():  # redirected to a file: say it where a person sees it
                print(f"safetool: {error.explain(_reader_language(args))}", file=sys.stderr)
        else:
            print(f"safetool: {error.explain(_reader_language(args))}", file=sys.stderr)
        return error.exit_code
    if isinstance(error, ModuleNotFoundError):
        if missing_extra_message(error) is None:
            return _internal_error(error, debug)
        return _missing_extra(error, debug)
    if isinstance(error, ValueError) or _is_provisioning_error(error):
        # e.g. --lockout-s 10, a bad --pki
        if debug:
            traceback.print_exc()
        print(f"safetool: {error}", file=sys.stderr)
        return USAGE_ERROR
    return _internal_error(error, debug, _reader_language(args))


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
