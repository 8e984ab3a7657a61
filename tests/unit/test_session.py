"""The secure session at the protocol level (SPEC.md section 11), sans-IO and on a fake clock.

A ToolConnection and a BoardConnection in one process, the handshake of protocols.session
between them, certificates made here at test time; then every way a frame can be forged,
replayed, reordered, cut short or answered in the clear, and every certificate a board or a
tool must refuse.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocols.board import BoardConnection
from protocols.catalogue import (
    Alerts,
    BoltState,
    DoorState,
    ErrorCode,
    EventKind,
    Flags,
    LockState,
    RefusalReason,
)
from protocols.certificates import (
    Certificate,
    CertificateError,
    CertificateKind,
    Qualification,
    raw_public,
)
from protocols.codec import HEADER_SIZE, BadMessage, decode_message
from protocols.errors import NotInSession, UnexpectedMessage
from protocols.events import (
    FrameRejected,
    HelloReceived,
    LockEventReceived,
    RequestAborted,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    SessionEnded,
)
from protocols.framing import FrameSplitter, encode_frame
from protocols.messages import (
    ErrorResponse,
    HelloRequest,
    HelloResponse,
    IdentifyRequest,
    IdentifyResponse,
    LockEvent,
    PingRequest,
    PingResponse,
    Request,
    Response,
    StatusRequest,
    StatusResponse,
)
from protocols.recovery import (
    Authorisation,
    RecoveryError,
    RevocationList,
    check_digits_ok,
    normalise_digits,
    with_check_digit,
)
from protocols.session import (
    CIPHER_OVERHEAD,
    BoardSessionOffer,
    FrameCipher,
    HandshakeFailed,
    SessionBroken,
    ToolHandshake,
    board_accept_init,
    board_check_auth,
    hello_exchange,
)
from protocols.tool import ToolConnection
from protocols.trust_messages import (
    RecoveryChallengeRequest,
    RecoveryChallengeResponse,
    SessionAuthRequest,
    SessionAuthResponse,
    SessionEndRequest,
    SessionEndResponse,
    SessionInitRequest,
    SessionInitResponse,
)

NOW = 1_780_000_000
"""The time on both ends (seconds since 1970) when certificates are checked."""
YEAR_S = 365 * 24 * 3600
SERIAL = "SL-0000-0001"
BOOT_ID = 0x5E55_1017
IDENTITY = IdentifyResponse(SERIAL, "SL-100", "B", "2.3.1", "1.0.0", 1)
CHALLENGE = RecoveryChallengeResponse(bytes(16), 1, NOW, 3, SERIAL, "1234567890")
HELLO = hello_exchange(HelloRequest(1, 1, 4096), HelloResponse(1, 1, 1, 4096, BOOT_ID))
"""The HELLO exchange the handshakes outside a link bind (SPEC.md 11.4)."""

# --- a PKI made at test time ------------------------------------------------------------------

AUTHORITY = Ed25519PrivateKey.generate()
PROVISIONING = Ed25519PrivateKey.generate()
DEVICE = Ed25519PrivateKey.generate()
TECHNICIAN = Ed25519PrivateKey.generate()
STRANGER = Ed25519PrivateKey.generate()
"""A key nobody trusts."""


def certificate(
    kind: CertificateKind,
    subject: Ed25519PrivateKey,
    issuer: Ed25519PrivateKey,
    *,
    serial_number: int = 4242,
    subject_id: str = "T-0042",
    not_before: int = NOW - 3600,
    not_after: int = NOW + YEAR_S,
    qualifications: Qualification = Qualification.DIAGNOSE | Qualification.RECOVER,
) -> bytes:
    return (
        Certificate(
            kind=kind,
            serial_number=serial_number,
            subject_id=subject_id,
            name="Ada Lovelace" if kind == CertificateKind.TECHNICIAN else "SL-100",
            region="EU-West",
            qualifications=qualifications,
            not_before=not_before,
            not_after=not_after,
            public_key=raw_public(subject.public_key()),
            issuer_key_id=b"",
        )
        .signed_by(issuer)
        .encode()
    )


def technician_certificate(**changes: Any) -> bytes:
    return certificate(CertificateKind.TECHNICIAN, TECHNICIAN, AUTHORITY, **changes)


def device_certificate(**changes: Any) -> bytes:
    changes.setdefault("subject_id", SERIAL)
    changes.setdefault("serial_number", 1001)
    changes.setdefault("qualifications", Qualification(0))
    return certificate(CertificateKind.DEVICE, DEVICE, PROVISIONING, **changes)


# --- both ends --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def status(uptime_s: int = 60) -> StatusResponse:
    return StatusResponse(
        LockState.LOCKED, DoorState.CLOSED, BoltState.EXTENDED, 0, 0, 6000, 215, uptime_s, Alerts(0)
    )


def frames_of(data: bytes) -> list[bytes]:
    """Split a ``data_to_send()`` batch into its wire frames (each with its delimiter)."""
    return [part + b"\x00" for part in data.split(b"\x00")[:-1]]


def unwire(wire: bytes) -> bytes:
    """Header and body of one wire frame (CRC checked)."""
    (frame,) = FrameSplitter(65535).feed(wire)
    assert isinstance(frame, bytes), frame
    return frame


def rewire(wire: bytes, edit: Callable[[bytearray], Any]) -> bytes:
    """``wire`` with its header and body edited and a correct CRC: a tamperer on the line."""
    frame = bytearray(unwire(wire))
    edit(frame)
    return encode_frame(bytes(frame))


class Board:
    """The board's end: a BoardConnection, and the trust duties of firmware/trust.py reduced
    to the handshake (the handshake functions of protocols.session do the checking)."""

    def __init__(
        self,
        *,
        device_cert: bytes | None = None,
        device_key: Ed25519PrivateKey = DEVICE,
        revoked: frozenset[int] = frozenset(),
        now: float = NOW,
    ) -> None:
        self.connection = BoardConnection(boot_id=BOOT_ID)
        self.device_cert = device_certificate() if device_cert is None else device_cert
        self.device_key = device_key
        self.revoked = revoked
        self.now = now
        self.offer: BoardSessionOffer | None = None
        self.established = False
        self.refusals: list[RefusalReason] = []
        self.executed: Counter[int] = Counter()

    def serve(self) -> list[Any]:
        """Answer every request received; return the connection's events."""
        events = list(iter(self.connection.next_event, None))
        for event in events:
            if isinstance(event, RequestReceived):
                self.executed[event.seq] += 1
                response, after = self.answer(event.request, event.encrypted)
                self.connection.send_response(event.seq, response)
                if after is not None:
                    after()
            elif isinstance(event, (SessionEnded, HelloReceived)):
                self.offer, self.established = None, False
        return events

    def answer(
        self, request: Request, encrypted: bool
    ) -> tuple[Response, Callable[[], None] | None]:
        if isinstance(request, SessionInitRequest):
            return self._init(request)
        if isinstance(request, SessionAuthRequest):
            return self._auth(request, encrypted)
        if isinstance(request, SessionEndRequest):
            return SessionEndResponse(), lambda: self.connection.end_session("ended by the tool")
        if isinstance(request, RecoveryChallengeRequest):
            if not (encrypted and self.established):
                return ErrorResponse(ErrorCode.NOT_ALLOWED, "needs a secure session"), None
            return CHALLENGE, None
        if isinstance(request, StatusRequest):
            return status(), None
        if isinstance(request, IdentifyRequest):
            return IDENTITY, None
        if isinstance(request, PingRequest):
            return PingResponse(request.data), None
        return ErrorResponse(ErrorCode.UNKNOWN_TYPE, "not served"), None

    def _init(self, request: SessionInitRequest) -> tuple[Response, Callable[[], None] | None]:
        try:
            reply, offer = board_accept_init(
                request,
                hello=self.connection.hello_exchange,
                device_key=self.device_key,
                device_certificate=self.device_cert,
                authority_key=AUTHORITY.public_key(),
                revoked=self.revoked,
                now=self.now,
            )
        except HandshakeFailed as failure:
            self.refusals.append(failure.reason)
            return ErrorResponse(ErrorCode.NOT_ALLOWED, f"session refused: {failure}"[:200]), None
        self.offer = offer

        def install_keys() -> None:  # after the plaintext answer is queued
            self.connection.cipher = offer.cipher

        return reply, install_keys

    def _auth(
        self, request: SessionAuthRequest, encrypted: bool
    ) -> tuple[Response, Callable[[], None] | None]:
        offer = self.offer
        if offer is None or not encrypted:
            return ErrorResponse(ErrorCode.NOT_ALLOWED, "SESSION_INIT first, encrypted"), None
        try:
            board_check_auth(offer, request)
        except HandshakeFailed as failure:
            self.refusals.append(failure.reason)
            self.offer = None
            return ErrorResponse(ErrorCode.NOT_ALLOWED, "session refused"), (
                lambda: self.connection.end_session("technician signature refused")
            )
        self.established = True
        return SessionAuthResponse(int(offer.technician.qualifications), 600, NOW), None


