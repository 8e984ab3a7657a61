"""Every attack of the trust issue fails with the lock unchanged and the attempt in the
audit trail. Real LockClient over pyserial on a pty, emulated board in its own process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.process import EmulatorProcess
from hil.plugin import BoardFactory
from hil.suite.authority import phone_answer, replaying
from protocols.catalogue import LockState, RefusalReason
from protocols.framing import decode_frame, encode_frame
from protocols.recovery import with_check_digit
from protocols.trust_messages import RecoveryChallengeRequest
from safetool.client import LockClient, LockRefused
from safetool.client.errors import SessionLost
from safetool.client.secure import SessionRefused, open_session
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.recover import DigitsMistyped, Recovery
from tests.trust_helpers import (
    authorise,
    connect_tampered,
    hard_lockout,
    load_key,
)

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("trust") / "pki"
    init_dev_pki(directory)
    return directory


def technician(pki: Path, name: str = "T-1001") -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / "technicians" / name)


@pytest_asyncio.fixture
async def locked_out(pki: Path, board_factory: BoardFactory) -> EmulatorProcess:
    board = await board_factory("--pki", str(pki))
    await hard_lockout(board)
    return board


@pytest_asyncio.fixture
async def client(locked_out: EmulatorProcess) -> AsyncIterator[LockClient]:
    lock_client = await LockClient.connect(locked_out.port)
    yield lock_client
    await lock_client.close()


async def audit_kinds(board: EmulatorProcess) -> list[str]:
    entries: list[dict[str, Any]] = await board.board.audit()
    return [e["kind"] for e in entries]


async def assert_unchanged(board: EmulatorProcess, client: LockClient) -> None:
    """Read through the side channel: the tool's own session may be gone by now."""
    state = await board.board.state()
    assert state["lock_state"] == LockState.HARD_LOCKOUT.name
    assert state["bolt"] == "EXTENDED"


async def last_refusal(board: EmulatorProcess) -> dict[str, Any]:
    entries: list[dict[str, Any]] = await board.board.audit()
    return next(e for e in reversed(entries) if e["kind"].endswith("_refused"))


# --- the honest paths ------------------------------------------------------------------------


