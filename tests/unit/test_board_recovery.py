"""The board's recovery logic in-process on a manual clock: what must survive a power cut."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware import recovery as recovery_module
from firmware.audit import AuditTrail
from firmware.clock import ManualClock
from firmware.lock import Lock
from firmware.provisioning import Provisioning
from firmware.recovery import BoardRecovery, SealNotReady
from firmware.storage import StateStore
from hil.suite.authority import authority_key
from protocols.catalogue import (
    BoltState,
    DoorState,
    EventKind,
    RecoveryMethod,
    RecoveryResult,
    RefusalReason,
)
from protocols.certificates import (
    Certificate,
    CertificateExpired,
    CertificateKind,
    Qualification,
    raw_public,
)
from protocols.recovery import Authorisation, phone_response, with_check_digit
from protocols.trust_messages import RecoveryAuthoriseRequest, RecoveryChallengeResponse
from safetool.services.devpki import init_dev_pki


class PowerCut(BaseException):
    """Raised where the power goes: nothing after it runs, only committed state remains."""


def boot(
    state: Path, pki: Path, clock: ManualClock, events: list[EventKind] | None = None
) -> tuple[Lock, BoardRecovery]:
    """The board's lock and recovery on ``clock``; the kinds of its events go to ``events``."""
    heard = [] if events is None else events
    lock = Lock(clock, StateStore(state), lambda kind, value: heard.append(kind))
    provisioning = Provisioning.load(pki, "SL-0000-0001")
    return lock, BoardRecovery(lock, provisioning, AuditTrail(state), "SL-0000-0001")


def test_power_cut_between_counting_and_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    technician = Certificate.decode((pki / "technicians/T-1001/technician.cert").read_bytes())
    clock = ManualClock(rtc_start=1_800_000_000)
    lock, recovery = boot(tmp_path / "board", pki, clock)
    recovery.challenge(technician)

    def cut(*_args: object) -> str:
        raise PowerCut

    monkeypatch.setattr(recovery_module, "phone_response", cut)
    with pytest.raises(PowerCut):
        recovery.authorise(
            RecoveryAuthoriseRequest(RecoveryMethod.PHONE, with_check_digit("1" * 12), b""),
            technician,
        )
    monkeypatch.undo()

    lock, recovery = boot(tmp_path / "board", pki, clock)  # power returns
    assert lock.wrong_code_count == 1
    assert lock.saved.service["challenge"]["attempts_left"] == 2
    assert lock.saved.boot_count == 2


def test_a_wrong_answer_is_never_free(tmp_path: Path) -> None:
    """Attempts are counted before checking, so the count equals the answers sent."""
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    technician = Certificate.decode((pki / "technicians/T-1001/technician.cert").read_bytes())
    lock, recovery = boot(tmp_path / "board", pki, ManualClock())
    recovery.challenge(technician)
    for expected_left in (2, 1, 0):
        outcome = recovery.authorise(
            RecoveryAuthoriseRequest(RecoveryMethod.PHONE, "0000000000000", b""), technician
        )
        assert outcome.attempts_left == expected_left
    assert lock.saved.service["challenge"] is None  # used up
    assert lock.wrong_code_count == 3


def _phone_answer(recovery: BoardRecovery, technician: Certificate) -> RecoveryAuthoriseRequest:
    """The hotline's right answer for the outstanding challenge."""
    challenge = recovery.lock.saved.service["challenge"]
    digits = phone_response(
        recovery.provisioning.recovery_secret,
        "SL-0000-0001",
        challenge["digits"],
        int(challenge["counter"]),
        technician.subject_id,
    )
    return RecoveryAuthoriseRequest(RecoveryMethod.PHONE, digits, b"")


WRONG = RecoveryAuthoriseRequest(RecoveryMethod.PHONE, with_check_digit("1" * 12), b"")


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    directory = tmp_path / "pki"
    init_dev_pki(directory)
    return directory


def _technician(pki: Path) -> Certificate:
    return Certificate.decode((pki / "technicians/T-1001/technician.cert").read_bytes())


