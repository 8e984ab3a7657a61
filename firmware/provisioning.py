"""What a board is given at production: its device key and certificate, its recovery secret,
and the public keys it trusts. Read from ``PKI/boards/<serial>/`` (see safetool dev-pki)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.certificates import Certificate, CertificateError, CertificateKind


class ProvisioningError(Exception):
    """The PKI folder lacks this board, or its files are damaged."""


@dataclass(frozen=True, slots=True)
class Provisioning:
    device_key: Ed25519PrivateKey
    device_certificate: bytes
    recovery_secret: bytes
    authority_key: Ed25519PublicKey
    firmware_key: Ed25519PublicKey
    revocation_list: bytes | None
    """The newest revocation list known when the board was set up (may be None)."""

    @classmethod
    def load(cls, pki: Path, serial: str) -> Provisioning:
        folder = pki / "boards" / serial
        try:
            key = load_pem_private_key((folder / "device.key").read_bytes(), password=None)
            trust = json.loads((pki / "trust.json").read_text())
            crl_path = pki / "authority" / "revocations.bin"
            certificate = (folder / "device.cert").read_bytes()
            _check_device_certificate(certificate, serial)
            return cls(
                device_key=_ed25519(key),
                device_certificate=certificate,
                recovery_secret=bytes.fromhex((folder / "recovery.secret").read_text().strip()),
                authority_key=Ed25519PublicKey.from_public_bytes(
                    bytes.fromhex(trust["authority_public_key"])
                ),
                firmware_key=Ed25519PublicKey.from_public_bytes(
                    bytes.fromhex(trust["firmware_public_key"])
                ),
                revocation_list=crl_path.read_bytes() if crl_path.exists() else None,
            )
        except (OSError, ValueError, KeyError, CertificateError) as exc:
            raise ProvisioningError(f"cannot provision board {serial} from {pki}: {exc}") from None


def _check_device_certificate(data: bytes, serial: str) -> None:
    """A board never starts with a certificate that is not its own device certificate: it
    would offer every tool a session it can only refuse (issue 19)."""
    try:
        certificate = Certificate.decode(data)
    except CertificateError as error:
        raise ValueError(f"device.cert is damaged: {error}") from None
    if certificate.kind is not CertificateKind.DEVICE:
        raise ValueError("device.cert is not a device certificate")
    if certificate.subject_id != serial:
        raise ValueError(f"device.cert is for {certificate.subject_id[:40]!r}, not {serial}")


def _ed25519(key: object) -> Ed25519PrivateKey:
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("device.key is not an Ed25519 key")
    return key
