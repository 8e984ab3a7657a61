"""Shared fixtures. Emulated boards come from the ``hil`` plugin (``board``, ``board_factory``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from argon2 import PasswordHasher

from firmware.process import EmulatorProcess
from safetool.authority import operators
from safetool.client import LockClient

WORKERS_PER_CORE = 2
"""Most of a test's time is spent waiting (for boards in their processes, a browser, a link's
pacing), not computing: two workers a core keep both busy (measured on two cores: 245 s at one a
core, 219 s at two; three a core gained 4 s more and failed a load-sensitive test)."""


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (the default in pyproject.toml): two workers for each core."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operators added in a test's own process get Argon2id at its smallest cost, as Django's test
    settings use a quick hasher: the desk's login rules are the point, not 64 MiB a check (which
    took half the desk tests' time). ``test_operator_passwords_are_stored_with_argon2id_at_its_
    recommended_cost`` holds the real parameters; a verify reads the cost from the hash."""
    monkeypatch.setattr(
        operators, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


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
