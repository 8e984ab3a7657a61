"""The attacks of the trust issue that test_recovery.py does not run: each fails with the lock
still in hard lockout, its bolt extended, and the attempt in the audit trail.

They live here only (issue 21: one place for each scenario, where a rig runs it too), on
whatever board the suite is given: the test signs as the authority (``hil/suite/authority.py``),
locks the board out at its keypad and reads its state and audit trail through the side channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.lock_handle import Lock
from hil.suite.authority import authorise, load_key, replaying
from hil.suite.helpers import hard_lockout, technician
from hil.tamper import tap
from protocols.catalogue import LockState, RefusalReason
from protocols.framing import decode_frame, encode_frame
from protocols.recovery import with_check_digit
from protocols.trust_messages import RecoveryChallengeRequest
from safetool.client import LockRefused
from safetool.client.errors import SessionLost
from safetool.client.secure import SessionRefused, open_session
from safetool.identity import TechnicianIdentity
from safetool.services.recover import Challenge, Recovery

pytestmark = pytest.mark.any_link

locked_out_board = pytest.mark.needs("keys", "clock", "pki", "inspect")
"""What a hard lockout and a recovery need: keys (wrong codes), clock (the penalty lockouts
run out), pki (the test signs as the authority of the board's PKI); these scenarios also read
the board's inner state and trail to show nothing changed (inspect)."""


async def locked_out(lock: Lock) -> Lock:
    await hard_lockout(lock)
    assert (await lock.client.status()).lock_state == LockState.HARD_LOCKOUT
    return lock


async def assert_unchanged(lock: Lock) -> None:
    """Read through the side channel: the tool's own session may be gone by now."""
    state = await lock.state()
    assert state["lock_state"] == LockState.HARD_LOCKOUT.name
    assert state["bolt"] == "EXTENDED"


async def audit(lock: Lock) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = await lock.board.audit()
    return entries


async def audit_kinds(lock: Lock) -> list[str]:
    return [e["kind"] for e in await audit(lock)]


async def last_refusal(lock: Lock) -> dict[str, Any]:
    return next(e for e in reversed(await audit(lock)) if e["kind"].endswith("_refused"))


TokenFor = Callable[[Challenge, TechnicianIdentity], bytes]


async def refuse_online(pki: Path, lock: Lock, token_for: TokenFor) -> RefusalReason:
    """Answer a fresh challenge with ``token_for(challenge, technician)``: refused, the lock
    unchanged, the refusal in the audit trail with the reason the tool was given."""
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()

    async def obtain(c: Any) -> bytes:
        return token_for(c, me)

    outcome = await recovery.answer_online(obtain, challenge)
    assert not outcome.opened
    assert outcome.reason is not None
    await assert_unchanged(lock)
    refusal = await last_refusal(lock)
    assert refusal["reason"] == outcome.reason.name.lower()
    return outcome.reason


# --- the authorisation ------------------------------------------------------------------------


@locked_out_board
async def test_authorisation_for_another_challenge_is_refused(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    stale = await Recovery(lock.client, technician(pki)).challenge()  # superseded by the next
    reason = await refuse_online(pki, lock, lambda c, me: authorise(pki, stale, technician=me))
    assert reason == RefusalReason.WRONG_CHALLENGE


@locked_out_board
async def test_expired_authorisation_is_refused(pki: Path, lock: Lock) -> None:
    """Too late on the lock's lived time (15 minutes after its challenge by default)."""
    await locked_out(lock)
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)
    await lock.actuators.advance_clock(seconds=15 * 60 + 5)

    outcome = await recovery.answer_online(replaying(token), challenge)
    assert outcome.reason == RefusalReason.OUTSIDE_WINDOW
    assert outcome.attempts_left == 2  # a late answer still costs an attempt
    await assert_unchanged(lock)


@locked_out_board
async def test_a_signature_that_does_not_verify_is_refused_whatever_key_it_names(
    pki: Path, lock: Lock
) -> None:
    """Issue 21: every other "bad signature" attack is stopped by the key-id comparison first,
    so a board that checked only the key id passed them. Here the token names the service
    authority's key, truly, and one bit of its signature is wrong."""
    await locked_out(lock)

    def flipped(c: Challenge, me: TechnicianIdentity) -> bytes:
        token = bytearray(authorise(pki, c, technician=me))
        token[-1] ^= 0x01  # the signature is the last 64 bytes: nothing else changes
        return bytes(token)

    assert await refuse_online(pki, lock, flipped) == RefusalReason.BAD_SIGNATURE


@locked_out_board
async def test_authorisation_signed_by_a_technician_key_is_refused(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    own_key = load_key(pki / "technicians" / "T-1001" / "technician.key")
    reason = await refuse_online(
        pki, lock, lambda c, me: authorise(pki, c, technician=me, signer=own_key)
    )
    assert reason == RefusalReason.BAD_SIGNATURE


@locked_out_board
async def test_authorisation_signed_by_an_unknown_key_is_refused(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    stranger = Ed25519PrivateKey.generate()
    reason = await refuse_online(
        pki, lock, lambda c, me: authorise(pki, c, technician=me, signer=stranger)
    )
    assert reason == RefusalReason.BAD_SIGNATURE


@locked_out_board
async def test_clock_moved_back_does_not_revive_an_expired_authorisation(
    pki: Path, lock: Lock
) -> None:
    await locked_out(lock)
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)
    await lock.actuators.advance_clock(seconds=16 * 60)  # the answer is too late
    await lock.actuators.advance_clock(seconds=-3600)  # and someone sets the clock back

    outcome = await recovery.answer_online(replaying(token), challenge)
    assert outcome.reason == RefusalReason.OUTSIDE_WINDOW
    await assert_unchanged(lock)
    assert "clock_jump_back" in await audit_kinds(lock)


@locked_out_board
async def test_second_concurrent_recovery_voids_the_first(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    me = technician(pki)
    first = Recovery(lock.client, me)
    challenge_a = await first.challenge()
    token_a = authorise(pki, challenge_a, technician=me)
    await first.challenge()  # a second recovery starts before the first is answered

    outcome = await first.answer_online(replaying(token_a), challenge_a)
    assert outcome.reason == RefusalReason.WRONG_CHALLENGE
    await assert_unchanged(lock)


# --- who asks ----------------------------------------------------------------------------------


@locked_out_board
async def test_technician_without_the_recover_qualification_is_refused(
    pki: Path, lock: Lock
) -> None:
    await locked_out(lock)
    await open_session(lock.client, technician(pki, "T-1002"))  # diagnose only
    with pytest.raises(LockRefused, match="'recover' qualification"):
        await lock.client.request(RecoveryChallengeRequest())
    await assert_unchanged(lock)
    assert (await last_refusal(lock))["reason"] == "not_qualified"


@locked_out_board
async def test_privileged_request_outside_a_session_is_refused(lock: Lock) -> None:
    await locked_out(lock)
    with pytest.raises(LockRefused, match="authenticated secure session"):
        await lock.client.request(RecoveryChallengeRequest())
    await assert_unchanged(lock)
    assert (await last_refusal(lock))["reason"] == "no_session"


@pytest.mark.needs("pki")
async def test_unprovisioned_board_refuses_sessions(pki: Path, fresh_board: Lock) -> None:
    with pytest.raises(SessionRefused, match="not provisioned"):
        await open_session(fresh_board.client, technician(pki))


# --- the secure session on the wire ------------------------------------------------------------


@locked_out_board
async def test_forged_frame_ends_the_session(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    tamper = tap(lock.client)
    await open_session(lock.client, technician(pki))

    def flip_a_ciphertext_bit(wire: bytes) -> bytes:
        """What an attacker in the cable can do: change a byte and fix up the CRC."""
        frame = bytearray(decode_frame(wire[:-1]))
        frame[-3] ^= 0x10  # inside the Poly1305 tag
        return encode_frame(bytes(frame))

    tamper.mangle_next = flip_a_ciphertext_bit
    with pytest.raises(SessionLost):
        await lock.client.request(RecoveryChallengeRequest(), timeout_s=2.0)
    await assert_unchanged(lock)
    state = await lock.state()
    assert state["session"] is None
    assert not state["challenge_open"]
    entries = await audit(lock)
    assert entries[-1]["kind"] == "session_closed"
    assert entries[-1]["reason"] == "forged_frame"


@locked_out_board
async def test_replayed_session_frame_ends_the_session(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    tamper = tap(lock.client)
    await open_session(lock.client, technician(pki))
    await lock.client.request(RecoveryChallengeRequest())
    recorded = tamper.written[-1]  # an encrypted RECOVERY_CHALLENGE, already carried out
    counter_before = (await lock.state())["recovery_counter"]
    await tamper.inner.write(recorded)  # the attacker plays it again
    await asyncio.sleep(0.3)
    state = await lock.state()
    assert state["recovery_counter"] == counter_before  # not carried out twice
    assert state["session"] is None
    entries = await audit(lock)
    assert entries[-1]["kind"] == "session_closed" and entries[-1]["reason"] == "replayed_frame"
    await assert_unchanged(lock)


# --- by phone ----------------------------------------------------------------------------------


@locked_out_board
async def test_phone_brute_force_runs_into_the_penalty(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    recovery = Recovery(lock.client, technician(pki))
    outcomes = []
    guesses = [with_check_digit(d * 12) for d in "123"]  # well-formed, wrong
    for _ in range(2):
        await recovery.challenge()
        for guess in guesses:
            outcomes.append(await recovery.answer_by_phone(guess))
    reasons = [o.reason for o in outcomes]
    assert reasons[:5] == [RefusalReason.WRONG_RESPONSE] * 5
    assert reasons[5] == RefusalReason.LOCKED_OUT  # 5 wrong answers: penalty lockout
    assert [o.attempts_left for o in outcomes[:3]] == [2, 1, 0]
    await assert_unchanged(lock)
    assert (await lock.client.status()).lockout_seconds > 250
