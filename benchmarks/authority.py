"""The service authority under load: online authorisations per second, 50 technicians at once.

For each ledger backend (SQLite; PostgreSQL when the system has it, as a throwaway durable
server), ``safetool authority serve`` runs in its own process and 50 technicians, each with
their own key and certificate made at run time, each on their own HTTP connection, ask for
authorisations as fast as the answers come (one request in flight per technician). Requests
are signed before the clock starts. Afterwards the ledger is read back through the operator
API and checked: every authorisation returned is in it exactly once, with the lock, technician
and nonce it was issued for, and nothing else is.

Baseline for the ratio: the same requests issued in this process by ``Authority.issue_online``
one after another (no HTTP, no concurrency) on a fresh database of the same backend.

Run: ``.venv/bin/python benchmarks/authority.py`` (``--quick``: a few seconds, for CI).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.certificates import Certificate
from protocols.recovery import challenge_digits
from safetool.authority.devpostgres import (
    PostgresUnavailable,
    ThrowawayPostgres,
    start_throwaway_postgres,
)
from safetool.authority.enrol import enrol_technician
from safetool.authority.ledger import RateLimits
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.authority.wire import OnlineRequest, build_online_request
from safetool.services.devpki import init_dev_pki

TOKEN = secrets.token_urlsafe(32)
Technician = tuple[str, Ed25519PrivateKey, Certificate]
NO_LIMIT = 10**9


@dataclass(slots=True)
class Run:
    backend: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    baseline_per_s: float
    ledger_ok: bool
    problems: list[str]

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def make_requests(
    technicians: list[Technician], per_technician: int, tag: str
) -> list[list[OnlineRequest]]:
    now = time.time()
    batches = []
    for number, (_, key, certificate) in enumerate(technicians):
        batch = []
        for index in range(per_technician):
            nonce = secrets.token_bytes(16)
            batch.append(
                build_online_request(
                    key,
                    certificate,
                    f"SL-{tag}-{number:03d}-{index:05d}",
                    nonce,
                    index,
                    challenge_digits(nonce),
                    now,
                )
            )
        batches.append(batch)
    return batches


def start_server(pki: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "safetool.cli.authority", "authority", "serve",
         "--pki", str(pki), "--db", url, "--port", "0", "--json",
         "--per-technician-per-hour", str(NO_LIMIT), "--per-lock-per-hour", str(NO_LIMIT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SAFETOOL_OPERATOR_TOKEN": TOKEN},
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        raise SystemExit(f"authority serve did not start (exit {process.returncode})")
    return process, json.loads(line)["url"]


def stop_server(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def flood(
    clients: list[httpx.AsyncClient], batches: list[list[OnlineRequest]]
) -> tuple[float, list[float], dict[int, OnlineRequest], list[str]]:
    """Each technician sends its batch on its own connection, one request in flight."""
    latencies: list[float] = []
    issued: dict[int, OnlineRequest] = {}
    problems: list[str] = []

    async def technician(http: httpx.AsyncClient, batch: list[OnlineRequest]) -> None:
        for request in batch:
            started = time.perf_counter()
            response = await http.post("/v1/authorisations", json=request.to_json())
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                problems.append(f"HTTP {response.status_code}: {response.text[:120]}")
                continue
            recovery_id = response.json()["recovery_id"]
            if recovery_id in issued:
                problems.append(f"recovery id {recovery_id} returned twice")
            issued[recovery_id] = request

    started = time.perf_counter()
    await asyncio.gather(
        *(technician(http, batch) for http, batch in zip(clients, batches, strict=True))
    )
    return time.perf_counter() - started, latencies, issued, problems


async def warm_up_and_run(
    url: str, technicians: list[Technician], per_technician: int
) -> tuple[float, list[float], list[str], int]:
    """Open every technician's connection with one request, then time the run."""
    clients = [
        httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=1))
        for _ in technicians
    ]
    try:
        _, _, warm, problems = await flood(clients, make_requests(technicians, 1, "warm"))
        batches = make_requests(technicians, per_technician, "run")
        seconds, latencies, issued, run_problems = await flood(clients, batches)
    finally:
        for client in clients:
            await client.aclose()
    problems += run_problems
    if set(warm) & set(issued):
        problems.append("a recovery id was returned in the warm-up and in the run")
    problems += check_ledger(url, warm | issued)
    return seconds, latencies, problems, sum(len(b) for b in batches)


