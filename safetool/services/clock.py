"""The lock's clock: read it against this laptop's, and set it (in a session, ``configure``).

A laptop may only nudge a lock's clock forward, 300 s in all between two signed times; setting it
back, or further forward, takes a time statement signed by the service authority (SPEC.md 12.6,
17.2), fetched online with ``authority_url``. Recovery never depends on the clock (SPEC.md 12.5):
what a wrong clock still affects is the judging of certificates and the audit trail's times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from protocols.audit_messages import CLOCK_NUDGE_S, ClockSetRequest
from protocols.catalogue import ErrorCode
from safetool.client import LockClient, LockRefused
from safetool.client.secure import open_session
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message
from safetool.services.diagnostics.readings import Readings

NUDGE_S = CLOCK_NUDGE_S
SKEW_THAT_MATTERS_S = CLOCK_NUDGE_S
"""A clock off by more than this is worth telling the technician about: a laptop can no longer
put it right alone, and certificates are judged on the lock's signed time instead (SPEC.md 12.6)."""


@dataclass(frozen=True, slots=True)
class ClockChange:
    before_s: int
    after_s: int
    laptop_s: float
    signed: bool
    """Set to the authority's signed time (not this laptop's)."""


class ClockNeedsSignedTime(SafetoolError):
    """The lock refused this laptop's time: too far, or back."""

    exit_code = 1

    def __init__(self, offset_s: float) -> None:
        super().__init__(
            Message("clock.needs_statement", {"skew": skew_message(offset_s)}),
            meaning=Message("clock.needs_statement.meaning", {"nudge_s": NUDGE_S}),
            next_step=Message("clock.needs_statement.next"),
        )
        self.offset_s = offset_s


def skew_message(offset_s: float) -> Message:
    """ "3 d 2 h fast", "40 min slow", "12 s fast": how far the lock's clock is off."""
    seconds = abs(round(offset_s))
    side = "fast" if offset_s > 0 else "slow"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return Message(f"clock.skew.days_{side}", {"days": days, "hours": hours})
    if hours:
        return Message(f"clock.skew.hours_{side}", {"hours": hours, "minutes": minutes})
    if minutes:
        return Message(f"clock.skew.minutes_{side}", {"minutes": minutes})
    return Message(f"clock.skew.seconds_{side}", {"seconds": secs})


async def clock_offset_s(client: LockClient, identity: TechnicianIdentity) -> float:
    """Board clock minus this laptop's clock, in seconds (needs ``diagnose``)."""
    await open_session(client, identity)
    return await Readings(client).rtc_offset_s()


async def set_clock(
    client: LockClient, identity: TechnicianIdentity, *, authority_url: str | None = None
) -> ClockChange:
    """Set the lock's clock: to this laptop's time (a nudge forward), or, with
    ``authority_url``, to the service authority's signed time (any direction). The lock
    records the change, and any refusal, in its audit trail."""
    if authority_url is None:
        info = await open_session(client, identity)
        now = time.time()
        request = ClockSetRequest(round(now))
    else:
        from safetool.authority.client import AuthorityClient
        from safetool.services.recover import carry_revocations

        async with AuthorityClient(authority_url) as authority:
            await carry_revocations(client, identity, authority)
            info = await open_session(client, identity)
            statement = await authority.time_statement(
                info.serial, authority_key=identity.authority_key
            )
        now = time.time()
        request = ClockSetRequest(statement.time_s, statement.encode())
    try:
        reply = await client.request(request)
    except LockRefused as refused:
        if refused.code != ErrorCode.OUT_OF_RANGE or authority_url is not None:
            raise
        try:
            offset = await Readings(client).rtc_offset_s()
        except LockRefused:  # no 'diagnose': the session's time (never earlier than its floor)
            offset = info.board_time_s - now
        raise ClockNeedsSignedTime(offset) from None
    return ClockChange(reply.before_s, reply.after_s, now, signed=authority_url is not None)