class Link:
    """A tool and a board, the bytes between them moved (lost, changed) by hand."""

    def __init__(self, board: Board | None = None) -> None:
        self.clock = FakeClock()
        self.tool = ToolConnection(self.clock, initial_seq=0x0100)
        self.board = board or Board()

    def to_board(self, *, drop: bool = False) -> list[bytes]:
        frames = frames_of(self.tool.data_to_send())
        if not drop:
            for frame in frames:
                self.board.connection.receive_data(frame)
        return frames

    def to_tool(self, *, drop: bool = False) -> list[bytes]:
        frames = frames_of(self.board.connection.data_to_send())
        if not drop:
            for frame in frames:
                self.tool.receive_data(frame)
        return frames

    def tool_events(self) -> list[Any]:
        return list(iter(self.tool.next_event, None))

    def board_events(self) -> list[Any]:
        return list(iter(self.board.connection.next_event, None))

    def exchange(self, request: Request) -> Any:
        """Send ``request``, let the board answer, return the tool's one event."""
        self.tool.send_request(request, timeout_s=5.0)
        self.to_board()
        self.board.serve()
        self.to_tool()
        (event,) = self.tool_events()
        return event

    def hello(self) -> None:
        event = self.exchange(self.tool.hello())
        assert isinstance(event, ResponseReceived)
        assert isinstance(event.response, HelloResponse)

    def start_handshake(
        self, certificate_bytes: bytes | None = None, signer: Ed25519PrivateKey = TECHNICIAN
    ) -> tuple[ToolHandshake, Any]:
        """HELLO and SESSION_INIT; return the tool's handshake and the answer event."""
        self.hello()
        handshake = ToolHandshake(
            technician_certificate() if certificate_bytes is None else certificate_bytes,
            signer.sign,
            self.tool.hello_exchange,
        )
        return handshake, self.exchange(handshake.start())

    def open_session(self, **handshake: Any) -> SessionAuthResponse:
        tool_handshake, event = self.start_handshake(**handshake)
        assert isinstance(event, ResponseReceived), event
        reply = event.response
        assert isinstance(reply, SessionInitResponse), reply
        auth, cipher, device = tool_handshake.finish(
            reply, provisioning_key=PROVISIONING.public_key(), expected_serial=SERIAL, now=NOW
        )
        assert device.subject_id == SERIAL
        self.tool.cipher = cipher
        event = self.exchange(auth)
        assert isinstance(event, ResponseReceived), event
        assert isinstance(event.response, SessionAuthResponse), event.response
        assert self.board.established
        return event.response

    def advance_to_deadline(self) -> None:
        deadline = self.tool.next_deadline()
        assert deadline is not None
        self.clock.now_s = max(self.clock.now_s, deadline)
        self.tool.handle_timers()


def session_link() -> Link:
    link = Link()
    link.open_session()
    assert link.tool_events() == [] and link.board_events() == []
    return link


def flags_of(wire: bytes) -> int:
    return unwire(wire)[2]


# --- the handshake and the encrypted link -----------------------------------------------------


def test_handshake_opens_a_session_and_requests_travel_encrypted() -> None:
    link = Link()
    granted = link.open_session()
    assert granted == SessionAuthResponse(0x03, 600, NOW)
    assert link.tool.cipher is not None and link.board.connection.cipher is not None

    seq = link.tool.send_request(PingRequest(b"secret payload"), timeout_s=1.0)
    (request_wire,) = link.to_board()
    assert flags_of(request_wire) == Flags.ENCRYPTED
    assert b"secret payload" not in request_wire
    frame = unwire(request_wire)
    assert len(frame) == HEADER_SIZE + len(b"secret payload") + CIPHER_OVERHEAD
    (received,) = link.board.serve()
    assert isinstance(received, RequestReceived)
    assert received.encrypted and received.request == PingRequest(b"secret payload")
    (answer_wire,) = link.to_tool()
    assert flags_of(answer_wire) == Flags.RESPONSE | Flags.ENCRYPTED
    assert b"secret payload" not in answer_wire
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.seq == seq
    assert event.response == PingResponse(b"secret payload")


