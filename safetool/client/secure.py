"""Opening a secure session on a connected LockClient (the handshake of SPEC.md section 11)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from protocols.certificates import Certificate, Qualification
from protocols.session import HandshakeFailed, ToolHandshake
from protocols.trust_messages import (
    RevocationsRequest,
    RevocationsResponse,
    SessionEndRequest,
)
from safetool.client.errors import LockRefused
from safetool.client.lock_client import LockClient
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message


class SessionRefused(SafetoolError):
    """The lock would not open a secure session, or failed to prove who it is."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class SessionInfo:
    serial: str
    device: Certificate
    qualifications: Qualification
    idle_timeout_s: int
    board_time_s: int
    revocations_issued_at: int | None
    revocations_next_update: int | None
    """The lock's list after this laptop offered its own (``None``: it could not tell): once the
    lock's signed time passes ``revocations_next_update`` it refuses privileged work."""


async def push_revocations(
    client: LockClient, identity: TechnicianIdentity, revocation_list: bytes | None = None
) -> RevocationsResponse | None:
    """Give the lock the newest revocation list at hand (``revocation_list``, else the one this
    laptop holds); the lock keeps it only if it is newer. Return the list the lock now holds."""
    data = revocation_list or identity.revocation_list
    if data is None:
        return None
    try:
        return await client.request(RevocationsRequest(data))
    except LockRefused:
        return None  # an unprovisioned board (the session request will say so), or a list of an
        # older format (the lock's refusal of privileged work, if its own is out of date, will)


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def _refused(detail: str, identity: TechnicianIdentity) -> SessionRefused:
    """The lock's refusal of SESSION_INIT; one that judged the certificate outside its validity
    while this laptop's clock finds it valid points at the lock's clock (SPEC.md 11.4, 12.6)."""
    certificate = identity.certificate
    now = time.time()
    if detail.startswith("session refused (EXPIRED)") and (
        certificate.not_before <= now <= certificate.not_after
    ):
        return SessionRefused(
            Message("session.refused_lock_clock", {"detail": detail}),
            meaning=Message(
                "session.refused_lock_clock.meaning",
                {
                    "valid_from": _day(certificate.not_before),
                    "valid_to": _day(certificate.not_after),
                },
            ),
            next_step=Message("session.refused_lock_clock.next"),
        )
    return SessionRefused(
        Message("session.refused", {"detail": detail}),
        meaning=Message("session.refused.meaning"),
        next_step=Message("session.refused.next"),
    )


async def open_session(client: LockClient, identity: TechnicianIdentity) -> SessionInfo:
    client.connection.end_session("a new session was requested")  # SESSION_INIT goes in clear
    identity_reply = await client.identify()
    revocations = await push_revocations(client, identity)
    handshake = ToolHandshake(
        identity.certificate_bytes, identity.sign, client.connection.hello_exchange
    )
    try:
        reply = await client.request(handshake.start())
    except LockRefused as refusal:
        raise _refused(refusal.detail, identity) from None
    try:
        auth, cipher, device = handshake.finish(
            reply,
            provisioning_key=identity.provisioning_key,
            expected_serial=identity_reply.serial,
            now=time.time(),
        )
    except HandshakeFailed as failure:
        raise SessionRefused(
            Message("session.not_genuine", {"model": identity_reply.model, "error": str(failure)}),
            meaning=Message("session.not_genuine.meaning"),
            next_step=Message("session.not_genuine.next"),
        ) from None
    client.connection.cipher = cipher
    try:
        granted = await client.request(auth)
    except LockRefused as refusal:
        client.connection.end_session("refused")
        raise SessionRefused(
            Message("session.refused", {"detail": refusal.detail}),
            next_step=Message("session.refused.check_key"),
        ) from None
    return SessionInfo(
        serial=identity_reply.serial,
        device=device,
        qualifications=Qualification(granted.qualifications),
        idle_timeout_s=granted.idle_timeout_s,
        board_time_s=granted.board_time_s,
        revocations_issued_at=None if revocations is None else revocations.issued_at,
        revocations_next_update=None if revocations is None else revocations.next_update,
    )


async def close_session(client: LockClient) -> None:
    if client.connection.cipher is not None:
        await client.request(SessionEndRequest())
        client.connection.end_session("closed by the technician")
