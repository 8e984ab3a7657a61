"""The board conformance suite, the secure session (SPEC.md 11): one test per numbered
requirement, as in test_conformance.py. The authority's part (certificates, revocation lists) is
played by the test with the suite's PKI (hil/suite/authority.py); the board is seen only on the
wire."""

from __future__ import annotations

import dataclasses
import secrets
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.lock_handle import Lock
from hil.suite.authority import authority_key
from hil.suite.conformance_support import (
    free_seq,
    in_step,
    refused,
    sealed,
    session_keys,
    someone,
    until,
)
from hil.suite.helpers import technician
from hil.wire import WireLog, raw_frame, record
from protocols.catalogue import ErrorCode, Flags, MsgType
from protocols.framing import encode_frame
from protocols.messages import ErrorResponse, LockEvent
from protocols.recovery import RevocationList
from protocols.session import FrameCipher, ToolHandshake
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    RevocationsRequest,
    SessionEndRequest,
    SessionEndResponse,
)
from safetool.client import LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity

YEAR_S = 365 * 86_400

pytestmark = [pytest.mark.conformance, pytest.mark.any_link, pytest.mark.needs("pki")]


async def _session_init_refusal(lock: Lock, identity: TechnicianIdentity) -> str:
    handshake = ToolHandshake(
        identity.certificate_bytes, identity.sign, lock.client.connection.hello_exchange
    )
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(handshake.start())
    assert refusal.value.code == ErrorCode.NOT_ALLOWED
    return refusal.value.detail


def _unreadable(pki: Path) -> TechnicianIdentity:
    identity = technician(pki)
    return dataclasses.replace(identity, certificate_bytes=identity.certificate_bytes[:60])


def _expired(pki: Path) -> TechnicianIdentity:
    now = int(time.time())
    return someone(pki, not_before=now - 400 * 86400, not_after=now - 30 * 86400)


def _from_a_stranger(pki: Path) -> TechnicianIdentity:
    return someone(pki, signer=Ed25519PrivateKey.generate())


REFUSALS = {
    "unreadable": (_unreadable, "BAD_CERTIFICATE"),
    "another_issuer": (_from_a_stranger, "BAD_SIGNATURE"),
    "expired": (_expired, "EXPIRED"),
    "revoked": (lambda pki: technician(pki, "T-1003"), "REVOKED"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_B_11_4_4_session_init_is_refused_with_the_first_failures_reason(
    lock: Lock, pki: Path, case: str
) -> None:
    make, reason = REFUSALS[case]
    detail = await _session_init_refusal(lock, make(pki))
    assert detail.startswith(f"session refused ({reason})"), detail
    assert await refused(lock, ConfigGetRequest()) == ErrorCode.NOT_ALLOWED  # nothing granted


async def test_B_11_4_5_a_session_grants_exactly_the_certificates_qualifications(
    lock: Lock, pki: Path
) -> None:
    for name in ("T-1002", "T-1001"):
        me = technician(pki, name)
        session = await open_session(lock.client, me)  # the board proved its device key
        assert session.qualifications == me.certificate.qualifications
        assert session.idle_timeout_s > 0
        assert abs(session.board_time_s - time.time()) < 3600


def _list(pki: Path, issued_at: int, *serials: int, next_update: int | None = None) -> bytes:
    """A list the authority signs at ``issued_at``, current for a year (or until
    ``next_update``): the PKI's revoked certificates and ``serials``. (Lists are whole: one
    that left out the PKI's would un-revoke them on a rig board, which keeps the newest list
    for good; and long: a rig board given a list that ran out the next day would refuse
    privileged work to every later run, whose PKI's list is older.)"""
    held = technician(pki).revocation_list
    revoked = RevocationList.decode(held).serials if held else ()
    whole = tuple(sorted({*revoked, *serials}))
    until = issued_at + YEAR_S if next_update is None else next_update
    return RevocationList(issued_at, until, whole).signed_by(authority_key(pki)).encode()


async def _privileged_refusal(lock: Lock, request: ConfigGetRequest) -> str:
    """The ``detail`` of the board's NOT_ALLOWED to a privileged request."""
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(request)
    assert refusal.value.code == ErrorCode.NOT_ALLOWED
    return refusal.value.detail


async def test_B_11_3_1_a_board_keeps_only_a_newer_list_that_verifies(
    lock: Lock, pki: Path
) -> None:
    held = await lock.client.request(RevocationsRequest(_list(pki, 1_000_000)))
    assert held.issued_at > 1_000_000, "an older list replaced a newer one"
    before = held.count
    newer = held.issued_at + 60
    taken = await lock.client.request(RevocationsRequest(_list(pki, newer, 0x7FFF0001)))
    assert (taken.issued_at, taken.count) == (newer, before + 1)
    forged = (
        RevocationList(newer + 60, newer + 86_400, ())
        .signed_by(Ed25519PrivateKey.generate())
        .encode()
    )
    assert await refused(lock, RevocationsRequest(forged)) == ErrorCode.NOT_ALLOWED
    same = await lock.client.request(RevocationsRequest(_list(pki, newer, 0x7FFF0001, 2, 3)))
    assert (same.issued_at, same.count) == (newer, before + 1)
    older = await lock.client.request(RevocationsRequest(_list(pki, newer - 1)))
    assert (older.issued_at, older.count) == (newer, before + 1), "an older list was taken"


async def test_B_11_3_2_a_list_given_mid_session_takes_effect_at_once(
    lock: Lock, pki: Path
) -> None:
    me = someone(pki, serial_number=secrets.randbelow(1 << 30) + (1 << 30))  # not T-1001's
    session = await open_session(lock.client, me)
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)
    issued = max(session.board_time_s, session.revocations_issued_at or 0) + 1
    revoking_me = _list(pki, issued, me.certificate.serial_number)
    assert (await lock.client.request(RevocationsRequest(revoking_me))).issued_at == issued
    assert await refused(lock, ConfigGetRequest()) == ErrorCode.NOT_ALLOWED


async def test_B_11_3_3_a_list_past_its_next_update_refuses_privileged_work_until_a_newer_one(
    lock: Lock, pki: Path
) -> None:
    session = await open_session(lock.client, technician(pki, "T-1002"))  # may diagnose
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)
    issued = max(session.board_time_s, session.revocations_issued_at or 0) + 1
    out_of_date = _list(pki, issued, next_update=issued)  # out of date as it arrives
    held = await lock.client.request(RevocationsRequest(out_of_date))
    assert (held.issued_at, held.next_update) == (issued, issued)
    detail = await _privileged_refusal(lock, ConfigGetRequest())
    assert detail.startswith("CONFIG_GET refused (list_out_of_date)"), detail
    current = await lock.client.request(RevocationsRequest(_list(pki, issued + 1)))
    assert (current.issued_at, current.next_update) == (issued + 1, issued + 1 + YEAR_S)
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)


