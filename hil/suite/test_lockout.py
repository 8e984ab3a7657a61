"""Wrong codes start the penalty lockout, and pulling the power does not end it."""

from __future__ import annotations

import time

import pytest

from hil.faults import Faults
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.helpers import motor_travel, wrong_codes
from protocols.catalogue import BoltState, LockState


@pytest.mark.any_link
@pytest.mark.needs("keys", "power_cycle")
async def test_wrong_codes_lockout_survives_power_cycle(
    lock: Lock, faults: Faults, measure: Recorder
) -> None:
    await wrong_codes(lock, 5)
    status = await lock.client.status()
    assert status.lock_state == LockState.PENALTY_LOCKOUT
    measure("lockout_s", status.lockout_seconds, "s", low=90, high=600)
    await lock.actuators.enter_code(code="123456")  # the right code, blocked
    await motor_travel()
    assert (await lock.client.status()).bolt == BoltState.EXTENDED
    before_s, cut_at = status.lockout_seconds, time.monotonic()
    await faults.power_cycle()
    after = await lock.client.status()
    assert after.lock_state == LockState.PENALTY_LOCKOUT
    # it runs on through the cut (lived time), never starts again nor grows: a lockout kept on
    # the uptime clock, which restarts at zero with the power, would do one or the other
    waited_s = time.monotonic() - cut_at
    measure(
        "lockout_after_power_cycle_s",
        after.lockout_seconds,
        "s",
        low=before_s - waited_s - 5,
        high=before_s,
    )
    assert lock.client.hello is not None
