"""Lockout recovery, the cryptographic parts both ends share (no I/O): see SPEC.md section 12.

* **Online**: the authority signs an :class:`Authorisation` (Ed25519) bound to one board, one
  challenge (nonce and counter) and one technician, carrying the authority's signed time of issue.
* **By phone**: the board shows a short challenge (9 digits and a Damm check digit); the
  authority answers with 12 digits and a check digit: an HMAC-SHA256 under the board's own
  recovery secret, over the serial, that challenge, its counter and the technician, reduced to
  12 decimal digits (39.9 bits).

Neither depends on a wall-clock window: freshness comes from the single-use challenge, and the
board measures an answer's validity on its own lived time since it issued the challenge.

* The recovery secret is derived per board from the authority's master secret; the tool never
  holds either.
* **Close seal**: after the safe is shut again the board shows 8 digits and a check digit, a
  MAC over the recovery and the closed state, which the authority verifies.

Every primitive comes from ``cryptography``; only the decimal check digit is computed here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

from construct import (
    Bytes,
    Const,
    ConstructError,
    Int8ul,
    Int32ul,
    PascalString,
    PrefixedArray,
    Struct,
)
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import constant_time, hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from protocols.certificates import SIGNATURE_SIZE, key_id
from protocols.errors import RemoteProtocolError, in_spec_terms

CHALLENGE_NONCE_SIZE = 16
CHALLENGE_DIGITS = 9
RESPONSE_DIGITS = 12
SEAL_DIGITS = 8
RECOVERY_SECRET_SIZE = 32


class RecoveryError(RemoteProtocolError):
    """An authorisation or code that is malformed or does not verify."""


# --- Damm check digit: catches every single wrong digit and every swap of neighbours ---------

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_digit(digits: str) -> str:
    interim = 0
    for char in digits:
        interim = _DAMM[interim][int(char)]
    return str(interim)


def with_check_digit(digits: str) -> str:
    return digits + damm_digit(digits)


def check_digits_ok(digits: str) -> bool:
    """True if ``digits`` (check digit last) are all digits and the check digit agrees."""
    return len(digits) >= 2 and digits.isascii() and digits.isdigit() and damm_digit(digits) == "0"


def normalise_digits(text: str) -> str:
    """What the technician or operator typed, without spaces and dashes."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def group_digits(digits: str, size: int = 3) -> str:
    """``"1234567890"`` → ``"123 456 789 0"``: easy to read over the phone."""
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


# --- secrets and MACs ----------------------------------------------------------------------


def device_recovery_secret(master_secret: bytes, serial: str) -> bytes:
    """The per-board secret: provisioned into the board, derived again by the authority."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=RECOVERY_SECRET_SIZE,
        salt=None,  # pragma: no mutate (None is also HKDF's default; said for a C reader)
        info=b"safetool device recovery v1\x00" + serial.encode(),
    ).derive(master_secret)


def _mac(secret: bytes, *parts: bytes) -> bytes:
    mac = hmac.HMAC(secret, hashes.SHA256())
    for part in parts:
        mac.update(struct.pack("<H", len(part)) + part)  # pragma: no mutate (parts < 32 KiB)
    return mac.finalize()


def _decimal(mac: bytes, digits: int) -> str:
    number = int.from_bytes(mac[:8], "big")  # pragma: no mutate ("big" is also the default)
    return str(number % 10**digits).zfill(digits)


def challenge_digits(nonce: bytes) -> str:
    """The short challenge a board shows for a phone-in recovery (with its check digit)."""
    return with_check_digit(_decimal(nonce, CHALLENGE_DIGITS))


def phone_response(
    device_secret: bytes, serial: str, challenge: str, counter: int, technician_id: str
) -> str:
    """The 13 digits the hotline reads back (12 of MAC and a check digit), bound to the board,
    the challenge and its recovery counter, and the technician; no clock enters it."""
    mac = _mac(
        device_secret,
        b"safetool phone response v2",
        serial.encode(),
        challenge.encode(),
        struct.pack("<I", counter),
        technician_id.encode(),
    )
    return with_check_digit(_decimal(mac, RESPONSE_DIGITS))


def seal_code(device_secret: bytes, serial: str, recovery_counter: int, challenge: str) -> str:
    """The close seal: proves the board saw the safe shut and locked after that recovery."""
    mac = _mac(
        device_secret,
        b"safetool close seal v1",
        serial.encode(),
        struct.pack("<I", recovery_counter),
        challenge.encode(),
        b"closed-and-locked",
    )
    return with_check_digit(_decimal(mac, SEAL_DIGITS))


def digits_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two digit strings."""
    return constant_time.bytes_eq(a.encode(), b.encode())


# --- the authority's signed documents ------------------------------------------------------


class _Signed:
    """What the authority's signed documents share (an authorisation, a revocation list, a time
    statement): the body its ``to_be_signed`` builds, names the signing key by its id, and is
    followed on the wire by the 64-byte Ed25519 signature over it."""

    __slots__ = ()
    WHAT: ClassVar[str]
    """The document's name in an error: ``authorisation has the wrong length``."""
    issuer_key_id: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        raise NotImplementedError

    def signed_by(self, authority: Ed25519PrivateKey) -> Self:
        document: Any = self  # pragma: no mutate (a dataclass, said to mypy)
        unsigned = replace(document, issuer_key_id=key_id(authority.public_key()))
        signed: Self = replace(unsigned, signature=authority.sign(unsigned.to_be_signed()))
        return signed

    def encode(self) -> bytes:
        return self.to_be_signed() + self.signature

    @classmethod
    def _fields(cls, body: bytes, layout: Struct) -> Any:
        try:
            return layout.parse(body)
        except (ConstructError, UnicodeDecodeError) as exc:
            raise RecoveryError(f"malformed {cls.WHAT}: {in_spec_terms(exc)}") from None

    def _whole(self, body: bytes) -> Self:
        """The decoded document, if it is exactly what was received (no byte over or short)."""
        if len(self.signature) != SIGNATURE_SIZE or self.to_be_signed() != body:
            raise RecoveryError(f"{self.WHAT} has the wrong length")
        return self

    def verify_signature(self, authority: Ed25519PublicKey) -> None:
        if self.issuer_key_id != key_id(authority):
            raise RecoveryError(f"{self.WHAT} was not signed by the service authority")
        try:
            authority.verify(self.signature, self.to_be_signed())
        except InvalidSignature:
            raise RecoveryError(f"{self.WHAT} signature is not valid") from None