def test_privileged_request_is_served_only_inside_the_session() -> None:
    plain = Link()
    plain.hello()
    refused = plain.exchange(RecoveryChallengeRequest())
    assert isinstance(refused.response, ErrorResponse)
    assert refused.response.code == ErrorCode.NOT_ALLOWED
    link = session_link()
    event = link.exchange(RecoveryChallengeRequest())
    assert isinstance(event, ResponseReceived) and event.response == CHALLENGE


def test_events_inside_a_session_are_encrypted_and_read_by_the_tool() -> None:
    link = session_link()
    link.board.connection.send_event(LockEvent(EventKind.SESSION_OPENED, NOW, 4242))
    (wire,) = link.to_tool()
    assert flags_of(wire) == Flags.ENCRYPTED
    (event,) = link.tool_events()
    assert isinstance(event, LockEventReceived)
    assert event.event == LockEvent(EventKind.SESSION_OPENED, NOW, 4242)


def test_counters_strictly_increase_in_each_direction() -> None:
    link = session_link()
    sent: list[int] = []
    answered: list[int] = []
    for n in range(5):
        link.tool.send_request(PingRequest(bytes([n])), timeout_s=1.0)
        sent += [int.from_bytes(unwire(w)[5:13], "little") for w in link.to_board()]
        link.board.serve()
        answered += [int.from_bytes(unwire(w)[5:13], "little") for w in link.to_tool()]
    assert sent == [2, 3, 4, 5, 6]  # SESSION_AUTH was 1
    assert answered == [2, 3, 4, 5, 6]
    assert all(isinstance(e, ResponseReceived) for e in link.tool_events())


def test_line_noise_costs_a_frame_but_never_the_session() -> None:
    link = session_link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=5.0)
    (wire,) = link.to_board(drop=True)
    noisy = bytearray(wire)
    noisy[7] ^= 0x10 if noisy[7] != 0x10 else 0x20  # the CRC catches it before the AEAD
    link.board.connection.receive_data(bytes(noisy))
    (event,) = link.board_events()
    assert isinstance(event, FrameRejected) and not isinstance(event.error, SessionBroken)
    assert link.board.connection.cipher is not None
    link.advance_to_deadline()
    link.to_board()
    link.board.serve()
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq and answer.attempts == 2


# --- forged frames ----------------------------------------------------------------------------

TAMPERINGS: dict[str, Callable[[bytearray], Any]] = {
    "version": lambda f: f.__setitem__(0, f[0] ^ 0x02),
    "type": lambda f: f.__setitem__(1, f[1] ^ 0x01),
    "flag_retransmit": lambda f: f.__setitem__(2, f[2] ^ int(Flags.RETRANSMIT)),
    "seq": lambda f: f.__setitem__(3, f[3] ^ 0x01),
    "counter_up": lambda f: f.__setitem__(5 + 4, f[5 + 4] ^ 0x01),
    "ciphertext": lambda f: f.__setitem__(13, f[13] ^ 0x80),
    "tag_first": lambda f: f.__setitem__(len(f) - 16, f[len(f) - 16] ^ 0x01),
    "tag_last": lambda f: f.__setitem__(len(f) - 1, f[len(f) - 1] ^ 0x80),
    "byte_appended": lambda f: f.append(0x42),
    "ciphertext_cut": lambda f: f.__delitem__(13),
}


@pytest.mark.parametrize("where", TAMPERINGS)
def test_forged_request_ends_the_session_on_the_board(where: str) -> None:
    link = session_link()
    link.tool.send_request(PingRequest(b"open sesame"), timeout_s=5.0)
    (wire,) = link.to_board(drop=True)
    link.board.connection.receive_data(rewire(wire, TAMPERINGS[where]))
    events = link.board.serve()
    assert [type(e) for e in events] == [SessionEnded, FrameRejected]
    assert isinstance(events[1].error, SessionBroken)
    assert link.board.connection.cipher is None
    assert link.board.executed == Counter({0x0101: 1, 0x0102: 1}), "HELLO/INIT/AUTH only"
    assert link.board.connection.data_to_send() == b"", "a forged frame is never answered"
    # The genuine frame, arriving after, is refused in the clear: the keys are gone.
    link.board.connection.receive_data(wire)
    (refusal,) = link.board_events()
    assert isinstance(refusal, FrameRejected) and isinstance(refusal.error, BadMessage)
    assert isinstance(refusal.error.error, NotInSession)
    (reply,) = link.to_tool(drop=True)
    decoded = decode_message(unwire(reply))
    assert decoded.flags == Flags.RESPONSE
    assert isinstance(decoded.message, ErrorResponse)
    assert decoded.message.code == ErrorCode.NOT_ALLOWED


@pytest.mark.parametrize("where", TAMPERINGS)
def test_forged_answer_ends_the_session_and_aborts_the_request(where: str) -> None:
    link = session_link()
    ping = link.tool.send_request(PingRequest(b"one"), timeout_s=5.0)
    other = link.tool.send_request(PingRequest(b"two"), timeout_s=5.0)
    link.to_board()
    link.board.serve()
    first, second = link.to_tool(drop=True)
    link.tool.receive_data(rewire(first, TAMPERINGS[where]))
    events = link.tool_events()
    assert [type(e) for e in events] == [
        SessionEnded,
        RequestAborted,
        RequestAborted,
        FrameRejected,
    ]
    assert {e.seq for e in events[1:3]} == {ping, other}
    assert isinstance(events[3].error, SessionBroken)
    assert link.tool.cipher is None and link.tool.outstanding == 0
    # The other, genuine answer is no longer taken: the keys are gone.
    link.tool.receive_data(second)
    (late,) = link.tool_events()
    assert isinstance(late, FrameRejected) and isinstance(late.error, BadMessage)
    assert isinstance(late.error.error, NotInSession)


def test_clearing_the_encrypted_flag_does_not_pass_ciphertext_off_as_plaintext() -> None:
    link = session_link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=5.0)
    link.to_board()
    link.board.serve()
    (wire,) = link.to_tool(drop=True)
    link.tool.receive_data(rewire(wire, lambda f: f.__setitem__(2, f[2] & ~Flags.ENCRYPTED)))
    (event,) = link.tool_events()
    assert isinstance(event, FrameRejected)
    assert link.tool.outstanding == 1, "no answer was taken"
    link.tool.receive_data(wire)
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq


