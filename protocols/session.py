"""The secure session, sans-IO: handshake, key agreement and the frame cipher.

Handshake (SPEC.md section 11)::

    tool  -> board  SESSION_INIT  tool ephemeral X25519 key, tool nonce, technician certificate
    board -> tool   SESSION_INIT  board ephemeral key, board nonce, device certificate,
                                  Ed25519 signature by the device key over the transcript
    (both derive keys: HKDF-SHA256 over the X25519 secret, salted with the transcript hash)
    tool  -> board  SESSION_AUTH  (encrypted) technician's signature over the transcript
    board -> tool   SESSION_AUTH  (encrypted) qualifications granted, idle timeout, board time

The tool checks the device certificate against the manufacturer's provisioning key and the
serial the board gave in IDENTIFY; the board checks the technician certificate against the
service authority's key, its own clock and its revocation list. Afterwards every frame carries
``counter (u64) || ChaCha20-Poly1305(ciphertext)`` with the frame header as associated data, and
counters must strictly increase in each direction: a replayed, reordered, truncated or forged
frame fails and ends the session.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from protocols.catalogue import RefusalReason
from protocols.errors import RemoteProtocolError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    from protocols.certificates import Certificate
    from protocols.messages import HelloRequest, HelloResponse
    from protocols.trust_messages import (
        SessionAuthRequest,
        SessionInitRequest,
        SessionInitResponse,
    )

# cryptography, the certificates and the trust messages are imported where they are used: a
# link without a secure session (`safetool status`) never loads them.

COUNTER = struct.Struct("<Q")
TAG_SIZE = 16
CIPHER_OVERHEAD = COUNTER.size + TAG_SIZE
"""Bytes an encrypted body adds to the plaintext: the counter and the Poly1305 tag."""
_TRANSCRIPT_LABEL = b"safetool session v1\x00"
_KEY_LABEL = b"safetool session keys v1"


class SessionBroken(RemoteProtocolError):
    """An encrypted frame failed authentication or its counter did not move forward.

    ``code`` says which, for an audit trail: ``truncated_frame``, ``replayed_frame`` or
    ``forged_frame``."""

    def __init__(self, text: str, code: str) -> None:
        super().__init__(text)
        self.code = code


class HandshakeFailed(RemoteProtocolError):
    """The peer's certificate or signature did not check out; ``reason`` says which."""

    def __init__(self, message: str, reason: RefusalReason = RefusalReason.BAD_CERTIFICATE):
        super().__init__(message)
        self.reason = reason