async def test_online_recovery_opens_a_hard_locked_board(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    me = technician(pki)
    recovery = Recovery(client, me)
    challenge = await recovery.challenge()

    async def from_authority(c: Any) -> bytes:
        return authorise(pki, c, technician=me)

    outcome = await recovery.answer_online(from_authority, challenge)
    assert outcome.opened, outcome.explanation
    await asyncio.sleep(0.8)  # motor travel
    assert (await client.status()).lock_state == LockState.UNLOCKED
    assert "recovery_opened" in await audit_kinds(locked_out)


async def test_phone_recovery_and_close_seal(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    recovery = Recovery(client, technician(pki))
    challenge = await recovery.challenge()
    assert len(challenge.digits) == 10
    with pytest.raises(DigitsMistyped):  # one misheard digit is caught before the lock sees it
        wrong = phone_answer(pki, challenge, "T-1001")
        await recovery.answer_by_phone(wrong[:3] + str((int(wrong[3]) + 1) % 10) + wrong[4:])
    assert (await locked_out.board.state())["lock_state"] == "HARD_LOCKOUT"
    outcome = await recovery.answer_by_phone(phone_answer(pki, challenge, "T-1001"))
    assert outcome.opened
    with pytest.raises(LockRefused, match="close the door"):
        await recovery.seal()  # the bolt is still out of its keeper
    await asyncio.sleep(0.8)
    await locked_out.board.open_door()
    await locked_out.board.close_door()
    await locked_out.board.advance_clock(seconds=4)
    await asyncio.sleep(0.8)
    seal = await recovery.seal()
    assert len(seal.seal) == 9 and seal.counter == challenge.counter


# --- attacks ---------------------------------------------------------------------------------


async def refuse_online(
    pki: Path, board: EmulatorProcess, client: LockClient, token_for: Any
) -> RefusalReason:
    me = technician(pki)
    recovery = Recovery(client, me)
    challenge = await recovery.challenge()

    async def obtain(c: Any) -> bytes:
        result: bytes = token_for(c, me)
        return result

    outcome = await recovery.answer_online(obtain, challenge)
    assert not outcome.opened
    await assert_unchanged(board, client)
    refusal = await last_refusal(board)
    assert refusal["reason"] == outcome.reason.name.lower()
    return outcome.reason


async def test_replay_of_a_used_authorisation(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    me = technician(pki)
    recovery = Recovery(client, me)
    first = await recovery.challenge()
    used = authorise(pki, first, technician=me)

    assert (await recovery.answer_online(replaying(used), first)).opened
    await asyncio.sleep(0.7)
    await hard_lockout(locked_out)  # locked out again later
    second = await recovery.challenge()
    outcome = await recovery.answer_online(replaying(used), second)
    assert outcome.reason == RefusalReason.WRONG_CHALLENGE
    await assert_unchanged(locked_out, client)


async def test_the_challenge_is_gone_once_the_lock_opened(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    """Issue 21: the replay tests ask for a new challenge first, which voids the old one
    anyway; so a board that kept the challenge after a successful recovery passed them all.
    The same authorisation, sent again for the same challenge, finds no challenge."""
    me = technician(pki)
    recovery = Recovery(client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)

    assert (await recovery.answer_online(replaying(token), challenge)).opened
    outcome = await recovery.answer_online(replaying(token), challenge)
    assert not outcome.opened and outcome.reason == RefusalReason.NO_CHALLENGE


async def test_a_signature_that_does_not_verify_is_refused_whatever_key_it_names(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    """Issue 21: every "bad signature" attack was stopped by the key-id comparison first, so a
    board that checked only the key id passed them. Here the token names the service
    authority's key, truly, and one bit of its signature is wrong."""

    def flipped(c: Any, me: TechnicianIdentity) -> bytes:
        token = bytearray(authorise(pki, c, technician=me))
        token[-1] ^= 0x01  # the signature is the last 64 bytes: nothing else changes
        return bytes(token)

    reason = await refuse_online(pki, locked_out, client, flipped)
    assert reason == RefusalReason.BAD_SIGNATURE


async def test_authorisation_for_another_serial(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    reason = await refuse_online(
        pki,
        locked_out,
        client,
        lambda c, me: authorise(pki, c, technician=me, serial="SL-9999-9999"),
    )
    assert reason == RefusalReason.WRONG_BOARD


async def test_authorisation_for_another_challenge(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    me = technician(pki)
    stale = await Recovery(client, me).challenge()  # superseded by the next challenge
    reason = await refuse_online(
        pki, locked_out, client, lambda c, me: authorise(pki, stale, technician=me)
    )
    assert reason == RefusalReason.WRONG_CHALLENGE


async def test_expired_authorisation(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    """Valid for ``answer_valid_min`` (15) minutes of the lock's lived time after the challenge,
    whatever time the authority signed."""
    me = technician(pki)
    recovery = Recovery(client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)
    await locked_out.board.advance_clock(seconds=15 * 60 + 5)

    outcome = await recovery.answer_online(replaying(token), challenge)
    assert outcome.reason == RefusalReason.OUTSIDE_WINDOW
    assert outcome.attempts_left == 2  # a late answer still costs an attempt
    await assert_unchanged(locked_out, client)


async def test_authorisation_signed_by_a_technician_key(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    own_key = load_key(pki / "technicians" / "T-1001" / "technician.key")
    reason = await refuse_online(
        pki, locked_out, client, lambda c, me: authorise(pki, c, technician=me, signer=own_key)
    )
    assert reason == RefusalReason.BAD_SIGNATURE


async def test_authorisation_signed_by_an_unknown_key(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    stranger = Ed25519PrivateKey.generate()
    reason = await refuse_online(
        pki, locked_out, client, lambda c, me: authorise(pki, c, technician=me, signer=stranger)
    )
    assert reason == RefusalReason.BAD_SIGNATURE


async def test_technician_without_the_recover_qualification(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    await open_session(client, technician(pki, "T-1002"))  # diagnose only
    with pytest.raises(LockRefused, match="'recover' qualification"):
        await client.request(RecoveryChallengeRequest())
    await assert_unchanged(locked_out, client)
    assert (await last_refusal(locked_out))["reason"] == "not_qualified"


async def test_revoked_technician(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    with pytest.raises(SessionRefused, match="revoked"):
        await open_session(client, technician(pki, "T-1003"))
    with pytest.raises(LockRefused, match="authenticated secure session"):
        await client.request(RecoveryChallengeRequest())
    await assert_unchanged(locked_out, client)
    assert "session_refused" in await audit_kinds(locked_out)


async def test_privileged_request_outside_a_session(
    locked_out: EmulatorProcess, client: LockClient
) -> None:
    with pytest.raises(LockRefused, match="authenticated secure session"):
        await client.request(RecoveryChallengeRequest())
    await assert_unchanged(locked_out, client)
    assert (await last_refusal(locked_out))["reason"] == "no_session"


async def test_forged_frame_ends_the_session(pki: Path, locked_out: EmulatorProcess) -> None:
    client, tamper = await connect_tampered(locked_out.port)
    try:
        await open_session(client, technician(pki))

        def flip_a_ciphertext_bit(wire: bytes) -> bytes:
            """What an attacker in the cable can do: change a byte and fix up the CRC."""
            frame = bytearray(decode_frame(wire[:-1]))
            frame[-3] ^= 0x10  # inside the Poly1305 tag
            return encode_frame(bytes(frame))

        tamper.mangle_next = flip_a_ciphertext_bit
        with pytest.raises(SessionLost):
            await client.request(RecoveryChallengeRequest(), timeout_s=2.0)
        await assert_unchanged(locked_out, client)
        state = await locked_out.board.state()
        assert state["session"] is None
        assert not state["challenge_open"]
        entries = await locked_out.board.audit()
        assert entries[-1]["kind"] == "session_closed"
        assert entries[-1]["reason"] == "forged_frame"
    finally:
        await client.close()


async def test_replayed_session_frame_ends_the_session(
    pki: Path, locked_out: EmulatorProcess
) -> None:
    client, tamper = await connect_tampered(locked_out.port)
    try:
        await open_session(client, technician(pki))
        await client.request(RecoveryChallengeRequest())
        recorded = tamper.written[-1]  # an encrypted RECOVERY_CHALLENGE, already carried out
        counter_before = (await locked_out.board.state())["recovery_counter"]
        await tamper.inner.write(recorded)  # the attacker plays it again
        await asyncio.sleep(0.3)
        state = await locked_out.board.state()
        assert state["recovery_counter"] == counter_before  # not carried out twice
        assert state["session"] is None
        entries = await locked_out.board.audit()
        assert entries[-1]["kind"] == "session_closed"
        assert entries[-1]["reason"] == "replayed_frame"
        await assert_unchanged(locked_out, client)
    finally:
        await client.close()


async def test_phone_brute_force_runs_into_the_penalty(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    recovery = Recovery(client, technician(pki))
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
    await assert_unchanged(locked_out, client)
    assert (await client.status()).lockout_seconds > 250


async def test_clock_moved_back_does_not_revive_an_expired_authorisation(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    me = technician(pki)
    recovery = Recovery(client, me)
    challenge = await recovery.challenge()
    token = authorise(pki, challenge, technician=me)
    await locked_out.board.advance_clock(seconds=16 * 60)  # the answer is too late
    await locked_out.board.advance_clock(seconds=-3600)  # and someone sets the clock back

    outcome = await recovery.answer_online(replaying(token), challenge)
    assert outcome.reason == RefusalReason.OUTSIDE_WINDOW
    await assert_unchanged(locked_out, client)
    assert "clock_jump_back" in await audit_kinds(locked_out)


async def test_second_concurrent_recovery_voids_the_first(
    pki: Path, locked_out: EmulatorProcess, client: LockClient
) -> None:
    me = technician(pki)
    first = Recovery(client, me)
    challenge_a = await first.challenge()
    token_a = authorise(pki, challenge_a, technician=me)
    await first.challenge()  # a second recovery starts before the first is answered

    outcome = await first.answer_online(replaying(token_a), challenge_a)
    assert outcome.reason == RefusalReason.WRONG_CHALLENGE
    await assert_unchanged(locked_out, client)


async def test_unprovisioned_board_refuses_sessions(pki: Path, board_factory: BoardFactory) -> None:
    board = await board_factory()
    async with await LockClient.connect(board.port) as plain:
        with pytest.raises(SessionRefused, match="not provisioned"):
            await open_session(plain, technician(pki))
