"""What the tool sends the authority and gets back, shared by both sides.

Technician requests are signed with the technician's Ed25519 key over canonical bytes that
exactly one function per request builds (:func:`request_bytes`, :func:`result_bytes`,
:func:`close_bytes`): a purpose tag, then each field with a 4-byte big-endian length, so two
different requests can never have the same bytes. The JSON forms are parsed here too, into
frozen dataclasses, with a :class:`~safetool.authority.errors.RequestInvalid` for anything
malformed.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocols.certificates import SIGNATURE_SIZE, Certificate, CertificateError
from protocols.recovery import CHALLENGE_NONCE_SIZE, Authorisation, RecoveryError, group_digits
from safetool.authority.digits import parse_name
from safetool.authority.errors import (
    ERRORS_BY_NAME,
    AuthorityError,
    NotAuthenticated,
    RateLimited,
    RequestInvalid,
)
from safetool.messages import Message, received

REQUEST_PURPOSE = b"safetool authority request v1\x00"
RESULT_PURPOSE = b"safetool recovery result v1\x00"
CLOSE_PURPOSE = b"safetool recovery close v1\x00"
MAX_CERTIFICATE_SIZE = 1024
MAX_DETAIL_LENGTH = 200
U32_MAX = 0xFFFFFFFF
NO_COUNTER = U32_MAX + 1
"""Stands for "no counter given" inside :func:`close_bytes` (a u32 counter never equals it)."""

Result = Literal["used", "refused"]
RESULTS: tuple[Result, ...] = ("used", "refused")


def _canonical(purpose: bytes, *parts: bytes) -> bytes:
    out = bytearray(purpose)
    for part in parts:
        out += struct.pack(">I", len(part)) + part
    return bytes(out)


def _u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def request_bytes(
    serial: str,
    nonce: bytes,
    counter: int,
    challenge: str,
    certificate: bytes,
    timestamp: int,
) -> bytes:
    """What a technician signs to ask for an online authorisation."""
    return _canonical(
        REQUEST_PURPOSE,
        serial.encode(),
        nonce,
        _u64(counter),
        challenge.encode(),
        certificate,
        _u64(timestamp),
    )


def result_bytes(
    recovery_id: int, result: str, detail: str, certificate: bytes, timestamp: int
) -> bytes:
    """What a technician signs to report what the lock did with an authorisation."""
    return _canonical(
        RESULT_PURPOSE,
        _u64(recovery_id),
        result.encode(),
        detail.encode(),
        certificate,
        _u64(timestamp),
    )


def close_bytes(
    recovery_id: int,
    serial: str,
    seal: str,
    counter: int | None,
    certificate: bytes,
    timestamp: int,
) -> bytes:
    """What a technician signs to report the close seal of a recovery."""
    return _canonical(
        CLOSE_PURPOSE,
        _u64(recovery_id),
        serial.encode(),
        seal.encode(),
        _u64(NO_COUNTER if counter is None else counter),
        certificate,
        _u64(timestamp),
    )


# --- reading JSON fields -------------------------------------------------------------------


def _invalid(problem: str, **values: object) -> RequestInvalid:
    """``authority.request.<problem>``: a request (or answer) that cannot be read."""
    return RequestInvalid(
        Message(f"authority.request.{problem}", values),
        meaning=Message("authority.request.unreadable"),
        next_step=Message("authority.request.unreadable.next"),
    )


def _document(document: object) -> Mapping[str, Any]:
    if not isinstance(document, Mapping):
        raise _invalid("not_object")
    return document


def field_str(document: Mapping[str, Any], name: str, *, max_length: int = 64) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise _invalid("not_string", field=name)
    if len(value) > max_length:
        raise _invalid("too_long", field=name, length=max_length)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON's \ud800: no serial or code has one
        raise _invalid("not_text", field=name) from None
    return value


def field_int(document: Mapping[str, Any], name: str, *, maximum: int = U32_MAX) -> int:
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("not_integer", field=name)
    if not 0 <= value <= maximum:
        raise _invalid("out_of_range", field=name, maximum=maximum)
    return value


def field_optional_int(
    document: Mapping[str, Any], name: str, *, maximum: int = U32_MAX
) -> int | None:
    return None if document.get(name) is None else field_int(document, name, maximum=maximum)


def field_hex(
    document: Mapping[str, Any], name: str, *, size: int | None = None, max_size: int = 4096
) -> bytes:
    text = field_str(document, name, max_length=2 * max_size)
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise _invalid("not_hex", field=name) from None
    if size is not None and len(value) != size:
        raise _invalid("wrong_size", field=name, size=size, found=len(value))
    return value


def decode_certificate(data: bytes) -> Certificate:
    try:
        return Certificate.decode(data)
    except CertificateError as error:
        raise _invalid("not_certificate", detail=str(error)) from None


def verify_technician_signature(certificate: Certificate, signature: bytes, data: bytes) -> None:
    """Raise :class:`NotAuthenticated` unless ``signature`` is the certificate key's over data."""
    try:
        Ed25519PublicKey.from_public_bytes(certificate.public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        raise NotAuthenticated(
            Message("authority.request.bad_signature", {"technician": certificate.subject_id}),
            meaning=Message("authority.request.bad_signature.meaning"),
            next_step=Message("authority.request.bad_signature.next"),
        ) from None


# --- signed technician messages ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OnlineRequest:
    """A technician's signed request for an online authorisation."""

    serial: str
    nonce: bytes
    counter: int
    challenge: str
    certificate: bytes
    timestamp: int
    signature: bytes

    def signed_bytes(self) -> bytes:
        return request_bytes(
            self.serial, self.nonce, self.counter, self.challenge, self.certificate, self.timestamp
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "nonce": self.nonce.hex(),
            "counter": self.counter,
            "challenge": self.challenge,
            "technician_certificate": self.certificate.hex(),
            "timestamp": self.timestamp,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, document: object) -> OnlineRequest:
        fields = _document(document)
        return cls(
            serial=field_str(fields, "serial"),
            nonce=field_hex(fields, "nonce", size=CHALLENGE_NONCE_SIZE),
            counter=field_int(fields, "counter"),
            challenge=field_str(fields, "challenge", max_length=32),
            certificate=field_hex(fields, "technician_certificate", max_size=MAX_CERTIFICATE_SIZE),
            timestamp=field_int(fields, "timestamp", maximum=2**63 - 1),
            signature=field_hex(fields, "signature", size=SIGNATURE_SIZE),
        )


def build_online_request(
    technician_key: Ed25519PrivateKey,
    certificate: Certificate | bytes,
    serial: str,
    nonce: bytes,
    counter: int,
    challenge: str,
    now: float,
) -> OnlineRequest:
    """The tool side: sign a request for the board's challenge (nonce, counter, digits)."""
    encoded = certificate.encode() if isinstance(certificate, Certificate) else certificate
    timestamp = int(now)
    data = request_bytes(serial, nonce, counter, challenge, encoded, timestamp)
    return OnlineRequest(
        serial, nonce, counter, challenge, encoded, timestamp, technician_key.sign(data)
    )


@dataclass(frozen=True, slots=True)
class ResultReport:
    """The technician's signed report of what the lock did with an authorisation."""

    recovery_id: int
    result: Result
    detail: str
    certificate: bytes
    timestamp: int
    signature: bytes

    def signed_bytes(self) -> bytes:
        return result_bytes(
            self.recovery_id, self.result, self.detail, self.certificate, self.timestamp
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result,
            "detail": self.detail,
            "technician_certificate": self.certificate.hex(),
            "timestamp": self.timestamp,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, recovery_id: int, document: object) -> ResultReport:
        fields = _document(document)
        result = field_str(fields, "result")
        if result not in RESULTS:
            raise _invalid("bad_result", results=", ".join(RESULTS))
        detail = fields.get("detail", "")
        if (
            not isinstance(detail, str)
            or len(detail) > MAX_DETAIL_LENGTH
            or not detail.isprintable()
        ):
            raise _invalid("bad_detail", length=MAX_DETAIL_LENGTH)
        return cls(
            recovery_id=recovery_id,
            result="used" if result == "used" else "refused",
            detail=detail,
            certificate=field_hex(fields, "technician_certificate", max_size=MAX_CERTIFICATE_SIZE),
            timestamp=field_int(fields, "timestamp", maximum=2**63 - 1),
            signature=field_hex(fields, "signature", size=SIGNATURE_SIZE),
        )


def build_result_report(
    technician_key: Ed25519PrivateKey,
    certificate: Certificate | bytes,
    recovery_id: int,
    result: Result,
    detail: str,
    now: float,
) -> ResultReport:
    encoded = certificate.encode() if isinstance(certificate, Certificate) else certificate
    timestamp = int(now)
    data = result_bytes(recovery_id, result, detail, encoded, timestamp)
    return ResultReport(recovery_id, result, detail, encoded, timestamp, technician_key.sign(data))


@dataclass(frozen=True, slots=True)
class CloseReport:
    """A close seal, reported by the technician (signed) or by an operator (token, unsigned)."""

    recovery_id: int
    serial: str
    seal: str
    counter: int | None
    certificate: bytes = b""
    timestamp: int = 0
    signature: bytes = b""

    @property
    def signed(self) -> bool:
        return bool(self.signature)

    def signed_bytes(self) -> bytes:
        return close_bytes(
            self.recovery_id,
            self.serial,
            self.seal,
            self.counter,
            self.certificate,
            self.timestamp,
        )

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"serial": self.serial, "seal": self.seal}
        if self.counter is not None:
            document["counter"] = self.counter
        if self.signed:
            document |= {
                "technician_certificate": self.certificate.hex(),
                "timestamp": self.timestamp,
                "signature": self.signature.hex(),
            }
        return document

    @classmethod
    def from_json(cls, recovery_id: int, document: object) -> CloseReport:
        fields = _document(document)
        report = cls(
            recovery_id=recovery_id,
            serial=field_str(fields, "serial"),
            seal=field_str(fields, "seal", max_length=32),
            counter=field_optional_int(fields, "counter"),
        )
        if fields.get("signature") is None:
            return report
        return cls(
            recovery_id=report.recovery_id,
            serial=report.serial,
            seal=report.seal,
            counter=report.counter,
            certificate=field_hex(fields, "technician_certificate", max_size=MAX_CERTIFICATE_SIZE),
            timestamp=field_int(fields, "timestamp", maximum=2**63 - 1),
            signature=field_hex(fields, "signature", size=SIGNATURE_SIZE),
        )


