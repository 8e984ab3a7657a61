"""The ``safetool`` command run inside a test's own event loop: :func:`safetool_here` runs
``safetool.cli.main`` as a technician types it (its parsing, output, exit codes and language)
beside an in-memory board or a board process, without a process of its own."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping

from safetool.cli.main import main_in_loop
from safetool.command_words import language, use_language


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
