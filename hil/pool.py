"""``boards``: starts boards for one test over a given link, emulated or from the rig, and
stops them all afterwards. Each test (and so each xdist worker) has its own state dirs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from hil.emulated import EmulatedBoard
from hil.labgrid_boards import LabgridBench, LabgridBoard, LabgridSetupError
from hil.lock_handle import Lock
from hil.rig import Rig, RigBoard
from hil.rig_boards import choose, open_rig_board

T = TypeVar("T")


def lab_call(work: Callable[[LabgridBench], T], lab: LabgridBench) -> T:
    """``work(lab)``; a lab that cannot give boards (coordinator down, place taken, a target
    without a serial port) stops the run with labgrid's reason instead of failing every test."""
    try:
        return work(lab)
    except LabgridSetupError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)


class Boards:
    def __init__(
        self,
        directory: Path,
        transport: str,
        pki: Path | None,
        rig: Rig | None,
        needs: list[str],
        lab: LabgridBench | None = None,
    ) -> None:
        self.directory = directory
        self.transport = transport
        self.pki = pki
        self.rig = rig
        self.needs = needs
        self.started: list[Lock] = []
        self.emulated: list[EmulatedBoard] = []
        self.rig_boards: dict[int, RigBoard] = {}
        self.lab = lab
        self.lab_boards: list[LabgridBoard] = []

    async def start(
        self, *args: str, transport: str | None = None, provisioned: bool = True
    ) -> Lock:
        """A connected board in factory state (provisioned from ``pki`` unless told not to)."""
        link = transport or self.transport
        lock: Lock
        if self.lab is not None:
            lab_board = lab_call(
                lambda lab: lab.choose(self.needs, link, self.lab_boards), self.lab
            )
            if lab_board is None:
                pytest.skip(
                    f"no free board of labgrid {self.lab.name} offers {self.needs} over {link} "
                    f"(its targets serve {', '.join(self.lab.transports())}: --transport)"
                )
            self.lab_boards.append(lab_board)
            lock = await self.lab.open(lab_board)
        elif self.rig is not None:
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
