"""The emulated board's flash and bootloader (A/B slots, trial boot, revert, security floor) and
``safetool firmware status``. Images are built with the dev PKI's firmware key; the side channel's
``flash_image`` programs a slot as a production programmer would."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from firmware.bootloader import Bootloader
from firmware.flash import DEFAULT_SLOT_SIZE, ERASED, PAGE_SIZE, Flash
from firmware.provisioning import Provisioning
from hil.images import build_test_image
from hil.plugin import BoardFactory
from protocols.firmware_image import parse_image
from protocols.firmware_messages import InstallResult, SlotState
from safetool.client import LockClient
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_image import BuildRequest, build_image
from safetool.services.firmware_status import FirmwareStatus, firmware_status
from tests.cli_harness import safetool_here

BUILTIN = "2.3.1"

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("firmware-board") / "pki"
    init_dev_pki(directory)
    return directory


@pytest.fixture(scope="module")
def images(pki: Path) -> dict[str, Path]:
    """2.4.0 and 2.5.0 at counter 3, 2.2.0 at counter 1, 2.6.0 with its signature broken."""
    root = pki.parent
    (root / "app.bin").write_bytes(os.urandom(5000))
    made: dict[str, Path] = {}
    for name, version, counter in (
        ("v240", "2.4.0", 3),
        ("v250", "2.5.0", 3),
        ("v220", "2.2.0", 1),
        ("v260", "2.6.0", 3),
    ):
        made[name] = root / f"{name}.img"
        build_image(
            BuildRequest(
                payload=root / "app.bin",
                output=made[name],
                key=pki / "manufacturer" / "firmware.key",
                version=version,
                security_counter=counter,
                model="SL-100",
                hardware_revisions=("B",),
                channel="stable",
                notes="",
            )
        )
    data = bytearray(made["v260"].read_bytes())
    image = parse_image(bytes(data))
    data[image.total_size - 1] ^= 0x01  # the last byte of the ED25519 signature
    made["bad_signature"] = root / "bad-signature.img"
    made["bad_signature"].write_bytes(bytes(data))
    return made


def _bootloader(flash: Flash, pki: Path) -> Bootloader:
    """The board's bootloader over ``flash``, as a power-on starts it, checking images with the
    firmware key of the board's provisioning."""
    key = Provisioning.load(pki, "SL-0000-0001").firmware_key
    return Bootloader(flash, key, "SL-100", BUILTIN)


def _programmed_in_a(image: Path, pki: Path, tmp_path: Path) -> Flash:
    """A factory-fresh board's flash with ``image`` programmed into slot A for its next boot."""
    flash = Flash(tmp_path)
    loader = _bootloader(flash, pki)
    loader.boot()
    loader.program("A", image.read_bytes(), trial=False)
    return flash


async def read_status(port: str, pki: Path) -> tuple[FirmwareStatus, str]:
    """A fresh connection (the board may have been power-cycled): status and IDENTIFY's version."""
    async with await LockClient.connect(port) as client:
        identify = await client.identify()
        status = await firmware_status(client, TechnicianIdentity.load(pki / "technicians/T-1001"))
    return status, identify.firmware_version


