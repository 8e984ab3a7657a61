"""Properties of the frame layer: COBS, CRC and the push parser, under any input and chunking."""

from __future__ import annotations

import itertools
import struct
import zlib

import pytest
from cobs import cobs
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.catalogue import MIN_MAX_FRAME
from protocols.errors import FrameCorrupt, FrameTooLarge, FrameTooShort, RemoteProtocolError
from protocols.framing import (
    CRC_SIZE,
    HEADER_BYTES,
    FrameSplitter,
    cobs_overhead,
    decode_frame,
    encode_frame,
)

SETTINGS = settings(max_examples=60, deadline=None)
MAX_FRAME = 600
"""The splitter limit used here (frame bytes, CRC included)."""

frames = st.binary(min_size=HEADER_BYTES, max_size=MAX_FRAME - CRC_SIZE)
"""Frames as the framing layer passes them: at least a header (SPEC.md 2.4)."""
"""Header-and-body byte strings the splitter must pass through (any content)."""


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given positions (taken modulo its length), in order."""
    if not data:
        return [data]
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def feed_all(splitter: FrameSplitter, chunks: list[bytes]) -> list[bytes | RemoteProtocolError]:
    out: list[bytes | RemoteProtocolError] = []
    for chunk in chunks:
        items = list(splitter.feed(chunk))
        for item in items:
            assert isinstance(item, (bytes, RemoteProtocolError)), item
        out.extend(items)
        assert splitter.buffered <= splitter.max_stuffed
    return out


def good_frames(items: list[bytes | RemoteProtocolError]) -> list[bytes]:
    return [item for item in items if isinstance(item, bytes)]


# --- encode_frame and decode_frame ----------------------------------------------------------


@SETTINGS
@given(frames)
def test_encode_decode_round_trip(frame: bytes) -> None:
    wire = encode_frame(frame)
    assert wire[-1:] == b"\x00"
    assert 0 not in wire[:-1], "COBS output must hold no delimiter"
    assert len(wire) <= len(frame) + CRC_SIZE + cobs_overhead(len(frame) + CRC_SIZE)
    assert decode_frame(wire[:-1]) == frame


@SETTINGS
@given(frames)
def test_crc_is_crc32_little_endian(frame: bytes) -> None:
    wire = encode_frame(frame)
    # Unstuff with the splitter's own decoder, then check the trailer independently.
    raw = _cobs_decode(wire[:-1])
    assert raw == frame + struct.pack("<I", zlib.crc32(frame))


def _cobs_decode(data: bytes) -> bytes:
    """A small independent COBS decoder (SPEC.md 2.3), to check the encoder's output."""
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        assert code != 0
        out += data[i + 1 : i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


@SETTINGS
@given(st.binary(max_size=300))
def test_decode_frame_raises_only_remote_errors(stuffed: bytes) -> None:
    try:
        frame = decode_frame(stuffed)
    except RemoteProtocolError as error:
        assert isinstance(error, (FrameCorrupt, FrameTooShort))
    else:
        assert len(frame) >= 1


@SETTINGS
@given(frames, st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_any_single_bit_flip_is_caught(frame: bytes, position: int, bit: int) -> None:
    wire = bytearray(encode_frame(frame)[:-1])
    wire[position % len(wire)] ^= 1 << bit
    if 0 in wire:
        return  # the flip made a delimiter: the splitter tests cover that case
    try:
        decoded = decode_frame(bytes(wire))
    except (FrameCorrupt, FrameTooShort):
        return
    raise AssertionError(f"a flipped frame was accepted: {decoded!r}")


# --- FrameSplitter --------------------------------------------------------------------------


@SETTINGS
@given(st.lists(frames, max_size=6), st.lists(st.integers(min_value=0), max_size=20))
def test_splitter_passes_frames_in_any_chunking(batch: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(f) for f in batch)
    out = feed_all(FrameSplitter(MAX_FRAME), chunked(stream, cuts))
    assert out == batch


@settings(max_examples=20, deadline=None)
@given(st.lists(frames, min_size=1, max_size=3))
def test_splitter_one_byte_at_a_time(batch: list[bytes]) -> None:
    stream = b"".join(encode_frame(f) for f in batch)
    splitter = FrameSplitter(MAX_FRAME)
    out = feed_all(splitter, [stream[i : i + 1] for i in range(len(stream))])
    assert out == batch
    assert splitter.buffered == 0


@SETTINGS
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0), max_size=30))
def test_splitter_never_raises_on_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    splitter = FrameSplitter(MIN_MAX_FRAME)
    feed_all(splitter, chunked(data, cuts))


