"""What every CLI command shares: the port options, connecting, and printing results."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from safetool.command_words import h
from safetool.messages import Message, pick_language, render
from safetool.messages.shown import json_text, visible
from safetool.services.session import DEFAULT_BAUD, LockSession

if TYPE_CHECKING:
    from safetool.identity import TechnicianIdentity


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=h("cli.help.common.json"))
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=h("cli.help.common.lang"),
    )
    parser.add_argument("--debug", action="store_true", help=h("cli.help.common.debug"))


def add_port_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", "-p", default=os.environ.get("SAFETOOL_PORT", ""), help=h("cli.help.common.port")
    )
    parser.add_argument(
        "--baud",
        type=int,
        default=DEFAULT_BAUD,
        help=h("cli.help.common.baud", default=DEFAULT_BAUD),
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=3.0,
        help=h("cli.help.common.timeout_s", default=3.0),
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


async def ask(prompt: str) -> str:
    """A line typed at the terminal, read in a thread of its own: Ctrl-C stops the command at
    once (a read in asyncio's default executor would hold the exit until Enter)."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(line or "")

    def read() -> None:
        try:
            line = input(prompt)
        except EOFError as error:
            loop.call_soon_threadsafe(settle, None, error)
        except BaseException:  # the interpreter is going: nobody waits for this line
            return
        else:
            loop.call_soon_threadsafe(settle, line, None)

    threading.Thread(target=read, name="prompt", daemon=True).start()
    return await answer


def print_json(document: Any) -> None:
    print(json_text(document), flush=True)


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