def test_moving_the_clock_forward_after_every_wrong_answer_never_empties_the_pacing(
    tmp_path: Path, pki: Path
) -> None:
    """The attack of issue 14 (64,548 answers a minute): an hour on the clock after each wrong
    answer. Pacing runs on lived time, so the sixth answer still waits the full lockout."""
    technician = _technician(pki)
    clock = ManualClock(rtc_start=1_800_000_000)
    _, recovery = boot(tmp_path / "board", pki, clock)
    for number in range(5):
        if number % 3 == 0:
            recovery.challenge(technician)
        assert recovery.authorise(WRONG, technician).reason is RefusalReason.WRONG_RESPONSE
        clock.shift_rtc(3600)
        clock.advance(1)
    recovery.challenge(technician)
    clock.shift_rtc(86400)
    paced = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert paced.reason is RefusalReason.LOCKED_OUT and paced.wait_s >= 295
    assert paced.attempts_left == 3  # not counted
    clock.advance(paced.wait_s)
    opened = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert opened.result is RecoveryResult.OPENED


def test_a_hard_lockout_takes_the_hotlines_first_answer(tmp_path: Path, pki: Path) -> None:
    """A hard lockout starts with a keypad penalty lockout running; that never refuses an answer,
    and a right answer costs no attempt."""
    technician = _technician(pki)
    clock = ManualClock(rtc_start=1_800_000_000)
    lock, recovery = boot(tmp_path / "board", pki, clock)
    for round_ in range(3):
        for _ in range(5):
            lock.enter_code("999999")
        if round_ < 2:
            clock.advance(lock.saved.policy.lockout_s + 1)  # the last lockout still runs
    assert lock.saved.hard_lockout and lock.lockout_seconds > 0
    recovery.challenge(technician)
    outcome = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert outcome.result is RecoveryResult.OPENED and outcome.wait_s == 0
    assert not lock.saved.hard_lockout and lock.wrong_code_count == 0


@pytest.mark.parametrize("rtc_shift_s", [-3 * 86400, -2400, 2400, 3 * 86400])
def test_a_challenge_is_timed_on_lived_time_whatever_the_clock_does(
    tmp_path: Path, pki: Path, rtc_shift_s: int
) -> None:
    """``answer_valid_min`` (15) minutes of lived time: a right answer after 14 minutes opens
    whatever the clock did meanwhile; after 16 minutes it is late, also with the clock set back."""
    technician = _technician(pki)
    clock = ManualClock(rtc_start=1_800_000_000)
    _, recovery = boot(tmp_path / "board", pki, clock)
    recovery.challenge(technician)
    clock.advance(16 * 60)
    clock.shift_rtc(-abs(rtc_shift_s))
    late = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert late.reason is RefusalReason.OUTSIDE_WINDOW and late.attempts_left == 2
    recovery.challenge(technician)
    clock.shift_rtc(rtc_shift_s)
    clock.advance(14 * 60)
    opened = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert opened.result is RecoveryResult.OPENED


def _certificate(authority: Ed25519PrivateKey, not_before: int, not_after: int) -> Certificate:
    key = Ed25519PrivateKey.generate()
    return Certificate(
        kind=CertificateKind.TECHNICIAN,
        serial_number=77,
        subject_id="T-0077",
        name="Drift",
        region="",
        qualifications=Qualification.RECOVER,
        not_before=not_before,
        not_after=not_after,
        public_key=raw_public(key.public_key()),
        issuer_key_id=b"",
    ).signed_by(authority)


def _judged_valid(lock: Lock, certificate: Certificate, authority: Ed25519PrivateKey) -> bool:
    expiry_at, started_by = lock.certificate_times()
    try:
        certificate.verify(
            authority.public_key(),
            now=expiry_at,
            kind=CertificateKind.TECHNICIAN,
            started_by=started_by,
        )
    except CertificateExpired:
        return False
    return True