def _split(data: bytes) -> tuple[bytes, bytes]:
    """A signed document's body and its signature (the last 64 bytes)."""
    return data[:-SIGNATURE_SIZE], data[-SIGNATURE_SIZE:]


# --- the online authorisation --------------------------------------------------------------

_Str8 = PascalString(Int8ul, "utf8")
_AUTH_TBS = Struct(
    "magic" / Const(b"SLA2"),
    "serial" / _Str8,
    "nonce" / Bytes(CHALLENGE_NONCE_SIZE),
    "counter" / Int32ul,
    "technician_id" / _Str8,
    "certificate_serial" / Int32ul,
    "recovery_id" / Int32ul,
    "issued_at" / Int32ul,
    "issuer_key_id" / Bytes(8),
)


@dataclass(frozen=True, slots=True)
class Authorisation(_Signed):
    """The authority's signed permission for one recovery of one board by one technician."""

    WHAT: ClassVar[str] = "authorisation"

    serial: str
    nonce: bytes
    counter: int
    technician_id: str
    certificate_serial: int
    recovery_id: int
    """The authority's ledger entry for this authorisation."""
    issued_at: int
    """The authority's time of issue (UTC seconds): a signed time statement for the board's
    certificate checks, never a validity window (the board times the answer itself)."""
    issuer_key_id: bytes = b""
    signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return bytes(
            _AUTH_TBS.build(
                {
                    "serial": self.serial,
                    "nonce": self.nonce,
                    "counter": self.counter,
                    "technician_id": self.technician_id,
                    "certificate_serial": self.certificate_serial,
                    "recovery_id": self.recovery_id,
                    "issued_at": self.issued_at,
                    "issuer_key_id": self.issuer_key_id,
                }
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Authorisation:
        body, signature = _split(data)
        fields = cls._fields(body, _AUTH_TBS)
        return cls(
            serial=fields.serial,
            nonce=bytes(fields.nonce),
            counter=fields.counter,
            technician_id=fields.technician_id,
            certificate_serial=fields.certificate_serial,
            recovery_id=fields.recovery_id,
            issued_at=fields.issued_at,
            issuer_key_id=bytes(fields.issuer_key_id),
            signature=bytes(signature),
        )._whole(body)


# --- revocation list -----------------------------------------------------------------------

_CRL_TBS = Struct(
    "magic" / Const(b"SLR2"),
    "issued_at" / Int32ul,
    "next_update" / Int32ul,
    "serials" / PrefixedArray(Int32ul, Int32ul),
    "issuer_key_id" / Bytes(8),
)


@dataclass(frozen=True, slots=True)
class RevocationList(_Signed):
    """Technician certificate serial numbers the authority has revoked, signed by it.

    A board keeps the newest list it has been given (``issued_at`` only ever moves forward), and
    refuses privileged work once its signed time reaches the list's ``next_update`` (SPEC.md
    11.3): a lock nobody brings a current list to stops trusting what it last heard."""

    WHAT: ClassVar[str] = "revocation list"

    issued_at: int
    next_update: int
    """When the authority will have issued the next list: the held list is out of date from then."""
    serials: tuple[int, ...]
    issuer_key_id: bytes = b""
    signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return bytes(
            _CRL_TBS.build(
                {
                    "issued_at": self.issued_at,
                    "next_update": self.next_update,
                    "serials": list(self.serials),
                    "issuer_key_id": self.issuer_key_id,
                }
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> RevocationList:
        body, signature = _split(data)
        fields = cls._fields(body, _CRL_TBS)
        return cls(
            fields.issued_at,
            fields.next_update,
            tuple(fields.serials),
            bytes(fields.issuer_key_id),
            bytes(signature),
        )._whole(body)


# --- time statement ------------------------------------------------------------------------

_TIME_TBS = Struct(
    "magic" / Const(b"SLT1"),
    "serial" / _Str8,
    "time_s" / Int32ul,
    "issuer_key_id" / Bytes(8),
)


@dataclass(frozen=True, slots=True)
class TimeStatement(_Signed):
    """The service authority's signed word on what time it is, for one board.

    A board takes it to set its clock back, or forward by more than a laptop may nudge it, and
    as the newest signed time it has seen (certificates are judged against that, SPEC.md 12.6).
    Bound to the board's serial; a board takes only a statement newer than its newest signed
    time, so an old one cannot be replayed."""

    WHAT: ClassVar[str] = "time statement"

    serial: str
    time_s: int
    issuer_key_id: bytes = b""
    signature: bytes = b""

    def to_be_signed(self) -> bytes:
        return bytes(
            _TIME_TBS.build(
                {"serial": self.serial, "time_s": self.time_s, "issuer_key_id": self.issuer_key_id}
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> TimeStatement:
        body, signature = _split(data)
        fields = cls._fields(body, _TIME_TBS)
        return cls(
            fields.serial, fields.time_s, bytes(fields.issuer_key_id), bytes(signature)
        )._whole(body)
