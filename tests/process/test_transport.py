"""Opening ports: errors that say what to do, and every pyserial URL form."""

from __future__ import annotations

import asyncio
import errno
import os
import random
import time

import pytest
import serial

from firmware.process import EmulatorProcess
from hil.network_serial import NetworkSerialServer
from safetool.client import LockClient
from safetool.errors import SafetoolError
from safetool.transport import (
    PortBusy,
    PortNotFound,
    PortPermissionDenied,
    SerialTransport,
    make_transport,
)
from safetool.transport.serial_port import describe_open_error


async def test_missing_device_is_port_not_found() -> None:
    with pytest.raises(PortNotFound) as caught:
        await SerialTransport("/dev/ttyUSB-missing").open()
    assert "safetool ports" in caught.value.next_step


async def test_port_held_by_another_program_is_busy(board: EmulatorProcess) -> None:
    holder = serial.Serial(board.port, exclusive=True)  # another program has it open
    try:
        with pytest.raises(PortBusy) as caught:
            await SerialTransport(board.port).open()
        assert "another program" in caught.value.message
    finally:
        holder.close()
    async with await LockClient.connect(board.port) as client:  # free again
        assert (await client.identify()).serial


async def test_refused_tcp_port_says_nothing_listens() -> None:
    with pytest.raises(PortNotFound) as caught:
        await SerialTransport("socket://127.0.0.1:1").open()
    assert "Nothing is listening" in caught.value.message


def test_permission_denied_names_the_dialout_group() -> None:
    error = describe_open_error(
        "/dev/ttyUSB0",
        serial.SerialException(errno.EACCES, "could not open port: Permission denied"),
    )
    assert isinstance(error, PortPermissionDenied)
    if os.uname().sysname == "Linux":
        assert "dialout" in error.next_step


def test_empty_and_ble_ports_are_explained() -> None:
    with pytest.raises(SafetoolError, match="No port given"):
        make_transport("")
    with pytest.raises(SafetoolError, match="BLE port needs"):
        make_transport("ble:")


async def test_loop_url_uses_the_threaded_reader() -> None:
    transport = SerialTransport("loop://")
    await transport.open()
    try:
        await transport.write(b"echo\x00")
        received = b""
        while len(received) < 5:
            received += await transport.read()
        assert received == b"echo\x00"
    finally:
        await transport.close()


async def test_writes_on_a_threaded_port_reach_the_wire_in_the_order_they_were_made() -> None:
    """The rfc2217 flake of issue 21: writes ran side by side in the loop's shared pool, so
    two sealed frames could swap places on a network port and the lock, seeing a frame counter
    go back, ended the session mid-install. Here each write of pyserial's loop:// port is held
    up by a different, seeded delay, as a network would; what comes back is in order."""
    transport = SerialTransport("loop://")
    await transport.open()
    port = transport._serial
    assert port is not None
    delays = random.Random(7)
    real_write = port.write

    def slow_write(data: bytes) -> int | None:
        time.sleep(delays.uniform(0, 0.004))
        return real_write(data)

    port.write = slow_write  # type: ignore[method-assign]
    try:
        chunks = [f"<{n:03d}>".encode() for n in range(120)]
        await asyncio.gather(*(transport.write(chunk) for chunk in chunks))
        received = b""
        while len(received) < sum(map(len, chunks)):
            received += await asyncio.wait_for(transport.read(), 5)
        assert received == b"".join(chunks)
    finally:
        await transport.close()


async def test_a_reopened_port_hears_nothing_from_its_previous_opening() -> None:
    """The later rfc2217 flake of issue 21 ("connection failed (reader thread died)" while a
    fresh session opened): a reader thread that outlived its opening looked up the transport's
    current queue and stop event, so the failure of its own, closed port reached the link a
    reopen had made since. Here the first opening's thread is left running (reopened without a
    close, the slowest it can be) and its port closed under it: the new link reads on."""
    transport = SerialTransport("loop://")
    await transport.open()
    first_port = transport._serial
    assert first_port is not None
    await transport.open()  # the tool reconnects
    try:
        first_port.close()  # the old port fails under its still-running reader thread
        await asyncio.sleep(0.2)
        await transport.write(b"still here\x00")
        received = b""
        while len(received) < 11:
            received += await asyncio.wait_for(transport.read(), 5)
        assert received == b"still here\x00"
    finally:
        await transport.close()


@pytest.mark.parametrize(("raw", "scheme"), [(False, "rfc2217://"), (True, "socket://")])
async def test_a_board_shared_over_the_network_is_reached_by_its_url(
    board: EmulatorProcess, raw: bool, scheme: str
) -> None:
    """Shared as ser2net shares a port: over RFC 2217, or raw (the conformance rig run's)."""
    server = NetworkSerialServer(board.port, raw=raw).start()
    assert server.url.startswith(scheme)
    try:
        async with await LockClient.connect(server.url, hello_timeout_s=5) as client:
            assert (await client.identify()).serial == "SL-0000-0001"
            for _ in range(20):
                assert (await client.status()).battery_mv > 5000
            # While shared, the port is the server's: another program opening it is told so,
            # and reads none of what the board says to the client.
            with pytest.raises(PortBusy):
                await SerialTransport(board.port).open()
            assert (await client.identify()).serial == "SL-0000-0001"
    finally:
        server.stop()
