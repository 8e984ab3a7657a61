"""One contract for every transport (as python-can tests all its buses with one suite).

The same tests run the real ``LockClient`` over serial on a pty, ``socket://``, ``rfc2217://``
through the local RFC 2217 server, and BLE through the emulated board (Bumble peripheral, the
tool a Bumble central behind bleak). Each board runs in its own process and is provisioned, so
the secure session, a phone-in recovery and a firmware install (with the board's reset into
the new image: over BLE the link drops and the tool reconnects) are part of the contract.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from firmware.process import EmulatorProcess
from hil.images import build_test_image
from hil.network_serial import NetworkSerialServer
from hil.plugin import BoardFactory
from hil.suite.authority import phone_answer
from protocols.catalogue import EventKind, LockState
from safetool.client import LockClient
from safetool.client.secure import close_session, open_session
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_image import read_image
from safetool.services.firmware_install import install, plan_install
from safetool.services.firmware_status import firmware_status
from safetool.services.recover import Recovery
from safetool.transport import LinkLost
from safetool.transport.ble_backend_bumble import HCI_ENV
from tests.trust_helpers import hard_lockout

KINDS = ["pty", "socket", "rfc2217", "ble"]
INSTALL_TIMEOUT_S = 60.0


@dataclass
class Link:
    kind: str
    board: EmulatorProcess
    port: str
    cut: Callable[[], Awaitable[None]]
    """Pull the link away under the tool (the cable, the radio, the board's power)."""
    survives_cut: bool
    """After ``cut`` the board is still there to reconnect to."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("contract") / "pki"
    init_dev_pki(directory)
    return directory


@pytest.fixture(scope="module")
def payload() -> bytes:
    return os.urandom(32 * 1024)


@pytest.fixture(scope="module")
def new_image(pki: Path, payload: bytes) -> Path:
    """2.4.0 over the board's built-in 2.3.1: 32 KiB of incompressible payload (3 s at 115200
    baud, half a second over BLE)."""
    return build_test_image(pki, pki.parent, "v240", payload, "2.4.0")


@pytest.fixture(scope="module")
def patch_release(pki: Path, payload: bytes) -> Path:
    """2.4.1: 2.4.0 with 64 bytes changed and 40 inserted (a delta install from 2.4.0)."""
    changed = bytearray(payload)
    changed[5000:5064] = os.urandom(64)
    changed[20000:20000] = os.urandom(40)
    return build_test_image(pki, pki.parent, "v241", bytes(changed), "2.4.1")


@pytest_asyncio.fixture(params=KINDS)
async def link(
    request: pytest.FixtureRequest,
    board_factory: BoardFactory,
    pki: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Link]:
    kind: str = request.param
    args = ["--pki", str(pki)]
    if kind == "socket":
        board = await board_factory(*args, "--tcp", "0")
        yield Link(kind, board, board.port, lambda: board.board.disconnect(), True)
    elif kind == "ble":
        board = await board_factory(*args, "--ble")
        monkeypatch.setenv(HCI_ENV, board.ready["hci"])
        yield Link(kind, board, board.port, lambda: board.board.ble_disconnect(), True)
    elif kind == "rfc2217":
        board = await board_factory(*args)
        server = NetworkSerialServer(board.port).start()
        try:
            yield Link(kind, board, server.url, board.kill, False)
        finally:
            server.stop()
    else:
        board = await board_factory(*args)
        yield Link(kind, board, board.port, board.kill, False)


@pytest_asyncio.fixture
async def client(link: Link) -> AsyncIterator[LockClient]:
    lock_client = await LockClient.connect(link.port, hello_timeout_s=5)
    yield lock_client
    await lock_client.close()


def technician(pki: Path) -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / "technicians" / "T-1001")


async def test_identify(link: Link, client: LockClient) -> None:
    identity = await client.identify()
    assert identity.serial == link.board.ready["serial"] == "SL-0000-0001"
    assert identity.model == link.board.ready["model"]


async def test_status_follows_the_board(link: Link, client: LockClient) -> None:
    assert (await client.status()).lock_state == LockState.LOCKED
    await link.board.board.set_temperature(temperature_dc=-55)
    assert (await client.status()).temperature_dc == -55


async def test_events_arrive_in_order(link: Link, client: LockClient) -> None:
    seen: list[EventKind] = []

    async def watch() -> None:
        async for received in client.events():
            if received.event.kind != EventKind.KEY_PRESS:
                seen.append(received.event.kind)
            if received.event.kind == EventKind.BOLT_RETRACTED:
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    assert await link.board.board.enter_code(code="000000") == "wrong"
    assert await link.board.board.enter_code(code="123456") == "opened"
    await asyncio.wait_for(watcher, 5)
    assert seen == [EventKind.WRONG_CODE, EventKind.CODE_ACCEPTED, EventKind.BOLT_RETRACTED]


async def test_garbage_both_ways_wedges_nothing(link: Link, client: LockClient) -> None:
    await client.transport.write(random.Random(7).randbytes(5_000))
    await link.board.board.babble(count=5_000)
    await asyncio.sleep(0.3)
    for _ in range(3):
        assert (await client.status()).lock_state == LockState.LOCKED
    assert (await link.board.board.state())["link"]["frames_rejected"] > 0


async def test_disconnect_mid_request_ends_it_at_once(link: Link, client: LockClient) -> None:
    await link.board.board.mute(on=True)  # the request waits for an answer that never comes
    pending = asyncio.create_task(client.status())
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await link.cut()
    with pytest.raises(LinkLost):
        await asyncio.wait_for(pending, 10)
    assert time.monotonic() - started < 2, "the loss was noticed only at the timeout"
    with pytest.raises(LinkLost):
        await client.status()
    if link.survives_cut:
        await link.board.board.mute(on=False)
        await client.reconnect()
        assert (await client.status()).lock_state == LockState.LOCKED


async def test_reconnect_notices_a_board_restart(link: Link, client: LockClient) -> None:
    await link.board.board.power_cycle()
    await client.reconnect()
    assert client.board_restarts == 1
    assert (await client.identify()).serial == "SL-0000-0001"


async def test_large_frames_up_to_the_frame_limit(client: LockClient) -> None:
    largest = client.connection.max_body
    # around one and two BLE packets at MTU 247 (244 bytes each), and the whole frame
    for size in (0, 1, 230, 236, 237, 238, 239, 240, 241, 480, 488, largest):
        data = os.urandom(size)
        assert (await client.ping(data)).data == data


async def test_secure_session(pki: Path, client: LockClient) -> None:
    session = await open_session(client, technician(pki))
    assert session.serial == "SL-0000-0001"
    assert client.connection.cipher is not None
    for _ in range(3):
        assert (await client.status()).lock_state == LockState.LOCKED  # sealed frames
    await close_session(client)


async def test_phone_in_recovery(link: Link, pki: Path, client: LockClient) -> None:
    await hard_lockout(link.board)
    recovery = Recovery(client, technician(pki))
    challenge = await recovery.challenge()
    outcome = await recovery.answer_by_phone(phone_answer(pki, challenge, "T-1001"))
    assert outcome.opened, outcome.explanation
    assert (await link.board.board.state())["lock_state"] != "HARD_LOCKOUT"


async def test_firmware_install_ends_with_the_new_version_confirmed(
    link: Link, pki: Path, new_image: Path, patch_release: Path, client: LockClient
) -> None:
    """Pre-check, transfer, activate, the trial boot (the board resets: over BLE its radio
    drops the link), reconnect, health check, confirm; then a new link session sees 2.4.0.
    Then 2.4.1 goes as a patch from the 2.4.0 the lock runs (SPEC.md 20.5)."""
    image = read_image(new_image)
    me = technician(pki)
    plan = await plan_install(client, me, image, port=link.port, source="contract")
    assert plan.change == "2.3.1 → 2.4.0 (newer)" and plan.target_slot == "A"
    phases: list[str] = []
    outcome = await asyncio.wait_for(
        install(client, me, image, plan, progress=lambda p: phases.append(p.phase)),
        INSTALL_TIMEOUT_S,
    )
    assert list(dict.fromkeys(phases)) == [
        "transfer", "activate", "reboot", "health", "confirm", "done"
    ]  # fmt: skip
    # the reset was seen as one (boot id changed) and needed no resume: ACTIVATE's answer
    # arrived before the link went
    assert client.board_restarts == 1 and outcome.attempts == 1, outcome.interruptions
    assert outcome.resumed_from == [] and outcome.transfers[0].image_bytes == len(image.image_bytes)
    assert outcome.version == "2.4.0" and outcome.slot == "A"
    assert str(outcome.health).startswith("self-test passed")
    await client.reconnect()  # a port (a serial one above all) takes one program at a time
    assert (await client.identify()).firmware_version == "2.4.0"
    status = await firmware_status(client, me)
    assert status.active_slot == "A" and not status.trial_pending
    assert status.last_result == "confirmed" and status.security_floor == 1
    following = read_image(patch_release)
    plan = await plan_install(
        client, me, following, port=link.port, source="contract", bases=lambda v, s: [image]
    )
    assert plan.delta is not None and plan.delta.base_slot == "A"
    outcome = await asyncio.wait_for(install(client, me, following, plan), INSTALL_TIMEOUT_S)
    said = outcome.as_dict()
    assert said["delta_from"] == "2.4.0" and said["stream_bytes"] < 2048, said
    assert (outcome.version, outcome.slot) == ("2.4.1", "B")
