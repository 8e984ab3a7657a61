"""The app's command-line options, shared by ``safetool tui`` and ``python -m safetool.tui``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from safetool.command_words import h
from safetool.identity import ENV_VAR
from safetool.services.session import DEFAULT_BAUD

LANGUAGE_CHOICES = ("en", "zh_CN")


def add_tui_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        "-p",
        default=os.environ.get("SAFETOOL_PORT", ""),
        help=h("cli.help.options.port"),
    )
    parser.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGE_CHOICES,
        help=h("cli.help.options.lang"),
    )
    parser.add_argument(
        "--baud",
        type=int,
        default=DEFAULT_BAUD,
        help=h("cli.help.common.baud", default=DEFAULT_BAUD),
    )
    parser.add_argument(
        "--authority",
        metavar="URL",
        default=None,
        help=h("cli.help.options.authority"),
    )
    parser.add_argument("--debug", action="store_true", help=h("cli.help.main.debug"))


async def run_from_arguments(args: argparse.Namespace) -> int:
    """Run the app with what :func:`add_tui_options` parsed."""
    from safetool.tui.run import run_tui

    return await run_tui(
        port=getattr(args, "port", "") or "",
        technician=getattr(args, "technician", None),
        language=getattr(args, "lang", None),
        baudrate=getattr(args, "baud", DEFAULT_BAUD),
        authority_url=getattr(args, "authority", None),
    )
