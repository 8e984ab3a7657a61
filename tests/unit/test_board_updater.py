"""The board's side of an install, read answer by answer (what mutation testing found unread in
firmware/updater.py): FIRMWARE_HASH and FIRMWARE_DELTA at the ends of their ranges and with
their refusals' words, FIRMWARE_CONFIRM's saved state and trail entry, and the health answer's
error count held to its field."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.emulator import Emulator
from firmware.flash import PAGE_SIZE, BootState
from firmware.pending import Pending
from firmware.updater import MAX_EARLY_BYTES, TRAILER_RESERVE_BYTES
from hil.images import build_test_image
from protocols.catalogue import ErrorCode
from protocols.certificates import Certificate
from protocols.firmware_messages import (
    Compression,
    FirmwareActivateRequest,
    FirmwareActivateResponse,
    FirmwareBeginRequest,
    FirmwareBeginResponse,
    FirmwareConfirmRequest,
    FirmwareConfirmResponse,
    FirmwareDeltaRequest,
    FirmwareDeltaResponse,
    FirmwareHashRequest,
    FirmwareHashResponse,
    FirmwareHealthRequest,
    FirmwareHealthResponse,
    FirmwareSlot,
    FirmwareStreamRequest,
    FirmwareStreamResponse,
    FirmwareWriteRequest,
    FirmwareWriteResponse,
    InstallResult,
    TrialState,
)
from protocols.firmware_stream import BOARD_MAX_DICT_SIZE
from protocols.messages import ErrorResponse, Response
from safetool.identity import TechnicianIdentity
from tests.board_bench import Bench, board_of, open_session, stopped_clock

pytestmark = pytest.mark.in_memory


@pytest.fixture
def board(tmp_path: Path, pki: Path) -> Iterator[Emulator]:
    """A provisioned board in this process (no loop, no wire), its clock stopped."""
    emulated = board_of(tmp_path, pki, stopped_clock())
    yield emulated
    emulated.close()


def _image(pki: Path, folder: Path, version: str, counter: int) -> bytes:
    payload = hashlib.sha256(version.encode()).digest() * 400  # 12.8 KiB: four pages
    path = build_test_image(pki, folder, version, payload, version, security_counter=counter)
    return path.read_bytes()


def _session(board: Emulator, pki: Path) -> Bench:
    bench = Bench(board)
    bench.ask(bench.tool.hello())
    open_session(bench, TechnicianIdentity.load(pki / "technicians" / "T-1001"))
    return bench


def _refusal(answer: Response) -> tuple[ErrorCode, str]:
    assert isinstance(answer, ErrorResponse), answer
    return answer.code, answer.detail


def _running(board: Emulator, pki: Path, tmp_path: Path, *, trial: bool) -> bytes:
    """Slot A holds 2.4.0 (counter 3) and runs it, on trial if ``trial``: the image's bytes."""
    image = _image(pki, tmp_path, "2.4.0", 3)
    board.bootloader.program("A", image, trial=trial)
    board.power_cycle()
    assert board.flash.load_state().active == "A"
    return image


def test_a_slot_is_hashed_from_one_byte_up_to_its_whole_size(board: Emulator, pki: Path) -> None:
    bench = _session(board, pki)
    whole = board.flash.slot_size
    for size in (1, whole):
        answer = bench.ask(FirmwareHashRequest(FirmwareSlot.B, size))
        expected = hashlib.sha256(board.flash.read("B", 0, size)).digest()
        assert answer == FirmwareHashResponse(FirmwareSlot.B, size, expected)
    for size in (0, whole + 1):
        assert _refusal(bench.ask(FirmwareHashRequest(FirmwareSlot.B, size))) == (
            ErrorCode.OUT_OF_RANGE,
            f"1 to {whole} bytes",
        )
    assert _refusal(bench.ask(FirmwareHashRequest(FirmwareSlot.NONE, 1))) == (
        ErrorCode.OUT_OF_RANGE,
        "slot A or B",
    )


def _delta(base_slot: FirmwareSlot, base: bytes) -> FirmwareDeltaRequest:
    return FirmwareDeltaRequest(
        start=0,
        base_slot=base_slot,
        base_size=len(base),
        base_sha256=hashlib.sha256(base).digest(),
        compression=Compression.NONE,
        dict_size=0,
        stream_size=100,
    )


