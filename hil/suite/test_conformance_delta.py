"""Board conformance, delta installs (SPEC.md 20.5): FIRMWARE_HASH, FIRMWARE_DELTA and the
patch the board applies, each requirement by its number. Patches here are made by the tool's
own code (or cut by hand, as a buggy or hostile tool would send them)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.lock_handle import Lock
from hil.suite.conformance_support import refused
from hil.suite.helpers import technician
from protocols.catalogue import ErrorCode
from protocols.firmware_delta import make_delta_stream
from protocols.firmware_image import Image, parse_image
from protocols.firmware_messages import (
    Compression,
    FirmwareDeltaRequest,
    FirmwareHashRequest,
    FirmwareSlot,
    FirmwareStatusRequest,
    FirmwareWriteRequest,
)
from protocols.firmware_stream import DeltaBase
from safetool.client import LockRefused
from safetool.client.secure import open_session
from safetool.services.firmware_install import install, plan_install
from safetool.services.firmware_transfer import begin

pytestmark = [pytest.mark.conformance, pytest.mark.any_link, pytest.mark.needs("pki")]


@pytest.fixture(scope="module")
def releases(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, Image]:
    """2.4.0 and a patch release of it, 2.4.1 (a few hundred bytes changed or inserted)."""
    root = tmp_path_factory.mktemp("conformance-delta")
    old = os.urandom(24 * 1024)
    new = bytearray(old)
    new[3000:3000] = os.urandom(100)
    new[9000:9064] = os.urandom(64)
    first = build_test_image(pki, root, "v240", old, "2.4.0")
    second = build_test_image(pki, root, "v241", bytes(new), "2.4.1")
    return parse_image(first.read_bytes()), parse_image(second.read_bytes())


async def _running(lock: Lock, pki: Path, image: Image) -> FirmwareSlot:
    """Install ``image`` whole, confirmed; the slot it runs from."""
    me = technician(pki)
    plan = await plan_install(lock.client, me, image, port=lock.port, source="conformance")
    await install(lock.client, me, image, plan)
    await open_session(lock.client, me)
    status = await lock.client.request(FirmwareStatusRequest())
    assert status.running_version == str(image.version)
    return status.active_slot


async def test_B_20_5_1_firmware_hash_is_the_sha256_of_what_the_slot_holds(
    lock: Lock, pki: Path, releases: tuple[Image, Image]
) -> None:
    old = releases[0].image_bytes
    slot = await _running(lock, pki, releases[0])
    for size in (len(old), 1000):
        held = await lock.client.request(FirmwareHashRequest(slot, size))
        assert (held.slot, held.size) == (slot, size)
        assert held.sha256 == hashlib.sha256(old[:size]).digest()
    assert await refused(lock, FirmwareHashRequest(FirmwareSlot.NONE, 100)) == (
        ErrorCode.OUT_OF_RANGE
    )
    assert await refused(lock, FirmwareHashRequest(slot, 0)) == ErrorCode.OUT_OF_RANGE


async def test_B_20_5_2_a_patch_from_the_running_image_rebuilds_the_new_one(
    lock: Lock, pki: Path, releases: tuple[Image, Image]
) -> None:
    """Only the running slot is a base, and only when it holds exactly the base named; then
    the patch's output is programmed and activated as any image."""
    old, new = (image.image_bytes for image in releases)
    slot = await _running(lock, pki, releases[0])
    other = FirmwareSlot.B if slot is FirmwareSlot.A else FirmwareSlot.A
    opening = await begin(lock.client, new)
    stream = make_delta_stream(
        DeltaBase(slot.value, old),
        new,
        0,
        supported=opening.compressions,
        max_dict_size=opening.max_dict_size,
    )
    sha = hashlib.sha256(old).digest()
    fields = (stream.compression, stream.dict_size, len(stream.data))
    for base_slot, base_sha, code in (
        (other, sha, ErrorCode.OUT_OF_RANGE),  # the slot being written
        (slot, hashlib.sha256(new).digest(), ErrorCode.INVALID_STATE),  # not what it holds
    ):
        request = FirmwareDeltaRequest(0, base_slot, len(old), base_sha, *fields)
        assert await refused(lock, request) == code
    me = technician(pki)
    plan = await plan_install(
        lock.client,
        me,
        releases[1],
        port=lock.port,
        source="conformance",
        bases=lambda version, size: [releases[0]],
    )
    assert plan.delta is not None and plan.delta.base_slot == slot.name
    outcome = await install(lock.client, me, releases[1], plan)
    assert outcome.as_dict()["delta_from"] == "2.4.0"
    assert outcome.as_dict()["stream_bytes"] * 4 < len(new)
    assert (await lock.client.identify()).firmware_version == "2.4.1"


async def _refusal_of(lock: Lock, data: bytes) -> LockRefused:
    """Send ``data`` in 2 KiB chunks, one at a time, until the board refuses one."""
    with pytest.raises(LockRefused) as refusal:
        for offset in range(0, len(data), 2048):
            await lock.client.request(FirmwareWriteRequest(offset, data[offset : offset + 2048]))
    return refusal.value


async def test_B_20_5_3_a_patch_the_board_does_not_apply_ends_the_stream_and_keeps_the_record(
    lock: Lock, pki: Path, releases: tuple[Image, Image]
) -> None:
    old, new = (image.image_bytes for image in releases)
    slot = await _running(lock, pki, releases[0])
    sha = hashlib.sha256(old).digest()
    patch = make_delta_stream(DeltaBase(slot.value, old), new, 0, supported=1, max_dict_size=0)
    assert patch.compression is Compression.NONE
    cases = {
        "another header": b"\x10" + patch.data[1:],
        "another size": patch.data[:1] + b"\x05" + patch.data[2:],
        "bytes after its end": patch.data + b"\x00\x00\x00",
    }
    for name, data in cases.items():
        await begin(lock.client, new)
        await lock.client.request(
            FirmwareDeltaRequest(0, slot, len(old), sha, Compression.NONE, 0, len(data))
        )
        assert (await _refusal_of(lock, data)).code == ErrorCode.MALFORMED, name
        write = FirmwareWriteRequest(len(data), b"\x00")
        assert await refused(lock, write) == ErrorCode.INVALID_STATE, name  # the stream ended
    # a patch made from more of the base than the board was told of reads outside it
    await begin(lock.client, new)
    short = hashlib.sha256(old[:4096]).digest()
    await lock.client.request(
        FirmwareDeltaRequest(0, slot, 4096, short, Compression.NONE, 0, len(patch.data))
    )
    refusal = await _refusal_of(lock, patch.data)
    assert refusal.code == ErrorCode.MALFORMED and "outside the base" in refusal.detail
    answer = await begin(lock.client, new)
    assert answer.held % answer.page_size == 0 and answer.held < len(new)
    assert answer.held_sha256 == hashlib.sha256(new[: answer.held]).digest()
