"""Emulated boards forked from a process that has already imported the board's code.

A test run starts about a hundred board processes. Each ``python -m firmware`` is a new
interpreter that imports the board again: 0.25 s of CPU for a serial board, 0.55 s for a BLE
board (Bumble), on a two-core machine that also runs the tests. :class:`ForkedEmulator` asks
:mod:`multiprocessing`'s fork server, which imports the board once per test worker, for a fork
instead. The board is still its own process, reached only through its port and side channel;
it runs the same :func:`firmware.run.main` with the same arguments, and gets the test's
environment and working directory as they are when it starts, its standard output and error
piped back as ``asyncio``'s subprocess would. ``safetool demo`` and ``python -m firmware`` keep
the ordinary start (:class:`firmware.process.EmulatorProcess`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import sys
from multiprocessing.context import ForkServerContext, ForkServerProcess

from firmware.process import BoardProcess, EmulatorProcess

PRELOAD = ["hil.forked", "firmware.run", "firmware.ble_board"]
"""What the fork server imports once: the board, serial and BLE alike."""

_context: ForkServerContext | None = None


def _fork_server() -> ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _run_board(
    argv: list[str], environ: dict[str, str], out: socket.socket, err: socket.socket
) -> None:
    """The board's ``main``, in the forked child, with the starter's environment and pipes
    (:mod:`multiprocessing` has already moved it to the starter's working directory)."""
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    out.close()
    err.close()
    os.environ.clear()
    os.environ.update(environ)
    from firmware.run import main

    sys.exit(main(argv))


class ForkedBoardProcess:
    """A forked board seen the way :class:`EmulatorProcess` sees ``asyncio``'s subprocess."""

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


class ForkedEmulator(EmulatorProcess):
    """An :class:`EmulatorProcess` whose board is forked from the fork server (see above)."""

    async def spawn(self, argv: list[str]) -> BoardProcess:
        pairs = [socket.socketpair() for _ in range(2)]
        (out, child_out), (err, child_err) = pairs
        process = _fork_server().Process(
            target=_run_board,
            args=(argv, dict(os.environ), child_out, child_err),
            daemon=True,  # one a test left running ends with its worker
        )
        try:
            # The first start waits for the fork server to import the board (once per worker).
            await asyncio.to_thread(process.start)
        finally:
            child_out.close()
            child_err.close()
        return ForkedBoardProcess(process, await _reader(out), await _reader(err))