def test_session_ended_is_reported_once() -> None:
    link = session_link()
    link.tool.send_request(StatusRequest(), timeout_s=5.0)
    (wire,) = link.to_board(drop=True)
    forged = rewire(wire, TAMPERINGS["tag_last"])
    link.board.connection.receive_data(forged)
    link.board.connection.receive_data(forged)
    events = link.board_events()
    assert sum(isinstance(e, SessionEnded) for e in events) == 1


# --- replayed, reordered, truncated -----------------------------------------------------------


def test_replayed_request_is_rejected_and_ends_the_session() -> None:
    link = session_link()
    seq = link.tool.send_request(RecoveryChallengeRequest(), timeout_s=5.0)
    (wire,) = link.to_board()
    link.board.serve()
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq
    link.board.connection.receive_data(wire)  # an eavesdropper sends it again
    events = link.board.serve()
    assert [type(e) for e in events] == [SessionEnded, FrameRejected]
    assert "replayed or reordered" in str(events[1].error)
    assert link.board.executed[seq] == 1, "carried out once"
    assert link.board.connection.data_to_send() == b"", "not even from the reply cache"


def test_replayed_answer_is_rejected_and_ends_the_session() -> None:
    link = session_link()
    link.tool.send_request(StatusRequest(), timeout_s=5.0)
    link.to_board()
    link.board.serve()
    (old_answer,) = link.to_tool()
    link.tool_events()
    pending = link.tool.send_request(StatusRequest(), timeout_s=5.0)
    link.tool.receive_data(old_answer)  # the old answer, replayed as if for the new request
    events = link.tool_events()
    assert [type(e) for e in events] == [SessionEnded, RequestAborted, FrameRejected]
    assert events[1].seq == pending
    assert isinstance(events[2].error, SessionBroken)


def test_reordered_requests_are_rejected_and_end_the_session() -> None:
    link = session_link()
    first = link.tool.send_request(PingRequest(b"first"), timeout_s=5.0)
    second = link.tool.send_request(PingRequest(b"second"), timeout_s=5.0)
    wire_first, wire_second = link.to_board(drop=True)
    link.board.connection.receive_data(wire_second)
    link.board.connection.receive_data(wire_first)
    events = link.board.serve()
    assert [type(e) for e in events] == [RequestReceived, SessionEnded, FrameRejected]
    assert events[0].seq == second
    assert link.board.executed[first] == 0
    # The answer to the accepted request was due under keys that are gone: it goes out as a
    # plaintext NOT_ALLOWED, never as the plaintext answer.
    (reply,) = link.to_tool(drop=True)
    assert b"second" not in reply
    decoded = decode_message(unwire(reply))
    assert decoded.flags == Flags.RESPONSE and decoded.seq == second
    assert decoded.message == ErrorResponse(ErrorCode.NOT_ALLOWED, "the secure session ended")


def test_reordered_answers_are_rejected_and_end_the_session() -> None:
    link = session_link()
    first = link.tool.send_request(PingRequest(b"first"), timeout_s=5.0)
    second = link.tool.send_request(PingRequest(b"second"), timeout_s=5.0)
    link.to_board()
    link.board.serve()
    answer_first, answer_second = link.to_tool(drop=True)
    link.tool.receive_data(answer_second)
    link.tool.receive_data(answer_first)
    events = link.tool_events()
    assert [type(e) for e in events] == [
        ResponseReceived,
        SessionEnded,
        RequestAborted,
        FrameRejected,
    ]
    assert events[0].seq == second and events[2].seq == first


def test_lost_frames_leave_gaps_that_are_accepted() -> None:
    """Counters must increase, not follow one another: a lost frame is not an attack."""
    link = session_link()
    lost = link.tool.send_request(PingRequest(b"lost"), timeout_s=5.0)
    link.to_board(drop=True)
    link.tool.cancel(lost)
    seq = link.tool.send_request(PingRequest(b"kept"), timeout_s=5.0)
    link.to_board()
    link.board.serve()
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.seq == seq
    assert link.board.connection.cipher is not None


@pytest.mark.parametrize("keep", [0, 1, 8, CIPHER_OVERHEAD - 1, CIPHER_OVERHEAD, 30])
def test_truncated_encrypted_body_ends_the_session(keep: int) -> None:
    link = session_link()
    link.tool.send_request(PingRequest(b"twelve bytes"), timeout_s=5.0)
    (wire,) = link.to_board(drop=True)
    link.board.connection.receive_data(
        rewire(wire, lambda f: f.__delitem__(slice(HEADER_SIZE + keep, None)))
    )
    events = link.board.serve()
    assert [type(e) for e in events] == [SessionEnded, FrameRejected]
    if keep < CIPHER_OVERHEAD:
        assert "truncated" in str(events[1].error)
    assert link.board.connection.data_to_send() == b""


# --- resends, the reply cache and plaintext answers -------------------------------------------


def test_lost_encrypted_answer_is_resent_from_the_cache_sealed_afresh() -> None:
    link = session_link()
    seq = link.tool.send_request(RecoveryChallengeRequest(), timeout_s=5.0)
    (request,) = link.to_board()
    link.board.serve()
    (lost,) = link.to_tool(drop=True)
    link.advance_to_deadline()
    (resend,) = link.to_board()
    assert flags_of(resend) == Flags.ENCRYPTED | Flags.RETRANSMIT
    assert unwire(resend)[5:13] != unwire(request)[5:13], "the resend has a counter of its own"
    assert link.board.serve() == [], "the resend is not carried out a second time"
    assert link.board.executed[seq] == 1 and link.board.connection.duplicates == 1
    (again,) = link.to_tool()
    assert again != lost
    assert unwire(again)[:5] == unwire(lost)[:5], "same header"
    counters = [int.from_bytes(unwire(w)[5:13], "little") for w in (lost, again)]
    assert counters[1] == counters[0] + 1, "a fresh counter: none is ever used twice"
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.seq == seq
    assert event.response == CHALLENGE and event.attempts == 2
    assert link.tool.cipher is not None, "no session lost"
    # The first answer turning up late is a replay now, and is refused as one.
    link.tool.receive_data(lost)
    assert [type(e) for e in link.tool_events()] == [SessionEnded, FrameRejected]


