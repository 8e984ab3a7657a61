"""Runs commands whose parsers are not yet wired into ``safetool.cli.main`` the way main does:
the same parser setup, the same handling of errors (message, meaning, next step; no traceback)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from collections.abc import Callable
from typing import Any

from safetool.cli.audit_commands import add_audit_parsers
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
