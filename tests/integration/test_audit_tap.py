"""The board writes what happens at the lock into its audit trail, and notices lost power."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.process import EmulatedBoard
from hil.plugin import BoardFactory

pytestmark = pytest.mark.in_memory


async def kinds(board: EmulatedBoard) -> list[tuple[str, object]]:
    entries = await board.board.audit()
    return [(e["kind"], e.get("result") or e.get("state") or e.get("open")) for e in entries]


async def test_codes_lockouts_openings_and_tamper_are_audited(board_factory: BoardFactory) -> None:
    board = await board_factory()
    for _ in range(5):
        await board.board.enter_code(code="000000")
    await board.board.advance_clock(seconds=301)
    await board.board.enter_code(code="123456")
    await asyncio.sleep(0.7)
    await board.board.open_door()
    await board.board.set_tamper(open=True)
    seen = await kinds(board)
    assert seen.count(("code_entered", "wrong")) == 5
    assert ("lockout", "penalty") in seen and ("lockout", "ended") in seen
    assert ("code_entered", "accepted") in seen
    assert ("bolt_retracted", None) in seen and ("door_opened", None) in seen
    assert ("tamper", True) in seen


async def test_power_loss_is_recorded_but_not_a_clean_shutdown(
    board_factory: BoardFactory, tmp_path: Path
) -> None:
    state = tmp_path / "board"
    board = await board_factory(state_dir=state)
    await board.kill()  # the power goes
    board = await board_factory(state_dir=state)
    assert ("power_loss", None) in await kinds(board)
    await board.stop()  # a clean shutdown
    board = await board_factory(state_dir=state)
    assert [k for k, _ in await kinds(board)].count("power_loss") == 1
