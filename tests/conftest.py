"""Shared fixtures. Emulated boards come from the ``hil`` plugin (``board``, ``board_factory``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from firmware.process import EmulatorProcess
from safetool.client import LockClient


@pytest.fixture(autouse=True)
def own_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test keeps what the tool stores (visits, audit copies, the images it installed,
    the bases of later delta installs) in its own folder, never the user's."""
    folder = tmp_path / "safetool-data"
    monkeypatch.setenv("SAFETOOL_DATA_DIR", str(folder))
    return folder


@pytest_asyncio.fixture
async def client(board: EmulatorProcess) -> AsyncIterator[LockClient]:
    """A LockClient over pyserial on the board's pty, HELLO done."""
    lock_client = await LockClient.connect(board.port)
    yield lock_client
    await lock_client.close()