@pytest.mark.parametrize("skew_s", [3 * 86400, 40 * 60, -40 * 60, -3 * 86400])
def test_certificates_under_a_drifted_clock(tmp_path: Path, skew_s: int) -> None:
    """SPEC.md 12.6: with a signed time, a fast clock cannot expire a valid certificate, a slow
    clock cannot revive one that had expired by then, and a new one is taken either way."""
    authority = Ed25519PrivateKey.generate()
    clock = ManualClock(rtc_start=1_800_000_000)
    lock = Lock(clock, StateStore(tmp_path / "board"), lambda kind, value: None)
    signed = 1_800_000_000
    assert lock.take_signed_time(signed)
    clock.advance(600)  # lived on since: real time is signed + 600
    clock.shift_rtc(skew_s)
    now = signed + 600
    valid = _certificate(authority, now - 3600, now + 86400)
    new = _certificate(authority, now - 60, now + 86400)  # issued a minute ago
    expired = _certificate(authority, now - 86400 * 30, signed - 60)
    assert _judged_valid(lock, valid, authority)
    assert _judged_valid(lock, new, authority)
    assert not _judged_valid(lock, expired, authority)


def test_without_a_signed_time_the_clock_judges(tmp_path: Path) -> None:
    """A board never given a signed time judges at its clock (with the allowance for a start)."""
    authority = Ed25519PrivateKey.generate()
    clock = ManualClock(rtc_start=1_800_000_000)
    lock = Lock(clock, StateStore(tmp_path / "board"), lambda kind, value: None)
    now = 1_800_000_000
    assert _judged_valid(lock, _certificate(authority, now + 200, now + 3600), authority)
    assert not _judged_valid(lock, _certificate(authority, now + 400, now + 3600), authority)
    assert not _judged_valid(lock, _certificate(authority, now - 3600, now - 1), authority)


# --- what the board checks, to the boundary (each pinned by a mutant that survived) ------------


def _online_answer(
    challenge: RecoveryChallengeResponse, technician: Certificate, pki: Path, **changed: Any
) -> RecoveryAuthoriseRequest:
    """The authority's token for ``challenge``, with ``changed`` put in."""
    fields: dict[str, Any] = {
        "serial": challenge.serial,
        "nonce": challenge.nonce,
        "counter": challenge.counter,
        "technician_id": technician.subject_id,
        "certificate_serial": technician.serial_number,
        "recovery_id": 1,
        "issued_at": challenge.issued_at,
    }
    token = Authorisation(**{**fields, **changed}).signed_by(authority_key(pki))
    return RecoveryAuthoriseRequest(RecoveryMethod.ONLINE, "", token.encode())


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"nonce": bytes(16)}, RefusalReason.WRONG_CHALLENGE),
        ({"counter": 99}, RefusalReason.WRONG_CHALLENGE),
        ({"technician_id": "T-1002"}, RefusalReason.WRONG_TECHNICIAN),
        ({"certificate_serial": 999}, RefusalReason.WRONG_TECHNICIAN),
    ],
    ids=["nonce", "counter", "technician", "certificate"],
)
def test_a_token_must_name_both_halves_of_the_challenge_and_of_the_technician(
    tmp_path: Path, pki: Path, changed: dict[str, Any], reason: RefusalReason
) -> None:
    """One wrong field of a pair is enough: the right nonce with another counter is another
    challenge; the right technician with another certificate is not this session's."""
    technician = _technician(pki)
    _, recovery = boot(tmp_path / "board", pki, ManualClock(rtc_start=1_800_000_000))
    challenge = recovery.challenge(technician)
    refused = recovery.authorise(_online_answer(challenge, technician, pki, **changed), technician)
    assert (refused.result, refused.reason) == (RecoveryResult.REFUSED, reason)
    opened = recovery.authorise(_online_answer(challenge, technician, pki), technician)
    assert (opened.result, opened.counter, opened.attempts_left, opened.wait_s) == (
        RecoveryResult.OPENED, challenge.counter, 0, 0
    )  # fmt: skip


