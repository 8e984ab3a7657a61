"""``safetool authority ...`` end to end: each command as the hotline types it, run in the test's
process (its parsing, output, exit codes, language); ``serve`` and ``safetool authority`` also
as processes of their own (Ctrl-C, the entry points)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from protocols.recovery import (
    challenge_digits,
    group_digits,
    phone_response,
    seal_code,
)
from safetool.authority.export import from_csv
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here

SERIAL = "SL-0000-0001"


def _wired() -> bool:
    from safetool.cli.main import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["authority", "ledger"])
    except SystemExit:
        return False
    return True


async def authority_cli(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``safetool authority ARGS`` run here (``tests.cli_harness``), ``env`` added to the
    environment: its exit code and what it printed on stdout and stderr."""
    argv = ("authority", *args)
    code, out, err = await safetool_here(*argv, env={**os.environ, **(env or {})})
    return subprocess.CompletedProcess(["safetool", *argv], code, out, err)


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    init_dev_pki(folder)
    return folder


def _secret(pki: Path) -> bytes:
    return bytes.fromhex((pki / "boards" / SERIAL / "recovery.secret").read_text())


async def test_issue_close_and_ledger_at_the_hotline_desk(pki: Path, tmp_path: Path) -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    issued = await authority_cli(
        "issue", "--pki", str(pki), "--serial", SERIAL,
        "--challenge", group_digits(challenge), "--technician", "T-1001", "--counter", "9",
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    expected = phone_response(_secret(pki), SERIAL, challenge, 9, "T-1001")
    assert f"Read back to the technician:  {group_digits(expected)}" in issued.stdout
    assert "recovery 9 " in issued.stdout  # the number the lock gave the challenge

    seal = seal_code(_secret(pki), SERIAL, 9, challenge)
    wrong = await authority_cli(
        "close", "--pki", str(pki), "--serial", SERIAL, "--recovery", "9", "--seal", "000000000"
    )
    assert (
        wrong.returncode == 1 and "close seal" in wrong.stderr and "Traceback" not in wrong.stderr
    )
    closed = await authority_cli(
        "close", "--pki", str(pki), "--serial", SERIAL, "--recovery", "9", "--seal", seal,
        "--json",
    )  # fmt: skip
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["recovery"]["state"] == "closed"

    output = tmp_path / "ledger.csv"
    exported = await authority_cli(
        "ledger", "--pki", str(pki), "--format", "csv", "--output", str(output)
    )
    assert exported.returncode == 0 and "Wrote 1 entries" in exported.stdout
    [row] = from_csv(output.read_text())
    assert (row["state"], row["seal"], row["technician_id"]) == ("closed", seal, "T-1001")
    listed = await authority_cli("ledger", "--pki", str(pki), "--format", "json")
    assert json.loads(listed.stdout)["entries"][0]["seal_failures"] == 1
    table = await authority_cli("ledger", "--pki", str(pki), "--state", "closed")
    assert "1 entries" in table.stdout and SERIAL in table.stdout


async def test_issue_refusals_have_exit_codes_and_no_traceback(pki: Path) -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    misheard = challenge[:-1] + str((int(challenge[-1]) + 1) % 10)
    wrong_digit = await authority_cli(
        "issue", "--pki", str(pki), "--serial", SERIAL, "--challenge", misheard,
        "--technician", "T-1001", "--counter", "1",
    )  # fmt: skip
    assert wrong_digit.returncode == 2 and "misheard" in wrong_digit.stderr
    revoked = await authority_cli(
        "issue", "--pki", str(pki), "--serial", SERIAL, "--challenge", challenge,
        "--technician", "T-1003", "--counter", "1", "--json",
    )  # fmt: skip
    assert revoked.returncode == 1
    assert json.loads(revoked.stdout)["error"] == "CertificateRefused"
    no_pki = await authority_cli(
        "issue", "--serial", SERIAL, "--challenge", challenge, "--technician", "T-1001",
        "--counter", "1",
        env={"SAFETOOL_PKI": ""},
    )  # fmt: skip
    assert no_pki.returncode == 2 and "--pki" in no_pki.stderr
    for result in (wrong_digit, revoked, no_pki):
        assert "Traceback" not in result.stderr


def test_serve_announces_its_url_and_stops_on_ctrl_c(pki: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "safetool.cli.authority", "authority", "serve",
         "--pki", str(pki), "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SAFETOOL_OPERATOR_TOKEN": "t" * 32},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["event"] == "ready" and ready["operator_endpoints"] is True
        assert httpx.get(f"{ready['url']}/healthz").json()["ok"] is True
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "t" * 32 not in (process.stderr.read() if process.stderr else "")


async def test_serve_refuses_a_short_operator_token(pki: Path) -> None:
    result = await authority_cli(
        "serve", "--pki", str(pki), "--port", "0", env={"SAFETOOL_OPERATOR_TOKEN": "short"}
    )
    assert result.returncode == 2 and "shorter than 16" in result.stderr


@pytest.mark.skipif(not _wired(), reason="`authority` is not wired into safetool.cli.main yet")
def test_safetool_command_runs_authority_issue(pki: Path) -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    result = subprocess.run(
        [sys.executable, "-m", "safetool.cli.main", "authority", "issue", "--pki", str(pki),
         "--serial", SERIAL, "--challenge", challenge, "--counter", "1", "--technician", "T-1001",
         "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["response"]) == 13
