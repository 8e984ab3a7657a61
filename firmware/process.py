"""Start an emulated board as its own process and wait for its ready line.

Used by the tests, the HIL suite and ``safetool demo``: the board runs in another process, as a
real one would, so the tool under test talks to it only through the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from firmware.control import ControlClient

READY_TIMEOUT_S = 20.0


class EmulatorFailed(RuntimeError):
    """The emulator process exited or said nothing before it was ready."""


class BoardProcess(Protocol):
    """What :class:`EmulatorProcess` needs of the process it started: asyncio's subprocess, or
    a board forked from a process that has already imported the board's code
    (:mod:`hil.forked`, for test runs that start a hundred boards)."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    @property
    def stdout(self) -> asyncio.StreamReader | None: ...

    @property
    def stderr(self) -> asyncio.StreamReader | None: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...

    def terminate(self) -> None: ...


class EmulatedBoard:
    """What a test holds of an emulated board wherever it runs (its own process here, the test's
    event loop in :mod:`hil.inloop`): where the tool reaches it and its side channel."""

    def __init__(self, *args: str, state_dir: Path | None = None) -> None:
        """``args`` are ``python -m firmware`` options (``--baud``, ``--tcp``, ...)."""
        self.args = list(args)
        self.state_dir = state_dir
        self.ready: dict[str, Any] = {}
        self.control: ControlClient | None = None

    @property
    def port(self) -> str:
        return str(self.ready["port"])

    @property
    def board(self) -> ControlClient:
        """The side channel (keys, door, battery, faults)."""
        assert self.control is not None, "start() the emulator first"
        return self.control

    async def start(self) -> Self:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def kill(self) -> None:
        """Pull the plug: no goodbye, nothing flushed but what the board already committed."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class EmulatorProcess(EmulatedBoard):
    def __init__(self, *args: str, state_dir: Path | None = None) -> None:
        super().__init__(*args, state_dir=state_dir)
        self.process: BoardProcess | None = None

    async def spawn(self, argv: list[str]) -> BoardProcess:
        """Start ``python -m firmware`` with ``argv``: stdin empty, stdout and stderr piped."""
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "firmware",
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    async def start(self) -> Self:
        argv = ["--json", *self.args]
        if self.state_dir is not None:
            argv += ["--state", str(self.state_dir)]
        self.process = await self.spawn(argv)
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), READY_TIMEOUT_S)
        except TimeoutError:
            await self.kill()
            raise EmulatorFailed(f"no ready line within {READY_TIMEOUT_S} s") from None
        if not line:
            stderr = b""
            if self.process.stderr is not None:
                stderr = await self.process.stderr.read()
            await self.process.wait()
            raise EmulatorFailed(f"emulator exited: {stderr.decode(errors='replace')[-2000:]}")
        self.ready = json.loads(line)
        self.control = ControlClient(self.ready["control"])
        return self

    async def kill(self) -> None:
        """Pull the plug: no goodbye, nothing flushed but what the board already committed."""
        if self.control is not None:
            await self.control.close()
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        if self.control is not None:
            await self.control.close()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        await stream.read()
