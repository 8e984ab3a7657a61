"""Messages of the secure session (0x10-0x1F) and of lockout recovery (0x20-0x2F).

Layouts are normative here, in prose in SPEC.md sections 11-12. Everything after SESSION_INIT
travels encrypted (header flag ENCRYPTED) under the session keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from construct import Bytes, GreedyBytes, Int8ul, Int16ul, Int32ul, PascalString, Struct

from protocols.catalogue import MsgType, RecoveryMethod, RecoveryResult, RefusalReason
from protocols.messages import AnyRequest, Request, Response

Str8 = PascalString(Int8ul, "utf8")

# --- session ---------------------------------------------------------------------------------


@dataclass(slots=True)
class SessionInitResponse(Response):
    """The board's ephemeral key and nonce, its device certificate, and its signature over the
    handshake transcript (proving it holds the device key)."""

    TYPE = MsgType.SESSION_INIT
    BODY = Struct(
        "ephemeral_key" / Bytes(32),
        "nonce" / Bytes(16),
        "signature" / Bytes(64),
        "certificate" / GreedyBytes,
    )
    ephemeral_key: bytes
    nonce: bytes
    signature: bytes
    certificate: bytes


@dataclass(slots=True)
class SessionInitRequest(Request[SessionInitResponse]):
    """The tool's ephemeral X25519 key, a nonce, and the technician's certificate."""

    TYPE = MsgType.SESSION_INIT
    BODY = Struct("ephemeral_key" / Bytes(32), "nonce" / Bytes(16), "certificate" / GreedyBytes)
    RESPONSE = SessionInitResponse
    ephemeral_key: bytes
    nonce: bytes
    certificate: bytes


@dataclass(slots=True)
class SessionAuthResponse(Response):
    TYPE = MsgType.SESSION_AUTH
    BODY = Struct("qualifications" / Int8ul, "idle_timeout_s" / Int32ul, "board_time_s" / Int32ul)
    qualifications: int
    idle_timeout_s: int
    board_time_s: int


@dataclass(slots=True)
class SessionAuthRequest(Request[SessionAuthResponse]):
    """The technician's signature over the transcript (proves possession of the key)."""

    TYPE = MsgType.SESSION_AUTH
    BODY = Struct("signature" / Bytes(64))
    RESPONSE = SessionAuthResponse
    signature: bytes


@dataclass(slots=True)
class SessionEndResponse(Response):
    TYPE = MsgType.SESSION_END
    BODY = Struct()


@dataclass(slots=True)
class SessionEndRequest(Request[SessionEndResponse]):
    TYPE = MsgType.SESSION_END
    BODY = Struct()
    RESPONSE = SessionEndResponse


@dataclass(slots=True)
class RevocationsResponse(Response):
    """The revocation list the board now holds (its own if the offered one was not newer)."""

    TYPE = MsgType.REVOCATIONS
    BODY = Struct("issued_at" / Int32ul, "next_update" / Int32ul, "count" / Int32ul)
    issued_at: int
    next_update: int
    count: int


@dataclass(slots=True)
class RevocationsRequest(Request[RevocationsResponse]):
    """A signed revocation list for the board to keep if newer than its own (public: the
    authority's signature is what counts, not who carries it)."""

    TYPE = MsgType.REVOCATIONS
    BODY = Struct("revocation_list" / GreedyBytes)
    RESPONSE = RevocationsResponse
    revocation_list: bytes


# --- recovery --------------------------------------------------------------------------------


@dataclass(slots=True)
class RecoveryChallengeResponse(Response):
    TYPE = MsgType.RECOVERY_CHALLENGE
    BODY = Struct(
        "nonce" / Bytes(16),
        "counter" / Int32ul,
        "issued_at" / Int32ul,
        "attempts_left" / Int8ul,
        "serial" / Str8,
        "challenge" / Str8,
    )
    nonce: bytes
    counter: int
    """The board's recovery counter: one higher for every challenge it issues."""
    issued_at: int
    attempts_left: int
    serial: str
    challenge: str
    """The short challenge for the phone-in path: 9 digits and a check digit."""


@dataclass(slots=True)
class RecoveryChallengeRequest(Request[RecoveryChallengeResponse]):
    """Ask for a fresh single-use challenge (replaces any earlier one)."""

    TYPE = MsgType.RECOVERY_CHALLENGE
    BODY = Struct()
    RESPONSE = RecoveryChallengeResponse


