"""Processes forked from a process that has already imported their code: emulated boards, and
the commands tests run as processes.

A test run starts about a hundred board processes and as many ``safetool`` commands. Each is
a new interpreter that imports its code again: 0.25 s of CPU for a serial board, 0.55 s for a
BLE board (Bumble), 0.5 s for most commands, on a two-core machine that also runs the tests.
:func:`fork` asks :mod:`multiprocessing`'s fork server, which imports that code once per test
worker, for a fork instead. The child is still its own process, reached only through its
pipes, ports and side channel; it runs the same ``main`` with the same arguments, with the
test's environment and working directory as they are when it starts, its standard output and
error piped back as ``asyncio``'s subprocess would (its standard input is empty).
``safetool demo``, ``python -m firmware`` and tests of a fresh interpreter itself (imports,
Ctrl-C, entry points) start processes the ordinary way.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import socket
import sys
from collections.abc import Mapping
from multiprocessing.context import ForkServerContext, ForkServerProcess

from firmware.process import BoardProcess, EmulatorProcess

PRELOAD = [
    "hil.forked",
    "firmware.run",
    "firmware.ble_board",
    "safetool.cli.main",
    "safetool.cli.common",
    "safetool.cli.audit_commands",
    "safetool.cli.diag_commands",
    "safetool.cli.firmware_commands",
    "safetool.cli.firmware_install_command",
    "safetool.cli.lock_commands",
    "safetool.cli.technician_commands",
    "safetool.cli.trust_commands",
    "safetool.cli.visit_commands",
]
"""What the fork server imports once: the board (serial and BLE) and the commands' code."""

_context: ForkServerContext | None = None


def _fork_server() -> ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _run(
    entry: str,
    argv: list[str],
    environ: dict[str, str],
    out: socket.socket,
    err: socket.socket,
) -> None:
    """``entry``'s function, in the forked child, with the starter's environment and pipes
    (:mod:`multiprocessing` has already moved it to the starter's working directory)."""
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    out.close()
    err.close()
    os.environ.clear()
    os.environ.update(environ)
    module, function = entry.split(":")
    sys.exit(getattr(importlib.import_module(module), function)(argv))


class ForkedProcess:
    """A forked process seen as ``asyncio``'s subprocess is (what :class:`EmulatorProcess`
    needs of it, and a command's output and exit status)."""

    def __init__(
        self, process: ForkServerProcess, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader
    ) -> None:
        self._process = process
        self._pid = process.pid or 0
        self._stdout = stdout
        self._stderr = stderr
        self._returncode: int | None = None
        self._exited: asyncio.Future[int] | None = None

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def returncode(self) -> int | None:
        """The exit status once known; minus the signal's number if a signal ended it."""
        if self._returncode is None:
            self._returncode = self._process.exitcode
        return self._returncode

    @property
    def stdout(self) -> asyncio.StreamReader:
        return self._stdout

    @property
    def stderr(self) -> asyncio.StreamReader:
        return self._stderr

    async def wait(self) -> int:
        """Wait for the exit without blocking the loop: the process's sentinel becomes readable."""
        if self._exited is None:
            loop = asyncio.get_running_loop()
            exited: asyncio.Future[int] = loop.create_future()
            sentinel = self._process.sentinel

            def reap() -> None:
                loop.remove_reader(sentinel)
                self._process.join()
                self._returncode = self._process.exitcode
                self._process.close()  # its sentinel's descriptor
                assert self._returncode is not None
                exited.set_result(self._returncode)

            loop.add_reader(sentinel, reap)
            self._exited = exited
        return await asyncio.shield(self._exited)

    def kill(self) -> None:
        if self.returncode is None:
            self._process.kill()

    def terminate(self) -> None:
        if self.returncode is None:
            self._process.terminate()


async def _reader(sock: socket.socket) -> asyncio.StreamReader:
    """Read ``sock`` as a pipe: its transport closes the socket at end of file."""
    sock.shutdown(socket.SHUT_WR)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sock)
    return reader


async def fork(entry: str, argv: list[str], env: Mapping[str, str] | None = None) -> ForkedProcess:
    """Run ``entry`` (``"module:function"``, called with ``argv``; what it returns is the exit
    status) in a process forked from the fork server, with ``env`` as its whole environment
    (default: this process's) and this working directory; its stdout and stderr piped."""
    (out, child_out), (err, child_err) = socket.socketpair(), socket.socketpair()
    environ = dict(os.environ if env is None else env)
    process = _fork_server().Process(
        target=_run, args=(entry, argv, environ, child_out, child_err), daemon=True
    )  # daemon: one a test left running ends with its worker
    try:
        # The first start waits for the fork server to import PRELOAD (once per worker).
        await asyncio.to_thread(process.start)
    finally:
        child_out.close()
        child_err.close()
    return ForkedProcess(process, await _reader(out), await _reader(err))


async def run_forked(
    entry: str, argv: list[str], env: Mapping[str, str] | None = None, timeout_s: float = 60
) -> tuple[int, str, str]:
    """:func:`fork` and wait for the end: exit status, stdout and stderr (as text)."""
    process = await fork(entry, argv, env)
    try:
        out, err = await asyncio.wait_for(
            asyncio.gather(process.stdout.read(), process.stderr.read()), timeout_s
        )
        code = await asyncio.wait_for(process.wait(), timeout_s)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return code, out.decode(), err.decode()


class ForkedEmulator(EmulatorProcess):
    """An :class:`EmulatorProcess` whose board is forked from the fork server (see above)."""

    async def spawn(self, argv: list[str]) -> BoardProcess:
        return await fork("firmware.run:main", argv)
