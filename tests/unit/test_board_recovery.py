"""The board's recovery logic in-process on a manual clock: what must survive a power cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware import recovery as recovery_module
from firmware.audit import AuditTrail
from firmware.clock import ManualClock
from firmware.lock import Lock
from firmware.provisioning import Provisioning
from firmware.recovery import BoardRecovery
from firmware.storage import StateStore
from protocols.catalogue import RecoveryMethod, RecoveryResult, RefusalReason
from protocols.certificates import (
    Certificate,
    CertificateExpired,
    CertificateKind,
    Qualification,
    raw_public,
)
from protocols.recovery import phone_response, with_check_digit
from protocols.trust_messages import RecoveryAuthoriseRequest
from safetool.services.devpki import init_dev_pki


class PowerCut(BaseException):
    """Raised where the power goes: nothing after it runs, only committed state remains."""


def boot(state: Path, pki: Path, clock: ManualClock) -> tuple[Lock, BoardRecovery]:
    lock = Lock(clock, StateStore(state), lambda kind, value: None)
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
