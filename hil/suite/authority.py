"""The service authority's signing step, played by the test (it holds the test PKI's keys)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.recovery import (
    Authorisation,
    device_recovery_secret,
    phone_response,
)
from safetool.identity import TechnicianIdentity
from safetool.services.recover import Challenge, ObtainAuthorisation


def authority_key(pki: Path) -> Ed25519PrivateKey:
    return load_key(pki / "authority" / "authority.key")


def load_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file of the PKI (the authority's, a technician's)."""
    key = load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def authorise(
    pki: Path,
    challenge: Challenge,
    *,
    technician: TechnicianIdentity,
    serial: str | None = None,
    issued_s: float = 0,
    signer: Ed25519PrivateKey | None = None,
) -> bytes:
    """A signed online authorisation for ``challenge``, signed with the authority's key.
    ``issued_s`` moves its signed time of issue (seconds from the challenge's issue on the
    board's clock), ``signer`` signs with another key, ``serial`` names another board: what the
    attacks need."""
    now = challenge.raw.issued_at
    token = Authorisation(
        serial=serial or challenge.serial,
        nonce=challenge.raw.nonce,
        counter=challenge.counter,
        technician_id=technician.technician_id,
        certificate_serial=technician.certificate.serial_number,
        recovery_id=1,
        issued_at=int(now + issued_s),
    )
    return token.signed_by(signer or authority_key(pki)).encode()


def phone_answer(pki: Path, challenge: Challenge, technician_id: str) -> str:
    """What the hotline reads out for ``challenge``."""
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    secret = device_recovery_secret(master, challenge.serial)
    return phone_response(
        secret,
        challenge.serial,
        challenge.digits,
        challenge.counter,
        technician_id,
    )


def replaying(token: bytes) -> ObtainAuthorisation:
    """An authority that hands out ``token`` whatever challenge it is asked about: a replay of
    a used token, or one for an older challenge."""

    async def obtain(challenge: Challenge) -> bytes:
        return token

    return obtain
