"""Delta installs (SPEC.md section 20.5), sans-IO: a patch from an image the lock holds to the
new one, built on the tool and applied on the board page by page.

The patch is a **detools sequential patch** (compression ``none``: the install stream's own
LZMA2 compresses it, section 20.3), so a C board applies it with detools' ``detools.c``, the
applier written for small MCUs: it reads the patch once, front to back, reads the base at
one moving offset and writes the new image in order, with a few hundred bytes of state. The
tool builds the patch with ``bsdiff4`` (Colin Percival's bsdiff, the algorithm detools itself
runs; wheels for every laptop), then lays bsdiff's control, diff and extra blocks out as
detools' sequential chunks. docs/decisions.md says why this format and not another.

Layout (all sizes are detools' signed variable-length integers, :func:`pack_size`)::

    header 0x00 (sequential, no compression) · to_size · 0 (no data format)
    then chunks until to_size bytes are made:
        diff_size · diff bytes (new = base + diff, byte by byte, mod 256; the base read moves on)
        extra_size · extra bytes (new = extra)
        adjustment (signed: the base read moves by it)
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto

import bsdiff4.core

from protocols.firmware_stream import (
    DeltaBase,
    ImageStream,
    StreamDecoder,
    StreamError,
    make_stream,
)

HEADER_SEQUENTIAL_NONE = 0x00
"""detools' header byte: bit 7 zero, bits 6-4 patch type (0 sequential), bits 3-0 compression
(0 none)."""
MAX_SIZE_BYTES = 10
"""An int64 takes at most ten bytes in detools' encoding."""
PATCH_PER_IMAGE_BYTE = 4
"""A patch that decompresses to more than this many bytes per image byte (plus a page) is
refused: bsdiff's own patches stay near one, a hostile stream of empty chunks would not end."""

ReadBase = Callable[[int, int], bytes]
"""(offset, length) → that many bytes of the base image."""


def pack_size(value: int) -> bytes:
    """detools' size encoding: first byte continuation bit, sign bit, six value bits; then
    seven value bits per byte, least significant first."""
    if value == 0:
        return b"\x00"
    sign, magnitude = (0x40, -value) if value < 0 else (0x00, value)
    out = bytearray([0x80 | sign | (magnitude & 0x3F)])
    magnitude >>= 6
    while magnitude:
        out.append(0x80 | (magnitude & 0x7F))
        magnitude >>= 7
    out[-1] &= 0x7F
    return bytes(out)


def add_bytes(diff: bytes, base: bytes) -> bytes:
    """``(diff[i] + base[i]) mod 256`` for every byte, without a Python loop per byte: the sum
    of the low seven bits of each byte, then the top bits by exclusive or (no carry crosses
    into the next byte)."""
    if len(diff) != len(base):
        raise ValueError("diff and base differ in length")
    if not diff:
        return b""
    n = len(diff)
    a, b = int.from_bytes(diff, "little"), int.from_bytes(base, "little")
    low, high = int.from_bytes(b"\x7f" * n, "little"), int.from_bytes(b"\x80" * n, "little")
    return (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "little")


def make_patch(base: bytes, target: bytes) -> bytes:
    """The detools sequential patch (compression none) that makes ``target`` from ``base``."""
    control, diff, extra = bsdiff4.core.diff(base, target)
    out = bytearray([HEADER_SEQUENTIAL_NONE])
    out += pack_size(len(target))
    if not target:
        return bytes(out)  # detools writes nothing more for an empty image
    out += pack_size(0)  # no data format
    diff_at = extra_at = 0
    for at in range(0, len(control), 24):
        diff_size, extra_size, adjustment = (
            bsdiff4.core.decode_int64(control[at + i : at + i + 8]) for i in (0, 8, 16)
        )
        out += pack_size(diff_size) + diff[diff_at : diff_at + diff_size]
        out += pack_size(extra_size) + extra[extra_at : extra_at + extra_size]
        out += pack_size(adjustment)
        diff_at += diff_size
        extra_at += extra_size
    return bytes(out)


class _Part(Enum):
    HEADER = auto()
    TO_SIZE = auto()
    DATA_FORMAT = auto()
    DIFF_SIZE = auto()
    DIFF = auto()
    EXTRA_SIZE = auto()
    EXTRA = auto()
    ADJUSTMENT = auto()


