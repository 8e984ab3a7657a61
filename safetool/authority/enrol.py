"""Enrolling a technician: a key pair and a certificate signed by the authority, in the PKI folder.

Writes ``DIR/technicians/<id>/technician.key`` (0600) and ``technician.cert``, plus the public
``trust.json`` and ``revocations.bin`` the technician's tool needs, as ``dev-pki init`` does.
The register picks the technician up the next time the authority starts. Used by tests and the
benchmark to make technicians at run time; a production service centre would enrol the same way
from its own PKI host.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from protocols.certificates import Certificate, CertificateError, CertificateKind, Qualification
from protocols.certificates import raw_public as raw_public_key
from safetool.authority.digits import parse_name
from safetool.authority.errors import AuthorityConfigError
from safetool.authority.keys import REVOCATIONS, TRUST, load_authority_key
from safetool.keyfiles import private_pem, write_private
from safetool.messages import Message, os_error_message

DAY_S = 24 * 3600


def _next_serial(pki: Path) -> int:
    highest = 1000
    for path in (pki / "technicians").glob("*/technician.cert"):
        try:
            highest = max(highest, Certificate.decode(path.read_bytes()).serial_number)
        except (CertificateError, OSError):
            continue
    return highest + 1


def enrol_technician(
    pki: Path,
    technician_id: str,
    *,
    name: str = "",
    region: str = "",
    qualifications: Qualification = Qualification.DIAGNOSE | Qualification.RECOVER,
    not_before: int | None = None,
    not_after: int | None = None,
    serial_number: int | None = None,
) -> tuple[Ed25519PrivateKey, Certificate]:
    """Make and store a technician's key and certificate; return both."""
    parse_name(technician_id, what="technician")
    folder = pki / "technicians" / technician_id
    if folder.exists():
        raise AuthorityConfigError(
            Message("authority.enrol.already", {"technician": technician_id, "path": str(folder)}),
            next_step=Message("authority.enrol.already.next"),
        )
    now = int(time.time())
    authority = load_authority_key(pki)
    key = Ed25519PrivateKey.generate()
    certificate = Certificate(
        kind=CertificateKind.TECHNICIAN,
        serial_number=_next_serial(pki) if serial_number is None else serial_number,
        subject_id=technician_id,
        name=name or technician_id,
        region=region,
        qualifications=qualifications,
        not_before=now - 3600 if not_before is None else not_before,
        not_after=now + 365 * DAY_S if not_after is None else not_after,
        public_key=raw_public_key(key.public_key()),
        issuer_key_id=b"",
    ).signed_by(authority)
    write_private(folder / "technician.key", private_pem(key))
    (folder / "technician.cert").write_bytes(certificate.encode())
    for public in (TRUST, REVOCATIONS):
        if (pki / public).exists():
            shutil.copyfile(pki / public, folder / public.name)
    return key, certificate


def load_technician(pki: Path, technician_id: str) -> tuple[Ed25519PrivateKey, Certificate]:
    """A technician's key and certificate from the PKI folder (the tool side's files)."""
    folder = pki / "technicians" / technician_id
    try:
        key = load_pem_private_key((folder / "technician.key").read_bytes(), password=None)
        certificate = Certificate.decode((folder / "technician.cert").read_bytes())
    except (OSError, ValueError, CertificateError) as error:
        raise AuthorityConfigError(
            Message(
                "authority.enrol.cannot_load",
                {
                    "technician": technician_id,
                    "path": str(folder),
                    "reason": os_error_message(error) if isinstance(error, OSError) else str(error),
                },
            ),
            next_step=Message("authority.enrol.cannot_load.next"),
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuthorityConfigError(
            Message("authority.keys.not_ed25519", {"path": str(folder / "technician.key")}),
            next_step=Message("authority.enrol.cannot_load.next"),
        )
    return key, certificate
