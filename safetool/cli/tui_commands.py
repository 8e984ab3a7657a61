"""``safetool tui`` (and ``safetool`` with no command): the technician's app."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from safetool.identity import ENV_VAR
from safetool.transport import DEFAULT_BAUD

LANGUAGE_CHOICES = ("en", "zh_CN")


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        "-p",
        default=os.environ.get("SAFETOOL_PORT", ""),
        help="connect to this port at once (default: $SAFETOOL_PORT; else choose in the app)",
    )
    parser.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=f"your key and certificate folder (default: ${ENV_VAR})",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGE_CHOICES,
        help="interface language (default: from the locale; F2 switches in the app)",
    )
    parser.add_argument(
        "--baud", type=int, default=DEFAULT_BAUD, help="serial line rate (default %(default)s)"
    )
    parser.add_argument(
        "--authority",
        metavar="URL",
        default=None,
        help="the service authority, for online recovery (default: $SAFETOOL_AUTHORITY)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def add_tui_parsers(commands: Any) -> None:
    tui = commands.add_parser(
        "tui",
        help="open the technician's app (the default with no command)",
        description="The technician's app: connect, dashboard, recovery, lock policy. "
        "Keyboard first: F1 help, Ctrl+P every action, F2 language, Ctrl+Q quit.",
    )
    add_tui_options(tui)
    tui.set_defaults(handler=cmd_tui)


async def cmd_tui(args: argparse.Namespace) -> int:
    from safetool.tui.run import run_tui

    return await run_tui(
        port=getattr(args, "port", "") or "",
        technician=getattr(args, "technician", None),
        language=getattr(args, "lang", None),
        baudrate=getattr(args, "baud", DEFAULT_BAUD),
        authority_url=getattr(args, "authority", None),
    )


async def cmd_tui_demo(args: argparse.Namespace) -> int:
    """``safetool demo`` in the app: an emulated board (with ``--fault NAME`` if given)."""
    from safetool.tui.run import run_demo_tui

    return await run_demo_tui(
        fault=getattr(args, "fault", None),
        language=getattr(args, "lang", None),
        emulator_args=list(getattr(args, "emulator_args", [])),
    )
