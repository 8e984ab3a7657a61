"""The hotline desk under load: 50 operators at 50 desks, 50 technicians on the phone.

For each ledger backend — SQLite with one ``safetool authority serve`` process, PostgreSQL (a
throwaway durable server, when the system has one) with two processes on the one database — 50
operator accounts log in through the real HTTP server (Argon2 included), then each operator, on
their own connection, takes calls: open the desk page, issue a phone-in response for their
technician's lock (a form post with its CSRF token), and again. It prints, measured in this run:

* phone-in responses issued per second, all desks together;
* page times (desk page and form post): median and 99th percentile;
* the ledger read back: every response issued at a desk is in it exactly once.

Run: ``.venv/bin/python benchmarks/desk.py`` (``--quick``: 5 desks, SQLite only, for CI).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from protocols.recovery import challenge_digits
from safetool.authority.devpostgres import PostgresUnavailable, start_throwaway_postgres
from safetool.authority.enrol import enrol_technician
from safetool.authority.operators import OperatorDesk
from safetool.authority.service import Authority
from safetool.services.devpki import init_dev_pki

PASSWORD = "benchmark desk pass"
NO_LIMIT = 1_000_000
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def serve(pki: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "safetool.cli.authority", "authority", "serve",
         "--pki", str(pki), "--db", url, "--port", "0", "--json",
         "--per-technician-per-hour", str(NO_LIMIT), "--per-lock-per-hour", str(NO_LIMIT)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit("authority serve did not start")
    return process, json.loads(line)["url"]


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


async def desk(
    url: str,
    operator: str,
    technician: str,
    calls: int,
    times: list[float],
    everyone_in: asyncio.Barrier,
) -> list[int]:
    """One operator: log in, wait for every desk to be logged in, then take ``calls`` calls;
    the recovery ids issued."""
    issued: list[int] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        page = await http.get("/desk/login")
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        answer = await http.post(
            "/desk/login", data={"csrf": token, "username": operator, "password": PASSWORD}
        )
        assert answer.status_code == 303, answer.text[:200]
        await everyone_in.wait()
        for call in range(calls):
            started = time.perf_counter()
            page = await http.get("/desk/")
            times.append(time.perf_counter() - started)
            token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            started = time.perf_counter()
            answer = await http.post(
                "/desk/phone",
                data={"csrf": token, "serial": f"SL-{operator[-4:]}-{call:04d}",
                      "challenge": challenge_digits(secrets.token_bytes(16)),
                      "technician": technician, "counter": str(call + 1)},
            )  # fmt: skip
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.text[:300]
            found = re.search(r"Recovery (\d+):", answer.text)
            assert found, answer.text[:300]
            issued.append(int(found.group(1)))
    return issued


async def load(urls: list[str], desks: int, calls: int) -> tuple[float, list[float], list[int]]:
    """Seconds from the moment every desk is logged in to the last call's answer."""
    times: list[float] = []
    everyone_in = asyncio.Barrier(desks + 1)
    work = asyncio.gather(
        *(
            desk(urls[n % len(urls)], f"op{n:04d}", f"T-D{n:03d}", calls, times, everyone_in)
            for n in range(desks)
        )
    )
    await everyone_in.wait()
    started = time.perf_counter()
    results = await work
    return time.perf_counter() - started, times, [i for ids in results for i in ids]


def run(name: str, pki: Path, db: str, processes: int, desks: int, calls: int) -> None:
    authority = Authority.open(pki, db)  # migrates; the accounts go in before serving
    operators = OperatorDesk(authority.ledger.engine, authority.clock)
    for n in range(desks):
        operators.add(f"op{n:04d}", f"Operator {n}", "operator", PASSWORD)
    servers = [serve(pki, db) for _ in range(processes)]
    try:
        seconds, times, issued = asyncio.run(load([u for _, u in servers], desks, calls))
    finally:
        for process, _ in servers:
            stop(process)
    entries = [e for e in authority.ledger.entries() if e.issued_via == "desk"]
    authority.shutdown()
    ids = [e.id for e in entries]
    exact = len(ids) == len(set(ids)) and set(ids) == set(issued) and len(issued) == len(ids)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{name:<11} {processes:>9} {desks:>5} {len(issued):>6} {len(issued) / seconds:>9.1f} "
        f"{statistics.median(times) * 1000:>9.1f} {p99 * 1000:>8.1f}  "
        f"{'yes' if exact else 'NO'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 desks, SQLite only (CI)")
    args = parser.parse_args()
    desks, calls = (5, 2) if args.quick else (50, 10)
    with tempfile.TemporaryDirectory(prefix="safetool-desk-") as folder:
        pki = Path(folder) / "pki"
        init_dev_pki(pki)
        for n in range(desks):
            enrol_technician(pki, f"T-D{n:03d}")
        print(
            f"{desks} operators, {desks} technicians, {calls} calls each, on {os.cpu_count()} cores"
        )
        print(
            f"{'ledger':<11} {'processes':>9} {'desks':>5} {'issued':>6} {'issued/s':>9} "
            f"{'median ms':>9} {'p99 ms':>8}  each once"
        )
        run("SQLite", pki, f"sqlite:///{Path(folder) / 'ledger.sqlite'}", 1, desks, calls)
        if not args.quick:
            try:
                postgres = start_throwaway_postgres(durable=True)
            except PostgresUnavailable as error:
                print(f"PostgreSQL    skipped: {error}")
                return 0
            try:
                run("PostgreSQL", pki, postgres.create_database("desk"), 2, desks, calls)
            finally:
                postgres.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
