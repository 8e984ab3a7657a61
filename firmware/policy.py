"""The penalty policy: wrong codes in a window start a lockout; lockouts in a row escalate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class PenaltyPolicy:
    wrong_codes: int = 5
    """Wrong codes within ``window_s`` that start a penalty lockout (GA 374-2019: 1-5)."""
    window_s: float = 300.0
    lockout_s: float = 300.0
    """Length of a penalty lockout (GA 374-2019: at least 90 s; EN 1300 locks: 5-10 min)."""
    hard_after_lockouts: int = 3
    """Penalty lockouts without a good code in between that end in a hard lockout."""

    def __post_init__(self) -> None:
        if not 1 <= self.wrong_codes <= 10:
            raise ValueError("wrong_codes must be 1..10")
        if self.lockout_s < 90:
            raise ValueError("lockout_s must be at least 90 s (GA 374-2019)")
        if self.window_s <= 0 or self.hard_after_lockouts < 1:
            raise ValueError("window_s must be positive and hard_after_lockouts at least 1")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PenaltyPolicy:
        return cls(**data)
