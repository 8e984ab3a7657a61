"""Emulated boards over each link: a pty (serial), TCP, RFC 2217 in front of a pty, BLE; and,
for ``--transport memory``, a board in the test's own event loop (:mod:`hil.inloop`)."""

from __future__ import annotations

import os
from pathlib import Path

from firmware.process import EmulatedBoard as BoardRunner
from firmware.process import EmulatorProcess
from hil.capabilities import EMULATED, MEMORY
from hil.forked import ForkedEmulator
from hil.inloop import EmulatorInLoop
from hil.lock_handle import Lock, connect
from hil.network_serial import NetworkSerialServer
from safetool.transport.ble_scan import EMULATED_RADIO_ENV as HCI_ENV


class EmulatedBoard:
    """One emulated board with its endpoint; restartable with the same state directory."""

    def __init__(self, transport: str, state_dir: Path, args: list[str]) -> None:
        self.transport = transport
        self.state_dir = state_dir
        self.args = args
        self.process: BoardRunner | None = None
        self.server: NetworkSerialServer | None = None

    async def start(self) -> str:
        extra = {"tcp": ["--tcp", "0"], "ble": ["--ble"]}.get(self.transport, [])
        runner = EmulatorInLoop if self.transport == MEMORY else ForkedEmulator
        self.process = runner(*self.args, *extra, state_dir=self.state_dir)
        await self.process.start()
        port = self.process.port
        if self.transport == "ble":
            os.environ[HCI_ENV] = self.process.ready["hci"]  # one radio per worker process
        elif self.transport == "rfc2217":
            self.server = NetworkSerialServer(port).start()
            port = self.server.url
        return port

    async def restart(self) -> str:
        """Pull the plug and plug it back: nothing flushed but what was committed."""
        await self.stop(kill=True)
        return await self.start()

    async def stop(self, *, kill: bool = False) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.process is not None:
            await (self.process.kill() if kill else self.process.stop())
            self.process = None

    async def open(self) -> Lock:
        port = await self.start()
        assert self.process is not None
        serial = self.process.ready["serial"]
        lock = Lock(
            client=await connect(port),
            port=port,
            transport=self.transport,
            label=f"emulated {serial} over {self.transport}",
            capabilities=EMULATED,
            emulator=self.process,
            restart=self._restart_and_track,
        )
        self._lock = lock
        lock.pids = self.pids()
        return lock

    async def _restart_and_track(self) -> str:
        port = await self.restart()
        self._lock.emulator = self.process
        self._lock.pids = self.pids()
        return port

    def pids(self) -> list[int]:
        if not isinstance(self.process, EmulatorProcess) or self.process.process is None:
            return []  # none, or in this process
        return [self.process.process.pid]