def test_only_an_accepted_token_gives_the_board_its_signed_time(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    clock = ManualClock(rtc_start=1_800_000_000)
    lock, recovery = boot(tmp_path / "board", pki, clock)
    challenge = recovery.challenge(technician)
    clock.advance(16 * 60)
    late = recovery.authorise(_online_answer(challenge, technician, pki), technician)
    assert late.reason is RefusalReason.OUTSIDE_WINDOW and lock.signed_time() is None
    challenge = recovery.challenge(technician)
    answer = _online_answer(challenge, technician, pki, issued_at=1_800_005_000)
    assert recovery.authorise(answer, technician).result is RecoveryResult.OPENED
    assert lock.signed_time() == 1_800_005_000


def test_an_answer_at_the_last_second_of_its_window_is_in_time(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    clock = ManualClock(rtc_start=1_800_000_000)
    _, recovery = boot(tmp_path / "board", pki, clock)
    recovery.challenge(technician)
    clock.advance(15 * 60)  # answer_valid_min, to the second
    opened = recovery.authorise(_phone_answer(recovery, technician), technician)
    assert opened.result is RecoveryResult.OPENED


def _wrong_answers(recovery: BoardRecovery, technician: Certificate, count: int) -> list[Any]:
    """``count`` wrong answers at this instant, a new challenge whenever one is used up."""
    answers = []
    for _ in range(count):
        if recovery.lock.saved.service.get("challenge") is None:
            recovery.challenge(technician)
        answers.append(recovery.authorise(WRONG, technician))
    return answers


def test_wrong_answers_in_the_same_second_all_count(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    _, recovery = boot(tmp_path / "board", pki, ManualClock())
    answers = _wrong_answers(recovery, technician, 5)
    assert [a.reason for a in answers] == [RefusalReason.WRONG_RESPONSE] * 5
    assert answers[-1].wait_s == 300
    assert _wrong_answers(recovery, technician, 1)[0].reason is RefusalReason.LOCKED_OUT


def test_a_wrong_answer_a_whole_window_old_no_longer_counts(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    clock = ManualClock()
    _, recovery = boot(tmp_path / "board", pki, clock)
    _wrong_answers(recovery, technician, 1)
    clock.advance(300)  # window_s: the first answer is out of it now
    assert [a.wait_s for a in _wrong_answers(recovery, technician, 4)] == [0, 0, 0, 0]
    assert _wrong_answers(recovery, technician, 1)[0].wait_s == 300  # the fifth in the window


def test_the_wait_is_whole_seconds_rounded_up_and_refuses_to_its_last_second(
    tmp_path: Path, pki: Path
) -> None:
    technician = _technician(pki)
    clock = ManualClock()
    events: list[EventKind] = []
    lock, recovery = boot(tmp_path / "board", pki, clock, events)
    _wrong_answers(recovery, technician, 5)
    attempts_before = lock.wrong_code_count
    del events[:]
    clock.advance(0.5)
    assert recovery.wait_s() == 300
    clock.advance(298.5)
    (waiting,) = _wrong_answers(recovery, technician, 1)
    assert (waiting.reason, waiting.wait_s) == (RefusalReason.LOCKED_OUT, 1)
    # a refusal while waiting costs nothing: no attempt, and the keypad's lockout not escalated
    assert lock.wrong_code_count == attempts_before and lock.saved.lockouts_in_row == 1
    assert events == [EventKind.RECOVERY_REFUSED]  # not announced as a wrong code either
    clock.advance(1)
    assert recovery.authorise(_phone_answer(recovery, technician), technician).result is (
        RecoveryResult.OPENED
    )


def test_after_a_wait_the_window_starts_again(tmp_path: Path, pki: Path) -> None:
    """With a penalty shorter than the window, the answers that earned it do not count again."""
    technician = _technician(pki)
    clock = ManualClock()
    lock, recovery = boot(tmp_path / "board", pki, clock)
    lock.saved.policy = dataclasses.replace(lock.saved.policy, lockout_s=90)
    assert _wrong_answers(recovery, technician, 5)[-1].wait_s == 90
    clock.advance(90)
    assert [a.wait_s for a in _wrong_answers(recovery, technician, 4)] == [0, 0, 0, 0]


def test_an_opening_forgets_the_wrong_answers_before_it(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    _, recovery = boot(tmp_path / "board", pki, ManualClock())
    _wrong_answers(recovery, technician, 4)
    recovery.challenge(technician)
    assert recovery.authorise(_phone_answer(recovery, technician), technician).result is (
        RecoveryResult.OPENED
    )
    assert [a.wait_s for a in _wrong_answers(recovery, technician, 4)] == [0, 0, 0, 0]


def test_an_answer_with_no_challenge_spends_nothing_and_is_recorded(
    tmp_path: Path, pki: Path
) -> None:
    technician = _technician(pki)
    lock, recovery = boot(tmp_path / "board", pki, ManualClock())
    refused = recovery.authorise(WRONG, technician)
    assert (refused.reason, refused.counter, refused.attempts_left, refused.wait_s) == (
        RefusalReason.NO_CHALLENGE, 0, 0, 0
    )  # fmt: skip
    assert lock.wrong_code_count == 0 and recovery.wait_s() == 0
    entry = recovery.audit.entries(last=1)[0]
    assert {k: entry[k] for k in ("kind", "reason", "technician", "method", "counter")} == {
        "kind": "recovery_refused",
        "reason": "no_challenge",
        "technician": "T-1001",
        "method": "phone",
        "counter": 0,
    }
    assert entry["attempts_left"] == 0


def test_a_refusal_is_recorded_with_who_how_which_challenge_and_what_is_left(
    tmp_path: Path, pki: Path
) -> None:
    technician = _technician(pki)
    _, recovery = boot(tmp_path / "board", pki, ManualClock())
    counter = recovery.challenge(technician).counter
    recovery.authorise(WRONG, technician)
    unknown = RecoveryAuthoriseRequest(7, "", b"")
    recovery.authorise(unknown, technician)
    wrong, odd = recovery.audit.entries(last=2)
    shown = ("kind", "reason", "technician", "method", "counter", "attempts_left")
    assert {k: wrong[k] for k in shown} == {
        "kind": "recovery_refused",
        "reason": "wrong_response",
        "technician": "T-1001",
        "method": "phone",
        "counter": counter,
        "attempts_left": 2,
    }
    assert (odd["method"], odd["reason"], odd["attempts_left"]) == (
        "method 7", "bad_signature", 1
    )  # fmt: skip


def test_the_seal_says_what_is_missing_and_is_recorded_with_its_recovery(
    tmp_path: Path, pki: Path
) -> None:
    technician = _technician(pki)
    lock, recovery = boot(tmp_path / "board", pki, ManualClock())
    with pytest.raises(SealNotReady) as nothing:
        recovery.seal()
    assert str(nothing.value) == "there is no recovery to seal"
    counter = recovery.challenge(technician).counter
    recovery.authorise(_phone_answer(recovery, technician), technician)
    with pytest.raises(SealNotReady) as open_safe:
        recovery.seal()
    assert str(open_safe.value) == "close the door and let the bolt extend, then ask for the seal"
    lock.hardware.bolt = BoltState.EXTENDED
    lock.hardware.door = DoorState.CLOSED
    seal = recovery.seal()
    assert seal.counter == counter
    entry = recovery.audit.entries(last=1)[0]
    assert (entry["kind"], entry["counter"]) == ("recovery_sealed", counter)


def test_challenges_count_from_one_and_each_step_is_recorded(tmp_path: Path, pki: Path) -> None:
    technician = _technician(pki)
    _, recovery = boot(tmp_path / "board", pki, ManualClock())
    first = recovery.challenge(technician)
    second = recovery.challenge(technician)
    assert (first.counter, second.counter, second.attempts_left) == (1, 2, 3)
    recovery.authorise(_online_answer(second, technician, pki), technician)
    entries = recovery.audit.entries()
    asked = [e for e in entries if e["kind"] == "recovery_challenge"][-1]
    opened = [e for e in entries if e["kind"] == "recovery_opened"][-1]
    assert {k: asked[k] for k in ("kind", "counter", "technician")} == {
        "kind": "recovery_challenge", "counter": 2, "technician": "T-1001"
    }  # fmt: skip
    assert {k: opened[k] for k in ("kind", "counter", "technician", "method")} == {
        "kind": "recovery_opened", "counter": 2, "technician": "T-1001", "method": "online"
    }  # fmt: skip
