"""What the connection objects hand back from ``next_event()``: typed, one class per outcome."""

from __future__ import annotations

from dataclasses import dataclass

from protocols.errors import RemoteProtocolError
from protocols.messages import HelloRequest, LockEvent, Request, Response


@dataclass(slots=True)
class RequestReceived:
    """Board side: a new request to carry out and answer with ``send_response(seq, ...)``."""

    seq: int
    request: Request


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
    request: Request
    response: Response
    rtt_s: float
    attempts: int


@dataclass(slots=True)
class RequestTimedOut:
    """Tool side: no answer to request ``seq`` within its ``timeout_s``, retransmits included."""

    seq: int
    request: Request
    attempts: int


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
class FrameRejected:
    """Either side: bytes that were not a valid frame or message. The link carries on."""

    error: RemoteProtocolError


ToolEvent = ResponseReceived | RequestTimedOut | LockEventReceived | StaleResponse | FrameRejected
BoardEvent = RequestReceived | HelloReceived | FrameRejected
