"""When the board's revocation list is out of date (SPEC.md 11.3, B-11.3.3), on a manual
clock to the second: from the moment its signed time reaches ``next_update``, and always when it
holds no list."""

from __future__ import annotations

from pathlib import Path

from firmware.audit import AuditTrail
from firmware.clock import ManualClock
from firmware.lock import Lock
from firmware.provisioning import Provisioning
from firmware.storage import StateStore
from firmware.trust import BoardTrust
from protocols.board import BoardConnection
from protocols.recovery import RevocationList
from safetool.services.devpki import init_dev_pki
from tests.trust_helpers import load_key

ISSUED = 1_800_000_000


def _board(tmp_path: Path, next_update: int | None) -> tuple[BoardTrust, ManualClock]:
    pki = tmp_path / "pki"
    init_dev_pki(pki, now=ISSUED - 60)
    crl_path = pki / "authority" / "revocations.bin"
    if next_update is None:
        crl_path.unlink()
    else:
        crl = RevocationList(ISSUED, next_update, ()).signed_by(
            load_key(crl_path.with_name("authority.key"))
        )
        crl_path.write_bytes(crl.encode())
    clock = ManualClock(rtc_start=ISSUED)
    lock = Lock(clock, StateStore(tmp_path / "board"), lambda kind, value: None)
    provisioning = Provisioning.load(pki, "SL-0000-0001")
    trust = BoardTrust(
        lock,
        provisioning,
        BoardConnection(boot_id=1),
        AuditTrail(tmp_path / "board"),
        "SL-0000-0001",
    )
    return trust, clock


def test_a_list_is_current_until_its_signed_time_reaches_next_update(tmp_path: Path) -> None:
    trust, clock = _board(tmp_path, ISSUED + 100)
    assert trust.list_out_of_date() is None
    clock.advance(99.5)
    assert trust.list_out_of_date() is None
    clock.advance(0.5)  # exactly next_update: out of date from then
    assert trust.list_out_of_date() == ISSUED + 100
    clock.shift_rtc(-3600)  # the clock set back changes nothing: signed time decides
    assert trust.list_out_of_date() == ISSUED + 100


def test_a_board_that_holds_no_list_refuses_as_out_of_date(tmp_path: Path) -> None:
    trust, _clock = _board(tmp_path, None)
    assert trust.list_out_of_date() == 0