@SETTINGS
@given(
    st.binary(max_size=2000),
    frames,
    st.lists(st.integers(min_value=0), max_size=20),
)
def test_frame_after_garbage_and_delimiter_is_never_lost(
    garbage: bytes, frame: bytes, cuts: list[int]
) -> None:
    stream = garbage + b"\x00" + encode_frame(frame)
    out = feed_all(FrameSplitter(MAX_FRAME), chunked(stream, cuts))
    assert out, "the frame must come out"
    assert out[-1] == frame


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=2000), frames)
def test_frame_after_garbage_one_byte_at_a_time(garbage: bytes, frame: bytes) -> None:
    stream = garbage + b"\x00" + encode_frame(frame)
    out = feed_all(FrameSplitter(MAX_FRAME), [stream[i : i + 1] for i in range(len(stream))])
    assert out[-1] == frame


@SETTINGS
@given(
    st.integers(min_value=1, max_value=5000),
    frames,
    st.lists(st.integers(min_value=0), max_size=10),
)
def test_long_run_without_delimiter_is_discarded_once(
    extra: int, frame: bytes, cuts: list[int]
) -> None:
    splitter = FrameSplitter(MAX_FRAME)
    run = b"\x01" * (splitter.max_stuffed + extra)
    stream = run + b"\x00" + encode_frame(frame)
    out = feed_all(splitter, chunked(stream, cuts))
    errors = [item for item in out if isinstance(item, RemoteProtocolError)]
    assert len(errors) == 1
    assert isinstance(errors[0], FrameTooLarge)
    assert good_frames(out) == [frame]
    assert splitter.buffered == 0


def test_frame_at_the_limit_passes_and_one_past_it_does_not() -> None:
    splitter = FrameSplitter(MAX_FRAME)
    largest = bytes([0x5A]) * (MAX_FRAME - CRC_SIZE)
    assert list(splitter.feed(encode_frame(largest))) == [largest]
    # A run of non-zero bytes longer than the largest encoded frame can never be a frame.
    out = list(splitter.feed(b"\x01" * (splitter.max_stuffed + 1) + b"\x00"))
    assert len(out) == 1 and isinstance(out[0], FrameTooLarge)


