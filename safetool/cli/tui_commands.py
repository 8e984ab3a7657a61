"""``safetool tui`` (and ``safetool`` with no command): the technician's app."""

from __future__ import annotations

import argparse
from typing import Any

from safetool.command_words import h
from safetool.tui.options import add_tui_options, run_from_arguments


def add_tui_parsers(commands: Any) -> None:
    tui = commands.add_parser(
        "tui",
        help=h("cli.help.tui.tui"),
        description=h("cli.help.tui.tui.description"),
    )
    add_tui_options(tui)
    tui.set_defaults(handler=cmd_tui)


async def cmd_tui(args: argparse.Namespace) -> int:
    return await run_from_arguments(args)


async def cmd_tui_demo(args: argparse.Namespace) -> int:
    """``safetool demo`` in the app: an emulated board (with ``--fault NAME`` if given)."""
    from safetool.tui.run import run_demo_tui

    return await run_demo_tui(
        fault=getattr(args, "fault", None),
        language=getattr(args, "lang", None),
        emulator_args=list(getattr(args, "emulator_args", [])),
    )
