"""The audit trail against the emulated board, through the real serial stack: download,
verification, incremental download, tampering detected with its index, the clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hil.plugin import BoardFactory
from protocols.audit_messages import ClockSetRequest, ClockSetResponse
from protocols.recovery import TimeStatement
from safetool.client import LockClient, LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.services.audit import download_audit
from safetool.services.audit_store import AuditCopy
from safetool.services.devpki import init_dev_pki
from tests.trust_helpers import load_key

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("audit") / "pki"
    init_dev_pki(directory)
    return directory


def me(pki: Path, who: str = "T-1001") -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / "technicians" / who)


async def test_first_download_verifies_and_later_ones_fetch_only_new_entries(
    pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.audit_fill(count=300)
    async with await LockClient.connect(board.port) as client:
        session = await open_session(client, me(pki))
        first = await download_audit(client, session, directory=tmp_path)
        assert first.verified and first.signed, first.findings
        assert first.findings == []
        assert first.new_entries == first.count >= 302
        assert [e.index for e in first.entries] == list(range(first.count))
        assert {e.kind_name for e in first.entries[:3]} >= {"power_on"}
        await board.board.audit_fill(count=5)
        second = await download_audit(client, session, directory=tmp_path)
    assert second.verified, second.findings
    assert second.new_entries == 5
    assert len(second.entries) == first.count + 5
    assert second.bytes_read < first.bytes_read / 20


@pytest.mark.parametrize("mode", ["alter", "remove", "swap"])
async def test_tampered_entry_is_found_with_its_index(
    mode: str, pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.audit_fill(count=40)
    await board.board.audit_tamper(mode=mode, index=17)
    async with await LockClient.connect(board.port) as client:
        session = await open_session(client, me(pki))
        report = await download_audit(client, session, directory=tmp_path)
    assert not report.verified
    expected = {"alter": "altered", "remove": "removed", "swap": "reordered"}[mode]
    assert [(f.problem, f.index) for f in report.findings] == [(expected, 17)]
    with AuditCopy(report.serial, tmp_path) as copy:  # nothing unverified is kept
        assert copy.entries() == [] and copy.last() is None


@pytest.mark.parametrize("mode", ["alter", "remove"])
async def test_rewritten_history_is_found_against_the_local_copy(
    mode: str, pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    """A forger who recomputes every hash after the change still cannot hide it from a laptop
    that downloaded the trail before."""
    board = await board_factory("--pki", str(pki))
    await board.board.audit_fill(count=40)
    async with await LockClient.connect(board.port) as client:
        session = await open_session(client, me(pki))
        assert (await download_audit(client, session, directory=tmp_path)).verified
        await board.board.audit_tamper(mode=mode, index=12, rechain=True)
        report = await download_audit(client, session, directory=tmp_path)
    expected = {"alter": "differs_from_copy", "remove": "differs_from_copy"}[mode]
    assert [(f.problem, f.index) for f in report.findings] == [(expected, 12)]
    assert not report.verified


async def test_a_fresh_trail_is_told_apart_from_tampering(
    pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    """A replaced controller (or a factory reset) under the same serial starts its trail
    afresh: not tampering, and said so, with the old copy kept."""
    old = await board_factory("--pki", str(pki))
    await old.board.audit_fill(count=20)
    async with await LockClient.connect(old.port) as client:
        session = await open_session(client, me(pki))
        assert (await download_audit(client, session, directory=tmp_path)).verified
    new = await board_factory("--pki", str(pki))  # same serial, a trail of its own
    async with await LockClient.connect(new.port) as client:
        session = await open_session(client, me(pki))
        report = await download_audit(client, session, directory=tmp_path)
        assert report.verified, report.findings
        assert [(f.problem, f.tampering) for f in report.findings] == [("new_trail", False)]
        assert "factory reset" in report.findings[0].as_dict()["message"]
        kept = list((tmp_path / "audit").glob("*.until-*.sqlite"))
        assert len(kept) == 1 and kept[0].name in report.findings[0].as_dict()["message"]
        await new.board.audit_fill(count=3)
        again = await download_audit(client, session, directory=tmp_path)
    assert again.verified and again.findings == [] and again.new_entries == 3


async def test_audit_needs_the_diagnose_qualification_and_a_session(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        from protocols.audit_messages import AuditHeadRequest

        with pytest.raises(LockRefused, match="secure session"):
            await client.request(AuditHeadRequest(bytes(16)))
        await open_session(client, me(pki, "T-1002"))  # diagnose only
        await client.request(AuditHeadRequest(bytes(16)))
        with pytest.raises(LockRefused, match="'configure' qualification"):
            await client.request(ClockSetRequest(int(time.time()) + 3600))


async def test_a_laptop_nudges_the_clock_and_only_a_signed_time_moves_it_further(
    pki: Path, board_factory: BoardFactory
) -> None:
    """SPEC.md 17.2: a laptop may move the clock forward by 300 s in all between signed times;
    back, or further (the lock moved to 2100), needs the authority's time statement, which is
    bound to the lock and taken once."""
    board = await board_factory("--pki", str(pki))
    serial = (await board.board.state())["serial"]
    authority = load_key(pki / "authority" / "authority.key")
    async with await LockClient.connect(board.port) as client:
        await open_session(client, me(pki))
        nudge = await client.request(ClockSetRequest(int(time.time()) + 200))
        assert isinstance(nudge, ClockSetResponse) and nudge.after_s - nudge.before_s >= 198
        with pytest.raises(LockRefused, match="signed time statement"):
            await client.request(ClockSetRequest(int(time.time()) + 500))  # 500 s in all
        with pytest.raises(LockRefused, match="signed time statement"):
            await client.request(ClockSetRequest(4_102_444_800))  # 2100-01-01
        with pytest.raises(LockRefused, match="back"):
            await client.request(ClockSetRequest(int(time.time()) - 3600))
        other = TimeStatement("SL-9999-9999", int(time.time())).signed_by(authority)
        with pytest.raises(LockRefused, match="not this lock"):
            await client.request(ClockSetRequest(other.time_s, other.encode()))
        # possibly the very second of the revocation list the lock was given at production (or
        # of an authorisation just taken): still taken, signed times are not replays of it
        statement = TimeStatement(serial, int(time.time())).signed_by(authority)
        back = await client.request(ClockSetRequest(statement.time_s, statement.encode()))
        assert isinstance(back, ClockSetResponse)
        assert back.before_s - back.after_s >= 190 and abs(back.after_s - time.time()) <= 3
        with pytest.raises(LockRefused, match="not newer than the last one"):
            await client.request(ClockSetRequest(statement.time_s, statement.encode()))
    trail = await board.board.audit()
    kinds = [e["kind"] for e in trail]
    assert kinds.count("clock_set_refused") == 5
    signed = next(e for e in trail if e.get("source") == "authority")
    assert signed["technician"] == "T-1001" and signed["seconds"] <= -190
    assert signed["before"] > signed["after"]


async def test_audit_cli_json_csv_and_failure_exit_code(
    pki: Path, board_factory: BoardFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from tests.cli_harness import safetool_here

    monkeypatch.setenv("SAFETOOL_DATA_DIR", str(tmp_path))
    board = await board_factory("--pki", str(pki))
    await board.board.audit_fill(count=10)
    folder = str(pki / "technicians" / "T-1001")
    code, out, err = await safetool_here(
        "audit", "--port", board.port, "--technician", folder, "--json"
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["verified"] and document["signed"] and document["findings"] == []
    assert document["entries"][-1]["kind"] in ("session_opened", "code_entered")
    code, out, err = await safetool_here(
        "audit", "--port", board.port, "--technician", folder, "--format", "csv", "--since", "1h"
    )
    assert code == 0, err
    assert out.splitlines()[0] == "index,time,kind,detail" and len(out.splitlines()) > 12
    assert "Verified" in err
    await board.board.audit_tamper(mode="alter", index=5, rechain=True)
    code, out, err = await safetool_here("audit", "--port", board.port, "--technician", folder)
    assert code == 1
    assert "[entry 5]" in out and "VERIFICATION FAILED" in out
    code, out, err = await safetool_here(
        "audit", "--port", board.port, "--technician", folder, "--lang", "zh-CN"
    )
    assert code == 1
    assert "［第 5 条］" in out and "验证失败：这份审计记录已被篡改" in out and "上电" in out
    code, out, err = await safetool_here(
        "audit", "--port", board.port, "--technician", folder, "--since", "yesterday"
    )
    assert code == 2 and "Cannot read --since" in err and "Traceback" not in err
