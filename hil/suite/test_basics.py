"""Identify, status and events over each selected link."""

from __future__ import annotations

import asyncio
import time

import pytest

from hil.lock_handle import Lock
from hil.measure import Recorder
from protocols.catalogue import EventKind, LockState


async def test_identify(lock: Lock, measure: Recorder) -> None:
    started = time.monotonic()
    identity = await lock.client.identify()
    measure("identify_ms", (time.monotonic() - started) * 1000, "ms", high=1000)
    assert identity.serial.startswith("SL-")
    assert identity.model and identity.firmware_version


async def test_status(lock: Lock, measure: Recorder) -> None:
    status = await lock.client.status()
    assert status.lock_state == LockState.LOCKED
    measure("battery_mv", status.battery_mv, "mV", low=4800, high=6600)


@pytest.mark.needs("keys")
async def test_events_arrive_in_order(lock: Lock) -> None:
    seen: list[EventKind] = []

    async def watch() -> None:
        async for received in lock.client.events():
            if received.event.kind != EventKind.KEY_PRESS:
                seen.append(received.event.kind)
            if received.event.kind == EventKind.BOLT_RETRACTED:
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    await lock.actuators.enter_code(code="000000")
    await lock.actuators.enter_code(code="123456")
    await asyncio.wait_for(watcher, 5)
    assert seen == [EventKind.WRONG_CODE, EventKind.CODE_ACCEPTED, EventKind.BOLT_RETRACTED]