def test_lost_encrypted_request_is_carried_out_once_after_the_resend() -> None:
    link = session_link()
    seq = link.tool.send_request(RecoveryChallengeRequest(), timeout_s=5.0)
    link.to_board(drop=True)
    link.advance_to_deadline()
    link.to_board()
    events = link.board.serve()
    assert [type(e) for e in events] == [RequestReceived] and events[0].encrypted
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.attempts == 2
    assert link.board.executed[seq] == 1


def test_plaintext_answer_to_an_encrypted_request_is_ignored() -> None:
    link = session_link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=5.0)
    link.to_board()
    forged = encode_frame(
        bytes([1, 0x03, Flags.RESPONSE]) + seq.to_bytes(2, "little") + bytes(17)
    )  # a well-formed plaintext STATUS answer with that seq
    link.tool.receive_data(forged)
    (event,) = link.tool_events()
    assert isinstance(event, FrameRejected) and isinstance(event.error, UnexpectedMessage)
    assert link.tool.outstanding == 1 and link.tool.cipher is not None
    link.board.serve()
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.response == status()


def test_answer_to_a_plaintext_request_stays_plaintext_in_a_session() -> None:
    """A request sent before the session began is answered the way it came."""
    link = Link()
    link.hello()
    seq = link.tool.send_request(StatusRequest(), timeout_s=5.0)
    (plain_request,) = link.to_board(drop=True)
    link.open_session()
    link.board.connection.receive_data(plain_request)
    (event,) = link.board.serve()
    assert isinstance(event, RequestReceived) and not event.encrypted
    (reply,) = link.to_tool()
    assert flags_of(reply) == Flags.RESPONSE
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq


def test_encrypted_answer_is_never_sent_in_the_clear_after_the_session_ends() -> None:
    link = session_link()
    seq = link.tool.send_request(RecoveryChallengeRequest(), timeout_s=5.0)
    link.to_board()
    (received,) = link.board_events()
    link.board.connection.end_session("idle timeout")
    link.board.connection.send_response(seq, CHALLENGE)
    (reply,) = link.to_tool(drop=True)
    decoded = decode_message(unwire(reply))
    assert decoded.message == ErrorResponse(ErrorCode.NOT_ALLOWED, "the secure session ended")
    assert CHALLENGE.challenge.encode() not in reply
    assert isinstance(received, RequestReceived)


# --- SESSION_END and HELLO --------------------------------------------------------------------


def test_session_end_answers_encrypted_then_both_sides_forget_the_keys() -> None:
    link = session_link()
    outstanding = link.tool.send_request(PingRequest(b"in flight"), timeout_s=5.0)
    link.to_board(drop=True)
    link.tool.send_request(SessionEndRequest(), timeout_s=5.0)
    (wire,) = link.to_board()
    assert [type(e) for e in link.board.serve()] == [RequestReceived]
    assert [type(e) for e in link.board_events()] == [SessionEnded]  # once the answer is out
    (reply,) = link.to_tool()
    assert flags_of(reply) == Flags.RESPONSE | Flags.ENCRYPTED
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.response == SessionEndResponse()
    link.tool.end_session("closed by the technician")
    events = link.tool_events()
    assert [type(e) for e in events] == [SessionEnded, RequestAborted]
    assert events[1].seq == outstanding
    # After the session: plaintext again, and the old keys are useless to a replayer.
    event = link.exchange(StatusRequest())
    assert isinstance(event, ResponseReceived) and event.response == status()
    link.board.connection.receive_data(wire)
    (refused,) = link.board_events()
    assert isinstance(refused, FrameRejected) and isinstance(refused.error, BadMessage)
    assert isinstance(refused.error.error, NotInSession)


def test_hello_ends_the_session_on_both_sides() -> None:
    link = session_link()
    in_flight = link.tool.send_request(RecoveryChallengeRequest(), timeout_s=5.0)
    (old_request,) = link.to_board(drop=True)
    link.tool.end_session("a new link session (HELLO)")  # as LockClient does before HELLO
    assert [type(e) for e in link.tool_events()] == [SessionEnded, RequestAborted]
    seq = link.tool.send_request(link.tool.hello(), timeout_s=1.0)
    (hello,) = link.to_board()
    assert flags_of(hello) == 0, "HELLO goes in plaintext"
    events = link.board.serve()
    assert [type(e) for e in events] == [SessionEnded, HelloReceived]
    assert link.board.connection.cipher is None
    (reply,) = link.to_tool()
    assert flags_of(reply) == Flags.RESPONSE
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq
    # A frame of the old session arriving now is refused in the clear, never carried out.
    link.board.connection.receive_data(old_request)
    (refused,) = link.board.serve()
    assert isinstance(refused, FrameRejected)
    assert link.board.executed[in_flight] == 0


def test_an_encrypted_hello_also_ends_the_board_session() -> None:
    """Our tool sends HELLO in clear; another tool might encrypt it: the board copes."""
    link = session_link()
    hello = link.tool._encode(link.tool.hello(), 77, Flags.NONE, encrypt=True)
    assert flags_of(hello) & Flags.ENCRYPTED
    link.board.connection.receive_data(hello)
    events = link.board.serve()
    assert [type(e) for e in events] == [SessionEnded, HelloReceived]
    (reply,) = link.to_tool(drop=True)
    assert flags_of(reply) == Flags.RESPONSE, "HELLO is answered in plaintext"


def test_tool_ends_its_session_by_itself_when_it_sends_hello() -> None:
    link = session_link()
    link.tool.send_request(link.tool.hello(), timeout_s=1.0)
    link.to_board()
    link.board.serve()
    link.to_tool()
    events = link.tool_events()
    assert SessionEnded in [type(e) for e in events]
    assert any(isinstance(e, ResponseReceived) for e in events)


# --- certificates the handshake must refuse ---------------------------------------------------


def finish(link: Link, tool_handshake: ToolHandshake, event: Any) -> None:
    assert isinstance(event, ResponseReceived) and isinstance(event.response, SessionInitResponse)
    tool_handshake.finish(
        event.response,
        provisioning_key=PROVISIONING.public_key(),
        expected_serial=SERIAL,
        now=NOW,
    )


ISSUER = "not issued by the trusted key"


