"""Shared by the scenarios: the technicians of the test PKI, a hard lockout at the keypad."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hil.lock_handle import Lock
from protocols.catalogue import BoltState
from safetool.identity import TechnicianIdentity


def technician(pki: Path, name: str = "T-1001") -> TechnicianIdentity:
    """T-1001 may recover, T-1002 only diagnose, T-1003 is revoked (safetool dev-pki)."""
    return TechnicianIdentity.load(pki / "technicians" / name)


async def wrong_codes(lock: Lock, count: int) -> None:
    for _ in range(count):
        await lock.actuators.enter_code(code="999999")


async def hard_lockout(lock: Lock, lockout_s: int = 300) -> None:
    """Three penalty lockouts in a row, as a burglar at the keypad would cause."""
    for _ in range(3):
        await wrong_codes(lock, 5)
        await lock.actuators.advance_clock(seconds=lockout_s + 1)


async def motor_travel() -> None:
    await asyncio.sleep(0.8)


async def open_by_customer(lock: Lock) -> None:
    """The motor test runs only with the bolt retracted: the customer opened the safe."""
    await lock.actuators.enter_code(code="246810")
    await motor_travel()
    assert (await lock.client.status()).bolt == BoltState.RETRACTED, "the customer's code"
    await lock.actuators.open_door()
