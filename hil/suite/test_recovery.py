"""Hard lockout, then recovery online (the test signs as the authority) and by phone, then the
close seal; and the attacks of the trust issue that matter most on a bench (the others are in
test_attacks.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hil.lock_handle import Lock
from hil.suite.authority import authorise, phone_answer, replaying
from hil.suite.helpers import hard_lockout, motor_travel, technician
from protocols.catalogue import LockState, RefusalReason
from protocols.trust_messages import RecoveryChallengeRequest
from safetool.client import LockRefused
from safetool.client.secure import SessionRefused, open_session
from safetool.services.recover import Challenge, DigitsMistyped, Recovery

# the board's inner state and trail are read too (inspect): the conformance suite's recovery
# requirements are what a rig board proves
pytestmark = [pytest.mark.any_link, pytest.mark.needs("keys", "clock", "pki", "inspect")]


async def locked_out(lock: Lock) -> Lock:
    await hard_lockout(lock)
    assert (await lock.client.status()).lock_state == LockState.HARD_LOCKOUT
    return lock


async def assert_unchanged(lock: Lock) -> None:
    state = await lock.state()
    assert state["lock_state"] == "HARD_LOCKOUT" and state["bolt"] == "EXTENDED"


async def test_online_recovery(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()

    async def from_authority(c: Any) -> bytes:
        return authorise(pki, c, technician=me)

    outcome = await recovery.answer_online(from_authority, challenge)
    assert outcome.opened, outcome.explanation
    await motor_travel()
    assert (await lock.client.status()).lock_state == LockState.UNLOCKED
    assert "recovery_opened" in [e["kind"] for e in await lock.board.audit()]


@pytest.mark.needs("door")
async def test_phone_recovery_then_close_seal(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    assert len(challenge.digits) == 10
    with pytest.raises(DigitsMistyped):  # one misheard digit is caught before the lock sees it
        wrong = phone_answer(pki, challenge, "T-1001")
        await recovery.answer_by_phone(wrong[:3] + str((int(wrong[3]) + 1) % 10) + wrong[4:])
    assert (await lock.state())["lock_state"] == "HARD_LOCKOUT"
    outcome = await recovery.answer_by_phone(phone_answer(pki, challenge, "T-1001"))
    assert outcome.opened
    with pytest.raises(LockRefused, match="close the door"):
        await recovery.seal()  # the bolt is still out of its keeper
    await motor_travel()
    await lock.actuators.open_door()
    await lock.actuators.close_door()
    await lock.actuators.advance_clock(seconds=4)
    await motor_travel()
    seal = await recovery.seal()
    assert len(seal.seal) == 9 and seal.counter == challenge.counter


async def opened_online(pki: Path, lock: Lock) -> tuple[Recovery, Challenge, bytes]:
    """A hard lockout recovered online: the recovery, its challenge and the token that opened."""
    await locked_out(lock)
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)
    assert (await recovery.answer_online(replaying(token), challenge)).opened
    return recovery, challenge, token


async def test_replayed_authorisation_is_refused(pki: Path, lock: Lock) -> None:
    recovery, _, used = await opened_online(pki, lock)
    await motor_travel()
    await hard_lockout(lock)
    second = await recovery.challenge()
    outcome = await recovery.answer_online(replaying(used), second)
    assert outcome.reason == RefusalReason.WRONG_CHALLENGE
    await assert_unchanged(lock)


async def test_the_challenge_is_gone_once_the_lock_opened(pki: Path, lock: Lock) -> None:
    """Issue 21: the replay test above asks for a new challenge first, which voids the old one
    anyway; so a board that kept the challenge after a successful recovery passed it. The same
    authorisation, sent again for the same challenge, finds no challenge."""
    recovery, challenge, token = await opened_online(pki, lock)
    outcome = await recovery.answer_online(replaying(token), challenge)
    assert not outcome.opened and outcome.reason == RefusalReason.NO_CHALLENGE


async def test_authorisation_for_another_serial_is_refused(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    me = technician(pki)
    recovery = Recovery(lock.client, me)
    challenge = await recovery.challenge()

    async def other(c: Any) -> bytes:
        return authorise(pki, c, technician=me, serial="SL-9999-9999")

    outcome = await recovery.answer_online(other, challenge)
    assert outcome.reason == RefusalReason.WRONG_BOARD
    await assert_unchanged(lock)
    refusals = [e for e in await lock.board.audit() if e["kind"].endswith("_refused")]
    assert refusals[-1]["reason"] == "wrong_board"


async def test_revoked_technician_is_refused(pki: Path, lock: Lock) -> None:
    await locked_out(lock)
    with pytest.raises(SessionRefused, match="revoked"):
        await open_session(lock.client, technician(pki, "T-1003"))
    with pytest.raises(LockRefused, match="authenticated secure session"):
        await lock.client.request(RecoveryChallengeRequest())
    await asyncio.sleep(0)
    await assert_unchanged(lock)
    assert "session_refused" in [e["kind"] for e in await lock.board.audit()]
