"""Wrong codes start the penalty lockout, and pulling the power does not end it."""

from __future__ import annotations

import pytest

from hil.faults import Faults
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.helpers import wrong_codes
from protocols.catalogue import LockState


@pytest.mark.any_link
@pytest.mark.needs("keys", "power_cycle")
async def test_wrong_codes_lockout_survives_power_cycle(
    lock: Lock, faults: Faults, measure: Recorder
) -> None:
    await wrong_codes(lock, 5)
    status = await lock.client.status()
    assert status.lock_state == LockState.PENALTY_LOCKOUT
    measure("lockout_s", status.lockout_seconds, "s", low=90, high=600)
    assert await lock.board.enter_code(code="123456") == "blocked"
    await faults.power_cycle()
    after = await lock.client.status()
    assert after.lock_state == LockState.PENALTY_LOCKOUT
    measure("lockout_after_power_cycle_s", after.lockout_seconds, "s", low=60)
    assert lock.client.hello is not None
