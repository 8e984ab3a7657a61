"""Measurements with limits, as OpenHTF phases record them: name, value, unit, low/high, verdict.

Each lands in the test's ``user_properties`` (so in JUnit XML as a ``<property>``, also from
pytest-xdist workers) and in the HTML report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

PREFIX = "hil.measure."


@dataclass(frozen=True)
class Measurement:
    name: str
    value: float
    unit: str
    low: float | None
    high: float | None

    @property
    def verdict(self) -> str:
        if self.low is not None and self.value < self.low:
            return "fail"
        if self.high is not None and self.value > self.high:
            return "fail"
        return "pass"

    def as_json(self) -> str:
        return json.dumps({**asdict(self), "verdict": self.verdict})

    def limits(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "+inf" if self.high is None else f"{self.high:g}"
        return f"[{low}, {high}]"

    @classmethod
    def from_property(cls, name: str, value: Any) -> Measurement:
        data = json.loads(str(value))
        return cls(
            name.removeprefix(PREFIX), data["value"], data["unit"], data["low"], data["high"]
        )


class MeasurementFailed(AssertionError):
    """A measurement fell outside its limits (it is recorded all the same)."""


class Recorder:
    """``measure("lockout_s", 300, "s", low=90)``: record, then fail the test if out of limits
    (``check=False`` only records)."""

    def __init__(self, properties: list[tuple[str, object]]) -> None:
        self.properties = properties
        self.taken: list[Measurement] = []

    def __call__(
        self,
        name: str,
        value: float,
        unit: str = "",
        *,
        low: float | None = None,
        high: float | None = None,
        check: bool = True,
    ) -> Measurement:
        taken = Measurement(name, float(value), unit, low, high)
        self.taken.append(taken)
        self.properties.append((PREFIX + name, taken.as_json()))
        if check and taken.verdict == "fail":
            raise MeasurementFailed(
                f"measurement {name} = {value:g} {unit} outside {taken.limits()}"
            )
        return taken


def record_cuts(measure: Recorder, cuts: int, failures: list[str]) -> None:
    """A power-cut test's verdict: cuts made and survived, then its failures (if any) named."""
    measure("cuts", cuts, "", check=False)
    measure("survived", cuts - len(failures), f"of {cuts}", low=cuts, check=False)
    assert not failures, failures