@pytest.mark.parametrize(
    ("device_cert", "device_key", "complaint"),
    [
        (device_certificate(subject_id="SL-0000-0666"), DEVICE, "SL-0000-0666"),
        (certificate(CertificateKind.DEVICE, DEVICE, STRANGER, subject_id=SERIAL), DEVICE, ISSUER),
        (certificate(CertificateKind.DEVICE, DEVICE, AUTHORITY, subject_id=SERIAL), DEVICE, ISSUER),
        (device_certificate(not_after=NOW - 1), DEVICE, "not valid now"),
        (device_certificate(not_before=NOW + 1), DEVICE, "not valid now"),
        (certificate(CertificateKind.TECHNICIAN, DEVICE, PROVISIONING), DEVICE, "device"),
        (device_certificate(), STRANGER, "device key"),  # a clone without the device key
        (b"\x00" * 120, DEVICE, "malformed"),
    ],
    ids=[
        "other_serial",
        "wrong_signer",
        "signed_by_authority",
        "expired",
        "not_yet_valid",
        "technician_kind",
        "no_device_key",
        "garbage",
    ],
)
def test_tool_refuses_a_board_it_cannot_trust(
    device_cert: bytes, device_key: Ed25519PrivateKey, complaint: str
) -> None:
    link = Link(Board(device_cert=device_cert, device_key=device_key))
    tool_handshake, event = link.start_handshake()
    with pytest.raises(HandshakeFailed, match=complaint):
        finish(link, tool_handshake, event)
    assert link.tool.cipher is None


@pytest.mark.parametrize(
    ("technician_cert", "revoked", "reason"),
    [
        (technician_certificate(not_after=NOW - 1), frozenset(), RefusalReason.EXPIRED),
        (technician_certificate(not_before=NOW + 60), frozenset(), RefusalReason.EXPIRED),
        (technician_certificate(), frozenset({17, 4242}), RefusalReason.REVOKED),
        (
            certificate(CertificateKind.TECHNICIAN, TECHNICIAN, STRANGER),
            frozenset(),
            RefusalReason.BAD_SIGNATURE,
        ),
        (
            certificate(CertificateKind.TECHNICIAN, TECHNICIAN, PROVISIONING),
            frozenset(),
            RefusalReason.BAD_SIGNATURE,
        ),
        (
            certificate(CertificateKind.DEVICE, TECHNICIAN, AUTHORITY),
            frozenset(),
            RefusalReason.BAD_SIGNATURE,
        ),
        (b"SLC1" + bytes(100), frozenset(), RefusalReason.BAD_CERTIFICATE),
        (b"", frozenset(), RefusalReason.BAD_CERTIFICATE),
    ],
    ids=[
        "expired",
        "not_yet_valid",
        "revoked",
        "wrong_issuer",
        "signed_by_manufacturer",
        "device_kind",
        "malformed",
        "empty",
    ],
)
def test_board_refuses_a_technician_it_cannot_trust(
    technician_cert: bytes, revoked: frozenset[int], reason: RefusalReason
) -> None:
    link = Link(Board(revoked=revoked))
    _, event = link.start_handshake(technician_cert)
    assert isinstance(event, ResponseReceived)
    assert isinstance(event.response, ErrorResponse)
    assert event.response.code == ErrorCode.NOT_ALLOWED
    assert link.board.refusals == [reason]
    assert link.board.connection.cipher is None and link.board.offer is None
    # And directly: the reason travels in the exception.
    with pytest.raises(HandshakeFailed) as caught:
        board_accept_init(
            ToolHandshake(technician_cert, TECHNICIAN.sign, HELLO).start(),
            hello=HELLO,
            device_key=DEVICE,
            device_certificate=device_certificate(),
            authority_key=AUTHORITY.public_key(),
            revoked=revoked,
            now=NOW,
        )
    assert caught.value.reason == reason


def test_certificate_validity_is_inclusive_at_both_ends() -> None:
    for now in (NOW - 3600, NOW + YEAR_S):
        board_accept_init(
            ToolHandshake(technician_certificate(), TECHNICIAN.sign, HELLO).start(),
            hello=HELLO,
            device_key=DEVICE,
            device_certificate=device_certificate(),
            authority_key=AUTHORITY.public_key(),
            revoked=frozenset(),
            now=now,
        )


def test_a_certificate_that_does_not_verify_says_why() -> None:
    certificate = Certificate.decode(technician_certificate())
    reasons = {
        "expected a device certificate": (AUTHORITY, CertificateKind.DEVICE, certificate),
        "certificate was not issued by the trusted key": (
            STRANGER,
            CertificateKind.TECHNICIAN,
            certificate,
        ),
        "certificate signature is not valid": (
            AUTHORITY,
            CertificateKind.TECHNICIAN,
            dataclasses.replace(certificate, signature=bytes(64)),
        ),
    }
    for reason, (issuer, kind, offered) in reasons.items():
        with pytest.raises(CertificateError) as refused:
            offered.verify(issuer.public_key(), now=NOW, kind=kind)
        assert str(refused.value) == reason


def test_a_certificate_is_encoded_once_signed_and_signing_again_replaces_its_signature() -> None:
    signed = Certificate.decode(technician_certificate())
    with pytest.raises(ValueError, match=r"^sign the certificate before encoding it$"):
        dataclasses.replace(signed, signature=b"").encode()
    again = signed.signed_by(AUTHORITY)  # over the same bytes: Ed25519 signs deterministically
    assert again.signature == signed.signature and again.encode() == signed.encode()


def test_technician_without_the_certified_key_is_refused_at_session_auth() -> None:
    link = Link()
    tool_handshake, event = link.start_handshake(signer=STRANGER)  # a stolen certificate
    assert isinstance(event.response, SessionInitResponse)
    auth, cipher, _ = tool_handshake.finish(
        event.response, provisioning_key=PROVISIONING.public_key(), expected_serial=SERIAL, now=NOW
    )
    link.tool.cipher = cipher
    answer = link.exchange(auth)
    assert isinstance(answer.response, ErrorResponse)
    assert answer.response.code == ErrorCode.NOT_ALLOWED
    assert link.board.refusals == [RefusalReason.BAD_SIGNATURE]
    assert not link.board.established and link.board.connection.cipher is None


def accept(init: SessionInitRequest) -> tuple[SessionInitResponse, BoardSessionOffer]:
    """The board's half of a handshake on the link of ``HELLO``, with the test PKI."""
    return board_accept_init(
        init,
        hello=HELLO,
        device_key=DEVICE,
        device_certificate=device_certificate(),
        authority_key=AUTHORITY.public_key(),
        revoked=frozenset(),
        now=NOW,
    )


