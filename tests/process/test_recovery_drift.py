"""Issue 14, done when: a hard-locked lock whose clock is 40 minutes or 3 days fast or slow is
recovered by phone and online on the first attempt, end to end through the CLI, and its clock is
then put right. The service authority runs in its own process (the hotline's phone response comes
from its operator API), the lock in another; ``safetool`` runs in the test's loop
(:func:`tests.cli_harness.safetool_here`), and as a process of its own where the technician types
the hotline's response on its standard input."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.process import EmulatorProcess
from hil.plugin import BoardFactory
from safetool.authority.client import AuthorityClient
from safetool.authority.settings import OPERATOR_TOKEN_ENV
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here
from tests.trust_helpers import hard_lockout

SKEWS = {
    "40min-fast": 40 * 60,
    "40min-slow": -40 * 60,
    "3days-fast": 3 * 86400,
    "3days-slow": -3 * 86400,
}


SERIALS = {
    (method, skew): f"SL-0014-{number:04d}"
    for number, (method, skew) in enumerate(
        ((m, s) for m in ("phone", "online") for s in SKEWS.values()), start=1
    )
}
"""One lock per case: the authority rate-limits authorisations per lock (6 an hour)."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("drift") / "pki"
    init_dev_pki(directory, boards=tuple(SERIALS.values()))
    return directory


OPERATOR_TOKEN = secrets.token_urlsafe(32)  # made at run time, as every test secret


@pytest.fixture(scope="module")
def authority_url(pki: Path) -> Iterator[str]:
    env = {**os.environ, OPERATOR_TOKEN_ENV: OPERATOR_TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "safetool.cli.main", "authority", "serve", "--pki", str(pki),
         "--port", "0", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        yield str(json.loads(server.stdout.readline())["url"])
    finally:
        server.terminate()
        server.wait(timeout=20)


async def drifted_and_hard_locked(
    board_factory: BoardFactory, pki: Path, skew_s: int, method: str
) -> EmulatorProcess:
    serial = SERIALS[method, skew_s]
    board = await board_factory("--pki", str(pki), "--serial", serial, "--lockout-s", "90")
    await hard_lockout(board, lockout_s=90)
    await board.board.set_fault(name="clock_drift", ppm=0, skew_s=skew_s)
    state = await board.board.state()
    assert state["hard_lockout"] is True
    return board


async def put_right(board: EmulatorProcess, technician: str, url: str, skew_s: int) -> None:
    """A laptop alone cannot move the clock this far (and says what it needs); the authority's
    signed time can, in either direction."""
    code, out, err = await safetool_here(
        "clock", "--set", "--port", board.port, "--technician", technician, "--lang", "en"
    )
    assert code == 1 and "--authority" in err and "Traceback" not in err, out + err
    unit = "d" if abs(skew_s) >= 86400 else "min"
    assert f" {unit} " in err and ("fast" if skew_s > 0 else "slow") in err, err
    code, out, err = await safetool_here(
        "clock", "--set", "--authority", url, "--port", board.port, "--technician", technician,
        "--json",
    )  # fmt: skip
    assert code == 0, err
    change = json.loads(out)
    assert change["signed"] and change["message"]["code"] == "clock.set_signed", change
    code, out, err = await safetool_here(
        "clock", "--port", board.port, "--technician", technician, "--json"
    )
    assert code == 0, err
    assert abs(json.loads(out)["offset_s"]) < 5
    kinds = [e.get("source") for e in await board.board.audit() if e["kind"].startswith("clock")]
    assert "authority" in kinds


@pytest.mark.parametrize("skew_s", SKEWS.values(), ids=SKEWS.keys())
async def test_recovered_online_on_the_first_attempt_whatever_the_clock(
    pki: Path, authority_url: str, board_factory: BoardFactory, skew_s: int
) -> None:
    board = await drifted_and_hard_locked(board_factory, pki, skew_s, "online")
    technician = str(pki / "technicians" / "T-1001")
    code, out, err = await safetool_here(
        "recover", "--authority", authority_url, "--port", board.port, "--technician",
        technician, "--json",
    )  # fmt: skip
    assert code == 0, out + err
    result = json.loads(out.splitlines()[-1])
    assert result["opened"] and result["attempts_left"] == 0, result
    refused = [e for e in await board.board.audit() if e["kind"] == "recovery_refused"]
    assert refused == []  # the first answer opened it
    assert (await board.board.state())["hard_lockout"] is False
    await put_right(board, technician, authority_url, skew_s)


@pytest.mark.parametrize("skew_s", SKEWS.values(), ids=SKEWS.keys())
async def test_recovered_by_phone_on_the_first_attempt_whatever_the_clock(
    pki: Path, authority_url: str, board_factory: BoardFactory, skew_s: int
) -> None:
    board = await drifted_and_hard_locked(board_factory, pki, skew_s, "phone")
    technician = str(pki / "technicians" / "T-1001")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "recover", "--phone", "--json",
        "--port", board.port, "--technician", technician,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    challenge = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
    # the hotline operator's desk, from the authority's own clock, days away from the lock's
    async with AuthorityClient(authority_url, operator_token=OPERATOR_TOKEN) as hotline:
        answer = await hotline.phone_response(
            challenge["serial"], challenge["challenge"], "T-1001", counter=challenge["counter"]
        )
    process.stdin.write(f"{answer.response}\n".encode())
    await process.stdin.drain()
    result = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert result["opened"], result
    refused = [e for e in await board.board.audit() if e["kind"] == "recovery_refused"]
    assert refused == []
    await put_right(board, technician, authority_url, skew_s)