def build_close_report(
    technician_key: Ed25519PrivateKey,
    certificate: Certificate | bytes,
    serial: str,
    recovery_id: int,
    seal: str,
    now: float,
    counter: int | None = None,
) -> CloseReport:
    encoded = certificate.encode() if isinstance(certificate, Certificate) else certificate
    timestamp = int(now)
    data = close_bytes(recovery_id, serial, seal, counter, encoded, timestamp)
    return CloseReport(
        recovery_id, serial, seal, counter, encoded, timestamp, technician_key.sign(data)
    )


# --- what the authority answers ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedAuthorisation:
    """An online authorisation as the authority returns it."""

    recovery_id: int
    authorisation: Authorisation

    def to_json(self) -> dict[str, Any]:
        token = self.authorisation
        return {
            "recovery_id": self.recovery_id,
            "authorisation": token.encode().hex(),
            "serial": token.serial,
            "technician_id": token.technician_id,
            "issued_at": token.issued_at,
        }

    @classmethod
    def from_json(cls, document: object) -> IssuedAuthorisation:
        fields = _document(document)
        try:
            token = Authorisation.decode(field_hex(fields, "authorisation"))
        except RecoveryError as error:
            raise _invalid("bad_authorisation", detail=str(error)) from None
        recovery_id = field_int(fields, "recovery_id")
        if token.recovery_id != recovery_id:
            raise _invalid("other_recovery")
        return cls(recovery_id, token)


