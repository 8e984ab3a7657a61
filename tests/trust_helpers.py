"""Shared by the trust tests: a PKI made at test time, a stand-in for the service authority's
signing step, and a man-in-the-middle transport for tampering tests."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from firmware.process import EmulatorProcess
from hil.tamper import Tamper
from protocols.recovery import Authorisation, RevocationList
from safetool.client import LockClient
from safetool.identity import TechnicianIdentity
from safetool.services.recover import Challenge


def load_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def pki_list(
    pki: Path, issued_at: int, next_update: int, serials: tuple[int, ...] = ()
) -> RevocationList:
    """A revocation list signed by the PKI's authority: what the PKI has revoked and ``serials``,
    current from ``issued_at`` until ``next_update``."""
    held = RevocationList.decode((pki / "authority" / "revocations.bin").read_bytes())
    crl = RevocationList(issued_at, next_update, tuple(sorted({*held.serials, *serials})))
    return crl.signed_by(load_key(pki / "authority" / "authority.key"))


def authorise(
    pki: Path,
    challenge: Challenge,
    *,
    technician: TechnicianIdentity,
    serial: str | None = None,
    issued_s: float = 0,
    signer: Ed25519PrivateKey | None = None,
) -> bytes:
    """What the authority signs for a challenge (tests of the board act as the authority; its
    signed time of issue is ``issued_s`` after the challenge's, on the board's clock)."""
    now = challenge.raw.issued_at
    token = Authorisation(
        serial=serial or challenge.serial,
        nonce=challenge.raw.nonce,
        counter=challenge.counter,
        technician_id=technician.technician_id,
        certificate_serial=technician.certificate.serial_number,
        recovery_id=42,
        issued_at=int(now + issued_s),
    )
    key = signer or load_key(pki / "authority" / "authority.key")
    return token.signed_by(key).encode()


async def hard_lockout(board: EmulatorProcess, lockout_s: int = 300) -> None:
    """Three penalty lockouts in a row, as a burglar at the keypad would cause: the board lives
    through three lockouts (time that cannot be undone; the last lockout is still running when
    the hard lockout starts)."""
    for _ in range(3):
        for _ in range(5):
            await board.board.enter_code(code="999999")
        await board.board.advance_clock(seconds=lockout_s + 1)


async def connect_tampered(port: str) -> tuple[LockClient, Tamper]:
    from safetool.transport import make_transport

    tamper = Tamper(make_transport(port))
    client = LockClient(tamper)
    await client.open()
    return client, tamper


async def jammed_call_out(board: EmulatorProcess) -> None:
    """The whole visit's call-out: the owner's code was right, the motor ran, and the bolt
    stuck part-way (a jammed motor)."""
    await board.board.set_fault(name="jammed_motor")
    assert await board.board.enter_code(code="246810") == "opened"


@asynccontextmanager
async def authority_serving(pki: Path, *options: str) -> AsyncIterator[str]:
    """``safetool authority serve`` on ``pki`` in its own process, on a free port; its URL."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "authority", "serve", "--pki", str(pki),
        "--port", "0", "--json", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        ready = json.loads(await asyncio.wait_for(server.stdout.readline(), 30))
        yield str(ready["url"])
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 10)
