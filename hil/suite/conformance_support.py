"""What the conformance modules share: sequence numbers of their own, waiting for what the
board sends, the error code of a refused request, frames sealed by hand, the events as the tool
reads them, a certificate of one's own, and the lock policy put back after a test (a rig board
keeps what a test leaves)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.lock_handle import Lock
from hil.suite.authority import authority_key
from hil.suite.helpers import technician
from hil.wire import Seen
from protocols.audit_messages import AuditReadRequest, WireEntry, decode_entries
from protocols.catalogue import ErrorCode, EventKind, Flags
from protocols.certificates import raw_public
from protocols.framing import encode_frame
from protocols.messages import AnyRequest, LockEvent
from protocols.session import FrameCipher
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    ConfigSetRequest,
    ConfigSetResponse,
)
from safetool.client import LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity

ANSWER_WAIT_S = 10.0
TRAIL_PAGE_BYTES = 1024


def free_seq(lock: Lock, offset: int = 0) -> int:
    """A sequence number half the number space away from the client's own."""
    return (lock.client.connection.next_seq + 0x8000 + offset) & 0xFFFF


async def until(found: Callable[[], list[Seen]], timeout_s: float = ANSWER_WAIT_S) -> list[Seen]:
    """What ``found`` returns once it returns something (or, after ``timeout_s``, nothing)."""
    deadline = time.monotonic() + timeout_s
    while not (seen := found()) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return seen


async def in_step(lock: Lock) -> None:
    """Two round trips: every earlier answer of the board has arrived by now."""
    await lock.client.ping(b"in step")
    await lock.client.ping(b"in step")


async def refused(lock: Lock, request: AnyRequest) -> ErrorCode:
    """The ERROR code the board answers ``request`` with (the test fails if it serves it)."""
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(request)
    return ErrorCode(refusal.value.code)


async def refused_because(lock: Lock, request: AnyRequest) -> str:
    """The reason a board names for refusing a privileged request: the ``REASON`` of its
    NOT_ALLOWED ``NAME refused (REASON): …`` (SPEC.md 11.8)."""
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(request)
    assert refusal.value.code == ErrorCode.NOT_ALLOWED, refusal.value.detail
    found = re.match(r"[A-Z_]+ refused \(([a-z_]+)\): ", refusal.value.detail)
    assert found is not None, refusal.value.detail
    return found.group(1)


def someone(
    pki: Path, *, signer: Ed25519PrivateKey | None = None, **changes: Any
) -> TechnicianIdentity:
    """T-1001's identity with a certificate of its own: a fresh key, the fields in ``changes``,
    signed by the authority (or by ``signer``)."""
    base = technician(pki)
    key = Ed25519PrivateKey.generate()
    certificate = dataclasses.replace(
        base.certificate, public_key=raw_public(key.public_key()), **changes
    ).signed_by(signer or authority_key(pki))
    return dataclasses.replace(
        base, key=key, certificate=certificate, certificate_bytes=certificate.encode()
    )


class EventsSeen:
    """The events the board sends while the ``async with`` block runs, as the tool reads them
    (sealed ones included: the tool holds the session's keys)."""

    def __init__(self, lock: Lock) -> None:
        self.lock = lock
        self.seen: list[LockEvent] = []
        self._task: asyncio.Task[None] | None = None

    async def _collect(self) -> None:
        async for received in self.lock.client.events():
            self.seen.append(received.event)

    async def __aenter__(self) -> EventsSeen:
        self._task = asyncio.create_task(self._collect())
        await asyncio.sleep(0)  # subscribed before the block's first request
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def kinds(self, kind: EventKind) -> list[LockEvent]:
        return [event for event in self.seen if event.kind == kind]


def policy_fields(policy: ConfigResponse | ConfigSetResponse) -> dict[str, int]:
    return {field.name: getattr(policy, field.name) for field in dataclasses.fields(policy)}


@contextlib.asynccontextmanager
async def policy_put_back(
    lock: Lock, identity: TechnicianIdentity
) -> AsyncIterator[ConfigResponse]:
    """The block may change the lock policy: a rig board keeps it for good, so it is set back
    afterwards to what it was (which the block gets)."""
    await open_session(lock.client, identity)
    before = await lock.client.request(ConfigGetRequest())
    try:
        yield before
    finally:
        await open_session(lock.client, identity)
        await lock.client.request(ConfigSetRequest(**policy_fields(before)))


async def session_keys(lock: Lock, identity: TechnicianIdentity) -> FrameCipher:
    """Open a session as ``identity``; its keys, for frames the test seals by hand."""
    await open_session(lock.client, identity)
    cipher = lock.client.connection.cipher
    assert cipher is not None
    return cipher


def sealed(cipher: FrameCipher, msg_type: int, seq: int, body: bytes = b"") -> bytes:
    """A request frame sealed by hand under the session's keys (the next counter), written past
    the client's own bookkeeping."""
    header = bytes([1, msg_type, Flags.ENCRYPTED]) + seq.to_bytes(2, "little")
    return encode_frame(header + cipher.seal(header, body))


async def read_trail(lock: Lock, start: int = 0) -> list[WireEntry]:
    """Every entry from ``start`` (or the oldest held) to the head, page by page (AUDIT_READ:
    a session with the audit qualification)."""
    entries: list[WireEntry] = []
    index = start
    while True:
        page = await lock.client.request(AuditReadRequest(index, TRAIL_PAGE_BYTES))
        found = decode_entries(page.entries)
        if not found:
            return entries
        entries += found
        index = page.first_index + len(found)
