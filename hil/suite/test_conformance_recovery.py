"""The board conformance suite, lockout recovery (SPEC.md 12): one test per numbered
requirement, as in test_conformance.py. Only the wire (the answers' results and reasons, STATUS)
and the bench's actuators are used; the authority's signing step is played by the test, which
holds the suite's PKI (hil/suite/authority.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.lock_handle import Lock
from hil.suite.authority import authorise, authority_key, phone_answer, replaying
from hil.suite.conformance_support import refused, someone
from hil.suite.helpers import motor_travel, technician, wrong_codes
from protocols.audit_messages import ClockSetRequest
from protocols.catalogue import (
    BoltState,
    ErrorCode,
    LockState,
    RecoveryMethod,
    RecoveryResult,
    RefusalReason,
)
from protocols.recovery import (
    TimeStatement,
    device_recovery_secret,
    seal_code,
    with_check_digit,
)
from protocols.trust_messages import (
    RecoveryAuthoriseRequest,
    RecoveryAuthoriseResponse,
    RecoverySealRequest,
)
from safetool.client.secure import SessionRefused, open_session
from safetool.services.recover import Challenge, Outcome, Recovery

pytestmark = [pytest.mark.conformance, pytest.mark.any_link, pytest.mark.needs("pki")]

WRONG = with_check_digit("1" * 12)
"""A well-formed phone response that is not the board's."""


def _online(pki: Path, recovery: Recovery, **signing: Any) -> Any:
    async def obtain(challenge: Challenge) -> bytes:
        return authorise(pki, challenge, **{"technician": recovery.identity, **signing})

    return obtain


async def _still_shut(lock: Lock) -> None:
    status = await lock.client.status()
    assert status.bolt == BoltState.EXTENDED and status.lock_state != LockState.UNLOCKED


async def test_B_12_5_1_an_answer_with_no_challenge_outstanding_is_no_challenge(
    lock: Lock, pki: Path
) -> None:
    recovery = Recovery(lock.client, technician(pki))
    await recovery.ensure_session()
    outcome = await recovery.answer_by_phone(WRONG)
    assert (outcome.opened, outcome.reason) == (False, RefusalReason.NO_CHALLENGE)
    await _still_shut(lock)


async def test_B_12_5_2_wrong_answers_are_paced_on_lived_time(lock: Lock, pki: Path) -> None:
    recovery = Recovery(lock.client, technician(pki))
    outcomes: list[Outcome] = []
    while len(outcomes) < 6:  # the default policy: 5 wrong answers within the window
        await recovery.challenge()
        for _ in range(3):
            outcomes.append(await recovery.answer_by_phone(WRONG))
    assert [o.reason for o in outcomes[:5]] == [RefusalReason.WRONG_RESPONSE] * 5
    paced = outcomes[5]
    assert paced.reason == RefusalReason.LOCKED_OUT and paced.wait_s > 0
    await _still_shut(lock)


async def test_B_12_5_3_every_answer_is_counted_before_it_is_checked(lock: Lock, pki: Path) -> None:
    recovery = Recovery(lock.client, technician(pki))
    await recovery.challenge()
    lefts = [(await recovery.answer_by_phone(WRONG)).attempts_left for _ in range(3)]
    assert lefts == [2, 1, 0]


async def test_B_12_5_4_a_challenge_with_no_attempts_left_is_discarded(
    lock: Lock, pki: Path
) -> None:
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    for _ in range(3):
        await recovery.answer_by_phone(WRONG)
    right = phone_answer(pki, challenge, "T-1001")  # even the right answer now
    outcome = await recovery.answer_by_phone(right)
    assert (outcome.opened, outcome.reason) == (False, RefusalReason.NO_CHALLENGE)
    await _still_shut(lock)


@pytest.mark.needs("keys")
async def test_B_12_5_5_an_accepted_answer_opens_clears_lockouts_and_is_single_use(
    lock: Lock, pki: Path
) -> None:
    await wrong_codes(lock, 5)  # a penalty lockout at the keypad
    assert (await lock.client.status()).lock_state == LockState.PENALTY_LOCKOUT
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=recovery.identity)

    assert (await recovery.answer_online(replaying(token), challenge)).opened
    await motor_travel()
    status = await lock.client.status()
    assert (status.lock_state, status.bolt, status.wrong_code_count) == (
        LockState.UNLOCKED,
        BoltState.RETRACTED,
        0,
    )
    again = await recovery.answer_online(replaying(token), challenge)
    assert (again.opened, again.reason) == (False, RefusalReason.NO_CHALLENGE)


async def test_B_12_5_6_a_new_challenge_voids_the_earlier_one(lock: Lock, pki: Path) -> None:
    recovery = Recovery(lock.client, technician(pki))
    first = await recovery.challenge()
    token = authorise(pki, first, technician=recovery.identity)
    second = await recovery.challenge()
    assert second.counter == first.counter + 1

    outcome = await recovery.answer_online(replaying(token), first)
    assert (outcome.opened, outcome.reason) == (False, RefusalReason.WRONG_CHALLENGE)
    await _still_shut(lock)


