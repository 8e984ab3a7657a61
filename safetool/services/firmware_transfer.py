"""Sending an image into the lock's free slot: resume from what the lock holds, one stream,
several chunks in flight (SPEC.md section 20).

The window keeps the link busy while the lock programs earlier chunks; the lock answers a
chunk only once it is in flash, so the window is also the flow control. A lost chunk or answer
is resent underneath by :class:`~protocols.tool.ToolConnection` (same sequence number, so the
lock never takes it twice); a chunk that arrives before a lost one waits in the lock's RAM.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from protocols.firmware_delta import make_delta_stream
from protocols.firmware_messages import (
    FirmwareBeginRequest,
    FirmwareBeginResponse,
    FirmwareDeltaRequest,
    FirmwareSlot,
    FirmwareStreamRequest,
    FirmwareWriteRequest,
    FirmwareWriteResponse,
)
from protocols.firmware_stream import ImageStream, make_stream
from protocols.session import CIPHER_OVERHEAD
from safetool.client import LockClient
from safetool.client.errors import LockRefused
from safetool.errors import SafetoolError
from safetool.messages import Message

WRITE_HEADER_BYTES = 4
DEFAULT_WINDOW = 4
FLASH_S_PER_PAGE = 0.04
"""Erase plus program of one 4 KiB page, generously: how long a chunk's answer may wait."""

TransferProgress = Callable[[int, int, float], None]
"""Called with (image bytes in flash, image bytes in all, seconds since the stream began)."""


@dataclass(frozen=True, slots=True)
class TransferReport:
    start: int
    """Image offset the stream began at (above 0: resumed from what the lock held)."""
    image_bytes: int
    stream: ImageStream
    chunks: int
    seconds: float
    """From FIRMWARE_STREAM to the answer of the last chunk."""
    wire_bytes: int
    """Bytes the tool sent in that time (framing, sealing and resends included)."""
    requests: int


PAGE_SIZES = frozenset(1 << bits for bits in range(8, 17))
"""SPEC.md 20.1: a flash page is a power of two from 256 bytes to 64 KiB."""


class LockReportedNonsense(SafetoolError):
    """The lock reported a value outside the SPEC's bounds: nothing is computed with it."""

    exit_code = 1

    def __init__(self, field: str, value: int, bounds: str) -> None:
        super().__init__(
            Message("lock.out_of_bounds", {"field": field, "value": value, "bounds": bounds}),
            meaning=Message("lock.out_of_bounds.meaning"),
            next_step=Message("lock.out_of_bounds.next"),
        )


async def begin(client: LockClient, image: bytes) -> FirmwareBeginResponse:
    """FIRMWARE_BEGIN, and its answer checked against SPEC.md 20.1 before any image byte goes
    out: a page size of 0 once divided by zero, one of 1 made each attempt last 22 minutes."""
    answer = await client.request(FirmwareBeginRequest(len(image), hashlib.sha256(image).digest()))
    if answer.page_size not in PAGE_SIZES:
        raise LockReportedNonsense("page_size", answer.page_size, "256, 512, … 65536")
    if answer.held > len(image):
        raise LockReportedNonsense("held", answer.held, f"0 … {len(image)}")
    return answer


def resume_point(image: bytes, begin: FirmwareBeginResponse) -> int:
    """Where to start: what the lock holds of this image, if its bytes read back right."""
    held = min(begin.held, len(image))
    if held and hashlib.sha256(image[:held]).digest() == begin.held_sha256:
        return held
    return 0


TAIL_CHUNK_BYTES = 1024


