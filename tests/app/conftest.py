"""What the app's flows on an emulated board share: a provisioned development PKI per module
and a board from it; the app's language is put back to English after each flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from firmware.process import EmulatedBoard
from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from safetool.tui.i18n import set_language


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tui") / "pki"
    init_dev_pki(directory)
    return directory


@pytest_asyncio.fixture
async def board(pki: Path, board_factory: BoardFactory) -> AsyncIterator[EmulatedBoard]:
    yield await board_factory("--pki", str(pki))
    set_language("en")
