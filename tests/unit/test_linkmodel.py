"""The link model: pacing to the line rate, bit errors at the set rate, whole frames lost."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.linkmodel import LinkDirection, LinkSettings


def test_pacing_delivers_at_the_line_rate() -> None:
    link = LinkDirection(LinkSettings(baud=115200), random.Random(1))
    data = bytes(11520)  # one second of line time at 115200 baud, 10 bits a byte
    schedule = link.schedule(data, now=100.0)
    assert b"".join(piece for _, piece in schedule) == data
    assert abs(schedule[-1][0] - 101.0) < 1e-9
    times = [t for t, _ in schedule]
    assert times == sorted(times)
    # a second write queues behind the first: the line is busy until then
    assert abs(link.schedule(bytes(1152), now=100.5)[-1][0] - 101.1) < 1e-9


def test_latency_is_added_once() -> None:
    link = LinkDirection(LinkSettings(latency_ms=25), random.Random(1))
    assert link.schedule(b"abc", now=5.0) == [(5.025, b"abc")]


def test_bit_error_rate_is_as_configured() -> None:
    link = LinkDirection(LinkSettings(ber=1e-3), random.Random(2))
    data = bytes(100_000)
    ((_, corrupted),) = link.schedule(data, now=0)
    flipped = sum(bin(byte).count("1") for byte in corrupted)
    assert flipped == link.bits_flipped
    assert 600 < flipped < 1000  # 800 expected


def test_drops_remove_whole_frames_only() -> None:
    link = LinkDirection(LinkSettings(drop=0.5), random.Random(3))
    frames = [bytes([n + 1]) * 5 + b"\x00" for n in range(200)]
    ((_, kept),) = link.schedule(b"".join(frames), now=0)
    survivors = [f + b"\x00" for f in kept.split(b"\x00")[:-1]]
    assert all(f in frames for f in survivors)
    assert len(survivors) + link.frames_dropped == 200
    assert 60 < link.frames_dropped < 140


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=2000), seed=st.integers(0, 2**32))
def test_a_perfect_link_changes_nothing(data: bytes, seed: int) -> None:
    link = LinkDirection(LinkSettings(), random.Random(seed))
    delivered = b"".join(piece for _, piece in link.schedule(data, now=0))
    assert delivered == data
