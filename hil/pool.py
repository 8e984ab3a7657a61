"""``boards``: starts boards for one test over a given link, emulated or from the rig, and
stops them all afterwards. Each test (and so each xdist worker) has its own state dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.emulated import EmulatedBoard
from hil.lock_handle import Lock
from hil.rig import Rig, RigBoard
from hil.rig_boards import choose, open_rig_board


class Boards:
    def __init__(
        self, directory: Path, transport: str, pki: Path | None, rig: Rig | None, needs: list[str]
    ) -> None:
        self.directory = directory
        self.transport = transport
        self.pki = pki
        self.rig = rig
        self.needs = needs
        self.started: list[Lock] = []
        self.emulated: list[EmulatedBoard] = []
        self.rig_boards: dict[int, RigBoard] = {}

    async def start(
        self, *args: str, transport: str | None = None, provisioned: bool = True
    ) -> Lock:
        """A connected board in factory state (provisioned from ``pki`` unless told not to)."""
        link = transport or self.transport
        if self.rig is not None:
            chosen = choose(self.rig, self.needs, link)
            if chosen is None:
                pytest.skip(f"no board of rig {self.rig.name} offers {self.needs} over {link}")
            lock = await open_rig_board(self.rig, chosen, link)
            self.rig_boards[id(lock)] = chosen
        else:
            extra = ["--pki", str(self.pki)] if provisioned and self.pki else []
            board = EmulatedBoard(
                link, self.directory / f"board-{len(self.emulated)}", [*extra, *args]
            )
            self.emulated.append(board)
            lock = await board.open()
        self.started.append(lock)
        return lock

    def rig_board(self, lock: Lock) -> RigBoard | None:
        return self.rig_boards.get(id(lock))

    async def stop(self) -> None:
        for lock in self.started:
            await lock.client.close()
        for board in self.emulated:
            await board.stop()
