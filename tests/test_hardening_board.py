"""Issue 19, finding 4: the board's timers outlive any one failing tick, and say so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.emulator import Emulator


async def test_a_failing_tick_is_reported_and_the_timers_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Emulator(state_dir=tmp_path)
    ticks = []
    real_tick = board.updater.tick

    def tick_that_fails_once() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError("a fault in one tick")
        real_tick()

    board.updater.tick = tick_that_fails_once  # type: ignore[method-assign]
    board._start_ticking()
    try:
        for _ in range(200):
            if len(ticks) >= 5:
                break
            await asyncio.sleep(0.01)
    finally:
        board.close()
    assert board.tick_failures == 1 and len(ticks) >= 5  # the timers kept running
    assert "a fault in one tick" in capsys.readouterr().err  # and it was not silent
