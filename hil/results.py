"""What the run did, gathered in the controller from each test's reports (xdist included)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from hil.measure import PREFIX, Measurement

BOARD_PROPERTY = "hil.board"
SEED_PROPERTY = "hil.seed"
CAMPAIGN_PROPERTY = "hil.campaign"


@dataclass
class TestResult:
    nodeid: str
    outcome: str = "passed"
    duration_s: float = 0.0
    reason: str = ""
    board: str = ""
    campaign: str = ""
    seed: str = ""
    measurements: list[Measurement] = field(default_factory=list)


class Results:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.tests: dict[str, TestResult] = {}

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.tests.setdefault(report.nodeid, TestResult(report.nodeid))
        result.duration_s += report.duration
        if report.skipped:
            result.outcome = "skipped"
            longrepr = report.longrepr
            result.reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            result.reason = result.reason.removeprefix("Skipped: ")
        elif report.failed:
            result.outcome = "failed" if report.when == "call" else "error"
            result.reason = str(report.longrepr).splitlines()[-1][:300] if report.longrepr else ""
        for name, value in report.user_properties:
            if name.startswith(PREFIX) and report.when == "call":
                result.measurements.append(Measurement.from_property(name, value))
            elif name == BOARD_PROPERTY:
                result.board = str(value)
            elif name == SEED_PROPERTY:
                result.seed = str(value)
            elif name == CAMPAIGN_PROPERTY:
                result.campaign = str(value)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.tests.values() if r.outcome == outcome)

    def skips(self) -> dict[str, int]:
        reasons: dict[str, int] = {}
        for r in self.tests.values():
            if r.outcome == "skipped":
                key = r.reason or "(no reason given)"
                reasons[key] = reasons.get(key, 0) + 1
        return reasons

    def boards(self) -> dict[str, list[TestResult]]:
        grouped: dict[str, list[TestResult]] = {}
        for r in self.tests.values():
            grouped.setdefault(r.board or "(no board)", []).append(r)
        return grouped

    def campaigns(self) -> dict[str, list[TestResult]]:
        grouped: dict[str, list[TestResult]] = {}
        for r in self.tests.values():
            if r.campaign:
                grouped.setdefault(r.campaign, []).append(r)
        return grouped
