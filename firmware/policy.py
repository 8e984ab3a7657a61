"""The lock policy: penalty lockout, time delay with an opening window, dual control.

Ranges follow what lock standards and practice use: China's GA 374-2019 asks for input blocked
at least 90 s after 1-5 wrong codes within 5 minutes; EN 1300 locks commonly use 4-5 wrong codes
and 5-10 minutes; time delays on safe locks run up to 99 minutes with an opening window of
1-10 minutes. A board refuses any setting outside these ranges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

RANGES: dict[str, tuple[int, int]] = {
    "wrong_codes": (1, 10),
    "window_s": (60, 3600),
    "lockout_s": (90, 3600),
    "hard_after_lockouts": (1, 10),
    "time_delay_s": (0, 5940),
    "opening_window_s": (30, 600),
    "dual_control": (0, 1),
    "answer_valid_min": (1, 60),
}


@dataclass(slots=True)
class LockPolicy:
    wrong_codes: int = 5
    """Wrong codes within ``window_s`` that start a penalty lockout (GA 374-2019: 1-5)."""
    window_s: int = 300
    lockout_s: int = 300
    """Length of a penalty lockout (GA 374-2019: at least 90 s; EN 1300 locks: 5-10 min)."""
    hard_after_lockouts: int = 3
    """Penalty lockouts without a good code in between that end in a hard lockout."""
    time_delay_s: int = 0
    """Wait after a good code before the lock may open; 0 for none."""
    opening_window_s: int = 60
    """After the time delay: how long a second good code opens the lock."""
    dual_control: int = 0
    """1: two different users' codes, one after the other, are needed to open."""
    answer_valid_min: int = 15
    """How long a recovery challenge can be answered, in minutes of the lock's own lived time
    since it issued the challenge (never its settable clock)."""

    def __post_init__(self) -> None:
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if not isinstance(value, int | float) or not low <= value <= high:
                why = " (GA 374-2019 requires at least 90 s)" if name == "lockout_s" else ""
                raise ValueError(f"{name} must be {low}..{high}, not {value}{why}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LockPolicy:
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in known})
