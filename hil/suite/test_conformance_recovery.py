"""The board conformance suite, lockout recovery (SPEC.md 12.3 and 12.5): one test per numbered
requirement, as in test_conformance.py. Only the wire (the answers' results and reasons, STATUS)
and the bench's actuators are used; the authority's signing step is played by the test, which
holds the suite's PKI (hil/suite/authority.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.lock_handle import Lock
from hil.suite.authority import authorise, phone_answer, replaying
from hil.suite.helpers import motor_travel, technician, wrong_codes
from protocols.catalogue import BoltState, LockState, RefusalReason
from protocols.recovery import with_check_digit
from safetool.services.recover import Challenge, Outcome, Recovery

pytestmark = [pytest.mark.conformance, pytest.mark.any_link, pytest.mark.needs("pki")]

WRONG = with_check_digit("1" * 12)
"""A well-formed phone response that is not the board's."""


def _online(pki: Path, recovery: Recovery, **signing: Any) -> Any:
    async def obtain(challenge: Challenge) -> bytes:
        return authorise(pki, challenge, technician=recovery.identity, **signing)

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
    ],
    ids=["unknown_key", "another_board"],
)
async def test_B_12_3_1_a_token_is_checked_in_order_and_refused_with_its_reason(
    lock: Lock, pki: Path, signing: dict[str, Any], reason: RefusalReason
) -> None:
    if signing.get("signer") == "stranger":
        signing = {"signer": Ed25519PrivateKey.generate()}
    recovery = Recovery(lock.client, technician(pki))
    challenge = await recovery.challenge()
    outcome = await recovery.answer_online(_online(pki, recovery, **signing), challenge)
    assert (outcome.opened, outcome.reason) == (False, reason)
    await _still_shut(lock)
