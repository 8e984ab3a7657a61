"""Firmware installs on a board: newer and older the same way (over every link), refused below
the security floor before any image byte, and interrupted by a power cycle and resumed. (A trial
image not confirmed and reverted by the bootloader is the conformance suite's B-19.1.2.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.helpers import technician
from protocols.firmware_image import Image, parse_image
from protocols.framing import FrameSplitter
from safetool.client import LockClient
from safetool.errors import SafetoolError
from safetool.services.firmware_image import FirmwareImageError
from safetool.services.firmware_install import (
    InstallOutcome,
    InstallProgress,
    install,
    plan_install,
)
from safetool.services.firmware_status import firmware_status

pytestmark = pytest.mark.needs("pki")

TRANSFER_TYPES = {0x31, 0x32, 0x33}
"""FIRMWARE_BEGIN, FIRMWARE_STREAM, FIRMWARE_WRITE (SPEC.md section 20)."""


@pytest.fixture(scope="module")
def images(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Image]:
    """96 KiB releases: 2.4.0 and 2.2.0 at counter 0, 2.5.0 at counter 3 (raises the floor)."""
    root = tmp_path_factory.mktemp("hil-firmware")
    payload = os.urandom(96 * 1024)
    made = {
        "v240": build_test_image(pki, root, "v240", payload, "2.4.0"),
        "v220": build_test_image(pki, root, "v220", payload, "2.2.0"),
        "v250_sec3": build_test_image(pki, root, "v250", payload, "2.5.0", security_counter=3),
    }
    return {name: parse_image(path.read_bytes()) for name, path in made.items()}


async def install_on(
    lock: Lock,
    pki: Path,
    image: Image,
    progress: Callable[[InstallProgress], None] | None = None,
) -> InstallOutcome:
    me = technician(pki)
    plan = await plan_install(lock.client, me, image, port=lock.port, source="hil")
    return await install(lock.client, me, image, plan, progress=progress)


async def test_newer_and_older_install_the_same_way(
    pki: Path, lock: Lock, images: dict[str, Image], measure: Recorder
) -> None:
    before = (await lock.client.identify()).firmware_version
    for name, change in (("v240", "newer"), ("v220", "older")):
        outcome = await install_on(lock, pki, images[name])
        assert outcome.change.endswith(f"({change})")
        assert (await lock.client.identify()).firmware_version == str(images[name].version)
        status = await firmware_status(lock.client, technician(pki))
        assert status.last_result == "confirmed" and status.active_slot == outcome.slot
        measure(f"install_{change}_s", round(outcome.seconds, 2), "s", high=60)
    assert before not in ("2.4.0", "2.2.0")


@pytest.mark.any_link
async def test_below_the_floor_is_refused_before_any_image_byte(
    pki: Path, lock: Lock, images: dict[str, Image]
) -> None:
    await install_on(lock, pki, images["v250_sec3"])
    sent: dict[int, int] = {}
    splitter = FrameSplitter(65535)

    def count(direction: str, data: bytes) -> None:
        if direction == "tx":
            for frame in splitter.feed(data):
                if isinstance(frame, bytes):
                    sent[frame[1]] = sent.get(frame[1], 0) + 1

    await lock.client.close()
    lock.client = await LockClient.connect(lock.port, tracer=count)
    with pytest.raises(FirmwareImageError) as refused:
        await install_on(lock, pki, images["v220"])
    text = refused.value.explain()
    assert "security floor is 3" in text and "security counter is 3 or more" in text
    assert not TRANSFER_TYPES & set(sent), "no byte of the image may go out"
    assert (await lock.client.identify()).firmware_version == "2.5.0"


@pytest.mark.any_link
@pytest.mark.needs("power_cycle")
async def test_an_install_cut_by_a_power_cycle_resumes(
    pki: Path, lock: Lock, images: dict[str, Image], measure: Recorder
) -> None:
    image = images["v240"]
    part_way = asyncio.Event()

    def progress(step: InstallProgress) -> None:
        if step.phase == "transfer" and step.done_bytes >= step.total_bytes * 0.4:
            part_way.set()

    first = asyncio.ensure_future(install_on(lock, pki, image, progress))
    await asyncio.wait_for(part_way.wait(), 60)
    await lock.power_cycle()  # the install's link dies with the board's power
    # It would go on reopening its port for a while: stop it. (An emulated board comes back on
    # another port, and the old one may be another test's board by then.)
    first.cancel()
    with contextlib.suppress(SafetoolError, asyncio.CancelledError):
        await first
    assert first.cancelled() or first.exception() is not None, "it finished before the power went"
    outcome = await install_on(lock, pki, image)
    assert outcome.resumed_from and outcome.resumed_from[0] >= image.total_size * 0.3
    assert (await lock.client.identify()).firmware_version == "2.4.0"
    measure("resumed_from", outcome.resumed_from[0], "B", low=image.total_size * 0.3)
