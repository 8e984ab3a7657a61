"""The real LockClient against the emulated board in the same event loop (`memory://`)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from firmware.process import EmulatedBoard
from hil.inloop import EmulatorInLoop
from hil.plugin import BoardFactory
from protocols.catalogue import BoltState, EventKind, LockState
from protocols.messages import HelloRequest
from protocols.retransmit import RetransmitPolicy
from safetool.client import DeviceSilent, LockClient, ProtocolMismatch
from safetool.transport import LinkLost, make_transport

pytestmark = pytest.mark.in_memory


async def test_identify_matches_the_board(board: EmulatedBoard, client: LockClient) -> None:
    identity = await client.identify()
    assert identity.serial == board.ready["serial"] == "SL-0000-0001"
    assert identity.model == board.ready["model"]
    assert identity.firmware_version == board.ready["firmware_version"]
    assert identity.protocol_version == 1
    assert client.hello is not None and client.connection.peer_max_frame == client.hello.max_frame


async def test_status_follows_the_physical_board(board: EmulatedBoard, client: LockClient) -> None:
    status = await client.status()
    assert status.lock_state == LockState.LOCKED
    assert status.bolt == BoltState.EXTENDED
    await board.board.set_battery(rest_mv=5200)
    await board.board.set_temperature(temperature_dc=-55)
    status = await client.status()
    assert 5100 < status.battery_mv <= 5200
    assert status.temperature_dc == -55


async def test_events_arrive_as_a_stream(board: EmulatedBoard, client: LockClient) -> None:
    seen: list[EventKind] = []

    async def watch() -> None:
        async for received in client.events():
            seen.append(received.event.kind)
            if received.event.kind == EventKind.BOLT_RETRACTED:
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    assert await board.board.enter_code(code="000000") == "wrong"
    assert await board.board.enter_code(code="123456") == "opened"
    await asyncio.wait_for(watcher, 5)
    interesting = [kind for kind in seen if kind != EventKind.KEY_PRESS]
    assert interesting == [EventKind.WRONG_CODE, EventKind.CODE_ACCEPTED, EventKind.BOLT_RETRACTED]
    assert (await client.status()).lock_state == LockState.UNLOCKED


async def test_garbage_from_the_tool_does_not_wedge_the_board(
    board: EmulatedBoard, client: LockClient
) -> None:
    await client.transport.write(os.urandom(20_000))
    for _ in range(5):
        assert (await client.status()).lock_state == LockState.LOCKED
    state = await board.board.state()
    assert state["link"]["frames_rejected"] > 0


async def test_garbage_from_the_board_does_not_wedge_the_tool(
    board: EmulatedBoard, client: LockClient
) -> None:
    await board.board.babble(count=20_000)
    await asyncio.sleep(0.2)
    for _ in range(5):
        assert (await client.status()).lock_state == LockState.LOCKED
    assert client.connection.stats.frames_rejected > 0


async def test_thousand_status_requests_at_ber_1e_4(board_factory: BoardFactory) -> None:
    board = await board_factory("--ber", "1e-4", "--seed", "7")
    async with await LockClient.connect(board.port) as client:
        for _ in range(1000):
            status = await client.status()
            assert status.lock_state == LockState.LOCKED
            assert status.bolt == BoltState.EXTENDED
        for n in range(200):  # answers are matched to their own request, never another's
            payload = n.to_bytes(2, "little") * 20
            assert (await client.ping(payload)).data == payload
        assert client.connection.retransmits > 0, "the link model flipped no bits"
    state = await board.board.state()
    assert state["link"]["bits_flipped"] > 0


async def test_a_damaged_frame_brings_the_resend_forward(board_factory: BoardFactory) -> None:
    """SPEC.md 7.1: a damaged frame while an answer is awaited is most often that answer, so
    the request goes again at once rather than when its resend timer (here 2 s) runs out."""
    board = await board_factory()
    assert isinstance(board, EmulatorInLoop) and board.emulator is not None
    policy = RetransmitPolicy(initial_rto_s=2.0, min_rto_s=2.0)
    loop = asyncio.get_running_loop()
    async with LockClient(make_transport(board.port), policy=policy, timeout_s=30) as client:
        await client.open()
        await board.board.mute(on=True)  # the first answer is lost
        pending = asyncio.create_task(client.status())
        await asyncio.sleep(0.5)
        await board.board.mute(on=False)
        damaged_at = loop.time()
        board.emulator.write_raw(b"\x11\x22\x33\x00")  # a frame whose COBS does not decode
        assert (await pending).lock_state == LockState.LOCKED
        assert loop.time() - damaged_at < 0.1  # answered from the reply cache, not 1.5 s later
        assert client.connection.retransmits == 1


async def test_lost_frames_are_resent_and_never_run_twice(board_factory: BoardFactory) -> None:
    board = await board_factory("--drop", "0.1", "--seed", "3")
    async with await LockClient.connect(board.port, hello_timeout_s=5, timeout_s=6) as client:
        for n in range(150):
            payload = bytes([n]) * 8
            assert (await client.ping(payload)).data == payload
    state = await board.board.state()
    assert state["link"]["frames_dropped_out"] > 0
    assert state["link"]["duplicates"] > 0  # answered again from the reply cache


async def test_unplugged_board_ends_the_request_at_once(board: EmulatedBoard) -> None:
    client = await LockClient.connect(board.port, timeout_s=10)
    await board.board.mute(on=True)  # the next request waits for an answer that never comes
    pending = asyncio.create_task(client.status())
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await board.kill()
    with pytest.raises(LinkLost) as caught:
        await asyncio.wait_for(pending, 10)
    assert time.monotonic() - started < 3, "the loss was noticed only at the timeout"
    assert "lost" in caught.value.explain()
    with pytest.raises(LinkLost):
        await client.status()
    await client.close()


async def test_silent_port_says_what_to_check() -> None:
    controller, device = os.openpty()  # a port with nothing behind it
    try:
        started = time.monotonic()
        with pytest.raises(DeviceSilent) as caught:
            await LockClient.connect(os.ttyname(device), hello_timeout_s=0.5)
        assert time.monotonic() - started < 3
        assert "baud" in caught.value.next_step
    finally:
        os.close(controller)
        os.close(device)


async def test_protocol_mismatch_names_what_to_upgrade(board: EmulatedBoard) -> None:
    client = LockClient(make_transport(board.port))
    client.connection.hello = lambda: HelloRequest(7, 9, 65535)  # type: ignore[method-assign]
    with pytest.raises(ProtocolMismatch) as caught:
        await client.open()
    assert "board speaks 1..1" in caught.value.meaning


@pytest.mark.board_process  # a TCP board is a process
async def test_socket_url_reaches_a_tcp_board(board_factory: BoardFactory) -> None:
    board = await board_factory("--tcp", "0")
    assert board.port.startswith("socket://127.0.0.1:")
    async with await LockClient.connect(board.port) as client:
        assert (await client.identify()).serial == "SL-0000-0001"


async def test_reconnect_notices_a_board_restart(board: EmulatedBoard, client: LockClient) -> None:
    await board.board.power_cycle()
    await client.reconnect()
    assert client.board_restarts == 1
    assert (await client.status()).uptime_s < 5


async def test_lockout_persists_across_a_restart(
    board_factory: BoardFactory, tmp_path: Path
) -> None:
    state_dir = tmp_path / "persisted"
    board = await board_factory(state_dir=state_dir)
    for _ in range(5):
        assert await board.board.enter_code(code="111111") == "wrong"
    async with await LockClient.connect(board.port) as client:
        before = await client.status()
    assert before.lock_state == LockState.PENALTY_LOCKOUT
    assert 290 < before.lockout_seconds <= 300
    await board.kill()  # power cut

    board = await board_factory(state_dir=state_dir)
    async with await LockClient.connect(board.port) as client:
        after = await client.status()
        assert after.lock_state == LockState.PENALTY_LOCKOUT
        assert 0 < after.lockout_seconds <= before.lockout_seconds
        assert await board.board.enter_code(code="123456") == "blocked"
        await board.board.advance_clock(seconds=301)
        assert (await client.status()).lock_state == LockState.LOCKED
        assert await board.board.enter_code(code="123456") == "opened"


async def test_duress_opens_silently_and_is_in_the_audit_trail(
    board: EmulatedBoard, client: LockClient
) -> None:
    kinds: list[EventKind] = []

    async def watch() -> None:
        async for received in client.events():
            kinds.append(received.event.kind)
            if received.event.kind == EventKind.BOLT_RETRACTED:
                return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    assert await board.board.enter_code(code="123457") == "opened"  # the duress code
    await asyncio.wait_for(watcher, 5)
    assert EventKind.CODE_ACCEPTED in kinds  # on the link: an ordinary opening
    alarms = [e for e in await board.board.audit() if e["kind"] == "silent_alarm"]
    assert alarms and alarms[0]["slot"] == 9