def _ephemeral_key() -> X25519PrivateKey:
    """A fresh X25519 key for one handshake (the golden-vector test fixes it)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.generate()


def _raw(key: X25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def hello_exchange(request: HelloRequest, response: HelloResponse) -> bytes:
    """The bodies of the HELLO that opened the link session, request then answer (4 + 9
    bytes, SPEC.md 11.4): what the transcript binds of the version negotiation."""
    from protocols.codec import HEADER_SIZE, encode_message

    return encode_message(request, 0)[HEADER_SIZE:] + encode_message(response, 0)[HEADER_SIZE:]


HELLO_EXCHANGE_SIZE = 13


def transcript_hash(hello: bytes, init: SessionInitRequest, reply: SessionInitResponse) -> bytes:
    """What both signatures cover: the link's HELLO exchange and every byte of SESSION_INIT
    both ways but the board's signature. Binding the ephemeral keys stops a man in the middle
    from swapping them; binding HELLO stops one from talking both ends down to an older
    protocol version (or a smaller frame limit) unnoticed."""
    if len(hello) != HELLO_EXCHANGE_SIZE:
        raise ValueError(f"a HELLO exchange is {HELLO_EXCHANGE_SIZE} bytes, not {len(hello)}")
    digest = hashlib.sha256(_TRANSCRIPT_LABEL)
    for part in (
        hello[:4],
        hello[4:],
        init.ephemeral_key,
        init.nonce,
        init.certificate,
        reply.ephemeral_key,
        reply.nonce,
        reply.certificate,
    ):
        digest.update(struct.pack("<H", len(part)) + part)
    return digest.digest()


def board_signed_bytes(transcript: bytes) -> bytes:
    return b"board\x00" + transcript


def technician_signed_bytes(transcript: bytes) -> bytes:
    return b"technician\x00" + transcript


class FrameCipher:
    """ChaCha20-Poly1305 for one session: one key and counter per direction."""

    def __init__(self, send_key: bytes, receive_key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        self._send = ChaCha20Poly1305(send_key)
        self._receive = ChaCha20Poly1305(receive_key)
        self._sent = 0
        self._received = 0

    def seal(self, header: bytes, body: bytes) -> bytes:
        self._sent += 1
        counter = COUNTER.pack(self._sent)
        return counter + self._send.encrypt(b"\x00" * 4 + counter, body, header)

    def open(self, header: bytes, payload: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        if len(payload) < CIPHER_OVERHEAD:
            raise SessionBroken(
                f"encrypted body of {len(payload)} bytes is truncated", "truncated_frame"
            )
        (counter,) = COUNTER.unpack_from(payload)
        if counter <= self._received:
            raise SessionBroken(
                f"frame counter {counter} does not follow {self._received}: replayed or reordered",
                "replayed_frame",
            )
        try:
            body = self._receive.decrypt(b"\x00" * 4 + payload[:8], payload[8:], header)
        except InvalidTag:
            raise SessionBroken(
                "encrypted frame failed authentication (forged or corrupted)", "forged_frame"
            ) from None
        self._received = counter
        return body


def _derive(shared: bytes, transcript: bytes) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=transcript, info=_KEY_LABEL).derive(
        shared
    )
    return material[:32], material[32:]  # tool-to-board, board-to-tool


# --- tool side -------------------------------------------------------------------------------


@dataclass(slots=True)
class ToolHandshake:
    """The tool's half. ``sign`` signs with the technician's key (the key never enters here);
    ``hello`` is the link's HELLO exchange as the tool sent and received it."""

    certificate: bytes
    sign: Callable[[bytes], bytes]
    hello: bytes
    _ephemeral: X25519PrivateKey | None = None
    _init: SessionInitRequest | None = None

    def start(self) -> SessionInitRequest:
        from protocols.trust_messages import SessionInitRequest

        self._ephemeral = _ephemeral_key()
        self._init = SessionInitRequest(
            _raw(self._ephemeral.public_key()), os.urandom(16), self.certificate
        )
        return self._init

    def finish(
        self,
        reply: SessionInitResponse,
        *,
        provisioning_key: Ed25519PublicKey,
        expected_serial: str,
        now: float,
    ) -> tuple[SessionAuthRequest, FrameCipher, Certificate]:
        """Check the board, derive keys; return the SESSION_AUTH to send and the cipher."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

        from protocols.certificates import Certificate, CertificateError, CertificateKind
        from protocols.trust_messages import SessionAuthRequest

        assert self._init is not None and self._ephemeral is not None, "start() first"
        try:
            device = Certificate.decode(reply.certificate)
            device.verify(provisioning_key, now=now, kind=CertificateKind.DEVICE)
        except CertificateError as error:
            raise HandshakeFailed(f"the board's device certificate: {error}") from None
        if device.subject_id != expected_serial:
            raise HandshakeFailed(
                f"the device certificate is for {device.subject_id}, the board says it is "
                f"{expected_serial}"
            )
        transcript = transcript_hash(self.hello, self._init, reply)
        try:
            device.subject_key().verify(reply.signature, board_signed_bytes(transcript))
        except InvalidSignature:
            raise HandshakeFailed(
                "the board could not prove it holds its device key, or the link's HELLO or "
                "SESSION_INIT was altered on the way"
            ) from None
        try:
            shared = self._ephemeral.exchange(
                X25519PublicKey.from_public_bytes(reply.ephemeral_key)
            )
        except ValueError:
            raise HandshakeFailed("the board's ephemeral key is not valid") from None
        to_board, to_tool = _derive(shared, transcript)
        auth = SessionAuthRequest(self.sign(technician_signed_bytes(transcript)))
        return auth, FrameCipher(send_key=to_board, receive_key=to_tool), device


# --- board side ------------------------------------------------------------------------------


@dataclass(slots=True)
class BoardSessionOffer:
    """What the board keeps between SESSION_INIT and SESSION_AUTH."""

    technician: Certificate
    transcript: bytes
    cipher: FrameCipher


def board_accept_init(
    init: SessionInitRequest,
    *,
    hello: bytes,
    device_key: Ed25519PrivateKey,
    device_certificate: bytes,
    authority_key: Ed25519PublicKey,
    revoked: frozenset[int],
    now: float,
    started_by: float | None = None,
) -> tuple[SessionInitResponse, BoardSessionOffer]:
    """Check the technician certificate and answer; raise :class:`HandshakeFailed` (with the
    reason in its ``reason`` attribute) if the technician may not open a session. ``now``
    judges expiry, ``started_by`` (if given) the start of validity (SPEC.md 12.6); ``hello``
    is the HELLO exchange of the link session as the board received and answered it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from protocols.certificates import (
        Certificate,
        CertificateError,
        CertificateExpired,
        CertificateKind,
    )
    from protocols.trust_messages import SessionInitResponse

    try:
        technician = Certificate.decode(init.certificate)
    except CertificateError as error:
        raise HandshakeFailed(str(error), RefusalReason.BAD_CERTIFICATE) from None
    try:
        technician.verify(
            authority_key, now=now, kind=CertificateKind.TECHNICIAN, started_by=started_by
        )
    except CertificateExpired as error:
        raise HandshakeFailed(str(error), RefusalReason.EXPIRED) from None
    except CertificateError as error:
        raise HandshakeFailed(str(error), RefusalReason.BAD_SIGNATURE) from None
    if technician.serial_number in revoked:
        raise HandshakeFailed(
            f"certificate {technician.serial_number} has been revoked", RefusalReason.REVOKED
        )
    ephemeral = _ephemeral_key()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(init.ephemeral_key))
    except ValueError:
        raise HandshakeFailed("the tool's ephemeral key is not valid") from None
    unsigned = SessionInitResponse(
        _raw(ephemeral.public_key()), os.urandom(16), b"\x00" * 64, device_certificate
    )
    transcript = transcript_hash(hello, init, unsigned)
    reply = SessionInitResponse(
        unsigned.ephemeral_key,
        unsigned.nonce,
        device_key.sign(board_signed_bytes(transcript)),
        device_certificate,
    )
    to_board, to_tool = _derive(shared, transcript)
    cipher = FrameCipher(send_key=to_tool, receive_key=to_board)
    return reply, BoardSessionOffer(technician, transcript, cipher)


def board_check_auth(offer: BoardSessionOffer, auth: SessionAuthRequest) -> None:
    from cryptography.exceptions import InvalidSignature

    try:
        offer.technician.subject_key().verify(
            auth.signature, technician_signed_bytes(offer.transcript)
        )
    except InvalidSignature:
        raise HandshakeFailed(
            "the technician's signature does not match the certificate",
            RefusalReason.BAD_SIGNATURE,
        ) from None
