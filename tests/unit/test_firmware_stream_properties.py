"""Property tests of the install's image stream (protocols/firmware_stream.py) and the tool's
chunking: whatever the tool makes decodes to the image; whatever garbage arrives is a
StreamError, never another exception, and never more bytes than the image."""

from __future__ import annotations

import lzma

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.firmware_messages import Compression
from protocols.firmware_stream import (
    BOARD_MAX_DICT_SIZE,
    DEFAULT_DICT_SIZE,
    StreamDecoder,
    StreamError,
    lzma2_filters,
    make_stream,
)
from safetool.services.firmware_transfer import TAIL_CHUNK_BYTES, chunk_bounds

BOTH = (1 << Compression.NONE) | (1 << Compression.LZMA2)
images = st.one_of(
    st.binary(min_size=1, max_size=20_000),
    st.builds(lambda unit, n: unit * n, st.binary(min_size=1, max_size=64), st.integers(1, 400)),
)


def decode_in_pieces(compression: int, dict_size: int, size: int, data: bytes, cut: int) -> bytes:
    decoder = StreamDecoder(compression, dict_size, size)
    out = b""
    for offset in range(0, len(data), cut):
        out += decoder.feed(data[offset : offset + cut])
    assert decoder.finished
    return out


@settings(max_examples=150, deadline=None)
@given(image=images, start_page=st.integers(0, 4), cut=st.integers(1, 5000))
def test_every_stream_the_tool_makes_decodes_to_the_image(
    image: bytes, start_page: int, cut: int
) -> None:
    start = min(start_page * 4096, len(image) - 1)
    stream = make_stream(image, start, supported=BOTH, max_dict_size=BOARD_MAX_DICT_SIZE)
    if stream.compression == Compression.LZMA2:
        assert len(stream.data) < 0.98 * (len(image) - start)  # compressed only when it pays
    out = decode_in_pieces(
        stream.compression, stream.dict_size, stream.image_bytes, stream.data, cut
    )
    assert out == image[start:]


@settings(max_examples=50, deadline=None)
@given(image=images)
def test_a_board_without_lzma2_gets_the_raw_image(image: bytes) -> None:
    stream = make_stream(image, 0, supported=1 << Compression.NONE, max_dict_size=0)
    assert stream.compression == Compression.NONE and stream.data == image


@settings(max_examples=300, deadline=None)
@given(garbage=st.binary(max_size=3000), size=st.integers(1, 50_000), cut=st.integers(1, 600))
def test_garbage_is_a_stream_error_or_at_most_the_image(
    garbage: bytes, size: int, cut: int
) -> None:
    decoder = StreamDecoder(Compression.LZMA2, DEFAULT_DICT_SIZE, size)
    produced = 0
    try:
        for offset in range(0, len(garbage), cut):
            produced += len(decoder.feed(garbage[offset : offset + cut]))
    except StreamError as error:  # said in SPEC terms, never the decompressor's (B-9.3)
        assert str(error) in {
            "the compressed stream is corrupt",
            "the stream holds more than the image",
        }
        return
    assert produced <= size


@settings(max_examples=100, deadline=None)
@given(image=st.binary(min_size=2, max_size=5000), extra=st.integers(1, 1000))
def test_a_stream_longer_than_the_image_is_refused(image: bytes, extra: int) -> None:
    packed = lzma.compress(
        image + bytes(extra), format=lzma.FORMAT_RAW, filters=lzma2_filters(DEFAULT_DICT_SIZE)
    )
    with pytest.raises(StreamError):
        decode_in_pieces(Compression.LZMA2, DEFAULT_DICT_SIZE, len(image), packed, 4096)
    with pytest.raises(StreamError):
        StreamDecoder(Compression.NONE, 0, len(image)).feed(image + bytes(extra))


@pytest.mark.parametrize(("compression", "dict_size"), [(7, 0), (1, 1024), (1, 1 << 20)])
def test_unknown_compression_and_dictionaries_are_refused(compression: int, dict_size: int) -> None:
    with pytest.raises(StreamError):
        StreamDecoder(compression, dict_size, 100)


@given(total=st.integers(0, 200_000), size=st.integers(TAIL_CHUNK_BYTES, 9000))
def test_chunks_cover_the_stream_exactly_and_shrink_only_at_the_end(total: int, size: int) -> None:
    bounds = chunk_bounds(total, size)
    assert sum(length for _, length in bounds) == total
    offset = 0
    for start, length in bounds:
        assert start == offset and 0 < length <= size
        offset += length
    full = [length for _, length in bounds if length == size]
    assert [length for _, length in bounds[: len(full)]] == full  # full frames first
    tail = [length for _, length in bounds[len(full) :]]
    assert tail == sorted(tail, reverse=True)  # shrinking towards the end
