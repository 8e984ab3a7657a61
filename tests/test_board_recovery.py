"""The board's recovery logic in-process on a manual clock: what must survive a power cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware import recovery as recovery_module
from firmware.audit import AuditTrail
from firmware.clock import ManualClock
from firmware.lock import Lock
from firmware.provisioning import Provisioning
from firmware.recovery import BoardRecovery
from firmware.storage import StateStore
from protocols.catalogue import RecoveryMethod
from protocols.certificates import Certificate
from protocols.recovery import with_check_digit
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
