"""The link between tool and board, modelled: line rate, latency, bit errors and lost frames.

A pty or a loopback socket moves bytes instantly and perfectly; a real UART at 115200 baud does
neither. Each direction of the link gets a :class:`LinkDirection` that turns a write into a
schedule of (delivery time, bytes), with bits flipped and whole frames lost as configured. All
randomness comes from one seeded generator so a failing run can be replayed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

SLICE_S = 0.004
"""Paced output is delivered in slices of about this long, as a UART trickles bytes out."""


@dataclass(slots=True)
class LinkSettings:
    baud: int | None = None
    """Line rate in bits per second (10 bits a byte: 8N1); ``None`` for no pacing."""
    latency_ms: float = 0.0
    ber: float = 0.0
    """Probability that any one bit is flipped, in both directions."""
    drop: float = 0.0
    """Probability that any one frame is lost, in both directions."""

    def __post_init__(self) -> None:
        if self.baud is not None and self.baud < 300:
            raise ValueError("baud must be at least 300")
        if not 0 <= self.ber < 0.5 or not 0 <= self.drop < 1 or self.latency_ms < 0:
            raise ValueError("ber must be in [0, 0.5), drop in [0, 1), latency_ms >= 0")

    @property
    def bytes_per_s(self) -> float | None:
        return None if self.baud is None else self.baud / 10


class LinkDirection:
    def __init__(self, settings: LinkSettings, rng: random.Random) -> None:
        self.settings = settings
        self._rng = rng
        self._line_free_at = 0.0
        self.frames_dropped = 0
        self.bits_flipped = 0

    def schedule(self, data: bytes, now: float) -> list[tuple[float, bytes]]:
        """Where and when each piece of ``data`` (written at ``now``) reaches the other end."""
        kept = self._drop_frames(data)
        if not kept:
            return []
        kept = self._flip_bits(kept)
        latency_s = self.settings.latency_ms / 1000
        rate = self.settings.bytes_per_s
        if rate is None:
            return [(now + latency_s, kept)]
        start = max(now, self._line_free_at)
        slice_bytes = max(1, int(rate * SLICE_S))
        pieces = []
        for offset in range(0, len(kept), slice_bytes):
            piece = kept[offset : offset + slice_bytes]
            start += len(piece) / rate
            pieces.append((start + latency_s, piece))
        self._line_free_at = start
        return pieces

    def _drop_frames(self, data: bytes) -> bytes:
        """Lose whole delimited frames; an unterminated tail passes (its frame is judged whole)."""
        if self.settings.drop <= 0:
            return data
        *frames, tail = data.split(b"\x00")
        kept = bytearray()
        for frame in frames:
            if frame and self._rng.random() < self.settings.drop:
                self.frames_dropped += 1
                continue
            kept += frame + b"\x00"
        kept += tail
        return bytes(kept)

    def _flip_bits(self, data: bytes) -> bytes:
        ber = self.settings.ber
        if ber <= 0 or not data:
            return data
        corrupted = bytearray(data)
        total_bits = len(data) * 8
        position = -1
        log_keep = math.log(1.0 - ber)
        while True:
            # geometric skip to the next flipped bit: O(errors), not O(bits)
            position += 1 + int(math.log(1.0 - self._rng.random()) / log_keep)
            if position >= total_bits:
                break
            corrupted[position >> 3] ^= 1 << (position & 7)
            self.bits_flipped += 1
        return bytes(corrupted)
