"""The ``safetool`` command run inside a test's own event loop: :func:`safetool_here` runs
``safetool.cli.main`` as a technician types it (its parsing, output, exit codes and language)
beside an in-memory board, without a process of its own; :func:`run_cli` runs a command group's
parsers alone the way main does."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from safetool.cli.audit_commands import add_audit_parsers
from safetool.cli.main import main_in_loop
from safetool.command_words import language, use_language
from safetool.errors import SafetoolError

AddParsers = Callable[[Any], None]


def build(*adders: AddParsers) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safetool")
    commands = parser.add_subparsers(dest="command")
    for add in adders or (add_audit_parsers,):
        add(commands)
    return parser


async def run_cli(*argv: str, adders: tuple[AddParsers, ...] = ()) -> tuple[int, str, str]:
    args = build(*adders).parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int = await args.handler(args)
        except SafetoolError as error:
            if getattr(args, "json", False):
                print(json.dumps({"ok": False, **error.as_dict()}))
            else:
                print(f"safetool: {error.explain()}", file=err)
            code = error.exit_code
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def environment(env: Mapping[str, str] | None) -> Iterator[None]:
    """``os.environ`` is ``env`` (a whole environment, as a process would be given) inside."""
    if env is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def safetool_here(*argv: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """``safetool argv`` in this loop: its exit code, what it printed and what it said on
    stderr. ``env`` is the whole environment the command sees (default: this process's)."""
    out, err = io.StringIO(), io.StringIO()
    words = language()
    with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = await main_in_loop(argv)
        except SystemExit as exit:  # argparse: --help, a usage error
            code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 2
        finally:
            use_language(words)
    return code, out.getvalue(), err.getvalue()
