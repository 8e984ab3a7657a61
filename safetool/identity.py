"""The technician's identity on this laptop: their own key and certificate, the public keys
they trust, and the newest revocation list. Nothing here can open another technician's
session or any lock by itself.

Folder layout (as ``safetool dev-pki init`` writes it for each technician)::

    technician.key    Ed25519 private key, PEM (readable by the owner only)
    technician.cert   the authority-signed certificate
    trust.json        public keys of the service authority, provisioning and firmware signers
    revocations.bin   the authority's signed revocation list (optional)
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.certificates import Certificate, CertificateError
from protocols.certificates import Qualification as Qualification
from safetool.errors import SafetoolError

ENV_VAR = "SAFETOOL_TECHNICIAN"


class IdentityError(SafetoolError):
    pass


@dataclass(frozen=True, slots=True)
class TechnicianIdentity:
    folder: Path
    key: Ed25519PrivateKey
    certificate_bytes: bytes
    certificate: Certificate
    authority_key: Ed25519PublicKey
    provisioning_key: Ed25519PublicKey
    firmware_key: Ed25519PublicKey
    revocation_list: bytes | None

    @property
    def technician_id(self) -> str:
        return self.certificate.subject_id

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    @classmethod
    def load(cls, folder: Path | str | None) -> TechnicianIdentity:
        if folder is None or str(folder) == "":
            folder = os.environ.get(ENV_VAR, "")
        if not folder:
            raise IdentityError(
                "No technician identity given.",
                meaning="Secure work (recovery, firmware, audit) needs your key and certificate.",
                next_step=f"Pass --technician FOLDER or set {ENV_VAR} to the folder holding "
                "technician.key and technician.cert.",
            )
        path = Path(folder)
        try:
            key_path = path / "technician.key"
            if os.name == "posix" and key_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise IdentityError(
                    f"{key_path} can be read by other users.",
                    meaning="A private key must be readable by its owner only.",
                    next_step=f"Run: chmod 600 {key_path}",
                )
            key = load_pem_private_key(key_path.read_bytes(), password=None)
            certificate_bytes = (path / "technician.cert").read_bytes()
            certificate = Certificate.decode(certificate_bytes)
            trust = json.loads((path / "trust.json").read_text())
            if not isinstance(trust, dict):
                raise ValueError("trust.json is not a JSON object of public keys")
            crl_path = path / "revocations.bin"
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("technician.key is not an Ed25519 key")
            return cls(
                folder=path,
                key=key,
                certificate_bytes=certificate_bytes,
                certificate=certificate,
                authority_key=_public(trust, "authority_public_key"),
                provisioning_key=_public(trust, "provisioning_public_key"),
                firmware_key=_public(trust, "firmware_public_key"),
                revocation_list=crl_path.read_bytes() if crl_path.exists() else None,
            )
        except (OSError, ValueError, KeyError, CertificateError) as exc:
            raise IdentityError(
                f"Cannot load the technician identity in {path}: {exc}",
                meaning="Without it safetool cannot open a secure session with a lock.",
                next_step="Check the folder (technician.key, technician.cert, trust.json); "
                "ask the service centre for a new certificate if it is damaged.",
            ) from None


def _public(trust: dict[str, object], name: str) -> Ed25519PublicKey:
    value = trust[name]
    if not isinstance(value, str):
        raise ValueError(f"trust.json: {name} is not a hex string")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
