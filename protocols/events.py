"""What the connection objects hand back from ``next_event()``: typed, one class per outcome."""

from __future__ import annotations

from dataclasses import dataclass

from protocols.errors import RemoteProtocolError
from protocols.messages import AnyRequest, HelloRequest, LockEvent, Response


@dataclass(slots=True)
class RequestReceived:
    """Board side: a new request to carry out and answer with ``send_response(seq, ...)``."""

    seq: int
    request: AnyRequest
    encrypted: bool = False
    """It came under the session keys (privileged requests must)."""
    link_session: int = 0
    """How many HELLOs the board had answered when it arrived: a HELLO read in the same chunk
    is answered at once, before this event is handled, so what a request binds to (SESSION_INIT:
    the HELLO exchange) is judged by this, not by the connection's state when it is served."""


@dataclass(slots=True)
class HelloReceived:
    """Board side: a HELLO that the connection has already answered (a new link session)."""

    seq: int
    request: HelloRequest
    version: int
    max_frame: int


@dataclass(slots=True)
class ResponseReceived:
    """Tool side: the answer (or ``ErrorResponse``) to the outstanding request ``seq``."""

    seq: int
    request: AnyRequest
    response: Response
    rtt_s: float
    attempts: int


@dataclass(slots=True)
class RequestTimedOut:
    """Tool side: no answer to request ``seq`` within its ``timeout_s``, retransmits included."""

    seq: int
    request: AnyRequest
    attempts: int


@dataclass(slots=True)
class RequestAborted:
    """Tool side: request ``seq`` was sent in a secure session that has ended; it may or may
    not have been carried out."""

    seq: int
    request: AnyRequest
    reason: str


@dataclass(slots=True)
class LockEventReceived:
    """Tool side: an unsolicited EVENT. ``missed`` counts events lost on the link before it."""

    seq: int
    event: LockEvent
    missed: int


@dataclass(slots=True)
class StaleResponse:
    """Tool side: an answer to a request no longer outstanding (timed out, cancelled, repeated).

    It is dropped, never delivered as the answer to another request.
    """

    seq: int
    response: Response


@dataclass(slots=True)
class SessionEnded:
    """Either side: the secure session is over (a forged or replayed frame, HELLO, or END).

    The keys are forgotten; privileged requests need a new session."""

    reason: str
    code: str = ""
    """Why, as a code for an audit trail (``new_link``, ``forged_frame``, ...); ``reason`` is
    the same in English."""


@dataclass(slots=True)
class FrameRejected:
    """Either side: bytes that were not a valid frame or message. The link carries on."""

    error: RemoteProtocolError


ToolEvent = (
    ResponseReceived
    | RequestTimedOut
    | RequestAborted
    | LockEventReceived
    | StaleResponse
    | FrameRejected
    | SessionEnded
)
BoardEvent = RequestReceived | HelloReceived | FrameRejected | SessionEnded
