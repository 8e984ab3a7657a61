"""What every CLI command shares: the port options, connecting, and printing results."""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from safetool.messages import Message, pick_language, render
from safetool.messages.shown import visible
from safetool.services.session import DEFAULT_BAUD, LockSession

if TYPE_CHECKING:
    from safetool.identity import TechnicianIdentity

PORT_HELP = (
    "the lock's port: a serial device (/dev/ttyUSB0, COM3), any pyserial URL "
    "(socket://host:port, rfc2217://host:port) or ble:<address or name>; "
    "default: $SAFETOOL_PORT"
)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help="language of what is printed: en or zh-CN (default: $SAFETOOL_LANG, then the "
        "locale); --json always carries each message's code, values and English text",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks and a hex trace of every frame"
    )


def add_port_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", "-p", default=os.environ.get("SAFETOOL_PORT", ""), help=PORT_HELP)
    parser.add_argument(
        "--baud", type=int, default=DEFAULT_BAUD, help="serial line rate (default %(default)s)"
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=3.0,
        help="seconds to wait for each answer, resends included (default %(default)s)",
    )
    add_output_options(parser)


def trace_frames(direction: str, data: bytes) -> None:
    """``--debug``: one line per frame (frames end at each 0x00 delimiter)."""
    for frame in data.split(b"\x00"):
        if frame:
            print(f"[{direction}] {frame.hex(' ')} 00", file=sys.stderr)


@asynccontextmanager
async def connected(
    args: argparse.Namespace,
    port: str | None = None,
    identity: TechnicianIdentity | None = None,
) -> AsyncIterator[LockSession]:
    """Connect to ``port`` (default: ``--port``) with the command's baud, timeout and trace.
    Commands doing secure work load the technician's ``identity`` first, so a bad folder is
    reported before anything is sent."""
    session = await LockSession.connect(
        args.port if port is None else port,
        baudrate=args.baud,
        timeout_s=args.timeout_s,
        trace=trace_frames if args.debug else None,
        identity=identity,
    )
    try:
        yield session
    finally:
        await session.close()


def print_json(document: Any) -> None:
    print(json.dumps(document, ensure_ascii=False), flush=True)


def cells(text: str) -> int:
    """Terminal columns ``text`` takes: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def print_fields(fields: list[tuple[Any, Any]], language: str = "en", indent: str = "") -> None:
    """``label  value`` lines; labels and values may be coded messages, worded in
    ``language``; a list prints comma-separated (or "none")."""

    def word(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(word(item) for item in value) or render(Message("list.none"), language)
        return render(value, language) if isinstance(value, Message) else visible(str(value))

    labels = [word(name) for name, _ in fields]
    width = max(cells(label) for label in labels)
    for label, (_, value) in zip(labels, fields, strict=True):
        print(f"{indent}{label}{' ' * (width - cells(label))}  {word(value)}")


def language(args: argparse.Namespace) -> str:
    """The reader's language for this command: ``--lang``, ``$SAFETOOL_LANG``, the locale."""
    return pick_language(getattr(args, "lang", None))


def say(args: argparse.Namespace, message: Message, **kwargs: Any) -> None:
    """Print a coded message in the reader's language."""
    print(render(message, language(args)), **kwargs)
