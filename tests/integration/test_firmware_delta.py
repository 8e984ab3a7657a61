"""Delta installs (issue 18, SPEC.md 20.5) against the emulated board: a patch from the image
the lock runs, proved by its hash before the plan is shown; fallback to the whole image when
the lock runs something else or the patch would not pay; resume after a pulled cable with a
new patch for the rest; the CLI's ``--base`` and its cache of installed images."""

from __future__ import annotations

import asyncio
import json
import os
import random
from pathlib import Path

import pytest

from firmware.process import EmulatedBoard
from hil.images import build_test_image
from hil.plugin import BoardFactory
from protocols.catalogue import ErrorCode, MsgType
from protocols.firmware_delta import make_delta_stream
from protocols.firmware_messages import (
    Compression,
    FirmwareDeltaRequest,
    FirmwareHashRequest,
    FirmwareSlot,
    FirmwareWriteRequest,
)
from protocols.firmware_stream import DeltaBase
from safetool.client import LockClient
from safetool.client.errors import LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.services.firmware_image import read_image
from safetool.services.firmware_install import InstallOutcome, install, plan_install
from safetool.services.firmware_transfer import begin
from tests.cli_harness import safetool_here
from tests.integration.test_firmware_install import FrameTypes, running

TECHNICIAN = "technicians/T-1001"

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from safetool.services.devpki import init_dev_pki

    directory = tmp_path_factory.mktemp("delta") / "pki"
    init_dev_pki(directory)
    return directory


def _patch_release(payload: bytes, share: float, seed: int) -> bytes:
    """``payload`` with ``share`` of its bytes changed in runs of 16, and 200 bytes inserted
    near the start (code that moved), as a patch release changes a build."""
    rng = random.Random(seed)
    out = bytearray(payload)
    for _ in range(int(len(payload) * share / 16)):
        at = rng.randrange(len(out) - 16)
        out[at : at + 16] = rng.randbytes(16)
    out[1000:1000] = rng.randbytes(200)
    return bytes(out)


@pytest.fixture(scope="module")
def images(pki: Path) -> dict[str, Path]:
    """Incompressible 96 KiB payloads: 2.4.0, patch releases 2.4.1 and 2.4.2 of it (2 %
    changed each) and an unrelated 2.5.0 (a patch from 2.4.0 would not pay)."""
    old = os.urandom(96 * 1024)
    root = pki.parent
    return {
        "v240": build_test_image(pki, root, "v240", old, "2.4.0"),
        "v241": build_test_image(pki, root, "v241", _patch_release(old, 0.02, 1), "2.4.1"),
        "v242": build_test_image(pki, root, "v242", _patch_release(old, 0.02, 2), "2.4.2"),
        "v250": build_test_image(pki, root, "v250", os.urandom(96 * 1024), "2.5.0"),
    }


def identity(pki: Path) -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / TECHNICIAN)


async def _install(
    port: str, pki: Path, path: Path, base: Path | None, *, retries: int = 0
) -> tuple[InstallOutcome, dict[str, object]]:
    image = read_image(path)
    given = [] if base is None else [read_image(base)]
    async with await LockClient.connect(port) as client:
        plan = await plan_install(
            client, identity(pki), image, port=port, source="test", bases=lambda v, s: given
        )
        outcome = await install(client, identity(pki), image, plan, retries=retries)
    return outcome, plan.as_dict()


