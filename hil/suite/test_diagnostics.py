"""Diagnostics find each injected fault, and pass on a healthy board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hil.faults import Faults
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.helpers import open_by_customer, technician
from safetool.services.diagnostics import Verdict, run_diagnostics

pytestmark = [pytest.mark.any_link, pytest.mark.needs("pki")]

FAULTS: list[tuple[str, dict[str, Any], str]] = [
    ("battery", {"name": "weak_battery", "rest_mv": 4700}, "SL-BAT-4AA"),
    ("battery_resistance", {"name": "high_resistance", "mohm": 1500}, "SL-BAT-4AA"),
    ("motor", {"name": "jammed_motor"}, "SL-MTR-12"),
    ("motor", {"name": "slow_motor", "factor": 2.5}, "SL-MTR-12"),
    ("bolt_sensor", {"name": "bolt_sensor_misaligned"}, "SL-SNS-B2"),
    ("keypad_stuck", {"name": "stuck_key", "key": "5"}, "SL-KPD-12"),
    ("rtc", {"name": "clock_drift", "ppm": 500, "skew_s": -900}, "SL-CR2032"),
    ("temperature", {"name": "hot", "temperature_dc": 650}, "SL-CTL-100B"),
    ("tamper", {"name": "tamper_open"}, "SL-TMP-01"),
    ("error_log", {"name": "error_burst", "code": 6, "count": 25}, "SL-CTL-100B"),
]


@pytest.mark.needs("keys", "door")
@pytest.mark.parametrize(
    ("check", "fault", "part"), FAULTS, ids=[f"{c}-{f['name']}" for c, f, _ in FAULTS]
)
async def test_check_finds_injected_fault(
    pki: Path, lock: Lock, faults: Faults, check: str, fault: dict[str, Any], part: str
) -> None:
    params = dict(fault)
    name = params.pop("name")
    faults.require(f"fault:{name}")
    await open_by_customer(lock)
    await faults.inject(name, **params)
    report = await run_diagnostics(lock.client, technician(pki, "T-1002"), checks=[check])
    (result,) = report.results
    assert result.verdict == Verdict.FAIL, result
    assert result.part_number == part and result.next_step


@pytest.mark.needs("keys", "door")
async def test_healthy_board_passes_every_automatic_check(
    pki: Path, lock: Lock, measure: Recorder
) -> None:
    await open_by_customer(lock)
    checks = [
        "battery",
        "battery_resistance",
        "motor",
        "bolt_sensor",
        "keypad_stuck",
        "rtc",
        "temperature",
        "tamper",
        "error_log",
        "versions",
        "door_sensor",
    ]
    report = await run_diagnostics(lock.client, technician(pki, "T-1002"), checks=checks)
    for result in report.results:
        if isinstance(result.value, int | float):
            measure(result.name, result.value, result.unit, check=False)
    verdicts = {r.name: r.verdict for r in report.results}
    measure("checks_passed", sum(v == Verdict.PASS for v in verdicts.values()), "", low=len(checks))
    assert all(v == Verdict.PASS for v in verdicts.values()), verdicts
