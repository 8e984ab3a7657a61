"""Lockout recovery, as the technician does it: a secure session, a challenge from the lock,
an authorisation from the service centre (online, or read over the phone), the lock's answer,
and later the close seal. The tool itself can open nothing: it carries messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from protocols.catalogue import RecoveryMethod, RecoveryResult, RefusalReason
from protocols.messages import Request, Response
from protocols.recovery import (
    RESPONSE_DIGITS,
    check_digits_ok,
    group_digits,
    normalise_digits,
)
from protocols.trust_messages import (
    RecoveryAuthoriseRequest,
    RecoveryChallengeRequest,
    RecoveryChallengeResponse,
    RecoverySealRequest,
    RecoverySealResponse,
)
from safetool.client import LockClient
from safetool.client.errors import SessionLost
from safetool.client.secure import SessionInfo, open_session
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message, as_dict, render
from safetool.services.events import refusal_message

R = TypeVar("R", bound=Response)

if TYPE_CHECKING:
    from safetool.authority.client import AuthorityClient


__all__ = [
    "RESPONSE_DIGITS",
    "Challenge",
    "DigitsMistyped",
    "Outcome",
    "Recovery",
    "check_digits_ok",
    "group_digits",
    "normalise_digits",
    "recover_online",
]


class DigitsMistyped(SafetoolError):
    """The check digit does not match: a digit was misheard or two were swapped."""


@dataclass(frozen=True, slots=True)
class Challenge:
    serial: str
    digits: str
    counter: int
    attempts_left: int
    technician_id: str
    raw: RecoveryChallengeResponse

    @property
    def grouped(self) -> str:
        return group_digits(self.digits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "challenge": self.digits,
            "challenge_grouped": self.grouped,
            "counter": self.counter,
            "attempts_left": self.attempts_left,
            "technician_id": self.technician_id,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    opened: bool
    reason: RefusalReason
    counter: int
    attempts_left: int
    wait_s: int = 0
    """Seconds the lock waits before it takes another answer (its lived time)."""

    @property
    def message(self) -> Message:
        if self.opened:
            return Message("recovery.opened")
        refused = Message("recovery.refused", {"reason": refusal_message(self.reason)})
        if not self.wait_s:
            return refused
        wait = Message("recovery.wait", {"seconds": self.wait_s})
        return Message("recovery.refused_then_wait", {"refused": refused, "wait": wait})

    @property
    def explanation(self) -> str:
        return render(self.message, "en")

    def as_dict(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "reason": self.reason.name.lower(),
            "counter": self.counter,
            "attempts_left": self.attempts_left,
            "wait_s": self.wait_s,
            "explanation": self.explanation,
            "message": as_dict(self.message),
        }


ObtainAuthorisation = Callable[[Challenge], Awaitable[bytes]]
"""Asks the service authority for a signed authorisation for this challenge."""


class Recovery:
    def __init__(self, client: LockClient, identity: TechnicianIdentity) -> None:
        self.client = client
        self.identity = identity
        self.session: SessionInfo | None = None

    async def ensure_session(self) -> SessionInfo:
        if self.session is None or self.client.connection.cipher is None:
            self.session = await open_session(self.client, self.identity)
        return self.session

    async def _in_session(self, request: Request[R]) -> R:
        """Send in the session; if the lock had ended it (idle timeout), open a new one and
        send again: the lock refused the first try without acting on it."""
        await self.ensure_session()
        try:
            return await self.client.request(request)
        except SessionLost:
            self.session = None
            await self.ensure_session()
            return await self.client.request(request)

    async def challenge(self) -> Challenge:
        reply = await self._in_session(RecoveryChallengeRequest())
        return Challenge(
            reply.serial,
            reply.challenge,
            reply.counter,
            reply.attempts_left,
            self.identity.technician_id,
            reply,
        )

    async def answer_by_phone(self, typed: str) -> Outcome:
        """Send the hotline's response; a mistyped one is caught here, costing no attempt."""
        digits = normalise_digits(typed)
        if not check_digits_ok(digits):
            raise DigitsMistyped(
                Message("recovery.mistyped"),
                meaning=Message("recovery.mistyped.meaning"),
                next_step=Message("recovery.mistyped.next"),
            )
        return await self._authorise(RecoveryAuthoriseRequest(RecoveryMethod.PHONE, digits, b""))

    async def answer_online(self, obtain: ObtainAuthorisation, challenge: Challenge) -> Outcome:
        token = await obtain(challenge)
        return await self._authorise(RecoveryAuthoriseRequest(RecoveryMethod.ONLINE, "", token))

    async def _authorise(self, request: RecoveryAuthoriseRequest) -> Outcome:
        # A phone call can outlast the lock's 10-minute session idle timeout; the challenge
        # belongs to the technician, not the session, so a new session carries the answer.
        reply = await self._in_session(request)
        return Outcome(
            reply.result == RecoveryResult.OPENED,
            reply.reason,
            reply.counter,
            reply.attempts_left,
            reply.wait_s,
        )

    async def seal(self) -> RecoverySealResponse:
        reply = await self._in_session(RecoverySealRequest())
        return reply


async def carry_revocations(
    client: LockClient, identity: TechnicianIdentity, authority: AuthorityClient
) -> None:
    """Bring the authority's newest revocation list to the lock (before any session: its signed
    time also tells the lock the time, SPEC.md 12.6) and keep it on this laptop for locks visited
    offline."""
    from safetool.client.secure import push_revocations

    newest = await authority.revocations(authority_key=identity.authority_key)
    await push_revocations(client, identity, newest.encode())
    identity.keep_revocations(newest)


async def recover_online(recovery: Recovery, authority_url: str) -> tuple[Outcome, int]:
    """The whole online path: carry the authority's newest revocation list to the lock (and
    keep it on this laptop for locks visited offline), ask the lock for a challenge, get the
    authorisation for it, hand it to the lock, and report the lock's answer to the authority.
    Return the outcome and the authority's recovery id."""
    from safetool.authority.client import AuthorityClient

    identity = recovery.identity
    async with AuthorityClient(authority_url) as authority:
        await carry_revocations(recovery.client, identity, authority)
        challenge = await recovery.challenge()
        recovery_ids: list[int] = []

        async def obtain(c: Challenge) -> bytes:
            answer = await authority.authorise(
                identity.key,
                identity.certificate_bytes,
                c.serial,
                c.raw.nonce,
                c.counter,
                c.digits,
                authority_key=identity.authority_key,
            )
            recovery_ids.append(answer.recovery_id)
            return answer.authorisation.encode()

        outcome = await recovery.answer_online(obtain, challenge)
        await authority.report_result(
            identity.key,
            identity.certificate_bytes,
            recovery_ids[0],
            "used" if outcome.opened else "refused",
            outcome.explanation,
        )
    return outcome, recovery_ids[0]
