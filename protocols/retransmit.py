"""Retransmission timing for the tool side: an adaptive timeout as TCP computes it (RFC 6298).

The round-trip estimate comes only from answers to requests sent once (Karn's rule), so a
retransmitted request never skews it. Each request may add ``processing_s`` for work the board
is known to take long over (a flash erase), so a slow answer is waited for, not resent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RetransmitPolicy:
    initial_rto_s: float = 0.25
    min_rto_s: float = 0.03
    max_rto_s: float = 2.0
    max_attempts: int = 8


class RttEstimator:
    """Smoothed round-trip time and the retransmission timeout derived from it."""

    def __init__(self, policy: RetransmitPolicy) -> None:
        self.policy = policy
        self.srtt_s: float | None = None
        self.rttvar_s = 0.0

    def sample(self, rtt_s: float) -> None:
        if self.srtt_s is None:
            self.srtt_s = rtt_s
            self.rttvar_s = rtt_s / 2
        else:
            self.rttvar_s = 0.75 * self.rttvar_s + 0.25 * abs(self.srtt_s - rtt_s)
            self.srtt_s = 0.875 * self.srtt_s + 0.125 * rtt_s

    @property
    def rto_s(self) -> float:
        if self.srtt_s is None:
            return self.policy.initial_rto_s
        rto = self.srtt_s + max(0.005, 4 * self.rttvar_s)
        return min(self.policy.max_rto_s, max(self.policy.min_rto_s, rto))

    def backoff_s(self, attempts: int) -> float:
        """Timeout before the next resend after ``attempts`` sends (doubling each time)."""
        return min(self.policy.max_rto_s, self.rto_s * 2.0 ** (attempts - 1))
