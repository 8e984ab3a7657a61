"""The service authority's signing step, played by the test (it holds the test PKI's keys)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.recovery import (
    Authorisation,
    device_recovery_secret,
    phone_response,
    phone_window,
)
from safetool.identity import TechnicianIdentity
from safetool.services.recover import Challenge


def authorise(
    pki: Path, challenge: Challenge, *, technician: TechnicianIdentity, serial: str | None = None
) -> bytes:
    """A signed online authorisation for ``challenge``, valid from a minute before to 15 after."""
    now = challenge.raw.issued_at
    token = Authorisation(
        serial=serial or challenge.serial,
        nonce=challenge.raw.nonce,
        counter=challenge.counter,
        technician_id=technician.technician_id,
        certificate_serial=technician.certificate.serial_number,
        recovery_id=1,
        not_before=int(now - 60),
        not_after=int(now + 900),
    )
    key = load_pem_private_key((pki / "authority" / "authority.key").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return token.signed_by(key).encode()


def phone_answer(pki: Path, challenge: Challenge, technician_id: str) -> str:
    """What the hotline reads out for ``challenge``."""
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    secret = device_recovery_secret(master, challenge.serial)
    return phone_response(
        secret,
        challenge.serial,
        challenge.digits,
        technician_id,
        phone_window(challenge.raw.issued_at),
    )