def chunk_bounds(total: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of each chunk: full frames, then halving sizes near the end, so the
    lock's flash work after the last byte arrives is one small chunk's, not a whole frame's."""
    bounds: list[tuple[int, int]] = []
    offset = 0
    while offset < total:
        remaining = total - offset
        length = size if remaining >= 2 * size else max(TAIL_CHUNK_BYTES, remaining // 2)
        length = min(length, remaining)
        bounds.append((offset, length))
        offset += length
    return bounds


def chunk_size(client: LockClient) -> int:
    """The largest FIRMWARE_WRITE data that fits the frames the lock accepts, sealed."""
    return client.connection.max_body - CIPHER_OVERHEAD - WRITE_HEADER_BYTES


async def send_image(
    client: LockClient,
    image: bytes,
    begin: FirmwareBeginResponse,
    *,
    window: int = DEFAULT_WINDOW,
    progress: TransferProgress | None = None,
    delta: ImageStream | None = None,
) -> TransferReport:
    """Stream ``image`` from the resume point into the slot FIRMWARE_BEGIN named: as a patch
    from the image the lock runs (``delta``, the planned patch: its base proved by its hash)
    when one is given and the lock takes it, else the image itself."""
    start = resume_point(image, begin)
    clock = asyncio.get_running_loop().time  # the loop's clock, as its timers keep
    began = clock()
    sent_before, requests_before = client.bytes_sent, client.requests_sent
    stream = await _open_stream(client, image, start, begin, delta)
    size = chunk_size(client)
    pages = -(-len(image) // begin.page_size)
    pages_per_chunk = min(pages, -(-int(size * stream.ratio) // begin.page_size) + 1)
    processing_s = window * pages_per_chunk * FLASH_S_PER_PAGE
    written = start

    def note(answer: FirmwareWriteResponse) -> None:
        nonlocal written
        if answer.written > written:
            written = min(answer.written, len(image))
            if progress is not None:
                progress(written, len(image), clock() - began)

    in_flight: set[asyncio.Task[FirmwareWriteResponse]] = set()
    bounds = chunk_bounds(len(stream.data), size)
    to_send = deque(bounds)
    try:
        while to_send or in_flight:
            while to_send and len(in_flight) < window:
                offset, length = to_send.popleft()
                piece = stream.data[offset : offset + length]
                in_flight.add(asyncio.create_task(_write(client, offset, piece, processing_s)))
            done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            failures = [task.exception() for task in done if task.exception() is not None]
            if failures:
                raise failures[0]  # type: ignore[misc]
            for task in done:
                note(task.result())
    finally:
        for task in in_flight:
            task.cancel()
        if in_flight:
            await asyncio.wait(in_flight)
            for task in in_flight:  # retrieved, so none is reported as never retrieved
                if not task.cancelled():
                    task.exception()
    if progress is not None:
        progress(len(image), len(image), clock() - began)
    return TransferReport(
        start,
        len(image),
        stream,
        len(bounds),
        clock() - began,
        client.bytes_sent - sent_before,
        client.requests_sent - requests_before,
    )


async def _open_stream(
    client: LockClient,
    image: bytes,
    start: int,
    begin: FirmwareBeginResponse,
    planned: ImageStream | None,
) -> ImageStream:
    """FIRMWARE_DELTA with a patch from the planned patch's base, or FIRMWARE_STREAM with the
    image: the first the lock takes. A lock that refuses the delta (its slot no longer holds the
    base, or it does not know FIRMWARE_DELTA) gets the image: the install goes on, only slower.
    The planned patch goes as it is, unless the stream resumes or the lock decodes less than the
    plan assumed: then a new one is made from the same base."""
    supported, max_dict = begin.compressions, begin.max_dict_size
    if start >= len(image):
        return make_stream(image, start, supported=supported, max_dict_size=max_dict)
    if planned is not None and planned.base is not None:
        base = planned.base
        fits = (
            planned.start == start
            and supported & (1 << planned.compression)
            and planned.dict_size <= max_dict
        )
        delta = (
            planned
            if fits
            else make_delta_stream(base, image, start, supported=supported, max_dict_size=max_dict)
        )
        try:
            await client.request(
                FirmwareDeltaRequest(
                    start,
                    FirmwareSlot(base.slot),
                    len(base.data),
                    base.sha256,
                    delta.compression,
                    delta.dict_size,
                    len(delta.data),
                )
            )
            return delta
        except LockRefused:
            pass
    stream = make_stream(image, start, supported=supported, max_dict_size=max_dict)
    await client.request(
        FirmwareStreamRequest(start, stream.compression, stream.dict_size, len(stream.data))
    )
    return stream


async def _write(
    client: LockClient, offset: int, data: bytes, processing_s: float
) -> FirmwareWriteResponse:
    answer = await client.request(
        FirmwareWriteRequest(offset, data),
        timeout_s=client.timeout_s + processing_s,
        processing_s=processing_s,
    )
    return answer
