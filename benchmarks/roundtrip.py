"""Round-trip time of the real LockClient, over pyserial on a pty, to the emulator process.

Each series is a run of sequential requests (one in flight at a time) on one connection:

* STATUS on an unpaced pty: what the software stack costs (goal: median <= 2 ms);
* STATUS with the emulator pacing its link to ``--baud`` (115200): median vs the line time;
* PING whose body fills the negotiated frame, unpaced and paced: median vs the line time
  (the client's resend timer allows for the frame's time on the line, so none are resent).

Run: ``.venv/bin/python benchmarks/roundtrip.py`` (``--quick`` for a smoke run). See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import platform
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from firmware.process import EmulatorProcess
from protocols.catalogue import Flags
from protocols.codec import encode_message
from protocols.framing import encode_frame
from protocols.messages import (
    PingRequest,
    PingResponse,
    Request,
    Response,
    StatusRequest,
)
from safetool.client.errors import RequestTimeout
from safetool.client.lock_client import LockClient

GOAL_MEDIAN_MS = 2.0
"""The issue's goal for a STATUS round trip with no line-rate pacing."""
BITS_PER_BYTE = 10
"""8N1: a start bit, eight data bits, a stop bit."""
REPRESENTATIVE_SEQ = 0x1234
"""Frame sizes barely depend on the sequence number (only through COBS on long frames)."""


def wire_bytes(request: Request, response: Response) -> int:
    """Bytes one request and its response occupy on the wire (COBS, CRC and delimiters)."""
    out = encode_frame(encode_message(request, REPRESENTATIVE_SEQ))
    back = encode_frame(encode_message(response, REPRESENTATIVE_SEQ, Flags.RESPONSE))
    return len(out) + len(back)


def line_time_s(request: Request, response: Response, baud: int) -> float:
    return wire_bytes(request, response) * BITS_PER_BYTE / baud


@dataclass(slots=True)
class Series:
    what: str
    link: str
    samples_s: list[float]
    wire_bytes: int
    """One request and its response on the wire, delimiters included."""
    baud: int | None
    resends: int
    stale: int
    timeouts: int

    def percentile_ms(self, p: float) -> float:
        """Linear interpolation between closest ranks (numpy's default)."""
        ordered = sorted(self.samples_s)
        position = (len(ordered) - 1) * p / 100
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
        return value * 1000

    @property
    def median_ms(self) -> float:
        return self.percentile_ms(50)

    @property
    def line_ms(self) -> float | None:
        if self.baud is None:
            return None
        return self.wire_bytes * BITS_PER_BYTE / self.baud * 1000


async def time_series(
    client: LockClient,
    what: str,
    link: str,
    baud: int | None,
    request: Request,
    call: Callable[[], Awaitable[Response]],
    count: int,
    warmup: int,
) -> Series:
    """Await ``call`` ``warmup`` times untimed, then ``count`` times timed, one at a time.

    A request that times out (resends included) is counted, not timed, and the run goes on.
    """
    for _ in range(warmup):
        await call()
    gc.collect()
    connection = client.connection
    resends_before, stale_before = connection.retransmits, connection.stale_responses
    samples: list[float] = []
    timeouts = 0
    response: Response | None = None
    clock = time.perf_counter
    for _ in range(count):
        start = clock()
        try:
            response = await call()
        except RequestTimeout:
            timeouts += 1
            continue
        samples.append(clock() - start)
    if response is None:
        raise SystemExit(f"{what} on {link}: every request timed out")
    if isinstance(request, PingRequest):
        assert isinstance(response, PingResponse) and response.data == request.data
    return Series(
        what,
        link,
        samples,
        wire_bytes(request, response),
        baud,
        connection.retransmits - resends_before,
        connection.stale_responses - stale_before,
        timeouts,
    )


def full_frame_ping(client: LockClient) -> PingRequest:
    """A PING whose body fills the frame both ends agreed on in HELLO."""
    return PingRequest(random.Random(1).randbytes(client.connection.max_body))


async def unpaced(count: int, ping_count: int, warmup: int) -> list[Series]:
    link = "pty, no pacing"
    async with EmulatorProcess() as emu:
        client = await LockClient.connect(emu.port)
        try:
            status = await time_series(
                client, "STATUS", link, None, StatusRequest(), client.status, count, warmup
            )
            ping = full_frame_ping(client)
            name = f"PING {len(ping.data)} B"
            big = await time_series(
                client, name, link, None, ping, lambda: client.ping(ping.data), ping_count, 1
            )
        finally:
            await client.close()
    return [status, big]


