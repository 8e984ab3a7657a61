"""Shared fixtures. Emulated boards come from the ``hil`` plugin (``board``, ``board_factory``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from firmware.process import EmulatorProcess
from safetool.client import LockClient


@pytest_asyncio.fixture
async def client(board: EmulatorProcess) -> AsyncIterator[LockClient]:
    """A LockClient over pyserial on the board's pty, HELLO done."""
    lock_client = await LockClient.connect(board.port)
    yield lock_client
    await lock_client.close()