async def test_factory_board_reports_its_built_in_version_and_empty_slots(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    code, out, err = await safetool_here(
        "firmware",
        "status",
        "--port",
        board.port,
        "--technician",
        str(pki / "technicians/T-1001"),
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["running"] == "factory image"
    assert report["active_slot"] is None
    assert report["running_version"] == BUILTIN
    assert report["trial_pending"] is False
    assert report["security_floor"] == 0
    assert report["last_result"] == "none"
    assert [(s["slot"], s["state"], s["version"]) for s in report["slots"]] == [
        ("A", "empty", None),
        ("B", "empty", None),
    ]
    code, out, _ = await safetool_here(
        "firmware",
        "status",
        "--port",
        board.port,
        "--technician",
        str(pki / "technicians/T-1001"),
    )
    assert code == 0 and f"{BUILTIN} (factory image)" in out and "slot B" in out


async def test_status_needs_the_firmware_qualification(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    code, out, err = await safetool_here(
        "firmware",
        "status",
        "--port",
        board.port,
        "--technician",
        str(pki / "technicians/T-1002"),  # diagnose only
    )
    assert code != 0
    assert "'firmware' qualification" in err and "Traceback" not in out + err


async def test_trial_image_boots_on_trial_and_reverts_when_not_confirmed(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.flash_image(slot="A", path=str(images["v240"]), trial=False)
    await board.board.power_cycle()
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version, status.trial_pending) == ("A", "2.4.0", False)
    assert status.security_floor == 3 and status.last_result == "booted"
    assert status.slot("A").state == "valid"

    await board.board.flash_image(slot="B", path=str(images["v250"]), trial=True)
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version) == ("A", "2.4.0")  # nothing changes before a reset
    assert status.slot("B").state == "trial"

    await board.board.power_cycle()
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version, status.trial_pending) == ("B", "2.5.0", True)
    assert status.slot("B").state == "trial" and status.slot("A").state == "valid"

    await board.board.power_cycle()  # not confirmed
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version, status.trial_pending) == ("A", "2.4.0", False)
    assert status.last_result == "reverted"
    assert status.slot("B").state == "valid" and status.slot("B").version == "2.5.0"


async def test_image_with_a_bad_signature_is_invalid_and_never_booted(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.flash_image(slot="A", path=str(images["v240"]), trial=False)
    await board.board.flash_image(slot="B", path=str(images["bad_signature"]), trial=True)
    await board.board.power_cycle()
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version) == ("A", "2.4.0")
    assert status.last_result == "invalid_image"
    b = status.slot("B")
    assert (b.state, b.version) == ("invalid", "2.6.0")


