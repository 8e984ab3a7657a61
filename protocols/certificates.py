"""Compact certificates: who a technician or a board is, signed with Ed25519.

Why not X.509: an Ed25519 X.509 certificate is 400-600 bytes of DER that a lock controller would
have to parse; this format is about 170 bytes, fixed-order fields a few lines of C can read,
and it carries exactly what a lock checks: who, which qualifications, valid when, signed by whom.
It fits one frame even at BLE's smallest MTU after segmentation. Layout in SPEC.md, section 11.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from enum import IntEnum, IntFlag

from construct import Bytes, Const, ConstructError, Int8ul, Int32ul, PascalString, Struct
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocols.errors import RemoteProtocolError, in_spec_terms

MAGIC = b"SLC1"
KEY_ID_SIZE = 8
SIGNATURE_SIZE = 64


class CertificateKind(IntEnum):
    TECHNICIAN = 1
    """Signed by the service authority; names the technician's qualifications."""
    DEVICE = 2
    """A board's provisioning record, signed by the manufacturer at production."""


class Qualification(IntFlag):
    DIAGNOSE = 0x01
    RECOVER = 0x02
    FIRMWARE = 0x04
    CONFIGURE = 0x08

    def names(self) -> list[str]:
        return [str(q.name).lower() for q in Qualification if q in self]


class CertificateError(RemoteProtocolError):
    """A certificate that is malformed, wrongly signed, expired or revoked."""


class CertificateExpired(CertificateError):
    """A well-signed certificate outside its validity period."""


_Str8 = PascalString(Int8ul, "utf8")
_TBS = Struct(
    "magic" / Const(MAGIC),
    "kind" / Int8ul,
    "serial_number" / Int32ul,
    "subject_id" / _Str8,
    "name" / _Str8,
    "region" / _Str8,
    "qualifications" / Int8ul,
    "not_before" / Int32ul,
    "not_after" / Int32ul,
    "public_key" / Bytes(32),
    "issuer_key_id" / Bytes(KEY_ID_SIZE),
)


def key_id(public_key: Ed25519PublicKey | bytes) -> bytes:
    """First 8 bytes of SHA-256 of the raw public key: names the signer in a certificate."""
    raw = public_key if isinstance(public_key, bytes) else raw_public(public_key)
    return hashlib.sha256(raw).digest()[:KEY_ID_SIZE]


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class Certificate:
    kind: CertificateKind
    serial_number: int
    subject_id: str
    """Technician id, or the board's serial number."""
    name: str
    """Technician's name, or the board's model."""
    region: str
    qualifications: Qualification
    not_before: int
    not_after: int
    """Validity, seconds since 1970 (UTC), inclusive."""
    public_key: bytes
    """Raw Ed25519 public key of the subject."""
    issuer_key_id: bytes
    signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return bytes(
            _TBS.build(
                {
                    "kind": int(self.kind),
                    "serial_number": self.serial_number,
                    "subject_id": self.subject_id,
                    "name": self.name,
                    "region": self.region,
                    "qualifications": int(self.qualifications),
                    "not_before": self.not_before,
                    "not_after": self.not_after,
                    "public_key": self.public_key,
                    "issuer_key_id": self.issuer_key_id,
                }
            )
        )

    def signed_by(self, issuer: Ed25519PrivateKey) -> Certificate:
        # the old signature, if any, is not among the bytes signed (to_be_signed)
        unsigned = replace(self, issuer_key_id=key_id(issuer.public_key()))
        return replace(unsigned, signature=issuer.sign(unsigned.to_be_signed()))

    def encode(self) -> bytes:
        if len(self.signature) != SIGNATURE_SIZE:
            raise ValueError("sign the certificate before encoding it")
        return self.to_be_signed() + self.signature

    @classmethod
    def decode(cls, data: bytes) -> Certificate:
        if len(data) < SIGNATURE_SIZE + 4:
            raise CertificateError(f"certificate of {len(data)} bytes is too short")
        body, signature = data[:-SIGNATURE_SIZE], data[-SIGNATURE_SIZE:]
        try:
            fields = _TBS.parse(body)
        except (ConstructError, UnicodeDecodeError) as exc:
            raise CertificateError(f"malformed certificate: {in_spec_terms(exc)}") from None
        try:
            kind = CertificateKind(fields.kind)
        except ValueError:
            raise CertificateError(f"malformed certificate: unknown kind {fields.kind}") from None
        certificate = cls(
            kind=kind,
            serial_number=fields.serial_number,
            subject_id=fields.subject_id,
            name=fields.name,
            region=fields.region,
            qualifications=Qualification(fields.qualifications),
            not_before=fields.not_before,
            not_after=fields.not_after,
            public_key=bytes(fields.public_key),
            issuer_key_id=bytes(fields.issuer_key_id),
            signature=bytes(signature),
        )
        if certificate.to_be_signed() != body:
            raise CertificateError("certificate has bytes after its last field")
        return certificate

    def verify(
        self,
        issuer: Ed25519PublicKey,
        *,
        now: float,
        kind: CertificateKind,
        started_by: float | None = None,
    ) -> None:
        """Check signature, kind and validity at ``now``; raise :class:`CertificateError`.

        ``started_by``, if given, is the latest the time may be: the certificate counts as
        started if ``not_before`` is not after it (a board whose clock may be slow, SPEC.md
        12.6); ``now`` then only judges expiry."""
        if self.kind != kind:
            raise CertificateError(f"expected a {kind.name.lower()} certificate")
        if self.issuer_key_id != key_id(issuer):
            raise CertificateError("certificate was not issued by the trusted key")
        try:
            issuer.verify(self.signature, self.to_be_signed())
        except InvalidSignature:
            raise CertificateError("certificate signature is not valid") from None
        if not self.valid_at(now, started_by=started_by):
            raise CertificateExpired(
                f"certificate {self.serial_number} of {self.subject_id} is not valid now "
                f"(valid {self.not_before}..{self.not_after})"
            )

    def valid_at(self, now: float, *, started_by: float | None = None) -> bool:
        """Whether ``now`` is within the validity (``started_by`` as in :meth:`verify`)."""
        started = now if started_by is None else max(now, started_by)
        return self.not_before <= started and now <= self.not_after

    def subject_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)