@dataclass(frozen=True, slots=True)
class PhoneResponse:
    """A phone-in response for the operator to read back (13 digits, check digit last)."""

    recovery_id: int
    serial: str
    technician_id: str
    challenge: str
    response: str
    not_after: int

    @property
    def grouped(self) -> str:
        return group_digits(self.response)

    def to_json(self) -> dict[str, Any]:
        return {
            "recovery_id": self.recovery_id,
            "serial": self.serial,
            "technician_id": self.technician_id,
            "challenge": self.challenge,
            "response": self.response,
            "response_grouped": self.grouped,
            "not_after": self.not_after,
        }

    @classmethod
    def from_json(cls, document: object) -> PhoneResponse:
        fields = _document(document)
        return cls(
            recovery_id=field_int(fields, "recovery_id"),
            serial=field_str(fields, "serial"),
            technician_id=field_str(fields, "technician_id"),
            challenge=field_str(fields, "challenge", max_length=32),
            response=field_str(fields, "response", max_length=32),
            not_after=field_int(fields, "not_after", maximum=2**63 - 1),
        )


def error_from_json(status: int, document: object) -> AuthorityError:
    """Turn an error body back into the error the authority raised."""
    fields = document if isinstance(document, Mapping) else {}
    name = fields.get("error")
    codes = fields.get("codes")
    coded = codes if isinstance(codes, Mapping) else {}

    def part(which: str, otherwise: Message | str) -> Message | str:
        """The coded message if this catalogue knows it, else the sender's text."""
        text = fields.get(which)
        return received(coded.get(which)) or (text if isinstance(text, str) else otherwise)

    text = part("message", Message("authority.http_error", {"status": status}))
    meaning_text = part("meaning", "")
    step_text = part("next_step", "")
    cls = ERRORS_BY_NAME.get(name) if isinstance(name, str) else None
    if cls is RateLimited or status == 429:
        retry = fields.get("retry_after_s")
        try:
            retry_after_s = int(retry) if isinstance(retry, str | int) else 60
        except ValueError:
            retry_after_s = 60
        return RateLimited(
            text, retry_after_s=retry_after_s, meaning=meaning_text, next_step=step_text
        )
    if cls is None:
        cls = AuthorityError
    return cls(text, meaning=meaning_text, next_step=step_text)


