"""pytest plugin: emulated boards as fixtures.

Fixture names avoid labgrid's (``env``, ``target``, ``strategy``) so both plugins can load.

* ``board_factory`` — ``await board_factory("--baud", "115200")`` starts an emulated board
  process (each with its own state directory unless one is given) and stops it after the test.
* ``board`` — one started board in factory state; ``board.port`` for the tool,
  ``board.board`` for the side channel (keys, door, battery, faults).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from firmware.process import EmulatorProcess

BoardFactory = Callable[..., Awaitable[EmulatorProcess]]


@pytest_asyncio.fixture
async def board_factory(tmp_path: Path) -> AsyncIterator[BoardFactory]:
    started: list[EmulatorProcess] = []

    async def start(*args: str, state_dir: Path | None = None) -> EmulatorProcess:
        directory = state_dir or tmp_path / f"board-{len(started)}"
        emulator = EmulatorProcess(*args, state_dir=directory)
        started.append(emulator)
        return await emulator.start()

    yield start
    for emulator in started:
        await emulator.stop()


@pytest_asyncio.fixture
async def board(board_factory: BoardFactory) -> EmulatorProcess:
    return await board_factory()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hil: a hardware-in-the-loop scenario")
