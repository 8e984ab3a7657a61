"""Which technicians the authority knows, and whether one may recover a lock now.

The register is read from ``DIR/technicians/*/technician.cert``; each certificate is checked
against the authority key as it is loaded (a foreign or broken one is left out and reported).
:func:`check_technician` is the one place that decides whether a certificate is good for a
recovery: issued by this authority, a technician certificate, valid now, not revoked, and
carrying the ``recover`` qualification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from protocols.certificates import (
    Certificate,
    CertificateError,
    CertificateKind,
    Qualification,
    key_id,
)
from safetool.authority.errors import CertificateRefused
from safetool.authority.keys import RevocationStore
from safetool.authority.technicians import TechnicianBook
from safetool.messages import Message

log = logging.getLogger(__name__)


def _refused(why: str, **values: object) -> CertificateRefused:
    """``why`` names the refusal: ``authority.certificate.<why>`` and its ``.next`` step."""
    return CertificateRefused(
        Message(f"authority.certificate.{why}", values),
        meaning=Message("authority.nothing_issued"),
        next_step=Message(f"authority.certificate.{why}.next"),
    )


def _utc(seconds: int) -> datetime:
    """A certificate's bound as a time: each reader sees it in their own time zone."""
    return datetime.fromtimestamp(seconds, UTC)


def check_signed_by_authority(certificate: Certificate, authority: Ed25519PublicKey) -> None:
    """Kind, issuer and signature (not the time): raise :class:`CertificateRefused`."""
    if certificate.kind != CertificateKind.TECHNICIAN:
        raise _refused("not_technician", certificate=certificate.serial_number)
    if certificate.issuer_key_id != key_id(authority):
        raise _refused("foreign", technician=certificate.subject_id)
    try:
        certificate.verify(authority, now=certificate.not_before, kind=CertificateKind.TECHNICIAN)
    except CertificateError:
        raise _refused("bad_signature", technician=certificate.subject_id) from None


def check_technician(
    certificate: Certificate,
    authority: Ed25519PublicKey,
    revocations: RevocationStore,
    *,
    now: float,
    needs: Qualification = Qualification.RECOVER,
) -> None:
    """Everything a recovery needs of a technician's certificate, in the order people fix it."""
    check_signed_by_authority(certificate, authority)
    who = {"technician": certificate.subject_id, "certificate": certificate.serial_number}
    if now > certificate.not_after:
        raise _refused("expired", **who, when=_utc(certificate.not_after))
    if now < certificate.not_before:
        raise _refused("not_yet_valid", **who, when=_utc(certificate.not_before))
    if revocations.is_revoked(certificate.serial_number):
        raise _refused("revoked", **who)
    missing = needs & ~certificate.qualifications
    if missing:
        raise _refused("unqualified", **who, missing=", ".join(Qualification(missing).names()))


@dataclass(frozen=True, slots=True)
class TechnicianRegister:
    """Registered technicians by id; ``rejected`` lists files left out and why."""

    by_id: dict[str, Certificate]
    rejected: tuple[tuple[Path, str], ...] = field(default=())
    book: TechnicianBook | None = None
    """Technicians enrolled at the desk (the database), read on every lookup: they win over
    the PKI folder's, and a suspension or revocation there takes effect at once."""

    def get(self, technician_id: str) -> Certificate:
        if self.book is not None:
            enrolled = self.book.get(technician_id)
            if enrolled is not None:
                if enrolled.status == "suspended":
                    raise _refused("suspended", technician=technician_id)
                return enrolled.certificate
        try:
            return self.by_id[technician_id]
        except KeyError:
            raise _refused("unknown_technician", technician=technician_id) from None

    def __len__(self) -> int:
        enrolled = (
            {} if self.book is None else {t.certificate.subject_id for t in self.book.listing()}
        )
        return len(set(self.by_id) | set(enrolled))


def load_register(pki: Path, authority: Ed25519PublicKey) -> TechnicianRegister:
    """Read every ``technicians/*/technician.cert``; the newest certificate per id wins."""
    by_id: dict[str, Certificate] = {}
    rejected: list[tuple[Path, str]] = []
    for path in sorted((pki / "technicians").glob("*/technician.cert")):
        try:
            certificate = Certificate.decode(path.read_bytes())
            check_signed_by_authority(certificate, authority)
        except (CertificateError, CertificateRefused, OSError) as error:
            reason = error.message if isinstance(error, CertificateRefused) else str(error)
            log.warning("technician register: left out %s: %s", path, reason)
            rejected.append((path, reason))
            continue
        known = by_id.get(certificate.subject_id)
        newest = (certificate.not_before, certificate.serial_number)
        if known is None or newest > (known.not_before, known.serial_number):
            by_id[certificate.subject_id] = certificate
    return TechnicianRegister(by_id, tuple(rejected))