@given(
    st.sampled_from([256, 600, 4160, 8256, 65534]),
    st.binary(min_size=1, max_size=64),
    st.booleans(),
)
def test_a_frame_one_byte_over_the_limit_is_dropped_though_its_run_fits_the_buffer(
    limit: int, pattern: bytes, with_noise_first: bool
) -> None:
    """Issue 15: a board that stated 8256 in HELLO took a frame of 8257 bytes, since the
    buffer is sized for COBS's worst case. The size is checked after the CRC now."""
    splitter = FrameSplitter(limit)
    frame = (pattern * (limit // len(pattern) + 1))[: limit - CRC_SIZE + 1]
    wire = encode_frame(frame)
    stream = (b"\x07\x00" if with_noise_first else b"") + wire  # the buffered path, or not
    out = list(splitter.feed(stream))
    assert isinstance(out[-1], FrameTooLarge) and good_frames(out) == []
    assert list(splitter.feed(encode_frame(frame[:-1]))) == [frame[:-1]]  # at the limit: taken


def test_empty_frames_between_delimiters_are_skipped() -> None:
    splitter = FrameSplitter(MAX_FRAME)
    out = list(splitter.feed(b"\x00\x00" + encode_frame(b"abcde") + b"\x00\x00\x00"))
    assert out == [b"abcde"]


def test_partial_frame_is_held_until_its_delimiter() -> None:
    splitter = FrameSplitter(MAX_FRAME)
    wire = encode_frame(b"hello")
    assert list(splitter.feed(wire[:3])) == []
    assert splitter.buffered == 3
    assert list(splitter.feed(wire[3:])) == [b"hello"]
    assert splitter.buffered == 0


@SETTINGS
@given(
    st.lists(frames, min_size=1, max_size=5),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=7),
    st.lists(st.integers(min_value=0), max_size=15),
)
def test_bit_flip_costs_at_most_the_frames_it_touches(
    batch: list[bytes], position: int, bit: int, cuts: list[int]
) -> None:
    wires = [encode_frame(f) for f in batch]
    stream = bytearray(b"".join(wires))
    position %= len(stream)
    stream[position] ^= 1 << bit
    # Frame i spans [starts[i], ends[i]] (its delimiter included). A flip inside it damages it;
    # a flip of its delimiter also merges it with the next frame.
    damaged: set[int] = set()
    start = 0
    for i, wire in enumerate(wires):
        end = start + len(wire) - 1
        if start <= position <= end:
            damaged.add(i)
            if position == end:
                damaged.add(i + 1)
        start = end + 1
    out = feed_all(FrameSplitter(MAX_FRAME), chunked(bytes(stream), cuts))
    survivors = [f for i, f in enumerate(batch) if i not in damaged]
    received = good_frames(out)
    # Every untouched frame comes out, in order; nothing else does (CRC-32 catches the flip).
    assert received == survivors


@SETTINGS
@given(
    st.lists(frames, min_size=1, max_size=5),
    st.integers(min_value=0),
    st.lists(st.integers(min_value=0), max_size=15),
)
def test_truncated_stream_yields_only_complete_frames(
    batch: list[bytes], cut: int, cuts: list[int]
) -> None:
    wires = [encode_frame(f) for f in batch]
    stream = b"".join(wires)
    cut %= len(stream) + 1
    complete, total = 0, 0
    for wire in wires:
        total += len(wire)
        if total <= cut:
            complete += 1
    splitter = FrameSplitter(MAX_FRAME)
    out = feed_all(splitter, chunked(stream[:cut], cuts))
    assert out == batch[:complete]
    # The rest of the stream, arriving later, completes the frames in order.
    out += feed_all(splitter, [stream[cut:]])
    assert out == batch


@SETTINGS
@given(
    st.lists(frames, min_size=1, max_size=4),
    st.binary(min_size=1, max_size=400),
    st.lists(st.integers(min_value=0), max_size=15),
)
def test_noise_between_delimited_frames_never_loses_them(
    batch: list[bytes], noise: bytes, cuts: list[int]
) -> None:
    """Noise inserted between frames, ended by a delimiter, costs no frame."""
    stream = b"".join(noise + b"\x00" + encode_frame(f) for f in batch)
    out = feed_all(FrameSplitter(MAX_FRAME), chunked(stream, cuts))
    assert good_frames(out) == batch


def test_splitter_limit_is_the_frame_limit_plus_its_cobs_worst_case() -> None:
    """SPEC.md 2.4: a receiver with limit M allows M + floor(M / 254) + 2 bytes between
    delimiters, at least the COBS worst case of an M-byte frame."""
    for limit in (MIN_MAX_FRAME, 257, 508, 509, 4160, 65535):
        splitter = FrameSplitter(limit)
        assert splitter.max_stuffed == limit + limit // 254 + 2
        assert splitter.max_stuffed >= limit + -(-limit // 254)  # n + ceil(n / 254)
        for fill in (0x01, 0x00):  # no zero at all (most 0xFF blocks), and all zeros
            largest = bytes([fill]) * (limit - CRC_SIZE)
            wire = encode_frame(largest)
            assert len(wire) - 1 <= splitter.max_stuffed
            assert list(splitter.feed(wire)) == [largest]


@given(st.binary(max_size=HEADER_BYTES - 1))
def test_a_frame_shorter_than_a_header_is_too_short_after_its_crc_check(frame: bytes) -> None:
    """Issue 15: SPEC.md 9's order. Fewer than 5 bytes decoded: too short before any CRC
    check; a good CRC over fewer than 5 bytes: too short after it; a bad one: corrupt."""
    with pytest.raises(FrameTooShort):
        decode_frame(encode_frame(frame)[:-1])
    damaged = bytearray(frame + zlib.crc32(frame).to_bytes(4, "little"))
    damaged[-1] ^= 0x01
    expected = FrameTooShort if len(damaged) < CRC_SIZE + 1 else FrameCorrupt
    with pytest.raises(expected):
        decode_frame(cobs.encode(bytes(damaged)))