async def test_bad_image_alone_leaves_the_factory_image_running(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.flash_image(slot="A", path=str(images["bad_signature"]), trial=False)
    await board.board.power_cycle()
    status, version = await read_status(board.port, pki)
    assert (status.running, version) == ("factory image", BUILTIN)
    assert status.slot("A").state == "invalid"


async def test_security_floor_refuses_an_image_below_it(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.flash_image(slot="A", path=str(images["v240"]), trial=False)
    await board.board.power_cycle()  # counter 3 confirmed: floor 3
    await board.board.flash_image(slot="B", path=str(images["v220"]), trial=False)
    await board.board.power_cycle()
    status, version = await read_status(board.port, pki)
    assert (status.active_slot, version, status.security_floor) == ("A", "2.4.0", 3)
    assert status.last_result == "below_floor"
    b = status.slot("B")
    assert (b.state, b.version, b.security_counter) == ("invalid", "2.2.0", 1)


# --- the flash model and bootloader without a board process -----------------------------------


def test_flash_erases_to_ff_programs_like_nor_and_counts_time(tmp_path: Path) -> None:
    flash = Flash(tmp_path, slot_size=4 * PAGE_SIZE, erase_page_s=0.5, program_page_s=0.25)
    assert flash.read("A", 0, 8) == bytes([ERASED]) * 8
    flash.program("A", 0, b"\x0f\xf0")
    flash.program("A", 0, b"\xff\x0f")  # bits only clear
    assert flash.read("A", 0, 2) == b"\x0f\x00"
    flash.erase_page("A", 0)
    assert flash.read("A", 0, 2) == b"\xff\xff"
    assert flash.busy_s == pytest.approx(0.25 * 2 + 0.5)
    with pytest.raises(ValueError):
        flash.program("B", 4 * PAGE_SIZE - 1, b"12")
    with pytest.raises(ValueError):
        flash.read("C", 0, 1)
    assert Flash(tmp_path, slot_size=4 * PAGE_SIZE).read("A", 0, 2) == b"\xff\xff"  # persists


def test_bootloader_state_survives_and_trial_from_factory_reverts_to_factory(
    pki: Path, images: dict[str, Path], tmp_path: Path
) -> None:
    flash = Flash(tmp_path)
    loader = _bootloader(flash, pki)
    assert loader.boot() == BUILTIN
    loader.program("B", images["v250"].read_bytes(), trial=True)
    assert _bootloader(flash, pki).boot() == "2.5.0"
    again = _bootloader(Flash(tmp_path), pki)
    assert again.boot() == BUILTIN  # not confirmed: back to what ran before, the factory image
    state = flash.load_state()
    assert state.active is None and state.last_result == InstallResult.REVERTED
    assert Bootloader(flash, None, "SL-100", BUILTIN).inspect("B").refusal is not None


def test_the_running_slot_takes_no_trial_and_only_a_trial_mark_makes_a_slot_trial(
    pki: Path, images: dict[str, Path], tmp_path: Path
) -> None:
    """Found by mutation testing (issue 21): the refusal's reason was never read, and a slot
    marked for a plain (not trial) next boot was never shown."""
    from typing import Any, cast

    from protocols.firmware_messages import FirmwareSlot, SlotState

    flash = Flash(tmp_path)
    loader = _bootloader(flash, pki)
    loader.boot()
    loader.program("B", images["v250"].read_bytes(), trial=True)
    loader = _bootloader(flash, pki)
    assert loader.boot() == "2.5.0"
    with pytest.raises(ValueError, match=r"^slot B is running: program the other slot for a tri"):
        loader.program("B", images["v250"].read_bytes(), trial=True)
    loader.program("A", images["v240"].read_bytes(), trial=False)
    anyone = cast(Any, None)
    slots = {record["slot"]: record["state"] for record in loader.status(anyone, anyone).slots}
    assert slots == {FirmwareSlot.A: SlotState.VALID, FirmwareSlot.B: SlotState.TRIAL}


def test_what_the_bootloader_finds_in_each_slot_names_the_slot_and_the_refusal(
    pki: Path, images: dict[str, Path], tmp_path: Path
) -> None:
    """Found by mutation testing (issue 21): a refused slot's reason and name, and the sizes the
    status reports, were never read."""
    from typing import Any, cast

    from firmware.bootloader import SlotImage

    flash = Flash(tmp_path)
    loader = _bootloader(flash, pki)
    loader.boot()
    assert loader.inspect("B") == SlotImage("B", SlotState.EMPTY)
    flash.write_image("A", b"not an image" * 100)
    assert loader.inspect("A") == SlotImage("A", SlotState.INVALID, InstallResult.INVALID_IMAGE)
    good = images["v250"].read_bytes()
    flash.write_image("B", good)
    unprovisioned = Bootloader(flash, None, "SL-100", BUILTIN).inspect("B")
    assert (unprovisioned.slot, unprovisioned.state, unprovisioned.refusal) == (
        "B", SlotState.INVALID, InstallResult.INVALID_IMAGE,
    )  # fmt: skip
    assert unprovisioned.image is not None and unprovisioned.version == "2.5.0"
    flash.write_image("B", images["bad_signature"].read_bytes())  # 2.6.0, one bit flipped
    badly_signed = loader.inspect("B")
    assert (badly_signed.slot, badly_signed.state, badly_signed.refusal) == (
        "B", SlotState.INVALID, InstallResult.INVALID_IMAGE,
    )  # fmt: skip
    assert badly_signed.image is not None and badly_signed.version == "2.6.0"
    other_model = build_test_image(
        pki,
        tmp_path,
        "sl200",
        bytes(4096),
        "2.5.0",
        model="SL-200",
        slot_size_bytes=DEFAULT_SLOT_SIZE,
    )
    flash.write_image("B", other_model.read_bytes())
    found = loader.inspect("B")
    assert (found.slot, found.state, found.refusal, found.version) == (
        "B", SlotState.INVALID, InstallResult.WRONG_MODEL, "2.5.0",
    )  # fmt: skip
    flash.write_image("B", good)  # counter 3
    assert loader.inspect("B").state is SlotState.VALID
    below = loader.inspect("B", floor=4)  # the floor asked for, not the boot state's (0)
    assert (below.slot, below.state, below.refusal, below.version) == (
        "B", SlotState.INVALID, InstallResult.BELOW_FLOOR, "2.5.0",
    )  # fmt: skip
    anyone = cast(Any, None)
    sizes = {record["slot"]: record["size"] for record in loader.status(anyone, anyone).slots}
    assert list(sizes.values()) == [0, parse_image(good).total_size]


def test_board_erases_ahead_so_a_chunk_waits_only_for_its_programming(tmp_path: Path) -> None:
    """Pages are erased while the link is still bringing data: a chunk whose page was erased
    ahead is answered after its program time alone, at the instant the flash is done."""
    from types import SimpleNamespace
    from typing import cast

    from firmware.audit import AuditTrail
    from firmware.clock import ManualClock
    from firmware.pending import Pending
    from firmware.updater import BoardUpdater
    from protocols.certificates import Certificate
    from protocols.firmware_messages import (
        Compression,
        FirmwareBeginRequest,
        FirmwareStreamRequest,
        FirmwareWriteRequest,
        FirmwareWriteResponse,
    )

    clock = ManualClock()
    flash = Flash(tmp_path, slot_size=8 * PAGE_SIZE, erase_page_s=0.5, program_page_s=0.25)
    flash.write_image("A", bytes(8 * PAGE_SIZE - 4096))  # old data where the image will go
    updater = BoardUpdater(
        flash,
        Bootloader(flash, None, "SL-100", BUILTIN),
        clock,
        AuditTrail(tmp_path),
        clock.rtc,
        lambda: None,
        health_report=False,
        self_test=lambda: (0, 0, 0),
    )
    me = cast(Certificate, SimpleNamespace(subject_id="T-1001"))
    image = bytes(range(256)) * (4 * PAGE_SIZE // 256)
    updater.begin(FirmwareBeginRequest(len(image), hashlib.sha256(image).digest()), me)
    updater.stream(FirmwareStreamRequest(0, Compression.NONE, 0, len(image)), me)

    def send_page(page: int) -> Pending:
        chunk = image[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        answer = updater.write(FirmwareWriteRequest(page * PAGE_SIZE, chunk), me)
        assert isinstance(answer, Pending) and answer.ready_at_s is not None
        return answer

    first = send_page(0)  # erase 0, program 0 (answer), then erase 1 and 2 ahead
    assert first.ready_at_s == pytest.approx(clock.monotonic() + 0.5 + 0.25)
    assert flash.read("A", PAGE_SIZE, 2 * PAGE_SIZE) == bytes([ERASED]) * 2 * PAGE_SIZE
    assert flash.read("A", 3 * PAGE_SIZE, 4) == bytes(4)  # not yet: only two ahead
    clock.advance(10)  # the link is slow; the flash has long finished
    second = send_page(1)
    assert second.ready_at_s == pytest.approx(clock.monotonic() + 0.25)  # program only
    assert second.poll() is None
    clock.advance(0.25)
    answer = second.poll()
    assert isinstance(answer, FirmwareWriteResponse) and answer.written == 2 * PAGE_SIZE
    assert flash.read("A", 0, 2 * PAGE_SIZE) == image[: 2 * PAGE_SIZE]


def test_a_bootloader_judges_slots_by_the_saved_floor_before_it_boots(
    pki: Path, images: dict[str, Path], tmp_path: Path
) -> None:
    flash = _programmed_in_a(images["v220"], pki, tmp_path)  # counter 1
    state = flash.load_state()
    state.security_floor = 3
    flash.save_state(state)
    fresh = _bootloader(flash, pki)
    assert (fresh.inspect("A").state, fresh.inspect("A").refusal) == (
        SlotState.INVALID,
        InstallResult.BELOW_FLOOR,
    )


def test_a_damaged_running_image_falls_back_to_the_other_slot_for_good(
    pki: Path, images: dict[str, Path], tmp_path: Path
) -> None:
    """Not on trial: a fallback is not reverted at the next boot."""
    flash = _programmed_in_a(images["v240"], pki, tmp_path)
    assert _bootloader(flash, pki).boot() == "2.4.0"
    flash.write_image("B", images["v250"].read_bytes())  # valid, never marked
    flash.erase_page("A", 0)  # the running image's header is lost
    assert _bootloader(flash, pki).boot() == "2.5.0"
    assert (flash.load_state().active, flash.load_state().trial) == ("B", False)
    assert _bootloader(flash, pki).boot() == "2.5.0"
