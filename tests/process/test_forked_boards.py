"""Boards forked from the tests' fork server (hil/forked.py) behave as ``python -m firmware``."""

from __future__ import annotations

import importlib.util
import os
import signal
from pathlib import Path

import pytest

from firmware.process import EmulatorFailed, EmulatorProcess
from hil.forked import PRELOAD, ForkedEmulator
from safetool.client import LockClient


async def test_a_forked_board_announces_and_answers_as_a_started_one() -> None:
    args = ("--serial", "SL-4242-0042", "--firmware-version", "2.0.0")
    async with EmulatorProcess(*args) as started, ForkedEmulator(*args) as forked:
        assert forked.process is not None and started.process is not None
        assert forked.process.pid not in (os.getpid(), started.process.pid)
        assert forked.ready.keys() == started.ready.keys()
        assert forked.port != started.port
        for board in (started, forked):
            client = await LockClient.connect(board.port)
            try:
                info = await client.identify()
            finally:
                await client.close()
            assert (info.serial, info.firmware_version) == ("SL-4242-0042", "2.0.0")


async def test_a_forked_board_works_in_the_directory_it_was_started_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with ForkedEmulator(state_dir=Path("relative")) as board:
        assert board.ready["state"] == "relative"
        await board.board.call("set_battery", rest_mv=5600)
    assert any((tmp_path / "relative").iterdir())  # its state, saved where the test stood


async def test_a_forked_board_reports_how_it_ended() -> None:
    """Told to stop as soon as it is ready, it still ends cleanly (its signal handlers are set
    before its ready line); pulled, it ends by the signal."""
    stopped = await ForkedEmulator().start()
    await stopped.stop()
    assert stopped.process is not None and stopped.process.returncode == 0

    killed = await ForkedEmulator().start()
    await killed.kill()
    assert killed.process is not None and killed.process.returncode == -signal.SIGKILL


async def test_a_forked_board_that_cannot_start_says_why(tmp_path: Path) -> None:
    with pytest.raises(EmulatorFailed, match=r"cannot provision board .*device\.key"):
        await ForkedEmulator("--pki", str(tmp_path / "missing")).start()


def test_every_module_the_fork_server_preloads_exists() -> None:
    """The fork server skips a preload it cannot import without a word: a renamed module
    would only make every fork slow again."""
    assert [name for name in PRELOAD if importlib.util.find_spec(name) is None] == []
