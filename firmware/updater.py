"""The board's side of an install (SPEC.md section 20): the image stream into the free slot,
resumable across resets, then verify, trial boot and confirmation.

* FIRMWARE_BEGIN names the image (size, SHA-256). The board picks the slot that is not running
  and says how much of this very image it already holds there (its resume record, checked by
  reading the bytes back), so a transfer cut by a disconnect, a crash or a reset goes on from
  there. Another image, or a slot whose bytes no longer match, starts from zero.
* FIRMWARE_STREAM starts the stream at a recorded page; FIRMWARE_WRITE chunks carry it, several
  in flight. Chunks that arrive early wait in RAM for the ones before them; each is answered
  once its data is programmed (the answer waits for the flash's erase and program time), so
  the tool's window is the flow control. Pages are erased ahead of the data (two at most, while
  the flash would otherwise idle), and the record grows only after a page is programmed.
* FIRMWARE_ACTIVATE reads the whole image back, compares its hash, lets the bootloader verify
  it (signature, model, security floor), marks it for a trial boot and resets the board.
* FIRMWARE_CONFIRM keeps a trial image (raising the floor to its SEC_CNT); a trial not confirmed
  within ``trial_timeout_s`` (or before the next reset) is reverted by the bootloader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware.audit import AuditTrail
from firmware.bootloader import Bootloader
from firmware.clock import Clock
from firmware.flash import PAGE_SIZE, Flash, other_slot
from firmware.pending import Pending
from firmware.trust import BoardTrust
from protocols.catalogue import ErrorCode, MsgType
from protocols.certificates import Certificate, Qualification
from protocols.firmware_delta import DeltaDecoder
from protocols.firmware_messages import (
    Compression,
    FirmwareActivateRequest,
    FirmwareActivateResponse,
    FirmwareBeginRequest,
    FirmwareBeginResponse,
    FirmwareConfirmResponse,
    FirmwareDeltaRequest,
    FirmwareDeltaResponse,
    FirmwareHashRequest,
    FirmwareHashResponse,
    FirmwareHealthResponse,
    FirmwareSlot,
    FirmwareStreamRequest,
    FirmwareStreamResponse,
    FirmwareWriteRequest,
    FirmwareWriteResponse,
    InstallResult,
    SlotState,
    TrialState,
)
from protocols.firmware_stream import BOARD_MAX_DICT_SIZE, StreamDecoder, StreamError
from protocols.messages import AnyRequest, ErrorResponse, Response, error_detail

DEFAULT_TRIAL_TIMEOUT_S = 300
"""A trial image not confirmed within this time is reverted (the tool confirms in seconds)."""
TRAILER_RESERVE_BYTES = 4096
MAX_EARLY_BYTES = 256 * 1024
"""RAM for chunks that arrived before the ones they follow."""
ERASE_AHEAD_PAGES = 2
"""Pages kept erased ahead of the data, while the flash would otherwise wait for the link, so
the last chunk costs only its programming (as firmware erases ahead of its receive buffer)."""
SUPPORTED = (1 << Compression.NONE) | (1 << Compression.LZMA2)


def _error(code: ErrorCode, detail: str) -> ErrorResponse:
    return ErrorResponse(code, error_detail(detail))


@dataclass(slots=True)
class _Record:
    """The resume record, kept in flash beside the slots."""

    slot: str
    image_size: int
    image_sha256: str
    written: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "slot": self.slot,
            "image_size": self.image_size,
            "image_sha256": self.image_sha256,
            "written": self.written,
        }

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> _Record | None:
        if data is None:
            return None
        try:
            slot, size, sha, written = (
                data["slot"],
                data["image_size"],
                data["image_sha256"],
                data["written"],
            )
        except KeyError:
            return None
        if not (
            isinstance(slot, str)
            and isinstance(size, int)
            and isinstance(sha, str)
            and isinstance(written, int)
        ):
            return None
        return cls(slot, size, sha, written)


Decoder = StreamDecoder | DeltaDecoder
"""Stream bytes in, image bytes out: an image stream or a patch (SPEC.md 20.3, 20.5)."""


@dataclass(slots=True)
class _Stream:
    decoder: Decoder
    position: int
    """Image offset the next decoded byte goes to."""
    received: int = 0
    early: dict[int, bytes] = field(default_factory=dict)
    page: bytearray = field(default_factory=bytearray)
    erased_to: int = 0
    """Pages below this index (from the stream's start page) are erased and not yet programmed
    or already programmed by this stream."""


class BoardUpdater:
    def __init__(
        self,
        flash: Flash,
        bootloader: Bootloader,
        clock: Clock,
        audit: AuditTrail,
        rtc: Callable[[], float],
        reset: Callable[[], None],
        *,
        health_report: bool,
        self_test: Callable[[], tuple[int, int, int]],
        trial_timeout_s: float = DEFAULT_TRIAL_TIMEOUT_S,
    ) -> None:
        self.flash = flash
        self.bootloader = bootloader
        self.clock = clock
        self.audit = audit
        self.rtc = rtc
        self.reset = reset
        """Asks the board to reset once the current answer is on the wire."""
        self.reported_page_size: int | None = None
        """Fault (``bad_page_size``): the page size FIRMWARE_BEGIN reports instead of the real
        one, as faulty or malicious firmware might."""
        self.health_report = health_report
        self.self_test = self_test
        """(HealthCheck bits checked, bits failed, error-log entries) of the running board."""
        self.trial_timeout_s = trial_timeout_s
        self._record: _Record | None = None
        self._stream: _Stream | None = None  # pragma: no mutate (no record: nothing streams)
        self._flash_free_s = 0.0
        self._programmed_at_s = 0.0
        self._busy_seen_s = flash.busy_s

    def register(self, trust: BoardTrust) -> None:
        for msg_type, handler in (
            (MsgType.FIRMWARE_BEGIN, self.begin),
            (MsgType.FIRMWARE_STREAM, self.stream),
            (MsgType.FIRMWARE_WRITE, self.write),
            (MsgType.FIRMWARE_ACTIVATE, self.activate),
            (MsgType.FIRMWARE_CONFIRM, self.confirm),
            (MsgType.FIRMWARE_HASH, self.hash),
            (MsgType.FIRMWARE_DELTA, self.delta),
        ):
            trust.register(msg_type, Qualification.FIRMWARE, handler)
        if self.health_report:
            trust.register(MsgType.FIRMWARE_HEALTH, Qualification.FIRMWARE, self.health)

    # --- trial timeout ---------------------------------------------------------------------------

    def trial_seconds_left(self) -> int:
        """Of a trial image that runs: the trial began at this boot, when the uptime clock
        started again from zero."""
        left = self.trial_timeout_s - self.clock.monotonic()
        return max(0, int(left + 0.999))

    def tick(self) -> None:
        """Reset (and so revert) when a trial image has waited too long for its confirmation."""
        state = self.bootloader.state
        if state.active is not None and state.trial and self.trial_seconds_left() == 0:
            self.reset()

    # --- FIRMWARE_BEGIN --------------------------------------------------------------------------

    def begin(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, FirmwareBeginRequest)
        state = self.flash.load_state()
        self._stream = None
        if state.active is not None and state.trial:
            running = self.bootloader.inspect(state.active)
            size = 0 if running.image is None else running.image.total_size
            return self._holding(state.active, size, TrialState.RUNNING)
        limit = self.flash.slot_size - TRAILER_RESERVE_BYTES
        if not 0 < request.image_size <= limit:
            return _error(
                ErrorCode.OUT_OF_RANGE,
                f"an image of {request.image_size} bytes does not fit a slot ({limit} bytes)",
            )
        slot = other_slot(state.active)
        sha = request.image_sha256.hex()
        record = _Record.from_json(self.flash.load_record())
        if record is None or (record.slot, record.image_size, record.image_sha256) != (
            slot,
            request.image_size,
            sha,
        ):
            if state.next_boot == slot:  # the slot is about to be rewritten
                state.next_boot, state.next_boot_trial = None, False
                self.flash.save_state(state)
                self.bootloader.state = state
            whole = self._whole_image_in(slot, request.image_size, request.image_sha256)
            record = _Record(slot, request.image_size, sha, written=whole)
            self.flash.save_record(record.as_json())
            self.audit.append(
                self.rtc(),
                "firmware_installed",
                step="started",
                slot=slot,
                size=request.image_size,
                technician=technician.subject_id,
            )
        self._record = record
        held = min(record.written, record.image_size)
        return self._holding(slot, held, TrialState.NONE)

    def _whole_image_in(self, slot: str, size: int, sha256: bytes) -> int:
        """``size`` if ``slot`` already holds exactly this image and the bootloader would boot
        it (the one the lock ran before the last install: a switch back needs no image byte,
        SPEC.md 20.1), else 0. A refused image is sent again, and refused again."""
        if hashlib.sha256(self.flash.read(slot, 0, size)).digest() != sha256:
            return 0
        return size if self.bootloader.inspect(slot).state is SlotState.VALID else 0

    def _holding(self, slot: str, held: int, trial: TrialState) -> FirmwareBeginResponse:
        """FIRMWARE_BEGIN's answer: what ``slot`` holds, proved by reading it back."""
        held_sha256 = hashlib.sha256(self.flash.read(slot, 0, held)).digest()
        return FirmwareBeginResponse(
            slot=FirmwareSlot[slot],
            held=held,
            held_sha256=held_sha256,
            page_size=PAGE_SIZE if self.reported_page_size is None else self.reported_page_size,
            compressions=SUPPORTED,
            max_dict_size=BOARD_MAX_DICT_SIZE,
            trial=trial,
            trial_seconds_left=self.trial_seconds_left() if trial is TrialState.RUNNING else 0,
        )

    # --- FIRMWARE_STREAM -------------------------------------------------------------------------

    def stream(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, FirmwareStreamRequest)

        def image_stream(image_bytes: int) -> StreamDecoder:
            return StreamDecoder(request.compression, request.dict_size, image_bytes)

        failure = self._open_stream(request.start, image_stream)
        return failure or FirmwareStreamResponse(request.start)

    def _open_stream(
        self, start: int, decoder_for: Callable[[int], Decoder]
    ) -> ErrorResponse | None:
        """FIRMWARE_STREAM's and FIRMWARE_DELTA's common checks; the stream opened at ``start``
        with the decoder ``decoder_for(image bytes from start)`` builds."""
        record = self._record
        if record is None:
            return _error(ErrorCode.INVALID_STATE, "send FIRMWARE_BEGIN first")
        if start > record.written or (start % PAGE_SIZE and start != record.image_size):
            return _error(
                ErrorCode.OUT_OF_RANGE,
                f"the stream must start at 0 or a recorded page up to {record.written}",
            )
        try:
            decoder = decoder_for(record.image_size - start)
        except StreamError as error:
            return _error(ErrorCode.OUT_OF_RANGE, str(error))
        if start < record.written:  # pragma: no mutate (`<=`: the same record, saved again)
            record.written = start
            self.flash.save_record(record.as_json())
        self._stream = _Stream(decoder, start)
        return None

    # --- FIRMWARE_HASH and FIRMWARE_DELTA (section 20.5) -----------------------------------------

    def hash(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, FirmwareHashRequest)
        if request.slot not in (FirmwareSlot.A, FirmwareSlot.B):
            return _error(ErrorCode.OUT_OF_RANGE, "slot A or B")
        if not 0 < request.size <= self.flash.slot_size:
            return _error(ErrorCode.OUT_OF_RANGE, f"1 to {self.flash.slot_size} bytes")
        digest = hashlib.sha256(self.flash.read(request.slot.name, 0, request.size)).digest()
        return FirmwareHashResponse(request.slot, request.size, digest)

    def delta(self, request: AnyRequest, technician: Certificate) -> Response:
        """A stream that is a patch from the running image (SPEC.md 20.5): the free slot is
        rebuilt page by page, reading the base from the running slot, which nothing writes."""
        assert isinstance(request, FirmwareDeltaRequest)
        if self._record is None:
            return _error(ErrorCode.INVALID_STATE, "send FIRMWARE_BEGIN first")
        running = self.flash.load_state().active
        if running is None or request.base_slot is not FirmwareSlot[running]:
            return _error(ErrorCode.OUT_OF_RANGE, "the base must be the running slot")
        base_slot, base_size = running, request.base_size
        if not 0 < base_size <= self.flash.slot_size:
            return _error(ErrorCode.OUT_OF_RANGE, f"a base of 1 to {self.flash.slot_size} bytes")
        held = hashlib.sha256(self.flash.read(base_slot, 0, base_size)).digest()
        if held != request.base_sha256:
            return _error(
                ErrorCode.INVALID_STATE,
                f"slot {base_slot} holds another base than the patch is from",
            )

        def read_base(offset: int, length: int) -> bytes:
            return self.flash.read(base_slot, offset, length)

        def patch_stream(image_bytes: int) -> DeltaDecoder:
            return DeltaDecoder(
                request.compression, request.dict_size, image_bytes, read_base, base_size
            )

        failure = self._open_stream(request.start, patch_stream)
        return failure or FirmwareDeltaResponse(request.start)

    # --- FIRMWARE_WRITE --------------------------------------------------------------------------

    def write(self, request: AnyRequest, technician: Certificate) -> Response | Pending:
        assert isinstance(request, FirmwareWriteRequest)
        stream, record = self._stream, self._record
        if stream is None or record is None:
            return _error(ErrorCode.INVALID_STATE, "send FIRMWARE_BEGIN and FIRMWARE_STREAM first")
        end = request.offset + len(request.data)
        if end > stream.received:  # pragma: no mutate (`>=`: a chunk of no new byte takes none)
            if request.offset > stream.received:
                early = sum(len(d) for d in stream.early.values())
                if early + len(request.data) > MAX_EARLY_BYTES:
                    return _error(ErrorCode.BUSY, "too many chunks ahead of a missing one")
                stream.early[request.offset] = request.data
            else:
                failure = self._take(
                    stream, record, request.data[stream.received - request.offset :]
                )
                if failure is not None:
                    return failure
                while stream.received in stream.early:
                    failure = self._take(stream, record, stream.early.pop(stream.received))
                    if failure is not None:
                        return failure
        return self._answer_when_flashed(stream, end)

    def _take(self, stream: _Stream, record: _Record, data: bytes) -> ErrorResponse | None:
        """Decode ``data`` (the next stream bytes), program every page it completes, then erase
        the next pages ahead of the data still to come."""
        try:
            stream.page += stream.decoder.feed(data)
        except StreamError as error:
            self._stream = None  # the record keeps what was programmed
            return _error(ErrorCode.MALFORMED, str(error))
        stream.received += len(data)
        while len(stream.page) >= PAGE_SIZE or (stream.decoder.finished and stream.page):
            piece = bytes(stream.page[:PAGE_SIZE])
            del stream.page[:PAGE_SIZE]
            self._erase_to(stream, record, stream.position // PAGE_SIZE + 1)
            self.flash.program(record.slot, stream.position, piece)
            stream.position += len(piece)
            record.written = stream.position
            self.flash.save_record(record.as_json())
        self._programmed_at_s = self._flash_work_ends()
        last_page = -(-record.image_size // PAGE_SIZE)
        self._erase_to(
            stream, record, min(last_page, stream.position // PAGE_SIZE + ERASE_AHEAD_PAGES)
        )
        self._flash_work_ends()
        return None

    def _erase_to(self, stream: _Stream, record: _Record, page_end: int) -> None:
        first = max(stream.erased_to, stream.position // PAGE_SIZE)
        for page in range(first, page_end):
            self.flash.erase_page(record.slot, page)
        stream.erased_to = max(stream.erased_to, page_end)

    def _flash_work_ends(self) -> float:
        """When the flash work queued so far ends (the flash works one operation at a time)."""
        now = self.clock.monotonic()
        self._flash_free_s = max(now, self._flash_free_s) + self.flash.busy_s - self._busy_seen_s
        self._busy_seen_s = self.flash.busy_s
        return self._flash_free_s

    def _answer_when_flashed(self, stream: _Stream, end: int) -> Response | Pending:
        """Answer once the chunk's pages are programmed: at the flash's busy end as it stands
        now, or (for a chunk still waiting for an earlier one) as it stands when it is taken."""
        flashed_at_s = self._programmed_at_s if stream.received >= end else None

        def answer() -> Response | None:
            if self._stream is not stream:
                return _error(ErrorCode.INVALID_STATE, "the stream was abandoned")
            if stream.received < end:
                return None
            if self.clock.monotonic() < (
                self._programmed_at_s if flashed_at_s is None else flashed_at_s
            ):
                return None
            return FirmwareWriteResponse(stream.received, stream.position)

        ready = answer()
        return ready if ready is not None else Pending(answer, flashed_at_s)

    # --- FIRMWARE_ACTIVATE -----------------------------------------------------------------------

    def activate(self, request: AnyRequest, technician: Certificate) -> Response:
        assert isinstance(request, FirmwareActivateRequest)
        record = self._record or _Record.from_json(self.flash.load_record())
        if record is None or record.written < record.image_size:
            have = 0 if record is None else record.written
            need = 0 if record is None else record.image_size
            return _error(
                ErrorCode.INVALID_STATE, f"the image is not complete ({have} of {need} bytes)"
            )
        digest = hashlib.sha256(self.flash.read(record.slot, 0, record.image_size)).digest()
        if digest.hex() != record.image_sha256 or digest != request.image_sha256:
            self._forget()
            return _error(
                ErrorCode.INVALID_STATE,
                "the slot's bytes do not match the image's SHA-256: send it again",
            )
        found = self.bootloader.inspect(record.slot)
        state = self.flash.load_state()
        if found.state is not SlotState.VALID:
            reason = InstallResult(found.refusal or InstallResult.INVALID_IMAGE)
            state.last_result = reason
            self.flash.save_state(state)
            self.bootloader.state = state
            self._forget()
            self.audit.append(
                self.rtc(), "firmware_installed", step="refused", reason=reason.name.lower()
            )
            return _error(ErrorCode.NOT_ALLOWED, f"the bootloader refuses the image: {reason.name}")
        state.next_boot, state.next_boot_trial = record.slot, True
        self.flash.save_state(state)
        self.bootloader.state = state
        self._forget()
        self.audit.append(
            self.rtc(),
            "firmware_installed",
            step="activated",
            slot=record.slot,
            version=found.version,
            technician=technician.subject_id,
        )
        self.reset()
        return FirmwareActivateResponse(FirmwareSlot[record.slot], digest)

    def _forget(self) -> None:
        self._stream = None  # pragma: no mutate (any other value than the stream abandons it)
        self._record = None
        self.flash.save_record(None)

    # --- FIRMWARE_CONFIRM ------------------------------------------------------------------------

    def confirm(self, request: AnyRequest, technician: Certificate) -> Response:
        state = self.flash.load_state()
        if state.active is None:
            return _error(ErrorCode.INVALID_STATE, "the factory image runs: nothing to confirm")
        if state.trial:
            running = self.bootloader.inspect(state.active)
            state.trial = False
            state.security_floor = max(state.security_floor, running.security_counter)
            state.last_result = InstallResult.CONFIRMED
            self.flash.save_state(state)
            self.bootloader.state = state
            self.audit.append(
                self.rtc(),
                "firmware_installed",
                step="confirmed",
                slot=state.active,
                version=running.version,
                security_floor=state.security_floor,
                technician=technician.subject_id,
            )
        return FirmwareConfirmResponse(FirmwareSlot[state.active], state.security_floor)

    # --- FIRMWARE_HEALTH (2.4.0 and later) -------------------------------------------------------

    def health(self, request: AnyRequest, technician: Certificate) -> Response:
        checked, failed, errors = self.self_test()
        return FirmwareHealthResponse(checked=checked, failed=failed, errors=min(errors, 0xFFFF))
