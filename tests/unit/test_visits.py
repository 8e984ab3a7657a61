"""The service record: visits kept on the laptop, nothing lost, migrations, CLI, export."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from safetool.services.visits import ServiceRecord, VisitError, extract_checks
from safetool.services.visits_schema import SCHEMA_VERSION, DatabaseTooNew
from tests.cli_harness import safetool_here

DIAG = {
    "serial": "SL-0000-0001",
    "checks": [
        {"name": "battery_rest", "verdict": "pass", "value": 6.1, "unit": "V"},
        {
            "name": "battery_load",
            "verdict": "fail",
            "value": 4.2,
            "unit": "V",
            "part": {"number": "BAT-4AA-01"},
            "why": "sags under motor load",
        },
        {"name": "keypad", "verdict": "could_not_run", "detail": "technician skipped"},
    ],
}


def full_visit(record: ServiceRecord) -> int:
    visit_id, reopened = record.start(
        serial="SL-0000-0001", site="Bank of Example, Pudong branch", technician="T-1001",
        model="SL-200", firmware_before="1.2.0",
    )  # fmt: skip
    assert not reopened
    record.add_note(visit_id, "Battery sags to 4.2 V when the bolt moves", "finding")
    record.add_part(visit_id, "BAT-4AA-01", 2, "battery pack", "weak under load")
    record.add_note(visit_id, "Replaced the battery pack", "work")
    assert record.attach_diagnostics(visit_id, DIAG) == 3
    record.add_recovery(visit_id, 3, "phone", "12345678-9")
    record.set_firmware_after(visit_id, "1.3.0")
    return visit_id


def test_a_visit_from_start_to_export(tmp_path: Path) -> None:
    with ServiceRecord(tmp_path / "v.sqlite") as record:
        visit_id = full_visit(record)
        record.close_visit(visit_id, signed_off_by="王芳", satisfaction=5, comment="很快")
        with pytest.raises(VisitError, match="closed"):
            record.add_part(visit_id, "X", 1)
        exported = list(record.export_closed())
    assert len(exported) == 1
    visit = exported[0]
    assert visit["schema"] == "safetool.visit/1"
    assert visit["parts"] == [
        {"part_number": "BAT-4AA-01", "description": "battery pack", "quantity": 2,
         "reason": "weak under load"}
    ]  # fmt: skip
    assert visit["firmware"] == {"before": "1.2.0", "after": "1.3.0"}
    assert visit["satisfaction"] == {"rating": 5, "comment": "很快"}
    assert [c["verdict"] for c in visit["checks"]] == ["pass", "fail", "could_not_run"]
    assert visit["checks"][1]["part_number"] == "BAT-4AA-01"
    assert visit["recoveries"][0]["seal"] == "12345678-9"


def test_the_laptop_dying_mid_visit_loses_nothing(tmp_path: Path) -> None:
    """A process killed without closing anything: the visit is whole and reopens."""
    db = tmp_path / "v.sqlite"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from safetool.services.visits import ServiceRecord
        record = ServiceRecord(Path({str(db)!r}))
        visit_id, _ = record.start(serial="SL-9", site="site", technician="T-1001")
        record.add_part(visit_id, "MOT-01", 1)
        record.add_note(visit_id, "motor replaced", "work")
        os._exit(9)  # the battery dies: no close, no cleanup
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert result.returncode == 9
    with ServiceRecord(db) as record:
        visit_id, reopened = record.start(serial="SL-9", site="site", technician="T-1001")
        assert reopened
        visit = record.visit(visit_id)
    assert visit["parts"][0]["part_number"] == "MOT-01" and visit["work_done"] == ["motor replaced"]


def test_bad_input_is_refused_and_nothing_half_written(tmp_path: Path) -> None:
    with ServiceRecord(tmp_path / "v.sqlite") as record:
        visit_id, _ = record.start(serial="S", site="x", technician="T")
        with pytest.raises(VisitError):
            record.add_part(visit_id, "P", 0)
        with pytest.raises(VisitError):
            record.close_visit(visit_id, signed_off_by="A", satisfaction=6)
        with pytest.raises(VisitError, match="sign-off"):
            record.close_visit(visit_id, signed_off_by=" ", satisfaction=3)
        with pytest.raises(VisitError, match="no list of checks"):
            record.attach_diagnostics(visit_id, {"checks": "x"})
        assert record.visit(visit_id)["status"] == "open"
        assert record.visit(visit_id)["parts"] == []


def test_migrations_are_versioned_and_a_newer_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite"
    ServiceRecord(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(DatabaseTooNew, match="newer safetool"):
        ServiceRecord(path)


def test_checks_from_a_bare_list_and_odd_items() -> None:
    checks = extract_checks([{"name": "a", "verdict": "WARN", "value": 3}, "junk", {"x": 1}])
    assert checks == [
        {"name": "a", "verdict": "warn", "value": 3.0, "unit": "", "part_number": "",
         "detail": "", "codes": {}}
    ]  # fmt: skip


async def test_visit_cli_round(tmp_path: Path) -> None:
    db = str(tmp_path / "v.sqlite")
    diag = tmp_path / "diag.json"
    diag.write_text(json.dumps(DIAG))
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps({"verified": True, "signed": True, "findings": [], "entries": [
        {"index": 0, "time": "2026-11-24T08:00:00Z", "kind": "power_on", "detail": {"boot": 1}}
    ]}))  # fmt: skip

    async def visit(*argv: str) -> tuple[int, str, str]:
        return await safetool_here("visit", *argv, "--db", db)

    code, out, err = await safetool_here(
        "visit", "start", "--serial", "SL-1", "--site", "Shop 4", "--technician-id", "T-1001",
        "--db", db, "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {"visit_id": 1, "reopened": False, "serial": "SL-1"}
    assert (await visit("add-part", "--part", "KEY-12", "--quantity", "1"))[0] == 0
    code, out, _ = await visit("note", "--finding", "key 5 stuck", "--diag", str(diag),
                               "--audit", str(audit))  # fmt: skip
    assert code == 0 and "3 check results" in out and "1 entries" in out
    code, out, err = await visit("close", "--signed-off-by", "Li Lei", "--satisfaction", "4")
    assert code == 0, err
    code, out, err = await visit("close", "--signed-off-by", "Li Lei")
    assert code == 2 and "no open visit" in err
    code, out, _ = await visit("export")
    record = json.loads(out.splitlines()[0])
    assert record["findings"] == ["key 5 stuck"] and record["signed_off_by"] == "Li Lei"
    assert record["audit"]["entries"][0]["kind"] == "power_on"
    code, out, _ = await visit("show", "1")
    assert "KEY-12" in out and "satisfaction 4/5" in out
    code, out, _ = await visit("show", "1", "--lang", "zh-CN")
    assert "上门服务 1（已结束）：SL-1" in out and "满意度 4/5" in out and "客户地点" in out
    assert "发现" in out and "已验证" in out
    code, out, _ = await visit("list", "--closed", "--json")
    assert [v["id"] for v in json.loads(out)] == [1]
    code, _, err = await visit("note", "--visit", "1", "--diag", str(tmp_path / "missing.json"))
    assert code == 2 and "Cannot read" in err


def test_checks_as_safetool_diag_json_writes_them() -> None:
    document = {
        "serial": "SL-0000-0001",
        "model": "SL-200",
        "worst": "fail",
        "checks": [
            {"name": "firmware", "title": "Firmware", "verdict": "warn", "value": "1.0.3",
             "unit": "", "detail": "known issue K-12", "part_number": None, "part_name": None,
             "next_step": "install 1.3.0", "extra": {}},
            {"name": "motor", "title": "Motor", "verdict": "fail", "value": 2150.0, "unit": "ms",
             "detail": "slow", "part_number": "MOT-200-02", "part_name": "motor",
             "next_step": "replace the motor", "extra": {"current_ma": 410}},
        ],
    }  # fmt: skip
    checks = extract_checks(document)
    assert checks[0]["value"] is None
    assert checks[0]["detail"] == "1.0.3 — known issue K-12 — install 1.3.0"
    assert checks[1]["value"] == 2150.0 and checks[1]["part_number"] == "MOT-200-02"
