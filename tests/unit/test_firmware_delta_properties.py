"""The delta patch (SPEC.md 20.5): what the tool makes, detools' own applier takes; what the
board's decoder makes from it is the new image, in any chunking; anything else is a clear
StreamError, never another exception, never output past the image or reads outside the base."""

from __future__ import annotations

import contextlib
import io
import random

import detools
import pytest
from detools.common import unpack_size_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.firmware_delta import (
    DeltaDecoder,
    PatchDecoder,
    add_bytes,
    make_delta_stream,
    make_patch,
    pack_size,
)
from protocols.firmware_stream import DeltaBase, StreamError

# SPEC.md 20.5, worked example: written by hand from the table, not by the code under test
SPEC_BASE = b"ABCDEFGH"
SPEC_NEW = b"ABCDXFGHIJ"
SPEC_PATCH = bytes.fromhex("00 0a 00 08 00 00 00 00 13 00 00 00 02 49 4a 00")


def _apply(base: bytes, patch: bytes, size: int, chunk: int = 7) -> bytes:
    decoder = PatchDecoder(lambda at, n: base[at : at + n], len(base), size)
    out = b"".join(decoder.feed(patch[i : i + chunk]) for i in range(0, len(patch), chunk))
    assert decoder.finished
    return out


def _detools_apply(base: bytes, patch: bytes) -> bytes:
    out = io.BytesIO()
    detools.apply_patch(io.BytesIO(base), io.BytesIO(patch), out)
    return out.getvalue()


def test_the_spec_example_is_what_both_appliers_make() -> None:
    assert _apply(SPEC_BASE, SPEC_PATCH, len(SPEC_NEW)) == SPEC_NEW
    assert _detools_apply(SPEC_BASE, SPEC_PATCH) == SPEC_NEW


@pytest.mark.parametrize(
    ("value", "encoded"), [(0, "00"), (10, "0a"), (-3, "43"), (100, "a4 01"), (63, "3f")]
)
def test_sizes_are_encoded_as_the_spec_says(value: int, encoded: str) -> None:
    assert pack_size(value) == bytes.fromhex(encoded)


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_sizes_read_back_by_detools(value: int) -> None:
    assert unpack_size_bytes(pack_size(value)) == value


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_add_bytes_is_bytewise_addition_mod_256(a: bytes, b: bytes) -> None:
    size = min(len(a), len(b))
    a, b = a[:size], b[:size]
    assert add_bytes(a, b) == bytes((x + y) & 0xFF for x, y in zip(a, b, strict=True))


def _edited(base: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(base)
    for _ in range(rng.randrange(6)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(3)
        if kind == 0:
            out[at:at] = rng.randbytes(rng.randrange(1, 40))
        elif kind == 1:
            del out[at : at + rng.randrange(1, 40)]
        else:
            out[at : at + 8] = bytes((x + 3) & 0xFF for x in out[at : at + 8])
    return bytes(out)


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=3000), st.integers(0, 2**32), st.integers(1, 500))
def test_a_patch_rebuilds_the_new_image_in_any_chunking_and_detools_agrees(
    base: bytes, seed: int, chunk: int
) -> None:
    new = _edited(base, seed)
    patch = make_patch(base, new)
    assert _apply(base, patch, len(new), chunk) == new
    assert _detools_apply(base, patch) == new


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=64, max_size=4000), st.integers(0, 2**32), st.sampled_from([1, 3]))
def test_a_delta_stream_from_a_start_rebuilds_the_rest(
    base: bytes, seed: int, supported: int
) -> None:
    new = _edited(base, seed) + bytes(5000)
    start = 4096
    stream = make_delta_stream(
        DeltaBase(1, base), new, start, supported=supported, max_dict_size=64 * 1024
    )
    decoder = DeltaDecoder(
        stream.compression,
        stream.dict_size,
        len(new) - start,
        lambda at, n: base[at : at + n],
        len(base),
    )
    assert (
        b"".join(decoder.feed(stream.data[i : i + 100]) for i in range(0, len(stream.data), 100))
        == new[start:]
    )
    assert decoder.finished


@settings(max_examples=200)
@given(st.binary(max_size=400), st.binary(min_size=1, max_size=200), st.integers(0, 600))
def test_garbage_is_a_stream_error_and_never_reads_outside_the_base(
    data: bytes, base: bytes, size: int
) -> None:
    reads: list[tuple[int, int]] = []

    def read(at: int, n: int) -> bytes:
        reads.append((at, n))
        return base[at : at + n]

    decoder = PatchDecoder(read, len(base), size)
    made = b""
    with contextlib.suppress(StreamError):
        made = decoder.feed(data)
    assert len(made) <= size
    assert all(at >= 0 and at + n <= len(base) for at, n in reads)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=16, max_size=2000), st.integers(0, 2**32), st.data())
def test_a_flipped_byte_makes_an_error_or_other_bytes_never_a_crash(
    base: bytes, seed: int, data: st.DataObject
) -> None:
    new = _edited(base, seed)
    patch = bytearray(make_patch(base, new))
    at = data.draw(st.integers(0, len(patch) - 1))
    patch[at] ^= data.draw(st.integers(1, 255))
    decoder = PatchDecoder(lambda a, n: base[a : a + n], len(base), len(new))
    try:
        made = decoder.feed(bytes(patch))
    except StreamError:
        return
    assert len(made) <= len(new)


def test_an_endless_stream_of_empty_chunks_is_refused_not_followed() -> None:
    """A hostile LZMA2 stream of zeros decompresses to empty chunks forever: the decoder stops
    at four patch bytes per image byte."""
    import lzma

    zeros = lzma.compress(
        b"\x00\x0a\x00" + bytes(1 << 20),
        format=lzma.FORMAT_RAW,
        filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 4096}],
    )
    decoder = DeltaDecoder(1, 4096, 10, lambda a, n: bytes(n), 100)
    with pytest.raises(StreamError, match="far larger"):
        decoder.feed(zeros)
