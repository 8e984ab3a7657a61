"""``safetool dev-pki init DIR``: a complete development PKI, made fresh on this machine.

Nothing here is ever committed: tests and developers make their own. Private key files are
created readable by their owner only (0600) inside folders only the owner can enter (0700).

Layout (see docs/trust.md)::

    DIR/trust.json                      public anchors: authority, provisioning, firmware keys
    DIR/service_centre.json             the centre's name and hotline, for customers' reports
    DIR/authority/authority.key         signs technician certificates, authorisations, revocations
    DIR/authority/recovery-master.key   derives each board's phone-in recovery secret
    DIR/authority/revocations.bin       the signed revocation list
    DIR/manufacturer/provisioning.key   signs boards' device certificates at production
    DIR/manufacturer/firmware.key       signs firmware images
    DIR/technicians/<id>/               technician.key, technician.cert, trust.json,
                                        revocations.bin, service_centre.json
    DIR/boards/<serial>/                device.key, device.cert, recovery.secret
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.certificates import (
    Certificate,
    CertificateKind,
    Qualification,
    key_id,
    raw_public,
)
from protocols.recovery import RevocationList, device_recovery_secret
from safetool.errors import SafetoolError
from safetool.keyfiles import private_pem as private_pem
from safetool.keyfiles import write_private as write_private
from safetool.messages import Message

YEAR_S = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TechnicianSpec:
    technician_id: str
    name: str
    region: str
    qualifications: Qualification
    revoked: bool = False


DEFAULT_TECHNICIANS = (
    TechnicianSpec("T-1001", "Li Wei", "Shanghai", Qualification(0xF)),
    TechnicianSpec("T-1002", "Anna Schmidt", "Beijing", Qualification.DIAGNOSE),
    TechnicianSpec(
        "T-1003",
        "Zhang Min",
        "Guangzhou",
        Qualification.DIAGNOSE | Qualification.RECOVER,
        revoked=True,
    ),
)
DEFAULT_BOARDS = ("SL-0000-0001",)


DEV_SERVICE_CENTRE = {
    "name": {
        "en": "Example Safe Service Centre (development)",
        "zh_CN": "示例保险柜服务中心（开发用）",
    },
    "hotline": "400-000-0000",
}
"""The service centre the customer's report names, for the development PKI: a real one comes
with the technician's certificate from the service centre."""


def init_dev_pki(
    directory: Path,
    *,
    technicians: tuple[TechnicianSpec, ...] = DEFAULT_TECHNICIANS,
    boards: tuple[str, ...] = DEFAULT_BOARDS,
    model: str = "SL-100",
    now: float | None = None,
) -> dict[str, Any]:
    """Create the PKI in ``directory`` (which must be empty or missing); return a summary."""
    if directory.exists() and not directory.is_dir():
        raise SafetoolError(
            Message("devpki.is_a_file", {"path": str(directory)}),
            meaning=Message("devpki.is_a_file.meaning"),
            next_step=Message("devpki.is_a_file.next"),
        )
    if directory.exists() and any(directory.iterdir()):
        raise SafetoolError(
            Message("devpki.not_empty", {"path": str(directory)}),
            meaning=Message("devpki.not_empty.meaning"),
            next_step=Message("devpki.not_empty.next"),
        )
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    issued = int(time.time() if now is None else now)
    authority = Ed25519PrivateKey.generate()
    provisioning = Ed25519PrivateKey.generate()
    firmware = Ed25519PrivateKey.generate()
    master = secrets.token_bytes(32)
    write_private(directory / "authority" / "authority.key", private_pem(authority))
    write_private(directory / "authority" / "recovery-master.key", master.hex().encode())
    write_private(directory / "manufacturer" / "provisioning.key", private_pem(provisioning))
    write_private(directory / "manufacturer" / "firmware.key", private_pem(firmware))
    trust = {
        "authority_public_key": raw_public(authority.public_key()).hex(),
        "provisioning_public_key": raw_public(provisioning.public_key()).hex(),
        "firmware_public_key": raw_public(firmware.public_key()).hex(),
        "authority_key_id": key_id(authority.public_key()).hex(),
    }
    trust_text = json.dumps(trust, indent=1) + "\n"
    (directory / "trust.json").write_text(trust_text)
    centre_text = json.dumps(DEV_SERVICE_CENTRE, ensure_ascii=False, indent=1) + "\n"
    (directory / "service_centre.json").write_text(centre_text, encoding="utf-8")

    revoked: list[int] = []
    summary: dict[str, Any] = {"directory": str(directory), "technicians": [], "boards": []}
    for number, spec in enumerate(technicians, start=1001):
        key = Ed25519PrivateKey.generate()
        certificate = Certificate(
            kind=CertificateKind.TECHNICIAN,
            serial_number=number,
            subject_id=spec.technician_id,
            name=spec.name,
            region=spec.region,
            qualifications=spec.qualifications,
            not_before=issued - 3600,
            not_after=issued + YEAR_S,
            public_key=raw_public(key.public_key()),
            issuer_key_id=b"",
        ).signed_by(authority)
        folder = directory / "technicians" / spec.technician_id
        write_private(folder / "technician.key", private_pem(key))
        (folder / "technician.cert").write_bytes(certificate.encode())
        (folder / "trust.json").write_text(trust_text)
        (folder / "service_centre.json").write_text(centre_text, encoding="utf-8")
        if spec.revoked:
            revoked.append(number)
        summary["technicians"].append(
            {
                "id": spec.technician_id,
                "certificate_serial": number,
                "qualifications": spec.qualifications.names(),
                "revoked": spec.revoked,
                "folder": str(folder),
            }
        )
    # current for as long as the technicians' certificates: a development PKI is not re-signed
    # weekly as a service centre's is (safetool/authority/revocations.py)
    crl = RevocationList(issued, issued + YEAR_S, tuple(revoked)).signed_by(authority).encode()
    (directory / "authority" / "revocations.bin").write_bytes(crl)
    for spec in technicians:
        (directory / "technicians" / spec.technician_id / "revocations.bin").write_bytes(crl)

    for number, serial in enumerate(boards, start=1):
        key = Ed25519PrivateKey.generate()
        certificate = Certificate(
            kind=CertificateKind.DEVICE,
            serial_number=number,
            subject_id=serial,
            name=model,
            region="",
            qualifications=Qualification(0),
            not_before=issued - 3600,
            not_after=issued + 20 * YEAR_S,
            public_key=raw_public(key.public_key()),
            issuer_key_id=b"",
        ).signed_by(provisioning)
        folder = directory / "boards" / serial
        write_private(folder / "device.key", private_pem(key))
        (folder / "device.cert").write_bytes(certificate.encode())
        secret = device_recovery_secret(master, serial)
        write_private(folder / "recovery.secret", secret.hex().encode())
        (folder / "trust.json").write_text(trust_text)
        summary["boards"].append({"serial": serial, "folder": str(folder)})
    return summary