# --- enrolment (the hotline desk's technicians page) ---------------------------------------------

ENROLMENT_CONTEXT = b"safetool enrolment request v1\x00"


@dataclass(frozen=True, slots=True)
class EnrolmentRequest:
    """What a technician's tool sends to be enrolled: who, and the public key of a key pair it
    made, signed with that key (so the desk knows the asker holds it). JSON, as a file."""

    technician_id: str
    name: str
    region: str
    public_key: bytes
    proof: bytes = b""

    def signed_bytes(self) -> bytes:
        parts = (self.technician_id, self.name, self.region)
        text = b"\x00".join(part.encode("utf-8") for part in parts)
        return ENROLMENT_CONTEXT + text + b"\x00" + self.public_key

    @classmethod
    def make(
        cls, key: Ed25519PrivateKey, technician_id: str, name: str, region: str
    ) -> EnrolmentRequest:
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        unsigned = cls(technician_id, name, region, public)
        return cls(technician_id, name, region, public, key.sign(unsigned.signed_bytes()))

    def to_json(self) -> dict[str, Any]:
        return {
            "technician_id": self.technician_id,
            "name": self.name,
            "region": self.region,
            "public_key": self.public_key.hex(),
            "proof": self.proof.hex(),
        }

    @classmethod
    def from_json(cls, document: object) -> EnrolmentRequest:
        """Parse and check the proof of possession; :class:`RequestInvalid` if anything is off."""
        if not isinstance(document, dict):
            raise RequestInvalid(Message("authority.enrolment.not_a_request"))
        try:
            request = cls(
                technician_id=parse_name(field_str(document, "technician_id"), what="technician"),
                name=field_str(document, "name", max_length=120),
                region=field_str(document, "region", max_length=64),
                public_key=field_hex(document, "public_key", size=32),
                proof=field_hex(document, "proof", size=64),
            )
            Ed25519PublicKey.from_public_bytes(request.public_key).verify(
                request.proof, request.signed_bytes()
            )
        except (InvalidSignature, ValueError):
            raise RequestInvalid(
                Message("authority.enrolment.bad_proof"),
                next_step=Message("authority.enrolment.bad_proof.next"),
            ) from None
        return request
