"""The tool and an emulated board in one event loop (``memory://``, hil/inloop.py): a link that
behaves as the others do, and board time that is the loop's, fast-forwarded under looptime."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from hil.inloop import EmulatorInLoop
from hil.plugin import BoardFactory
from protocols.catalogue import BoltState, LockState
from safetool.client import LockClient
from safetool.errors import SafetoolError
from safetool.transport import LinkLost, PortNotFound, make_transport
from safetool.transport.memory import MemoryTransport

pytestmark = pytest.mark.in_memory


async def test_a_name_no_board_offers_is_a_port_not_found() -> None:
    transport = make_transport("memory://nobody")
    assert isinstance(transport, MemoryTransport)
    with pytest.raises(PortNotFound) as missing:
        await transport.open()
    assert "memory://nobody" in missing.value.explain()


async def test_a_pulled_cable_ends_the_link_and_a_new_one_works(
    board_factory: BoardFactory,
) -> None:
    board = await board_factory()
    client = await LockClient.connect(board.port)
    assert (await client.status()).lock_state == LockState.LOCKED
    assert await board.board.disconnect() is True
    with pytest.raises(SafetoolError):
        await client.status()
    await client.close()
    async with await LockClient.connect(board.port) as again:
        assert (await again.status()).lock_state == LockState.LOCKED


async def test_a_second_tool_takes_the_link_from_the_first(board_factory: BoardFactory) -> None:
    board = await board_factory()
    first = make_transport(board.port)
    await first.open()
    async with await LockClient.connect(board.port) as second:
        with pytest.raises(LinkLost):
            await asyncio.wait_for(first.read(), 1)
        assert (await second.identify()).serial == "SL-0000-0001"
    await first.close()


async def test_board_time_is_the_loops_and_a_lockout_takes_no_real_time(
    board_factory: BoardFactory,
) -> None:
    """Five wrong codes start the five-minute lockout; it ends when the loop's clock has moved
    five minutes, and the motor takes its travel time on that clock too."""
    board = await board_factory()
    loop = asyncio.get_running_loop()
    began, began_real = loop.time(), time.perf_counter()
    async with await LockClient.connect(board.port) as client:
        for _ in range(5):
            await board.board.enter_code(code="999999")
        status = await client.status()
        assert status.lock_state == LockState.PENALTY_LOCKOUT and status.lockout_seconds == 300
        await asyncio.sleep(150)
        assert 149 <= (await client.status()).lockout_seconds <= 151
        await asyncio.sleep(151)
        assert (await client.status()).lock_state == LockState.LOCKED
        assert await board.board.enter_code(code="123456") == "opened"
        opened_at = loop.time()
        while (await client.status()).bolt != BoltState.RETRACTED:
            await asyncio.sleep(0.05)
        assert 0.3 < loop.time() - opened_at < 3  # the motor's travel, on the loop's clock
    assert loop.time() - began >= 301
    assert time.perf_counter() - began_real < loop.time() - began  # faster than the clock


async def test_an_in_loop_board_refuses_to_pretend_to_be_a_radio(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BLE"):
        await EmulatorInLoop("--ble", state_dir=tmp_path).start()