class PatchDecoder:
    """The board's side: patch bytes in, in any pieces; new image bytes out, in order.

    Keeps only its place (the part it is in, bytes left of it, the base offset): what a C
    board keeps between two FIRMWARE_WRITE chunks."""

    def __init__(self, read_base: ReadBase, base_size: int, image_bytes: int) -> None:
        self._read_base = read_base
        self._base_size = base_size
        self.image_bytes = image_bytes
        self.produced = 0
        self._part = _Part.HEADER
        self._size_bytes = bytearray()
        self._left = 0
        self._base_at = 0

    @property
    def finished(self) -> bool:
        return self.produced >= self.image_bytes and self._part is _Part.DIFF_SIZE

    def feed(self, data: bytes) -> bytes:
        """Apply ``data``; raise :class:`StreamError` on anything that is not a patch to an
        image of the expected size from this base."""
        out = bytearray()
        at = 0
        while at < len(data):
            if self.finished:
                raise StreamError("the patch goes on past the image's end")
            if self._part in (_Part.DIFF, _Part.EXTRA):
                take = min(self._left, len(data) - at)
                piece = data[at : at + take]
                if self._part is _Part.DIFF:
                    piece = add_bytes(piece, self._base(take))
                out += piece
                self.produced += take
                self._left -= take
                at += take
                if not self._left:
                    self._part = _Part.EXTRA_SIZE if self._part is _Part.DIFF else _Part.ADJUSTMENT
                continue
            if self._part is _Part.HEADER:
                if data[at] != HEADER_SEQUENTIAL_NONE:
                    raise StreamError(
                        f"not an uncompressed detools sequential patch (header {data[at]:#04x})"
                    )
                self._part = _Part.TO_SIZE
                at += 1
                continue
            value, at = self._size(data, at)
            if value is not None:
                self._take_size(value)
        return bytes(out)

    def _size(self, data: bytes, at: int) -> tuple[int | None, int]:
        """Read one size byte; the size once its last byte is in."""
        byte = data[at]
        self._size_bytes.append(byte)
        if byte & 0x80:
            if len(self._size_bytes) >= MAX_SIZE_BYTES:
                raise StreamError("a size in the patch runs past ten bytes")
            return None, at + 1
        raw = self._size_bytes
        value = raw[0] & 0x3F
        for index, more in enumerate(raw[1:]):
            value |= (more & 0x7F) << (6 + 7 * index)
        if raw[0] & 0x40:
            value = -value
        self._size_bytes = bytearray()
        return value, at + 1

    def _take_size(self, value: int) -> None:
        part = self._part
        if part is _Part.TO_SIZE:
            if value != self.image_bytes:
                raise StreamError(f"the patch makes {value} bytes, the image {self.image_bytes}")
            self._part = _Part.DATA_FORMAT if value else _Part.DIFF_SIZE  # nothing more to come
        elif part is _Part.DATA_FORMAT:
            if value != 0:
                raise StreamError("the patch uses a data format; none is supported")
            self._part = _Part.DIFF_SIZE
        elif part is _Part.ADJUSTMENT:
            self._base_at += value
            self._part = _Part.DIFF_SIZE
        else:  # DIFF_SIZE or EXTRA_SIZE
            if value < 0 or self.produced + value > self.image_bytes:
                raise StreamError("the patch makes more than the image")
            if part is _Part.DIFF_SIZE and not (
                self._base_at >= 0 and self._base_at + value <= self._base_size
            ):
                raise StreamError("the patch reads outside the base image")
            self._left = value
            if value:
                self._part = _Part.DIFF if part is _Part.DIFF_SIZE else _Part.EXTRA
            else:
                self._part = _Part.EXTRA_SIZE if part is _Part.DIFF_SIZE else _Part.ADJUSTMENT

    def _base(self, length: int) -> bytes:
        piece = self._read_base(self._base_at, length)
        self._base_at += length
        return piece


class DeltaDecoder:
    """A delta stream: the install stream's compression (none or LZMA2) around a patch.

    The same face as :class:`~protocols.firmware_stream.StreamDecoder`: stream bytes in,
    image bytes out, :attr:`finished` once the image is made."""

    def __init__(
        self,
        compression: int,
        dict_size: int,
        image_bytes: int,
        read_base: ReadBase,
        base_size: int,
    ) -> None:
        limit = PATCH_PER_IMAGE_BYTE * image_bytes + 4096
        self._unpack = StreamDecoder(compression, dict_size, limit)
        self._patch = PatchDecoder(read_base, base_size, image_bytes)

    @property
    def produced(self) -> int:
        return self._patch.produced

    @property
    def finished(self) -> bool:
        return self._patch.finished

    def feed(self, data: bytes) -> bytes:
        try:
            patch = self._unpack.feed(data)
        except StreamError:
            raise StreamError("the patch is corrupt or far larger than the image") from None
        return self._patch.feed(patch)


def make_delta_stream(
    base: DeltaBase, image: bytes, start: int, *, supported: int, max_dict_size: int
) -> ImageStream:
    """The stream for ``image[start:]`` as a patch from ``base``, compressed as an image stream
    would be (LZMA2 when the board decodes it and it pays). A resume makes a new patch for the
    rest of the image: no decoder state has to survive a reset, and nothing already programmed
    and read back is sent again."""
    patch = make_patch(base.data, image[start:])
    packed = make_stream(patch, 0, supported=supported, max_dict_size=max_dict_size)
    return ImageStream(
        start, packed.compression, packed.dict_size, packed.data, len(image) - start, base
    )