def test_session_auth_signature_for_another_transcript_is_refused() -> None:
    """A signature from another handshake (replayed SESSION_AUTH) does not verify."""
    first = ToolHandshake(technician_certificate(), TECHNICIAN.sign, HELLO)
    _, offer_one = accept(first.start())
    second = ToolHandshake(technician_certificate(), TECHNICIAN.sign, HELLO)
    reply_two, offer_two = accept(second.start())
    auth_two, _, _ = second.finish(
        reply_two, provisioning_key=PROVISIONING.public_key(), expected_serial=SERIAL, now=NOW
    )
    board_check_auth(offer_two, auth_two)
    with pytest.raises(HandshakeFailed) as caught:
        board_check_auth(offer_one, auth_two)
    assert caught.value.reason == RefusalReason.BAD_SIGNATURE


# --- a man in the middle ----------------------------------------------------------------------


def _x25519_public() -> bytes:
    key = X25519PrivateKey.generate().public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize(
    "swap",
    ["tool_ephemeral", "board_ephemeral", "tool_nonce", "board_nonce", "both_ephemerals"],
)
def test_man_in_the_middle_swapping_handshake_values_is_caught(swap: str) -> None:
    """The attacker replaces ephemeral keys (to hold each side's secret) or nonces; the board's
    signature covers the transcript, so the tool notices before it sends anything secret."""
    tool = ToolHandshake(technician_certificate(), TECHNICIAN.sign, HELLO)
    init = tool.start()
    if swap in ("tool_ephemeral", "both_ephemerals"):
        init = dataclasses.replace(init, ephemeral_key=_x25519_public())
    if swap == "tool_nonce":
        init = dataclasses.replace(init, nonce=bytes(16))
    reply, _ = accept(init)
    if swap in ("board_ephemeral", "both_ephemerals"):
        reply = dataclasses.replace(reply, ephemeral_key=_x25519_public())
    if swap == "board_nonce":
        reply = dataclasses.replace(reply, nonce=bytes(16))
    with pytest.raises(HandshakeFailed, match="device key"):
        tool.finish(
            reply, provisioning_key=PROVISIONING.public_key(), expected_serial=SERIAL, now=NOW
        )


def test_man_in_the_middle_on_the_link_gets_no_session() -> None:
    """The same attack through the connections: the board answers, the tool refuses."""
    link = Link()
    link.hello()
    tool_handshake = ToolHandshake(
        technician_certificate(), TECHNICIAN.sign, link.tool.hello_exchange
    )
    link.tool.send_request(tool_handshake.start(), timeout_s=5.0)
    (wire,) = link.to_board(drop=True)
    attacker_key = _x25519_public()
    link.board.connection.receive_data(
        rewire(wire, lambda f: f.__setitem__(slice(5, 37), attacker_key))
    )
    link.board.serve()
    link.to_tool()
    (event,) = link.tool_events()
    with pytest.raises(HandshakeFailed):
        finish(link, tool_handshake, event)


@pytest.mark.parametrize("index", range(len(HELLO)))
def test_every_byte_of_the_hello_exchange_is_bound_into_the_session(index: int) -> None:
    """Issue 19, finding 7: a tool and a board that saw different HELLOs (a version range, a
    frame limit or a boot id rewritten on the way) never agree on a session."""
    seen_by_tool = bytearray(HELLO)
    seen_by_tool[index] ^= 0x01
    tool = ToolHandshake(technician_certificate(), TECHNICIAN.sign, bytes(seen_by_tool))
    reply, _ = accept(tool.start())
    with pytest.raises(HandshakeFailed, match="HELLO"):
        tool.finish(
            reply, provisioning_key=PROVISIONING.public_key(), expected_serial=SERIAL, now=NOW
        )


@pytest.mark.parametrize("rewritten", ["tool's HELLO", "board's HELLO"])
def test_man_in_the_middle_rewriting_hello_gets_no_session(rewritten: str) -> None:
    """The downgrade attack on the link: the attacker rewrites the tool's HELLO (its frame
    limit here; a version range tomorrow) or the board's answer. Both ends carry on with what
    they saw, and the tool refuses the board's signature before it sends anything secret."""
    link = Link()
    link.tool.send_request(link.tool.hello(), timeout_s=5.0)
    smaller = (512).to_bytes(2, "little")
    if rewritten == "tool's HELLO":  # body: min_version, max_version, max_frame
        (wire,) = link.to_board(drop=True)
        link.board.connection.receive_data(
            rewire(wire, lambda f: f.__setitem__(slice(7, 9), smaller))
        )
        link.board.serve()
        link.to_tool()
    else:  # body: version, min_version, max_version, max_frame, boot_id
        link.to_board()
        link.board.serve()
        (wire,) = link.to_tool(drop=True)
        link.tool.receive_data(rewire(wire, lambda f: f.__setitem__(slice(8, 10), smaller)))
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and isinstance(event.response, HelloResponse)
    assert link.tool.hello_exchange != link.board.connection.hello_exchange
    tool_handshake = ToolHandshake(
        technician_certificate(), TECHNICIAN.sign, link.tool.hello_exchange
    )
    event = link.exchange(tool_handshake.start())
    with pytest.raises(HandshakeFailed, match="HELLO"):
        finish(link, tool_handshake, event)


def test_both_ends_bind_the_hello_they_exchanged() -> None:
    """Without an attacker the two ends hold the same 13 bytes, and the session opens."""
    link = Link()
    link.open_session()
    assert len(link.tool.hello_exchange) == 13
    assert link.tool.hello_exchange == link.board.connection.hello_exchange


def test_low_order_ephemeral_key_is_refused() -> None:
    tool = ToolHandshake(technician_certificate(), TECHNICIAN.sign, HELLO)
    init = dataclasses.replace(tool.start(), ephemeral_key=bytes(32))
    with pytest.raises(HandshakeFailed):
        accept(init)


# --- the frame cipher on its own --------------------------------------------------------------


def cipher_pair() -> tuple[FrameCipher, FrameCipher]:
    to_board, to_tool = bytes(range(32)), bytes(range(32, 64))
    return FrameCipher(to_board, to_tool), FrameCipher(to_tool, to_board)


def test_frame_cipher_round_trips_and_binds_the_header() -> None:
    tool, board = cipher_pair()
    header = bytes([1, 3, 4, 9, 0])
    payload = tool.seal(header, b"body")
    assert len(payload) == len(b"body") + CIPHER_OVERHEAD
    assert payload[:8] == (1).to_bytes(8, "little")
    with pytest.raises(SessionBroken):
        board.open(bytes([1, 3, 4, 9, 1]), payload)
    assert board.open(header, payload) == b"body", "a failed open leaves the counter alone"
    with pytest.raises(SessionBroken, match="replayed"):
        board.open(header, payload)


