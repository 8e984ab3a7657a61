"""Recovery and session timings against the emulated board over a pty (a script, not a test).

Prints: secure-session set-up time (median of N), the time from starting a phone-in recovery
to the bolt retracted (the hotline's part excluded: the response is computed here as the
authority would), the same for the online path through a real authority service on loopback,
and what the technician types in the phone-in path.

Run: ``.venv/bin/python benchmarks/recovery.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware.process import EmulatorProcess
from protocols.catalogue import EventKind
from protocols.recovery import (
    device_recovery_secret,
    group_digits,
    phone_response,
)
from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.recover import Recovery, recover_online


async def hard_lockout(emulator: EmulatorProcess, lockout_s: int = 300) -> None:
    for _ in range(3):
        for _ in range(5):
            await emulator.board.enter_code(code="999999")
        await emulator.board.advance_clock(seconds=lockout_s + 1)


def bolt_retracted(client: LockClient) -> asyncio.Task[None]:
    """A task that ends when the lock reports its bolt retracted (the lock is open)."""

    async def watch() -> None:
        async for received in client.events():
            if received.event.kind == EventKind.BOLT_RETRACTED:
                return

    return asyncio.create_task(watch())


async def session_setup(port: str, identity: TechnicianIdentity, count: int) -> list[float]:
    times = []
    async with await LockClient.connect(port) as client:
        for _ in range(count):
            started = time.perf_counter()
            await open_session(client, identity)
            times.append(time.perf_counter() - started)
    return times


async def phone_recovery(pki: Path, emulator: EmulatorProcess) -> tuple[float, str]:
    identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    started = time.perf_counter()
    async with await LockClient.connect(emulator.port) as client:
        retracted = bolt_retracted(client)
        recovery = Recovery(client, identity)
        challenge = await recovery.challenge()
        response = phone_response(
            device_recovery_secret(master, challenge.serial),
            challenge.serial,
            challenge.digits,
            challenge.counter,
            identity.technician_id,
        )
        outcome = await recovery.answer_by_phone(group_digits(response, 4))
        assert outcome.opened, outcome.explanation
        await asyncio.wait_for(retracted, 5)
    return time.perf_counter() - started, response


async def online_recovery(pki: Path, emulator: EmulatorProcess, url: str) -> float:
    """The whole online path as `safetool recover --authority` runs it (revocation list,
    challenge, authorisation, answer, result report), to the bolt retracted."""
    identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    started = time.perf_counter()
    async with await LockClient.connect(emulator.port) as client:
        retracted = bolt_retracted(client)
        outcome, _recovery_id = await recover_online(Recovery(client, identity), url)
        assert outcome.opened, outcome.explanation
        await asyncio.wait_for(retracted, 5)
    return time.perf_counter() - started


async def start_authority(pki: Path) -> tuple[asyncio.subprocess.Process, str]:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "safetool.cli.main",
        "authority",
        "serve",
        "--pki",
        str(pki),
        "--port",
        "0",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert server.stdout is not None
    ready = json.loads(await asyncio.wait_for(server.stdout.readline(), 30))
    return server, str(ready["url"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sessions", type=int, default=50)
    args = parser.parse_args()
    sessions = 5 if args.quick else args.sessions
    with tempfile.TemporaryDirectory() as scratch:
        pki = Path(scratch) / "pki"
        init_dev_pki(pki)
        identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
        async with EmulatorProcess("--pki", str(pki)) as emulator:
            setup = await session_setup(emulator.port, identity, sessions)
            await hard_lockout(emulator)
            phone_s, response = await phone_recovery(pki, emulator)
        server, url = await start_authority(pki)
        try:
            async with EmulatorProcess("--pki", str(pki), "--lockout-s", "90") as emulator:
                await hard_lockout(emulator, lockout_s=90)
                online_s = await online_recovery(pki, emulator, url)
        finally:
            server.terminate()
            await server.wait()
        async with EmulatorProcess("--pki", str(pki), "--baud", "115200") as slow:
            slow_setup = await session_setup(slow.port, identity, max(3, sessions // 5))
    print("Secure session and recovery over a pty to the emulated board")
    print(
        f"  session set-up, unpaced pty:  median {statistics.median(setup) * 1000:7.2f} ms "
        f"(n={len(setup)}, max {max(setup) * 1000:.2f} ms)"
    )
    print(
        f"  session set-up, 115200 baud:  median {statistics.median(slow_setup) * 1000:7.2f} ms "
        f"(n={len(slow_setup)})"
    )
    print(
        f"  phone-in recovery, tool side: {phone_s * 1000:7.1f} ms from connect to bolt retracted"
        " (the phone call itself not included)"
    )
    print(
        f"  online recovery, tool side:   {online_s * 1000:7.1f} ms from connect to bolt "
        "retracted (authority over HTTP on loopback)"
    )
    print("  (both are mostly the 600 ms the motor takes to retract the bolt)")
    print(
        "  phone-in path, what the technician types: the command "
        "`safetool recover --phone` and Enter,"
    )
    print(
        f"    then the response: {len(response)} digits ({group_digits(response)}) and Enter;"
        " a misheard digit is caught by the check digit before the lock sees it."
    )


if __name__ == "__main__":
    asyncio.run(main())
