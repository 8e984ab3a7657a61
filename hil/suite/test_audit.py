"""The audit trail downloads and verifies; a tampered entry is found with its index."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.helpers import technician
from safetool.client.secure import open_session
from safetool.services.audit import download_audit

pytestmark = [pytest.mark.any_link, pytest.mark.needs("pki")]


async def test_audit_chain_verifies(
    pki: Path, lock: Lock, tmp_path: Path, measure: Recorder
) -> None:
    session = await open_session(lock.client, technician(pki))
    report = await download_audit(lock.client, session, directory=tmp_path)
    assert report.verified and report.signed, report.findings
    measure("audit_entries", report.count, "", low=1)


@pytest.mark.needs("audit_tamper")
@pytest.mark.parametrize(("mode", "problem"), [("alter", "altered"), ("remove", "removed")])
async def test_tampered_entry_is_found(
    pki: Path, lock: Lock, tmp_path: Path, mode: str, problem: str
) -> None:
    await lock.board.audit_fill(count=30)
    await lock.board.audit_tamper(mode=mode, index=12)
    session = await open_session(lock.client, technician(pki))
    report = await download_audit(lock.client, session, directory=tmp_path)
    assert not report.verified
    assert [(f.problem, f.index) for f in report.findings] == [(problem, 12)]
