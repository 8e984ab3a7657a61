"""Frame layer: COBS byte stuffing with a 0x00 delimiter and a CRC-32 on every frame.

Wire form of one frame::

    cobs_encode(header || body || crc32_le(header || body)) || 0x00

COBS guarantees the encoded frame holds no 0x00, so a receiver that loses sync (noise,
a cable plugged in mid-frame) recovers at the next delimiter: noise costs one frame,
never the session. See SPEC.md, section "Framing".
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from cobs import cobs

from protocols.errors import FrameCorrupt, FrameTooLarge, FrameTooShort, RemoteProtocolError

DELIMITER = b"\x00"
CRC_SIZE = 4
HEADER_BYTES = 5
"""A frame's header (SPEC.md 3): a frame with fewer bytes before its CRC is FrameTooShort."""
_CRC = struct.Struct("<I")


def cobs_overhead(frame_size: int) -> int:
    """Worst-case bytes COBS and the delimiter add to a frame of ``frame_size`` bytes."""
    return frame_size // 254 + 2


def encode_frame(frame: bytes) -> bytes:
    """Append the CRC, byte-stuff and delimit ``frame`` (header and body)."""
    stuffed: bytes = cobs.encode(frame + _CRC.pack(zlib.crc32(frame)))
    return stuffed + DELIMITER


def decode_frame(stuffed: bytes) -> bytes:
    """Undo :func:`encode_frame` for one frame without its delimiter; return header and body."""
    try:
        raw: bytes = cobs.decode(stuffed)
    except cobs.DecodeError as exc:
        raise FrameCorrupt(f"COBS decoding failed: {exc}") from None
    if len(raw) < CRC_SIZE + 1:
        raise FrameTooShort(f"frame of {len(raw)} bytes is shorter than a header and CRC")
    frame = raw[:-CRC_SIZE]
    (crc_received,) = _CRC.unpack_from(raw, len(raw) - CRC_SIZE)
    if zlib.crc32(frame) != crc_received:
        raise FrameCorrupt("CRC-32 mismatch")
    if len(frame) < HEADER_BYTES:
        raise FrameTooShort(f"frame of {len(frame)} bytes before its CRC has no complete header")
    return frame


class FrameSplitter:
    """Push parser: takes bytes in any chunking and yields frames or the errors they caused.

    ``max_frame`` bounds the decoded frame size; a run of bytes longer than its COBS worst case
    without a delimiter is discarded up to the next delimiter and reported once, so garbage can
    never grow the buffer without bound.
    """

    def __init__(self, max_frame: int) -> None:
        self._buffer = bytearray()
        self._discarding = False
        self.max_frame = max_frame

    @property
    def max_frame(self) -> int:
        return self._max_frame

    @max_frame.setter
    def max_frame(self, value: int) -> None:
        self._max_frame = value
        self.max_stuffed = value + cobs_overhead(value)
        """The longest run of bytes between delimiters that can hold a valid frame."""

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for a delimiter."""
        return len(self._buffer)

    def _decoded(self, stuffed: bytes) -> bytes | RemoteProtocolError:
        """One frame, CRC checked, then its size against ``max_frame`` (SPEC.md 2.5): a frame
        over the limit is dropped like a damaged one, even if it fits the buffer."""
        try:
            frame = decode_frame(stuffed)
        except RemoteProtocolError as error:
            return error
        if len(frame) + CRC_SIZE > self._max_frame:
            return FrameTooLarge(
                f"frame of {len(frame) + CRC_SIZE} bytes exceeds the limit of {self._max_frame}"
            )
        return frame

    def feed(self, data: bytes) -> Iterator[bytes | RemoteProtocolError]:
        """Add ``data``; yield each complete frame (header and body) or the error it raised."""
        buffer = self._buffer
        if not buffer and not self._discarding and data.find(0) == len(data) - 1 > 0:
            # the common case: exactly one whole frame in this chunk
            if len(data) - 1 > self.max_stuffed:
                yield FrameTooLarge(f"frame of {len(data) - 1} stuffed bytes exceeds the limit")
                return
            yield self._decoded(data[:-1])
            return
        buffer += data
        start = 0
        limit = self.max_stuffed
        while True:
            end = buffer.find(0, start)
            if end < 0:
                break
            stuffed = bytes(buffer[start:end])
            start = end + 1
            if self._discarding:
                self._discarding = False
                continue
            if not stuffed:
                continue  # back-to-back delimiters are allowed (a sender may flush with one)
            if len(stuffed) > limit:
                yield FrameTooLarge(f"frame of {len(stuffed)} stuffed bytes exceeds {limit}")
                continue
            yield self._decoded(stuffed)
        del buffer[:start]
        if len(buffer) > limit:
            if not self._discarding:
                yield FrameTooLarge(
                    f"no delimiter within {limit} bytes; discarding to the next one"
                )
            self._discarding = True
            buffer.clear()
