"""The lock's clock: read it against this laptop's, and set it (in a session, ``configure``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from protocols.audit_messages import ClockSetRequest, ClockSetResponse
from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.services.diagnostics.readings import Readings


@dataclass(frozen=True, slots=True)
class ClockChange:
    before_s: int
    after_s: int
    laptop_s: float


async def clock_offset_s(client: LockClient, identity: TechnicianIdentity) -> float:
    """Board clock minus this laptop's clock, in seconds (needs ``diagnose``)."""
    await open_session(client, identity)
    return await Readings(client).rtc_offset_s()


async def set_clock(client: LockClient, identity: TechnicianIdentity) -> ClockChange:
    """Set the lock's clock to this laptop's (UTC). The lock records the change in its audit
    trail, and refuses to go back past the latest time it has shown."""
    await open_session(client, identity)
    now = time.time()
    reply = await client.request(ClockSetRequest(round(now)))
    assert isinstance(reply, ClockSetResponse)
    return ClockChange(reply.before_s, reply.after_s, now)
