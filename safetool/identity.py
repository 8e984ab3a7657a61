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
from protocols.recovery import RecoveryError, RevocationList
from safetool.errors import SafetoolError
from safetool.messages import Message, os_error_message

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

    def held_revocations(self) -> RevocationList | None:
        """The revocation list this laptop carries, if it has one it can read."""
        if self.revocation_list is None:
            return None
        try:
            return RevocationList.decode(self.revocation_list)
        except RecoveryError:
            return None  # unreadable (or of an older format): any list the authority gives is newer

    def keep_revocations(self, newest: RevocationList) -> bool:
        """Keep ``newest`` (verified by the caller) for locks visited offline if it is newer than
        the list this laptop carries; say whether it was. The file is replaced atomically."""
        held = self.held_revocations()
        if held is not None and held.issued_at >= newest.issued_at:
            return False
        path = self.folder / "revocations.bin"
        temporary = path.with_name(".revocations.bin.new")
        temporary.write_bytes(newest.encode())
        os.replace(temporary, path)
        return True

    @classmethod
    def load(cls, folder: Path | str | None) -> TechnicianIdentity:
        if folder is None or str(folder) == "":
            folder = os.environ.get(ENV_VAR, "")
        if not folder:
            raise IdentityError(
                Message("identity.none"),
                meaning=Message("identity.none.meaning"),
                next_step=Message("identity.none.next", {"env": ENV_VAR}),
            )
        path = Path(folder)
        try:
            key_path = path / "technician.key"
            if os.name == "posix" and key_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise IdentityError(
                    Message("identity.key_readable", {"path": str(key_path)}),
                    meaning=Message("identity.key_readable.meaning"),
                    next_step=Message("identity.key_readable.next", {"path": str(key_path)}),
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
            why = (
                Message(
                    "identity.file_unreadable",
                    {"file": Path(exc.filename or "").name, "error": os_error_message(exc)},
                )
                if isinstance(exc, OSError)
                else Message("identity.damaged", {"detail": str(exc)})
            )
            raise IdentityError(
                Message("identity.unloadable", {"path": str(path), "error": why}),
                meaning=Message("identity.unloadable.meaning"),
                next_step=Message("identity.unloadable.next"),
            ) from None


def _public(trust: dict[str, object], name: str) -> Ed25519PublicKey:
    value = trust[name]
    if not isinstance(value, str):
        raise ValueError(f"trust.json: {name} is not a hex string")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