async def test_a_patch_release_goes_as_a_patch_from_the_running_image(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await _install(board.port, pki, images["v240"], None)  # into A, whole
    outcome, plan = await _install(board.port, pki, images["v241"], images["v240"])
    delta = plan["delta"]
    assert isinstance(delta, dict) and delta["base_slot"] == "A"
    assert delta["base_version"] == "2.4.0"
    assert delta["stream_bytes"] * 5 < delta["full_bytes"], delta
    said = outcome.as_dict()
    assert said["delta_from"] == "2.4.0" and said["stream_bytes"] == delta["stream_bytes"]
    assert outcome.slot == "B" and outcome.version == "2.4.1"
    version, status = await running(board.port, pki)
    assert (version, status.active_slot, status.last_result) == ("2.4.1", "B", "confirmed")
    # and straight back, by the same action: B runs 2.4.1, A still holds 2.4.0 (switch-back)
    back, plan = await _install(board.port, pki, images["v240"], images["v241"])
    assert plan["switch_back"] and plan["delta"] is None and back.as_dict()["stream_bytes"] == 0


async def test_no_delta_when_the_lock_runs_another_image_or_the_patch_would_not_pay(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await _install(board.port, pki, images["v240"], None)
    # the base offered is not what the lock runs (2.4.1 is not in slot A): a whole transfer
    frames = FrameTypes()
    image = read_image(images["v241"])
    wrong = read_image(images["v241"])
    async with await LockClient.connect(board.port, tracer=frames) as client:
        plan = await plan_install(
            client, identity(pki), image, port=board.port, source="t", bases=lambda v, s: [wrong]
        )
        assert plan.delta is None
        outcome = await install(client, identity(pki), image, plan)
    assert frames.count(MsgType.FIRMWARE_HASH, MsgType.FIRMWARE_DELTA) == 0  # 2.4.1 ≠ 2.4.0
    assert outcome.as_dict()["delta_from"] is None
    # an unrelated image: the lock proves the base, but the patch would not pay
    _, plan_dict = await _install(board.port, pki, images["v250"], images["v241"])
    assert plan_dict["delta"] is None


async def test_the_lock_refuses_a_base_it_does_not_hold_and_a_patch_that_reads_outside_it(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await _install(board.port, pki, images["v240"], None)
    old, new = read_image(images["v240"]).image_bytes, read_image(images["v241"]).image_bytes
    async with await LockClient.connect(board.port) as client:
        await open_session(client, identity(pki))
        held = await client.request(FirmwareHashRequest(FirmwareSlot.A, len(old)))
        assert held.sha256 == DeltaBase(1, old).sha256
        opening = await begin(client, new)
        assert opening.slot == FirmwareSlot.B
        stream = make_delta_stream(DeltaBase(1, old), new, 0, supported=3, max_dict_size=64 * 1024)
        fields = (stream.compression, stream.dict_size, len(stream.data))
        for slot, sha, code in (
            (FirmwareSlot.B, DeltaBase(2, old).sha256, ErrorCode.OUT_OF_RANGE),  # not running
            (FirmwareSlot.A, DeltaBase(1, new).sha256, ErrorCode.INVALID_STATE),  # not held
        ):
            with pytest.raises(LockRefused) as refused:
                await client.request(FirmwareDeltaRequest(0, slot, len(old), sha, *fields))
            assert refused.value.code == code, refused.value.detail
        # a patch made from a shorter base reads past the base the lock was told of
        short = DeltaBase(1, old[:4096])
        hostile = make_delta_stream(DeltaBase(1, old), new, 0, supported=1, max_dict_size=64 * 1024)
        await client.request(
            FirmwareDeltaRequest(
                0, FirmwareSlot.A, 4096, short.sha256, Compression.NONE, 0, len(hostile.data)
            )
        )
        with pytest.raises(LockRefused) as refused:
            await client.request(FirmwareWriteRequest(0, hostile.data[:2000]))
        assert refused.value.code == ErrorCode.MALFORMED
        assert "outside the base" in refused.value.detail
    version, status = await running(board.port, pki)
    assert version == "2.4.0" and status.active_slot == "A"


async def _when_transfer_reaches(board: EmulatedBoard, count: int) -> None:
    while (await board.board.counters())["bytes_in"] < count:
        await asyncio.sleep(0.01)


async def test_a_cable_pulled_mid_delta_resumes_with_a_patch_for_the_rest(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--tcp", "0", "--baud", "115200")
    await _install(board.port, pki, images["v240"], None)
    before = (await board.board.counters())["bytes_in"]
    task = asyncio.create_task(_install(board.port, pki, images["v241"], images["v240"], retries=3))
    await _when_transfer_reaches(board, before + 2500)
    assert await board.board.disconnect() is True
    outcome, _ = await task
    assert outcome.attempts == 2, outcome.interruptions
    assert outcome.resumed_from and outcome.resumed_from[0] % 4096 == 0
    assert all(t.stream.base is not None for t in outcome.transfers)
    assert (await running(board.port, pki))[0] == "2.4.1"


async def test_the_cli_takes_a_base_and_then_remembers_what_it_installed(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    common = ["--port", board.port, "--technician", str(pki / TECHNICIAN), "--yes"]
    code, _, err = await safetool_here("firmware", "install", str(images["v240"]), *common)
    assert code == 0, err
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v241"]), *common, "--no-delta", "--json"
    )
    assert code == 0, err
    said = [json.loads(line) for line in out.splitlines()]
    assert [s["delta"] for s in said if s.get("event") == "plan"] == [None]
    code, out, err = await safetool_here("firmware", "install", str(images["v240"]), *common)
    assert code == 0 and "slot A still holds 2.4.0" in out, out  # a switch-back, not a delta
    # 2.4.0 runs in A and this laptop installed it: the cache gives the base without asking
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v242"]), *common, "--lang", "zh-CN"
    )
    assert code == 0, err
    assert "基于槽位 A（2.4.0）的增量" in out, out
    # a --base the lock does not run is no refusal: the cache still knows 2.4.2, in B
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v241"]), *common, "--base", str(images["v250"])
    )
    assert code == 0, err
    assert "delta from slot B (2.4.2)" in out, out