def check_ledger(url: str, issued: dict[int, OnlineRequest]) -> list[str]:
    response = httpx.get(
        f"{url}/v1/ledger", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    )
    entries = response.json()["entries"]
    problems = []
    ids = [entry["id"] for entry in entries]
    if len(ids) != len(set(ids)):
        problems.append("the ledger holds a recovery id twice")
    if set(ids) != set(issued):
        problems.append(
            f"ledger has {len(set(ids))} entries, {len(issued)} authorisations were returned"
        )
    for entry in entries:
        request = issued.get(entry["id"])
        if request is None:
            continue
        if (entry["serial"], entry["nonce"], entry["counter"]) != (
            request.serial,
            request.nonce.hex(),
            request.counter,
        ):
            problems.append(f"ledger entry {entry['id']} does not match its request")
    return problems


def baseline(pki: Path, url: str, requests: list[OnlineRequest]) -> float:
    policy = AuthorityPolicy(limits=RateLimits(NO_LIMIT, NO_LIMIT))
    authority = Authority.open(pki, url, policy=policy)
    try:
        started = time.perf_counter()
        for request in requests:
            authority.issue_online(request)
        return len(requests) / (time.perf_counter() - started)
    finally:
        authority.shutdown()


def run_backend(
    name: str,
    pki: Path,
    new_url: Callable[[str], str],
    technicians: list[Technician],
    per_technician: int,
    baseline_count: int,
) -> Run:
    process, http_url = start_server(pki, new_url("bench"))
    try:
        seconds, latencies, problems, requests = asyncio.run(
            warm_up_and_run(http_url, technicians, per_technician)
        )
    finally:
        stop_server(process)
    ledger_problems = [p for p in problems if "ledger" in p]
    base = baseline(
        pki,
        new_url("baseline"),
        [r for batch in make_requests(technicians[:1], baseline_count, "base") for r in batch],
    )
    return Run(
        name,
        requests,
        seconds,
        latencies,
        base,
        not ledger_problems,
        problems,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--technicians", type=int, default=50)
    parser.add_argument("--per-technician", type=int, help="requests per technician")
    args = parser.parse_args()
    per_technician = args.per_technician or (4 if args.quick else 40)
    baseline_count = 100 if args.quick else 1000

    with tempfile.TemporaryDirectory(prefix="safetool-bench-") as folder:
        pki = Path(folder) / "pki"
        init_dev_pki(pki)
        made = time.perf_counter()
        technicians: list[Technician] = []
        for number in range(args.technicians):
            technician_id = f"T-B{number:03d}"
            key, certificate = enrol_technician(pki, technician_id)
            technicians.append((technician_id, key, certificate))
        enrol_s = time.perf_counter() - made

        runs: list[Run] = []
        counter = iter(range(1000))

        def sqlite_url(tag: str) -> str:
            return f"sqlite:///{Path(folder) / f'{tag}-{next(counter)}.sqlite'}"

        runs.append(
            run_backend("SQLite", pki, sqlite_url, technicians, per_technician, baseline_count)
        )
        postgres: ThrowawayPostgres | None = None
        skipped = ""
        try:
            postgres = start_throwaway_postgres(durable=True)
        except PostgresUnavailable as error:
            skipped = str(error)
        if postgres is not None:
            server = postgres
            try:
                runs.append(
                    run_backend(
                        "PostgreSQL",
                        pki,
                        lambda tag: server.create_database(f"{tag}_{next(counter)}"),
                        technicians,
                        per_technician,
                        baseline_count,
                    )
                )
            finally:
                server.stop()

    print(
        f"service authority: {args.technicians} technicians at once, {per_technician} "
        f"online authorisations each, over HTTP on loopback "
        f"({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; {args.technicians} technicians enrolled in {enrol_s:.2f} s)"
    )
    header = (
        f"{'ledger':<11} {'n':>6} {'auth/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'direct/s':>9} {'http/direct':>11}  ledger"
    )
    print(header)
    print("-" * len(header))
    failed = False
    for run in runs:
        verdict = "exactly once" if run.ledger_ok and not run.problems else "PROBLEMS"
        failed |= verdict != "exactly once"
        print(
            f"{run.backend:<11} {run.requests:>6} {run.per_s:>8.0f} "
            f"{statistics.median(run.latencies_ms):>8.1f} "
            f"{percentile(run.latencies_ms, 0.95):>8.1f} "
            f"{percentile(run.latencies_ms, 0.99):>8.1f} "
            f"{run.baseline_per_s:>9.0f} {run.per_s / run.baseline_per_s:>11.2f}  {verdict}"
        )
        for problem in run.problems[:5]:
            print(f"    {problem}")
    if skipped:
        print(f"PostgreSQL: skipped ({skipped})")
    print(
        "direct/s: the same requests issued in-process, one at a time, no HTTP "
        "(PostgreSQL: durable, fsync on; SQLite: WAL, synchronous=NORMAL)."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
