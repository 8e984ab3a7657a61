"""The image stream of an install (SPEC.md section 20.3), sans-IO: compress on the tool, decode
on the board.

An install sends the image from a start offset as one stream, raw or compressed as a single raw
LZMA2 stream (the compression MCUboot itself uses for compressed images, and what the stdlib's
``lzma`` writes without a container). One stream over the whole rest of the image keeps the
dictionary across chunk boundaries, which is what makes it beat zlib level 9 (per-block
compression loses 1-5 % on firmware-like data). A resume starts a new stream at the page the
board has recorded, so nothing of the decoder's state has to survive a reset.
"""

from __future__ import annotations

import hashlib
import lzma
from dataclasses import dataclass

from protocols.firmware_messages import Compression

DEFAULT_DICT_SIZE = 32 * 1024
"""LZMA2 dictionary the tool asks for: small enough for a lock controller's RAM."""
BOARD_MAX_DICT_SIZE = 64 * 1024
"""The largest dictionary the reference board decodes with."""
PAYS_BELOW = 0.98
"""Compress only if the stream shrinks to less than this share of the raw bytes."""
LZMA2_PRESET = 9 | lzma.PRESET_EXTREME


class StreamError(ValueError):
    """The stream cannot be decoded: corrupt, too long, or of an unknown kind."""


def lzma2_filters(dict_size: int) -> list[dict[str, int]]:
    return [{"id": lzma.FILTER_LZMA2, "preset": LZMA2_PRESET, "dict_size": dict_size}]


@dataclass(frozen=True, slots=True)
class DeltaBase:
    """An image the lock holds, which a delta stream is a patch from (section 20.5)."""

    slot: int
    """FirmwareSlot value of the slot holding it (the running one)."""
    data: bytes
    """The image's bytes (up to the end of its unprotected TLVs)."""
    version: str = ""

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.data).digest()


@dataclass(frozen=True, slots=True)
class ImageStream:
    """What the tool sends from ``start``: FIRMWARE_STREAM's fields and the bytes themselves."""

    start: int
    compression: Compression
    dict_size: int
    data: bytes
    image_bytes: int
    """Image bytes the stream decodes to (the image's size less ``start``)."""
    base: DeltaBase | None = None
    """For a delta stream (FIRMWARE_DELTA), the image the patch is made from."""

    @property
    def ratio(self) -> float:
        """Image bytes per stream byte (1.0 when sent raw)."""
        return 1.0 if not self.data else self.image_bytes / len(self.data)


def make_stream(
    image: bytes,
    start: int,
    *,
    supported: int,
    max_dict_size: int,
    dict_size: int = DEFAULT_DICT_SIZE,
) -> ImageStream:
    """The stream for ``image[start:]``: LZMA2 if the board decodes it and it pays, else raw.

    ``supported`` is FIRMWARE_BEGIN's ``compressions`` bit field.
    """
    rest = image[start:]
    dict_size = min(dict_size, max_dict_size)
    if supported & (1 << Compression.LZMA2) and dict_size >= 4096 and rest:
        packed = lzma.compress(rest, format=lzma.FORMAT_RAW, filters=lzma2_filters(dict_size))
        if len(packed) < len(rest) * PAYS_BELOW:
            return ImageStream(start, Compression.LZMA2, dict_size, packed, len(rest))
    return ImageStream(start, Compression.NONE, 0, rest, len(rest))


class StreamDecoder:
    """The board's side: stream bytes in order, image bytes out, never more than expected."""

    def __init__(self, compression: int, dict_size: int, image_bytes: int) -> None:
        self.expected = image_bytes
        self.produced = 0
        self._lzma: lzma.LZMADecompressor | None = None
        if compression == Compression.LZMA2:
            if not 4096 <= dict_size <= BOARD_MAX_DICT_SIZE:
                raise StreamError(f"LZMA2 dictionary of {dict_size} bytes is not supported")
            self._lzma = lzma.LZMADecompressor(
                format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, "dict_size": dict_size}]
            )
        elif compression != Compression.NONE:
            raise StreamError(f"unknown compression {compression}")

    @property
    def finished(self) -> bool:
        return self.produced >= self.expected

    def feed(self, data: bytes) -> bytes:
        """Decode ``data``; raise :class:`StreamError` on garbage or on output past the end."""
        if self._lzma is None:
            out = data
        else:
            try:
                out = self._lzma.decompress(data, max_length=self.expected - self.produced + 1)
            except (lzma.LZMAError, EOFError):  # its text is the library's, not the SPEC's (B-9.3)
                raise StreamError("the compressed stream is corrupt") from None
        if self.produced + len(out) > self.expected:
            raise StreamError("the stream holds more than the image")
        self.produced += len(out)
        return out