async def paced(baud: int, count: int, ping_count: int, warmup: int) -> list[Series]:
    link = f"{baud} baud"
    async with EmulatorProcess("--baud", str(baud)) as emu:
        client = await LockClient.connect(emu.port)
        try:
            status = await time_series(
                client, "STATUS", link, baud, StatusRequest(), client.status, count, warmup
            )
            ping = full_frame_ping(client)
            name = f"PING {len(ping.data)} B"
            as_is = await time_series(
                client, name, link, baud, ping, lambda: client.ping(ping.data), ping_count, 0
            )
        finally:
            await client.close()
    return [status, as_is]


def print_report(series: list[Series], started_s: float) -> None:
    print(
        "Round trip of the real LockClient (pyserial-asyncio-fast on a pty) to the emulated "
        "board in its own process"
    )
    print(
        f"Python {platform.python_version()} ({platform.machine()}, {sys.platform}); "
        "requests sequential, one in flight; times in ms"
    )
    print()
    header = (
        f"{'request':<14}{'link':<15}{'n':>5}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}"
        f"{'wire B':>7}{'line':>9}{'med/line':>9}{'resent':>7}{'stale':>6}{'t/o':>4}"
    )
    print(header)
    print("-" * len(header))
    for s in series:
        line = s.line_ms
        line_text = f"{line:9.2f}" if line is not None else f"{'-':>9}"
        ratio_text = f"{s.median_ms / line:9.3f}" if line is not None else f"{'-':>9}"
        print(
            f"{s.what:<14}{s.link:<15}{len(s.samples_s):5d}{s.median_ms:9.3f}"
            f"{s.percentile_ms(90):9.3f}{s.percentile_ms(99):9.3f}{s.percentile_ms(100):9.3f}"
            f"{s.wire_bytes:7d}{line_text}{ratio_text}{s.resends:7d}{s.stale:6d}{s.timeouts:4d}"
        )
    print()
    print(
        f"wire B = one request + its response on the wire (COBS, CRC, delimiters); line = wire B"
        f" x {BITS_PER_BYTE} bits / baud,"
    )
    print(
        "the least time the paced link allows; med/line = 1.000 would mean the software adds "
        "nothing to it."
    )
    print(
        "resent = requests the client sent again; stale = answers that came after their request "
        "was done;"
    )
    print("t/o = requests that timed out (not timed).")
    print()
    status = next(s for s in series if s.what == "STATUS" and s.baud is None)
    verdict = "MET" if status.median_ms <= GOAL_MEDIAN_MS else "NOT MET"
    print(
        f"Goal: STATUS median <= {GOAL_MEDIAN_MS:.1f} ms on the unpaced pty: {verdict} "
        f"({status.median_ms:.3f} ms)"
    )
    for s in series:
        line = s.line_ms
        if line is not None:
            print(
                f"{s.what:<14} at {s.baud} baud: median {s.median_ms:8.2f} ms = "
                f"{s.median_ms / line:.3f} x line {line:.2f} ms "
                f"(+{s.median_ms - line:.2f} ms; {s.resends} resends)"
            )
    print(f"\n(ran in {time.perf_counter() - started_s:.1f} s)")


async def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    series = await unpaced(args.count, args.ping_count_unpaced, args.warmup)
    series += await paced(args.baud, args.count, args.ping_count, args.warmup)
    print_report(series, started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    parser.add_argument("--count", type=int, help="STATUS requests per series (default 2000)")
    parser.add_argument(
        "--ping-count",
        type=int,
        help="full-frame PINGs per paced series (default 10; unpaced: 10 times as many)",
    )
    parser.add_argument("--baud", type=int, default=115200, help="paced line rate")
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = 100 if args.quick else 2000
    if args.ping_count is None:
        args.ping_count = 1 if args.quick else 10
    if args.count < 1 or args.ping_count < 1:
        parser.error("--count and --ping-count must be at least 1")
    args.ping_count_unpaced = 10 * args.ping_count
    args.warmup = 10 if args.quick else 50
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
