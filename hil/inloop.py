"""An emulated board in the test's own event loop, reached as ``memory://`` (issue 21).

The two ends in one loop, as bumble's ``TwoDevices`` and python-can's virtual bus pair theirs:
the tool's :class:`~safetool.transport.memory.MemoryTransport` and an
:class:`~firmware.emulator.Emulator` whose clocks are the loop's. In a test marked
``in_memory`` the loop is looptime's (``hil.plugin``), whose clock jumps ahead whenever every
task waits, so a motor run, a five-minute lockout or an idle timeout takes no real time.

Same surface as :class:`firmware.process.EmulatorProcess` (``port``, ``board``, ``start``,
``stop``, ``kill``) and the same options as ``python -m firmware`` except where it listens
(``--tcp``, asked for a cable that can be pulled, is one: ``disconnect`` pulls a memory link's).
Where the wire is the point (ptys, real pyserial, TCP, RFC 2217, bleak) the process board stays:
the transport contract suite and ``hil/``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from pathlib import Path
from typing import Any, Self

from firmware.clock import SystemClock
from firmware.control import ControlClient, ControlError, handle_line
from firmware.emulator import Emulator
from firmware.process import EmulatedBoard
from firmware.run import add_arguments, build_emulator
from safetool.transport import memory

_names = itertools.count(1)


class LocalControl(ControlClient):
    """The side channel called directly: the same requests and answers as the TCP one."""

    def __init__(self, emu: Emulator) -> None:  # no address: nothing to connect to
        self._emu = emu

    async def call(self, op: str, **args: Any) -> Any:
        line = json.dumps({"op": op, **args}).encode()
        answer = json.loads(json.dumps(handle_line(self._emu, line)))  # as the wire would carry it
        await asyncio.sleep(0)  # what the board sent in reply reaches the tool's queue first
        if not answer["ok"]:
            raise ControlError(answer["error"])
        return answer["result"]

    async def close(self) -> None:
        return None


class EmulatorInLoop(EmulatedBoard):
    def __init__(self, *args: str, state_dir: Path | None = None) -> None:
        super().__init__(*args, state_dir=state_dir)
        self.emulator: Emulator | None = None
        self._name = ""
        self._end: memory.BoardEnd | None = None

    async def start(self) -> Self:
        parser = argparse.ArgumentParser(prog="EmulatorInLoop")
        add_arguments(parser)
        argv = [*self.args] + (["--state", str(self.state_dir)] if self.state_dir else [])
        options = parser.parse_args(argv)
        if options.ble:
            raise ValueError("an in-loop board is reached only as memory://, not over BLE")
        # --tcp asks for a link whose cable can be pulled: a memory link is one already
        loop = asyncio.get_running_loop()
        wall_at_zero = time.time() - loop.time()
        clock = SystemClock(elapsed=loop.time, wall=lambda: wall_at_zero + loop.time())
        self.emulator = build_emulator(options, clock=clock)
        self._name = f"board-{next(_names)}"
        self._end = self.emulator.start_memory()
        port = memory.register(self._name, self._end)
        self.control = LocalControl(self.emulator)
        self.ready = {
            "port": port,
            "serial": self.emulator.identity.serial,
            "model": self.emulator.identity.model,
            "firmware_version": self.emulator.identity.firmware_version,
            "state": str(self.state_dir) if self.state_dir else None,
        }
        return self

    def move_cable_to(self, other: EmulatorInLoop) -> None:
        """This board's port now leads to ``other`` (a cable moved to another lock, a USB
        adapter back under another name): the tool's link drops, and a reopen finds ``other``."""
        assert self.emulator is not None and other._end is not None, "start() both boards first"
        memory.register(self._name, other._end)
        self.emulator.disconnect_client()

    async def stop(self) -> None:
        self._shut(clean=True)

    async def kill(self) -> None:
        """Pull the plug: no goodbye, nothing flushed but what the board already committed."""
        self._shut(clean=False)

    def _shut(self, *, clean: bool) -> None:
        if self.emulator is None:
            return
        memory.unregister(self._name)
        self.emulator.disconnect_client()
        self.emulator.close(clean=clean)
        self.emulator = None