def test_each_direction_has_its_own_key() -> None:
    tool, board = cipher_pair()
    header = bytes([1, 3, 4, 9, 0])
    payload = tool.seal(header, b"body")
    with pytest.raises(SessionBroken):
        tool.open(header, payload)  # a reflected frame: the tool's own, sent back to it
    assert board.open(header, payload) == b"body"


# --- decoders on arbitrary bytes --------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None)
_VALID_CERTIFICATE = technician_certificate()
_VALID_AUTHORISATION = (
    Authorisation(SERIAL, bytes(16), 1, "T-0042", 4242, 9, NOW, NOW + 900)
    .signed_by(AUTHORITY)
    .encode()
)
_VALID_REVOCATIONS = RevocationList(NOW, NOW + 86_400, (1, 2, 4242)).signed_by(AUTHORITY).encode()


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with a few bytes changed, cut off, or added: close to something decodable."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut" and data:
            del data[position]
        elif action == "insert":
            data.insert(position, draw(st.integers(0, 255)))
        else:
            del data[position:]
    return bytes(data)


def _arbitrary(valid: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=400), mutated(valid))


@FUZZ
@given(_arbitrary(_VALID_CERTIFICATE))
def test_certificate_decode_raises_only_certificate_errors(data: bytes) -> None:
    try:
        decoded = Certificate.decode(data)
    except CertificateError as error:  # said in SPEC terms, never the decoding library's (B-9.3)
        assert "Error" not in str(error) and "\n" not in str(error), str(error)
        return
    assert decoded.encode() == data, "what decodes is the one canonical encoding"
    try:
        decoded.verify(AUTHORITY.public_key(), now=NOW, kind=CertificateKind.TECHNICIAN)
    except CertificateError:
        return


@FUZZ
@given(_arbitrary(_VALID_AUTHORISATION))
def test_authorisation_decode_raises_only_recovery_errors(data: bytes) -> None:
    try:
        decoded = Authorisation.decode(data)
    except RecoveryError:
        return
    assert decoded.encode() == data
    try:
        decoded.verify_signature(AUTHORITY.public_key())
    except RecoveryError:
        return


@FUZZ
@given(_arbitrary(_VALID_REVOCATIONS))
def test_revocation_list_decode_raises_only_recovery_errors(data: bytes) -> None:
    try:
        decoded = RevocationList.decode(data)
    except RecoveryError:
        return
    assert decoded.encode() == data
    try:
        decoded.verify_signature(AUTHORITY.public_key())
    except RecoveryError:
        return


def _verify_certificate(data: bytes) -> None:
    Certificate.decode(data).verify(
        AUTHORITY.public_key(), now=NOW, kind=CertificateKind.TECHNICIAN
    )


def _verify_authorisation(data: bytes) -> None:
    Authorisation.decode(data).verify_signature(AUTHORITY.public_key())


def _verify_revocations(data: bytes) -> None:
    RevocationList.decode(data).verify_signature(AUTHORITY.public_key())


@pytest.mark.parametrize(
    ("valid", "verify"),
    [
        (_VALID_CERTIFICATE, _verify_certificate),
        (_VALID_AUTHORISATION, _verify_authorisation),
        (_VALID_REVOCATIONS, _verify_revocations),
    ],
    ids=["certificate", "authorisation", "revocation_list"],
)
def test_every_bit_flip_of_a_signed_object_fails(
    valid: bytes, verify: Callable[[bytes], None]
) -> None:
    """Every single-bit flip of a signed object fails to decode or to verify."""
    verify(valid)
    for position, bit in itertools.product(range(len(valid)), (0, 3, 7)):
        data = bytearray(valid)
        data[position] ^= 1 << bit
        with pytest.raises((CertificateError, RecoveryError)):
            verify(bytes(data))


@FUZZ
@given(st.binary(max_size=8), st.binary(max_size=120), st.integers(0, 3))
def test_frame_cipher_open_raises_only_session_broken(
    header: bytes, payload: bytes, sealed_before: int
) -> None:
    tool, board = cipher_pair()
    for _ in range(sealed_before):
        board.open(bytes(5), tool.seal(bytes(5), b"x"))
    try:
        board.open(header, payload)
    except SessionBroken:
        return
    raise AssertionError("random bytes passed the AEAD")


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 63), st.integers(0, 7))
def test_frame_cipher_open_refuses_every_bit_flip(body: bytes, position: int, bit: int) -> None:
    tool, board = cipher_pair()
    header = bytes([1, 4, 5, 1, 0])
    payload = bytearray(tool.seal(header, body))
    payload[position % len(payload)] ^= 1 << bit
    with pytest.raises(SessionBroken):
        board.open(header, bytes(payload))


def test_session_over_many_frames_never_times_out_or_breaks() -> None:
    """A longer conversation: both counters keep going, nothing is aborted."""
    link = session_link()
    for n in range(40):
        event = link.exchange(PingRequest(n.to_bytes(2, "little") * 20))
        assert isinstance(event, ResponseReceived)
    assert not any(isinstance(e, (RequestTimedOut, RequestAborted)) for e in link.tool_events())


# --- phone-in digits --------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=20))
@example("1²")
@example("٥٧٢٤")  # Arabic-Indic 5724: a valid code, but not in ASCII digits
@example("572-4")
def test_checking_typed_digits_never_raises(text: str) -> None:
    """Whatever a technician (or a tool) sends as digits, the check says yes or no; Unicode
    digits such as '²' or Arabic-Indic ones are not ASCII digits and are refused."""
    digits = normalise_digits(text)
    ok = check_digits_ok(digits)
    if ok:
        assert digits.isascii() and digits.isdigit() and len(digits) >= 2


@FUZZ
@given(st.text("0123456789", min_size=1, max_size=14), st.data())
def test_damm_digit_catches_one_wrong_digit_and_swapped_neighbours(
    digits: str, data: st.DataObject
) -> None:
    code = with_check_digit(digits)
    assert check_digits_ok(code)
    position = data.draw(st.integers(0, len(code) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    assert not check_digits_ok(code[:position] + wrong + code[position + 1 :])
    if position + 1 < len(code) and code[position] != code[position + 1]:
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        assert not check_digits_ok(swapped)
