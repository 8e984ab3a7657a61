"""The link misbehaves: BLE drops, bit errors, a board that goes silent, a board that babbles."""

from __future__ import annotations

import asyncio
import time

import pytest

from hil.faults import Faults
from hil.lock_handle import Lock
from hil.measure import Recorder
from protocols.catalogue import LockState
from protocols.messages import StatusRequest
from safetool.client.errors import RequestTimeout
from safetool.transport import LinkLost


@pytest.mark.needs("transport:ble", "link_model")
async def test_ble_disconnect_then_reconnect(lock: Lock, measure: Recorder) -> None:
    await lock.board.mute(on=True)
    pending = asyncio.create_task(lock.client.status())
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await lock.board.ble_disconnect()
    with pytest.raises(LinkLost):
        await asyncio.wait_for(pending, 5)
    measure("link_lost_after_s", time.monotonic() - started, "s", high=2.0)
    await lock.board.mute(on=False)
    await lock.client.reconnect()
    assert (await lock.client.status()).lock_state == LockState.LOCKED


@pytest.mark.needs("link_model")
@pytest.mark.parametrize("ber", [1e-4, 1e-3])
async def test_status_through_line_noise(
    lock: Lock, faults: Faults, measure: Recorder, ber: float
) -> None:
    """Every answer is the right one, byte for byte: damaged frames are dropped by whichever end
    receives them (their CRC), resent, and never taken for what was sent."""
    await faults.line_noise(ber)
    answered = echoed = 0
    for n in range(50):
        status = await lock.client.status()
        answered += status.lock_state == LockState.LOCKED
        payload = n.to_bytes(2, "little") * 4  # a bit flipped in it shows
        echoed += (await lock.client.ping(payload)).data == payload
    measure("answered", answered, "of 50", low=50)
    measure("echoed_exactly", echoed, "of 50", low=50)
    link = (await lock.state())["link"]
    rejected = lock.client.connection.stats.frames_rejected + link["frames_rejected"]
    measure("frames_rejected_by_both_ends", rejected, "", check=False)
    measure("bits_flipped", link["bits_flipped"], "", check=False)
    if link["bits_flipped"] >= 20:  # the noise touched frames: the ends saw and dropped some
        assert rejected > 0


@pytest.mark.any_link
@pytest.mark.needs("link_model")
async def test_silent_board_times_out_and_recovers(
    lock: Lock, faults: Faults, measure: Recorder
) -> None:
    await faults.mute()
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        await lock.client.request(StatusRequest(), timeout_s=1.0)
    measure("timeout_s", time.monotonic() - started, "s", low=0.9, high=2.0)
    await faults.mute(False)
    assert (await lock.client.status()).lock_state == LockState.LOCKED


@pytest.mark.needs("link_model")
async def test_babbling_board_wedges_nothing(lock: Lock, faults: Faults) -> None:
    await faults.babble(5000)
    await asyncio.sleep(0.3)
    for _ in range(3):
        assert (await lock.client.status()).lock_state == LockState.LOCKED
    assert lock.client.connection.stats.frames_rejected > 0  # the garbage was seen, and dropped
