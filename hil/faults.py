"""The fault injectors of one board, each checked against what the board can be given."""

from __future__ import annotations

from typing import Any

import pytest

from hil.lock_handle import Lock
from hil.rig import RigBoard
from hil.rig_boards import flip


class Faults:
    def __init__(self, lock: Lock, rig_board: RigBoard | None = None) -> None:
        self.lock = lock
        self.rig_board = rig_board

    def can(self, capability: str) -> bool:
        return capability in self.lock.capabilities

    def require(self, capability: str) -> None:
        """Skip the test, with the reason, when this board cannot take ``capability``."""
        if not self.can(capability):
            pytest.skip(f"{self.lock.label} cannot do {capability!r} (not in its capabilities)")

    async def inject(self, name: str, **params: Any) -> None:
        """Give the board a hardware fault (docs/diagnostics.md names them)."""
        self.require(f"fault:{name}")
        if self.rig_board is not None:
            await flip(self.rig_board.faults[name], True)
        else:
            await self.lock.board.set_fault(name=name, **params)

    async def line_noise(self, ber: float, drop: float = 0.0) -> None:
        self.require("link_model")
        await self.lock.board.set_link(ber=ber, drop=drop)

    async def mute(self, on: bool = True) -> None:
        self.require("link_model")
        await self.lock.board.mute(on=on)

    async def babble(self, count: int) -> None:
        self.require("link_model")
        await self.lock.board.babble(count=count)

    async def power_cycle(self) -> None:
        self.require("power_cycle")
        await self.lock.power_cycle()
