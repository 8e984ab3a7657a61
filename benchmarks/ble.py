"""BLE throughput and round trip over the emulated radio, as ratios to the link model's limits.

The real ``LockClient`` over the real BLE transport (bleak API, the Bumble backend) talks to the
emulated board in its own process: ATT MTU 247, a connection event every 15 ms carrying 4
packets each way (the board's BLE link model). Each figure is held to the limit of one
direction, ``payload per packet × packets per event / interval``, computed in the same run
from the negotiated MTU and the link model's settings:

* **firmware transfer**: the real install service (``safetool.services.firmware_install``:
  pre-check, windowed transfer, activate, trial boot with the BLE reconnect, health check,
  confirm) installs two signed images of incompressible payload, one into each slot; the
  transfer speed is image bytes over the transfer's wall-clock time (FIRMWARE_STREAM to the
  last chunk's answer), so framing, sealing, partly filled packets, the stream's opening round
  trip and the flash's tail all count against it;
* bulk full-frame PINGs, several in flight: each direction carries the same bytes (the
  notification direction is the one firmware transfer does not load);
* the STATUS round trip, in connection intervals.

    .venv/bin/python benchmarks/ble.py            # ~30 s, 256 KiB images
    .venv/bin/python benchmarks/ble.py --quick    # ~10 s, 128 KiB images (CI)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.ble_linkmodel import BleLinkSettings
from firmware.process import EmulatorProcess
from hil.images import build_test_image
from protocols.catalogue import Flags
from protocols.codec import encode_message
from protocols.framing import encode_frame
from protocols.messages import PingRequest
from safetool.client import LockClient
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_image import read_image
from safetool.services.firmware_install import InstallProgress, install, plan_install
from safetool.transport import Transport, make_transport
from safetool.transport.ble_backend_bumble import HCI_ENV

SETTINGS = BleLinkSettings(att_mtu=247, connection_interval_ms=15.0, packets_per_interval=4)
GOAL = 0.90


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


def link_limit(client: LockClient) -> float:
    """One direction's limit at the MTU this connection negotiated (the board caps it)."""
    mtu = getattr(client.transport, "att_mtu", None)
    if isinstance(client.transport, Counting):
        mtu = getattr(client.transport.inner, "att_mtu", None)
    assert mtu == SETTINGS.att_mtu, f"negotiated ATT MTU {mtu}, not {SETTINGS.att_mtu}"
    limit = SETTINGS.limit_bytes_per_s(mtu)
    assert limit is not None
    return limit


async def firmware_transfer(board: EmulatorProcess, pki: Path, root: Path, size: int) -> None:
    me = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    payload = random.Random(5).randbytes(size)
    interval_s = SETTINGS.connection_interval_ms / 1000
    print(f"firmware install, {size // 1024} KiB incompressible payloads, one per slot:")
    print(
        f"  {'version':<8} {'slot':<4} {'image B':>8} {'transfer s':>10} {'of limit':>8} "
        f"{'wire/limit':>10} {'resent':>6} {'round trips':>11} {'install s':>9} "
        f"{'reboot+reconnect s':>18}"
    )
    ratios = []
    for version in ("2.4.0", "2.5.0"):
        image = read_image(build_test_image(pki, root, version, payload, version))
        client = await LockClient.connect(board.port, timeout_s=10)
        phases: dict[str, float] = {}

        def note(progress: InstallProgress, phases: dict[str, float] = phases) -> None:
            phases.setdefault(progress.phase, time.perf_counter())

        try:
            limit = link_limit(client)
            plan = await plan_install(client, me, image, port=board.port, source="benchmark")
            resends = client.connection.retransmits
            outcome = await install(
                client,
                me,
                image,
                plan,
                progress=note,
            )
            resent = client.connection.retransmits - resends
        finally:
            await client.close()
        assert outcome.version == version and outcome.attempts == 1
        report = outcome.transfers[-1]
        ratio = report.image_bytes / report.seconds / limit
        ratios.append(ratio)
        wire = report.wire_bytes / report.seconds / limit
        rebooted = phases["health"] - phases["reboot"]
        print(
            f"  {version:<8} {outcome.slot:<4} {report.image_bytes:>8} {report.seconds:>10.2f} "
            f"{ratio:>8.3f} {wire:>10.3f} {resent:>6} {outcome.requests:>11} "
            f"{outcome.seconds:>9.2f} {rebooted:>18.2f}"
        )
    worst = min(ratios)
    print(
        f"  firmware transfer: {worst:.3f} of the link model's limit at worst "
        f"({worst * limit / 1000:.1f} of {limit / 1000:.1f} kB/s; goal >= {GOAL:.2f}: "
        f"{'met' if worst >= GOAL else 'NOT MET'}); interval {interval_s * 1000:.0f} ms"
    )


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
    limit = link_limit(client)
    frame = frame_bytes(client, data)
    goodput = done * frame / elapsed  # each PING's frame once: resends do not count
    up = (counter.written - written) / elapsed
    down = (counter.read_bytes - read) / elapsed
    resent = client.connection.retransmits - resends
    print(f"bulk PING, {len(data)}-byte bodies ({frame}-byte frames), {in_flight} in flight:")
    print(f"  {elapsed:.1f} s, {done} PINGs answered, {resent} resent")
    print(f"  link limit per direction: {limit / 1000:.1f} kB/s")
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
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pki = root / "pki"
        init_dev_pki(pki)
        await measure(quick, pki, root)


async def measure(quick: bool, pki: Path, root: Path) -> None:
    args = (
        "--pki",
        str(pki),
        "--ble",
        "--ble-mtu",
        str(SETTINGS.att_mtu),
        "--ble-interval-ms",
        str(SETTINGS.connection_interval_ms),
        "--ble-packets",
        str(SETTINGS.packets_per_interval),
    )
    async with EmulatorProcess(*args, state_dir=root / "board") as board:
        os.environ[HCI_ENV] = board.ready["hci"]
        print(
            f"emulated BLE board {board.port}: ATT MTU {SETTINGS.att_mtu}, a connection event "
            f"every {SETTINGS.connection_interval_ms:g} ms with {SETTINGS.packets_per_interval} "
            "packets each way"
        )
        await firmware_transfer(board, pki, root, (128 if quick else 256) * 1024)
        counter = Counting(make_transport(board.port))
        client = LockClient(counter, timeout_s=10)
        await client.open()
        try:
            await bulk(client, counter, 1.5 if quick else 10.0, in_flight=4)
            await status_round_trip(client, 20 if quick else 200)
        finally:
            await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (CI checks it runs)")
    asyncio.run(main(parser.parse_args().quick))
