"""Issue 19, finding 1: a power cut at any byte of an audit write loses at most the entry being
written, never what follows it, and the board says so in its next entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.audit import AUDIT_FILE, AuditTrail
from firmware.emulator import Emulator

pytestmark = pytest.mark.in_memory


def _trail_with(directory: Path, count: int) -> AuditTrail:
    trail = AuditTrail(directory)
    for number in range(count):
        trail.append(1_800_000_000 + number, "code_entered", slot=number)
    return trail


def test_a_cut_at_any_byte_of_a_write_loses_at_most_that_entry(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    trail = _trail_with(source, 3)
    before = (source / AUDIT_FILE).read_bytes()
    trail.append(1_800_000_100, "tamper", state="open")
    after = (source / AUDIT_FILE).read_bytes()
    assert after.startswith(before)
    for cut in range(len(before), len(after) + 1):
        board = tmp_path / f"cut{cut}"
        board.mkdir()
        (board / AUDIT_FILE).write_bytes(after[:cut])
        loaded = AuditTrail(board)
        complete = cut >= len(after) - 1  # only the newline may be missing
        assert loaded.count == (4 if complete else 3), cut
        assert loaded.repaired == (0 if complete or cut == len(before) else 1), cut
        loaded.append(1_800_000_200, "power_on", boot=2)
        again = AuditTrail(board)  # the next boot keeps everything, fragment or not
        assert again.count == loaded.count and again.repaired == 0, cut
        assert again.head_hash == loaded.head_hash


def test_a_torn_line_never_loses_the_entries_written_after_it(tmp_path: Path) -> None:
    """The bug as found: 3 entries held, then 5, then 3, then 5 across boots."""
    trail = _trail_with(tmp_path, 3)
    with open(tmp_path / AUDIT_FILE, "ab") as handle:
        handle.write(b'{"i": 3, "t": 18000')  # a cut mid-write
    held = []
    for boot in range(4):
        trail = AuditTrail(tmp_path)
        held.append(trail.count)
        trail.append(1_800_001_000 + boot, "power_on", boot=boot)
        trail.append(1_800_001_000 + boot, "code_entered", slot=0)
    assert held == [3, 5, 7, 9]


def test_the_board_records_a_repaired_trail_at_boot(tmp_path: Path) -> None:
    first = Emulator(state_dir=tmp_path)
    count = first.audit.count
    with open(tmp_path / AUDIT_FILE, "ab") as handle:
        handle.write(b'{"i": 99, "t"')
    again = Emulator(state_dir=tmp_path)
    entries = again.audit.entries()[count:]
    kinds = [entry["kind"] for entry in entries]
    assert kinds.index("power_on") + 1 == kinds.index("audit_repaired")
    assert entries[kinds.index("audit_repaired")]["dropped"] == 1


def test_refused_requests_cannot_push_what_matters_out_of_the_trail(tmp_path: Path) -> None:
    """Finding 2: 12,000 refused requests from anyone on the port once erased the wrong-code
    and tamper entries. Now at most 10 refusal entries a minute, the rest counted."""
    trail = AuditTrail(tmp_path, capacity=512)
    trail.append(1_800_000_000, "tamper", state="open")
    trail.append(1_800_000_001, "code_entered", slot=0, result="wrong")
    for number in range(12_000):  # 11.5 s of line time at 115200 baud
        time_s = 1_800_000_002 + number / 1000
        trail.append(time_s, "privileged_refused", request="ConfigGetRequest", reason="no_session")
    trail.append(1_800_000_020, "session_refused", reason="expired")
    trail.flush_refusals(1_800_000_030)
    kinds = [entry["kind"] for entry in trail.entries()]
    assert kinds[:2] == ["tamper", "code_entered"]
    assert kinds.count("privileged_refused") == 10
    summary = next(entry for entry in trail.entries() if entry["kind"] == "refusals_repeated")
    assert summary["counts"] == {
        "privileged_refused:ConfigGetRequest": 11_990,
        "session_refused:expired": 1,  # the same minute: counted too
    }
    again = AuditTrail(tmp_path, capacity=512)  # and it is stored, chained
    assert again.count == trail.count and again.repaired == 0


async def test_a_power_cut_during_an_audit_write(tmp_path: Path) -> None:
    """Audit appends are flash operations the power-cut fault strikes: the entry being written
    is lost (torn on flash), the board comes back, reads its trail and says what it dropped."""
    board = Emulator(state_dir=tmp_path)
    held = board.audit.count
    board.flash.arm_power_cut(1)
    board._powered(lambda: board.audit.append(board.lock.trusted_rtc(), "tamper", state="open"))
    assert board.power_cuts == 1
    entries = board.audit.entries()
    kinds = [entry["kind"] for entry in entries[held:]]
    assert "tamper" not in kinds and "power_on" in kinds and "audit_repaired" in kinds
    assert AuditTrail(tmp_path).count == board.audit.count  # what is on flash, whole
