"""BLE throughput and round trip over the emulated radio, as ratios to the link model's limits.

The real ``LockClient`` over the real BLE transport (bleak API, the Bumble backend) talks to the
emulated board in its own process: ATT MTU 247, a connection event every 15 ms carrying 4
packets each way (the board's BLE link model). Firmware transfer does not exist yet, so bulk
throughput is measured with full-frame PINGs, several in flight (as a pipelined transfer would
keep its window full); a PING is echoed, so each direction carries the same bytes and each is
held to its own limit: ``payload per packet × packets per event / interval``.

    .venv/bin/python benchmarks/ble.py            # ~15 s
    .venv/bin/python benchmarks/ble.py --quick    # ~4 s (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

from firmware.ble_linkmodel import BleLinkSettings
from firmware.process import EmulatorProcess
from protocols.catalogue import Flags
from protocols.codec import encode_message
from protocols.framing import encode_frame
from protocols.messages import PingRequest
from safetool.client import LockClient
from safetool.transport import Transport, make_transport
from safetool.transport.ble_backend_bumble import HCI_ENV

SETTINGS = BleLinkSettings(att_mtu=247, connection_interval_ms=15.0, packets_per_interval=4)


class Counting:
    """The BLE transport, counting the bytes that cross it (nothing above it changes)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.description = inner.description
        self.line_rate_bytes_per_s = inner.line_rate_bytes_per_s
        self.written = 0
        self.read_bytes = 0

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, data: bytes) -> None:
        self.written += len(data)
        await self.inner.write(data)

    async def read(self) -> bytes:
        data = await self.inner.read()
        self.read_bytes += len(data)
        return data

    async def close(self) -> None:
        await self.inner.close()


async def bulk(client: LockClient, counter: Counting, seconds: float, in_flight: int) -> None:
    data = random.Random(1).randbytes(client.connection.max_body)
    for _ in range(2):  # warm up
        await client.ping(data)
    resends = client.connection.retransmits
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            assert (await client.ping(data)).data == data
            done += 1

    written, read = counter.written, counter.read_bytes
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    limit = SETTINGS.limit_bytes_per_s()
    assert limit is not None
    frame = frame_bytes(client, data)
    goodput = done * frame / elapsed  # each PING's frame once: resends do not count
    up = (counter.written - written) / elapsed
    down = (counter.read_bytes - read) / elapsed
    resent = client.connection.retransmits - resends
    print(f"bulk PING, {len(data)}-byte bodies ({frame}-byte frames), {in_flight} in flight:")
    print(f"  {elapsed:.1f} s, {done} PINGs answered, {resent} resent")
    print(f"  link limit per direction: {limit / 1000:.1f} kB/s (MTU 247, 4 packets / 15 ms)")
    print(f"  goodput each way: {goodput / 1000:.1f} kB/s = {goodput / limit:.3f} of the limit")
    print(f"  bytes on the wire: tool -> board {up / limit:.3f}, board -> tool {down / limit:.3f}")


def frame_bytes(client: LockClient, data: bytes) -> int:
    """Wire size of one PING frame (COBS, CRC, delimiter), as the codec makes it."""
    return len(encode_frame(encode_message(PingRequest(data), 0x1234, Flags.NONE)))


async def status_round_trip(client: LockClient, count: int) -> None:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await client.status()
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(random.random() * SETTINGS.connection_interval_ms / 1000)
    interval_s = SETTINGS.connection_interval_ms / 1000
    median = statistics.median(samples)
    p99 = sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"STATUS round trip ({count}): median {median * 1000:.1f} ms = "
        f"{median / interval_s:.2f} connection intervals; p99 {p99 / interval_s:.2f} intervals"
    )


async def main(quick: bool) -> None:
    args = (
        "--ble",
        "--ble-mtu",
        str(SETTINGS.att_mtu),
        "--ble-interval-ms",
        str(SETTINGS.connection_interval_ms),
        "--ble-packets",
        str(SETTINGS.packets_per_interval),
    )
    async with EmulatorProcess(*args) as board:
        os.environ[HCI_ENV] = board.ready["hci"]
        counter = Counting(make_transport(board.port))
        client = LockClient(counter, timeout_s=10)
        await client.open()
        try:
            mtu = getattr(counter.inner, "att_mtu", "?")
            print(f"emulated BLE board {board.port}, negotiated ATT MTU {mtu}")
            await bulk(client, counter, 1.5 if quick else 10.0, in_flight=4)
            await status_round_trip(client, 20 if quick else 200)
        finally:
            await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (CI checks it runs)")
    asyncio.run(main(parser.parse_args().quick))