# --- 11.5 the frame cipher ------------------------------------------------------------------------


async def test_B_11_5_1_a_sealed_frame_outside_a_session_gets_a_plaintext_not_allowed(
    lock: Lock,
) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    counter_and_tag = (2).to_bytes(8, "little") + bytes(16)
    sealed = raw_frame(1, MsgType.STATUS, Flags.ENCRYPTED, seq, counter_and_tag)
    await lock.client.transport.write(sealed)
    (answer,) = await until(lambda: log.answers_to(seq))
    assert not answer.flags & Flags.ENCRYPTED and answer.decoded is not None
    assert isinstance(answer.decoded.message, ErrorResponse)
    assert answer.decoded.message.code == ErrorCode.NOT_ALLOWED


@pytest.mark.parametrize("spoil", ["replayed", "forged"])
async def test_B_11_5_2_a_replayed_or_forged_sealed_frame_is_not_answered_and_ends_the_session(
    lock: Lock, pki: Path, spoil: str
) -> None:
    cipher = await session_keys(lock, technician(pki))
    log = await record(lock.client)
    seq = free_seq(lock)
    frame = sealed(cipher, MsgType.CONFIG_GET, seq)
    await lock.client.transport.write(frame)
    await until(lambda: log.answers_to(seq))
    if spoil == "replayed":  # the same frame again, its counter already used
        spoiled_seq = seq
    else:  # a new request with one bit of its tag changed
        spoiled_seq = (seq + 1) & 0xFFFF
        header = bytes([1, MsgType.CONFIG_GET, Flags.ENCRYPTED]) + spoiled_seq.to_bytes(2, "little")
        spoiled = bytearray(cipher.seal(header, b""))
        spoiled[-1] ^= 0x01
        frame = encode_frame(header + bytes(spoiled))
    answered = len(log.answers_to(spoiled_seq))
    await lock.client.transport.write(frame)
    lock.client.connection.end_session("the test spoiled a frame")  # plaintext from here
    await in_step(lock)
    assert len(log.answers_to(spoiled_seq)) == answered, "a spoiled sealed frame was answered"
    await _the_board_holds_no_keys(lock, log, cipher)


async def _the_board_holds_no_keys(lock: Lock, log: WireLog, cipher: FrameCipher) -> None:
    """A request sealed under the session's keys gets the plaintext NOT_ALLOWED of a board that
    has no session."""
    seq = free_seq(lock, 0x100)
    await lock.client.transport.write(sealed(cipher, MsgType.STATUS, seq))
    (plain,) = await until(lambda: log.answers_to(seq))
    assert plain.decoded is not None and isinstance(plain.decoded.message, ErrorResponse)
    assert plain.decoded.message.code == ErrorCode.NOT_ALLOWED


async def test_B_11_6_1_session_end_is_answered_sealed_and_then_the_keys_are_gone(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    log = await record(lock.client)
    seq = lock.client.connection.next_seq
    assert isinstance(await lock.client.request(SessionEndRequest()), SessionEndResponse)
    (answer,) = log.answers_to(seq)
    assert answer.flags & Flags.ENCRYPTED
    cipher = lock.client.connection.cipher
    assert cipher is not None
    await _the_board_holds_no_keys(lock, log, cipher)


@pytest.mark.needs("keys")
async def test_B_11_7_2_answers_go_back_the_way_the_request_came_and_events_are_sealed(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    log = await record(lock.client)
    seq = free_seq(lock)
    await lock.client.transport.write(raw_frame(1, MsgType.STATUS, 0, seq, b""))
    (plain,) = await until(lambda: log.answers_to(seq))
    assert not plain.flags & Flags.ENCRYPTED and plain.decoded is not None
    sealed_seq = lock.client.connection.next_seq
    await lock.client.status()
    (sealed_answer,) = log.answers_to(sealed_seq)
    assert sealed_answer.flags & Flags.ENCRYPTED
    await lock.actuators.enter_code(code="000000")
    await in_step(lock)
    events = [f for f in log.frames() if f.msg_type == MsgType.EVENT]
    assert events and all(f.flags & Flags.ENCRYPTED for f in events)
    assert not any(isinstance(f.decoded.message, LockEvent) for f in events if f.decoded)