@dataclass(slots=True)
class RecoveryAuthoriseResponse(Response):
    TYPE = MsgType.RECOVERY_AUTHORISE
    BODY = Struct(
        "result" / Int8ul,
        "reason" / Int8ul,
        "counter" / Int32ul,
        "attempts_left" / Int8ul,
        "wait_s" / Int16ul,
    )
    result: RecoveryResult
    reason: RefusalReason
    counter: int
    attempts_left: int
    wait_s: int = 0
    """Seconds of the board's lived time before it takes another answer (0: now)."""


@dataclass(slots=True)
class RecoveryAuthoriseRequest(Request[RecoveryAuthoriseResponse]):
    """Online: ``token`` is an encoded Authorisation. Phone: ``digits`` is the read-back code."""

    TYPE = MsgType.RECOVERY_AUTHORISE
    BODY = Struct("method" / Int8ul, "digits" / Str8, "token" / GreedyBytes)
    RESPONSE = RecoveryAuthoriseResponse
    method: RecoveryMethod
    digits: str
    token: bytes


@dataclass(slots=True)
class RecoverySealResponse(Response):
    TYPE = MsgType.RECOVERY_SEAL
    BODY = Struct("counter" / Int32ul, "seal" / Str8)
    counter: int
    seal: str


@dataclass(slots=True)
class RecoverySealRequest(Request[RecoverySealResponse]):
    """After a recovery, once the door is shut and bolted: the close seal to report."""

    TYPE = MsgType.RECOVERY_SEAL
    BODY = Struct()
    RESPONSE = RecoverySealResponse


# --- configuration ---------------------------------------------------------------------------

LOCK_POLICY = Struct(
    "wrong_codes" / Int8ul,
    "window_s" / Int16ul,
    "lockout_s" / Int16ul,
    "hard_after_lockouts" / Int8ul,
    "time_delay_s" / Int16ul,
    "opening_window_s" / Int16ul,
    "dual_control" / Int8ul,
    "answer_valid_min" / Int8ul,
)
"""The lock policy as it travels (SPEC.md): ranges are the board's to enforce."""


@dataclass(slots=True)
class _PolicyResponse(Response):
    """The policy the board now applies (the body of both CONFIG answers)."""

    BODY = LOCK_POLICY
    wrong_codes: int
    window_s: int
    lockout_s: int
    hard_after_lockouts: int
    time_delay_s: int
    opening_window_s: int
    dual_control: int
    answer_valid_min: int


@dataclass(slots=True)
class ConfigResponse(_PolicyResponse):
    TYPE = MsgType.CONFIG_GET


@dataclass(slots=True)
class ConfigGetRequest(Request[ConfigResponse]):
    TYPE = MsgType.CONFIG_GET
    BODY = Struct()
    RESPONSE = ConfigResponse


@dataclass(slots=True)
class ConfigSetResponse(_PolicyResponse):
    TYPE = MsgType.CONFIG_SET


@dataclass(slots=True)
class ConfigSetRequest(Request[ConfigSetResponse]):
    """Replace the whole policy (needs ``configure``); answered with the policy now held."""

    TYPE = MsgType.CONFIG_SET
    BODY = LOCK_POLICY
    RESPONSE = ConfigSetResponse
    wrong_codes: int
    window_s: int
    lockout_s: int
    hard_after_lockouts: int
    time_delay_s: int
    opening_window_s: int
    dual_control: int
    answer_valid_min: int


TRUST_REQUESTS: tuple[type[AnyRequest], ...] = (
    SessionInitRequest,
    SessionAuthRequest,
    SessionEndRequest,
    RevocationsRequest,
    RecoveryChallengeRequest,
    RecoveryAuthoriseRequest,
    RecoverySealRequest,
    ConfigGetRequest,
    ConfigSetRequest,
)
TRUST_RESPONSES: tuple[type[Response], ...] = tuple(r.RESPONSE for r in TRUST_REQUESTS)
PRIVILEGED: frozenset[MsgType] = frozenset(
    {
        MsgType.RECOVERY_CHALLENGE,
        MsgType.RECOVERY_AUTHORISE,
        MsgType.RECOVERY_SEAL,
        MsgType.CONFIG_GET,
        MsgType.CONFIG_SET,
    }
)
"""Requests a board serves only inside an authenticated session (and with the qualification)."""