def test_a_delta_is_refused_before_begin_and_from_any_base_but_the_running_slot(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    image = _running(board, pki, tmp_path, trial=False)
    bench = _session(board, pki)
    assert _refusal(bench.ask(_delta(FirmwareSlot.A, image))) == (
        ErrorCode.INVALID_STATE,
        "send FIRMWARE_BEGIN first",
    )
    new = _image(pki, tmp_path, "2.5.0", 3)
    begun = bench.ask(FirmwareBeginRequest(len(new), hashlib.sha256(new).digest()))
    assert isinstance(begun, FirmwareBeginResponse) and begun.slot is FirmwareSlot.B
    assert _refusal(bench.ask(_delta(FirmwareSlot.B, image))) == (
        ErrorCode.OUT_OF_RANGE,
        "the base must be the running slot",
    )


def test_a_delta_base_is_one_byte_up_to_the_whole_slot(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    image = _running(board, pki, tmp_path, trial=False)
    bench = _session(board, pki)
    new = _image(pki, tmp_path, "2.5.0", 3)
    bench.ask(FirmwareBeginRequest(len(new), hashlib.sha256(new).digest()))
    slot_size = board.flash.slot_size
    for size in (1, slot_size):
        base = board.flash.read("A", 0, size)
        assert bench.ask(_delta(FirmwareSlot.A, base)) == FirmwareDeltaResponse(0)
    for size in (0, slot_size + 1):
        request = _delta(FirmwareSlot.A, image)
        request.base_size = size
        assert _refusal(bench.ask(request)) == (
            ErrorCode.OUT_OF_RANGE,
            f"a base of 1 to {slot_size} bytes",
        )


def test_confirm_keeps_the_trial_image_raises_the_floor_and_says_so_in_the_trail(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench = _session(board, pki)
    assert _refusal(bench.ask(FirmwareConfirmRequest())) == (
        ErrorCode.INVALID_STATE,
        "the factory image runs: nothing to confirm",
    )
    _running(board, pki, tmp_path, trial=True)
    bench = _session(board, pki)
    assert bench.ask(FirmwareConfirmRequest()) == FirmwareConfirmResponse(FirmwareSlot.A, 3)
    assert board.flash.load_state() == BootState(
        active="A", trial=False, security_floor=3, last_result=InstallResult.CONFIRMED
    )
    (confirmed,) = [e for e in _installs(board) if e["step"] == "confirmed"]
    assert {k: confirmed[k] for k in ("slot", "version", "security_floor", "technician")} == {
        "slot": "A",
        "version": "2.4.0",
        "security_floor": 3,
        "technician": "T-1001",
    }


def test_the_health_answer_counts_errors_up_to_its_field_and_no_further(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """A board running 2.4.0 or later answers FIRMWARE_HEALTH (SPEC.md section 20)."""
    _running(board, pki, tmp_path, trial=False)
    bench = _session(board, pki)
    for logged, said in ((0xFFFF, 0xFFFF), (0x10000, 0xFFFF), (70_000, 0xFFFF)):

        def self_test(logged: int = logged) -> tuple[int, int, int]:
            return 7, 1, logged

        board.updater.self_test = self_test
        assert bench.ask(FirmwareHealthRequest()) == FirmwareHealthResponse(
            checked=7, failed=1, errors=said
        )


def _begin(bench: Bench, image: bytes) -> FirmwareBeginResponse:
    begun = bench.ask(FirmwareBeginRequest(len(image), hashlib.sha256(image).digest()))
    assert isinstance(begun, FirmwareBeginResponse), begun
    return begun


def _begun(board: Emulator, pki: Path, tmp_path: Path) -> tuple[Bench, bytes]:
    """A session in which FIRMWARE_BEGIN named 2.4.0 (counter 3): the session and the image."""
    image = _image(pki, tmp_path, "2.4.0", 3)
    bench = _session(board, pki)
    _begin(bench, image)
    return bench, image


def _send(bench: Bench, image: bytes, start: int, end: int) -> None:
    """Stream ``image[start:end]`` uncompressed, in chunks of 1 KiB."""
    stream = FirmwareStreamRequest(start, Compression.NONE, 0, len(image) - start)
    assert bench.ask(stream) == FirmwareStreamResponse(start)
    for offset in range(start, end, 1024):
        chunk = image[offset : min(end, offset + 1024)]
        answer = bench.ask(FirmwareWriteRequest(offset - start, chunk))
        assert isinstance(answer, FirmwareWriteResponse), answer


def test_activate_names_how_much_of_the_image_is_held_even_after_a_reset(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench = _session(board, pki)
    assert _refusal(bench.ask(FirmwareActivateRequest(bytes(32)))) == (
        ErrorCode.INVALID_STATE,
        "the image is not complete (0 of 0 bytes)",
    )
    image = _image(pki, tmp_path, "2.4.0", 3)
    sha = hashlib.sha256(image).digest()
    _begin(bench, image)
    _send(bench, image, 0, PAGE_SIZE + 100)  # one page programmed, 100 bytes in RAM
    incomplete = (
        ErrorCode.INVALID_STATE,
        f"the image is not complete (4096 of {len(image)} bytes)",
    )
    assert _refusal(bench.ask(FirmwareActivateRequest(sha))) == incomplete
    board.power_cycle()  # RAM is gone: the resume record in flash is what the board knows
    bench = _session(board, pki)
    assert _refusal(bench.ask(FirmwareActivateRequest(sha))) == incomplete


def test_activate_with_another_hash_forgets_the_transfer_and_its_stream(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, len(image))
    assert _refusal(bench.ask(FirmwareActivateRequest(bytes(32)))) == (
        ErrorCode.INVALID_STATE,
        "the slot's bytes do not match the image's SHA-256: send it again",
    )
    assert board.flash.load_record() is None
    assert _refusal(bench.ask(FirmwareWriteRequest(len(image), b"\x00"))) == (
        ErrorCode.INVALID_STATE,
        "send FIRMWARE_BEGIN and FIRMWARE_STREAM first",
    )
    stream = FirmwareStreamRequest(0, Compression.NONE, 0, len(image))
    assert _refusal(bench.ask(stream)) == (ErrorCode.INVALID_STATE, "send FIRMWARE_BEGIN first")
    again = _begin(bench, image)  # the slot holds it whole, but not yet a bootable image's
    assert again.held == len(image)


def test_an_image_the_bootloader_refuses_is_written_in_the_trail_with_its_reason(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    _running(board, pki, tmp_path, trial=False)  # security floor 3
    bench = _session(board, pki)
    old = _image(pki, tmp_path, "2.2.0", 1)
    _begin(bench, old)
    _send(bench, old, 0, len(old))
    assert _refusal(bench.ask(FirmwareActivateRequest(hashlib.sha256(old).digest()))) == (
        ErrorCode.NOT_ALLOWED,
        "the bootloader refuses the image: BELOW_FLOOR",
    )
    (refused,) = [e for e in _installs(board) if e["step"] == "refused"]
    assert refused["reason"] == "below_floor"
    assert board.flash.load_state().last_result == InstallResult.BELOW_FLOOR


def _installs(board: Emulator) -> list[dict[str, object]]:
    return [e for e in board.audit.entries() if e["kind"] == "firmware_installed"]


def test_a_trial_counts_its_seconds_from_the_boot_it_began_with(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    _running(board, pki, tmp_path, trial=True)
    board.updater.trial_timeout_s = 300
    bench = _session(board, pki)
    assert _begin(bench, b"x").trial_seconds_left == 300
    board.clock.advance(299.5)
    assert _begin(bench, b"x").trial_seconds_left == 1
    board.clock.advance(0.5)
    assert _begin(bench, b"x").trial_seconds_left == 0


def test_a_chunk_that_came_early_is_answered_once_its_own_pages_are_programmed(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, 2048)
    later = FirmwareWriteRequest(3072, image[3072:5120])  # before the chunk it follows
    sooner = FirmwareWriteRequest(2048, image[2048:3072])
    (later_answer, later_at), (sooner_answer, sooner_at) = bench.ask_all([later, sooner])
    assert later_answer == FirmwareWriteResponse(5120, PAGE_SIZE)
    assert sooner_answer == FirmwareWriteResponse(5120, PAGE_SIZE)
    assert later_at == sooner_at  # both wait for the page the two complete


def test_a_chunk_still_waiting_when_its_stream_is_abandoned_is_told_so(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, 1024)
    early = FirmwareWriteRequest(2048, image[2048:3072])  # waits for bytes 1024-2047
    restart = FirmwareStreamRequest(0, Compression.NONE, 0, len(image))
    (told, _), (restarted, _) = bench.ask_all([early, restart])
    assert _refusal(told) == (ErrorCode.INVALID_STATE, "the stream was abandoned")
    assert restarted == FirmwareStreamResponse(0)


def test_an_activated_image_is_written_in_the_trail_with_its_slot_version_and_technician(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, len(image))
    sha = hashlib.sha256(image).digest()
    assert bench.ask(FirmwareActivateRequest(sha)) == FirmwareActivateResponse(FirmwareSlot.A, sha)
    (activated,) = [e for e in _installs(board) if e["step"] == "activated"]
    assert {k: activated[k] for k in ("slot", "version", "technician")} == {
        "slot": "A",
        "version": "2.4.0",
        "technician": "T-1001",
    }


def _t1001(pki: Path) -> Certificate:
    return TechnicianIdentity.load(pki / "technicians" / "T-1001").certificate


def test_chunks_ahead_of_a_missing_one_wait_in_ram_up_to_its_limit(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """Straight to the updater: more chunks wait than a tool may have outstanding."""
    bench, image = _begun(board, pki, tmp_path)
    bench.ask(FirmwareStreamRequest(0, Compression.NONE, 0, len(image)))
    technician, chunk = _t1001(pki), bytes(4096)
    for n in range(MAX_EARLY_BYTES // len(chunk)):  # bytes 0-4095 never come
        waiting = board.updater.write(FirmwareWriteRequest((n + 1) * 4096, chunk), technician)
        assert isinstance(waiting, Pending), (n, waiting)
    over = board.updater.write(FirmwareWriteRequest(MAX_EARLY_BYTES + 4096, b"\x00"), technician)
    assert isinstance(over, ErrorResponse)
    assert (over.code, over.detail) == (ErrorCode.BUSY, "too many chunks ahead of a missing one")


def test_a_chunk_whose_bytes_are_programmed_is_answered_at_once(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """Not left for the board's timers to find: a resent chunk, when the flash is idle."""
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, 5120)
    again = board.updater.write(FirmwareWriteRequest(4096, image[4096:5120]), _t1001(pki))
    assert again == FirmwareWriteResponse(5120, PAGE_SIZE)


def test_a_stream_starts_at_zero_a_recorded_page_or_the_image_end(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    image = _image(pki, tmp_path, "2.4.0", 3)
    assert len(image) % PAGE_SIZE  # its end is not a page boundary
    bench = _session(board, pki)
    _begin(bench, image)
    _send(bench, image, 0, len(image))
    for start in (0, PAGE_SIZE, len(image)):
        _send(bench, image, start, len(image))  # the stream's answer names its start
    for start in (100, PAGE_SIZE + 1, len(image) + PAGE_SIZE):
        stream = FirmwareStreamRequest(start, Compression.NONE, 0, 1)
        assert _refusal(bench.ask(stream)) == (
            ErrorCode.OUT_OF_RANGE,
            f"the stream must start at 0 or a recorded page up to {len(image)}",
        ), start


def test_a_stream_the_board_cannot_decode_is_refused_with_the_reason(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, _ = _begun(board, pki, tmp_path)
    too_large = FirmwareStreamRequest(0, Compression.LZMA2, BOARD_MAX_DICT_SIZE * 2, 100)
    assert _refusal(bench.ask(too_large)) == (
        ErrorCode.OUT_OF_RANGE,
        f"LZMA2 dictionary of {BOARD_MAX_DICT_SIZE * 2} bytes is not supported",
    )


def test_a_stream_started_again_lower_down_lowers_the_record_in_flash(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, len(image))
    bench.ask(FirmwareStreamRequest(PAGE_SIZE, Compression.NONE, 0, len(image) - PAGE_SIZE))
    saved = board.flash.load_record()
    assert saved is not None and saved["written"] == PAGE_SIZE
    assert _refusal(bench.ask(FirmwareActivateRequest(hashlib.sha256(image).digest()))) == (
        ErrorCode.INVALID_STATE,
        f"the image is not complete ({PAGE_SIZE} of {len(image)} bytes)",
    )


@pytest.mark.parametrize(
    "damage",
    [{"slot": 1}, {"image_size": "13493"}, {"image_sha256": 0}, {"written": "13493"}, {}],
    ids=["slot", "image_size", "image_sha256", "written", "a_field_missing"],
)
def test_a_resume_record_damaged_in_flash_is_no_record(
    board: Emulator, pki: Path, tmp_path: Path, damage: dict[str, object]
) -> None:
    """A record of the whole image, one field of the wrong type (or missing): the board holds
    nothing to activate, and does not fail on it."""
    bench, image = _begun(board, pki, tmp_path)
    _send(bench, image, 0, len(image))
    record = board.flash.load_record()
    assert record is not None and record["written"] == len(image)
    if damage:
        record.update(damage)
    else:
        del record["written"]
    board.flash.save_record(record)
    board.power_cycle()
    bench = _session(board, pki)
    assert _refusal(bench.ask(FirmwareActivateRequest(hashlib.sha256(image).digest()))) == (
        ErrorCode.INVALID_STATE,
        "the image is not complete (0 of 0 bytes)",
    )


def test_a_trial_image_damaged_since_it_booted_is_held_as_nothing(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    _running(board, pki, tmp_path, trial=True)
    board.flash.erase_page("A", 0)  # its header, after the bootloader checked it
    begun = _begin(_session(board, pki), b"x")
    assert (begun.slot, begun.held, begun.trial) == (FirmwareSlot.A, 0, TrialState.RUNNING)
    assert begun.held_sha256 == hashlib.sha256(b"").digest()


def test_an_image_fits_from_one_byte_up_to_the_slot_less_its_trailer(
    board: Emulator, pki: Path
) -> None:
    bench = _session(board, pki)
    limit = board.flash.slot_size - TRAILER_RESERVE_BYTES
    for size in (1, limit):
        assert _begin(bench, bytes(size)).held == 0
    for size in (0, limit + 1):
        request = FirmwareBeginRequest(size, bytes(32))
        assert _refusal(bench.ask(request)) == (
            ErrorCode.OUT_OF_RANGE,
            f"an image of {size} bytes does not fit a slot ({limit} bytes)",
        )


def test_begin_records_the_new_image_in_flash_and_in_the_trail(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    image = _image(pki, tmp_path, "2.4.0", 3)
    sha = hashlib.sha256(image).digest()
    begun = _begin(_session(board, pki), image)
    assert (begun.slot, begun.held, begun.held_sha256) == (
        FirmwareSlot.A,
        0,
        hashlib.sha256(b"").digest(),
    )
    assert (begun.trial, begun.trial_seconds_left) == (TrialState.NONE, 0)
    assert board.flash.load_record() == {
        "slot": "A",
        "image_size": len(image),
        "image_sha256": sha.hex(),
        "written": 0,
    }
    (started,) = [e for e in _installs(board) if e["step"] == "started"]
    assert {k: started[k] for k in ("slot", "size", "technician")} == {
        "slot": "A",
        "size": len(image),
        "technician": "T-1001",
    }


def test_another_image_begun_in_the_slot_marked_for_the_next_boot_unmarks_it(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """An activated image waits for the reset; a new install in its slot would boot half
    rewritten, so the mark goes, and the board boots what it ran."""
    _running(board, pki, tmp_path, trial=False)
    bench = _session(board, pki)
    image = _image(pki, tmp_path, "2.5.0", 3)
    _begin(bench, image)
    _send(bench, image, 0, len(image))
    bench.ask(FirmwareActivateRequest(hashlib.sha256(image).digest()))
    marked = board.flash.load_state()
    assert (marked.next_boot, marked.next_boot_trial) == ("B", True)
    _begin(bench, _image(pki, tmp_path, "2.6.0", 3))
    unmarked = board.flash.load_state()
    assert (unmarked.next_boot, unmarked.next_boot_trial) == (None, False)
    assert board.bootloader.state == unmarked
    board.power_cycle()
    assert (board.flash.load_state().active, board.identity.firmware_version) == ("A", "2.4.0")


def test_an_image_the_free_slot_holds_whole_needs_no_byte_sent(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """The switch back to what ran before the last install (SPEC.md 20.1)."""
    image = _image(pki, tmp_path, "2.4.0", 3)
    board.flash.write_image("A", image)
    begun = _begin(_session(board, pki), image)
    assert (begun.held, begun.held_sha256) == (len(image), hashlib.sha256(image).digest())


def test_the_first_page_is_answered_when_its_erase_and_programming_end(
    board: Emulator, pki: Path, tmp_path: Path
) -> None:
    """The flash idles from boot: its work starts with the chunk (the clock stands at 0)."""
    bench, image = _begun(board, pki, tmp_path)
    bench.ask(FirmwareStreamRequest(0, Compression.NONE, 0, len(image)))
    nothing = FirmwareWriteRequest(0, b"")  # no byte: nothing to wait for
    assert bench.ask_all([nothing]) == [(FirmwareWriteResponse(0, 0), 0.0)]
    ((answer, at),) = bench.ask_all([FirmwareWriteRequest(0, image[:PAGE_SIZE])])
    assert answer == FirmwareWriteResponse(PAGE_SIZE, PAGE_SIZE)
    assert at == board.flash.erase_page_s + board.flash.program_page_s
