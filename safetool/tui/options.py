"""The app's command-line options, shared by ``safetool tui`` and ``python -m safetool.tui``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from safetool.identity import ENV_VAR
from safetool.services.session import DEFAULT_BAUD

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