@pytest.mark.parametrize(
    ("signing", "reason"),
    [
        ({"signer": "stranger"}, RefusalReason.BAD_SIGNATURE),
        ({"serial": "SL-9999-9999"}, RefusalReason.WRONG_BOARD),
        ({"technician": "T-1002"}, RefusalReason.WRONG_TECHNICIAN),
        pytest.param(
            {"lived_s": 16 * 60}, RefusalReason.OUTSIDE_WINDOW, marks=pytest.mark.needs("clock")
        ),
    ],
    ids=["unknown_key", "another_board", "another_technician", "outside_window"],
)
async def test_B_12_3_1_a_token_is_checked_in_order_and_refused_with_its_reason(
    lock: Lock, pki: Path, signing: dict[str, Any], reason: RefusalReason
) -> None:
    signing = dict(signing)  # the parameter's own dict is shared by every run of this test
    if signing.get("signer") == "stranger":
        signing = {"signer": Ed25519PrivateKey.generate()}
    if "technician" in signing:
        signing = {"technician": technician(pki, signing["technician"])}
    lived_s = signing.pop("lived_s", 0)
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    if lived_s:  # the default policy: 15 minutes to answer
        await lock.actuators.advance_clock(seconds=lived_s)
    outcome = await recovery.answer_online(_online(pki, recovery, **signing), challenge)
    assert (outcome.opened, outcome.reason) == (False, reason)
    await _still_shut(lock)


async def _phone(recovery: Recovery, digits: str) -> RecoveryAuthoriseResponse:
    """The digits as they are, past the tool's own check: what a careless tool would send."""
    return await recovery.client.request(
        RecoveryAuthoriseRequest(RecoveryMethod.PHONE, digits, b"")
    )


async def test_B_12_4_1_a_phone_response_is_checked_whole_and_taken_with_separators(
    lock: Lock, pki: Path
) -> None:
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    right = phone_answer(pki, challenge, "T-1001")
    misheard = right[:-1] + str((int(right[-1]) + 1) % 10)  # its check digit disagrees
    for_another = phone_answer(pki, challenge, "T-1002")  # another technician's
    for wrong in (misheard, for_another):
        answer = await _phone(recovery, wrong)
        assert answer.result == RecoveryResult.REFUSED
        assert answer.reason == RefusalReason.WRONG_RESPONSE
    grouped = f"{right[:3]} {right[3:6]}-{right[6:9]}\t{right[9:]}"
    answer = await _phone(recovery, grouped)
    assert (answer.result, answer.counter) == (RecoveryResult.OPENED, challenge.counter)


@pytest.mark.needs("keys", "pki")
async def test_B_12_6_1_timed_guards_run_on_lived_time_whatever_the_clock_says(
    lock: Lock, pki: Path
) -> None:
    """A clock moved 20 minutes on (by the authority's own statement) neither ends a penalty
    lockout nor closes a challenge's answer window."""
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    await wrong_codes(lock, 5)
    before = await lock.client.status()
    assert before.lock_state == LockState.PENALTY_LOCKOUT
    serial = challenge.serial
    ahead = TimeStatement(serial, int(time.time()) + 1200).signed_by(authority_key(pki))
    await recovery.client.request(ClockSetRequest(ahead.time_s, ahead.encode()))
    after = await lock.client.status()
    assert after.lock_state == LockState.PENALTY_LOCKOUT
    assert after.lockout_seconds >= before.lockout_seconds - 5
    outcome = await recovery.answer_by_phone(phone_answer(pki, challenge, "T-1001"))
    assert outcome.opened


async def test_B_12_6_2_a_certificate_just_issued_is_taken_under_a_slow_clock(
    lock: Lock, pki: Path
) -> None:
    """Its start is judged at the later of the trusted time and the signed time + 300 s."""
    session = await open_session(lock.client, technician(pki))
    board_now = session.board_time_s
    now = TimeStatement(session.serial, board_now + 1).signed_by(authority_key(pki))
    await lock.client.request(ClockSetRequest(now.time_s, now.encode()))  # signed time: now
    soon = someone(pki, not_before=board_now + 200)
    assert (await open_session(lock.client, soon)).qualifications == soon.certificate.qualifications
    later = someone(pki, not_before=board_now + 3600)
    with pytest.raises(SessionRefused, match="EXPIRED"):
        await open_session(lock.client, later)


@pytest.mark.needs("door", "clock")
async def test_B_12_7_1_the_close_seal_is_given_only_when_shut_and_bolted_and_is_the_same_again(
    lock: Lock, pki: Path
) -> None:
    recovery = Recovery(lock.client, technician(pki))
    await recovery.ensure_session()
    assert await refused(lock, RecoverySealRequest()) == ErrorCode.INVALID_STATE  # no recovery
    challenge = await recovery.challenge()
    assert (await recovery.answer_by_phone(phone_answer(pki, challenge, "T-1001"))).opened
    await motor_travel()
    assert await refused(lock, RecoverySealRequest()) == ErrorCode.INVALID_STATE  # bolt in
    await lock.actuators.open_door()
    await lock.actuators.close_door()
    await lock.actuators.advance_clock(seconds=4)
    await motor_travel()
    seal = await lock.client.request(RecoverySealRequest())
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    secret = device_recovery_secret(master, challenge.serial)
    expected = seal_code(secret, challenge.serial, challenge.counter, challenge.digits)
    assert (seal.counter, seal.seal) == (challenge.counter, expected)
    assert await lock.client.request(RecoverySealRequest()) == seal
