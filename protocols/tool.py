"""The tool's end of the link, sans-IO: requests out, answers matched, resends and deadlines.

Time comes from an injected ``clock`` (seconds, monotonic). The caller writes whatever
``data_to_send()`` returns, feeds received bytes to ``receive_data()``, drains ``next_event()``,
and calls ``handle_timers()`` at ``next_deadline()`` (or sooner). Answers are matched to
requests by sequence number; an answer to a request that is no longer outstanding is reported
as ``StaleResponse`` and never taken for another request's answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from protocols.catalogue import (
    ABSOLUTE_MAX_FRAME,
    MAX_PROTOCOL_VERSION,
    MIN_MAX_FRAME,
    MIN_PROTOCOL_VERSION,
    ErrorCode,
    Flags,
)
from protocols.codec import HEADER_SIZE, Decoded, fixed_body_size
from protocols.endpoint import Endpoint
from protocols.errors import (
    FrameCorrupt,
    FrameTooShort,
    LocalProtocolError,
    RemoteProtocolError,
    UnexpectedMessage,
)
from protocols.events import (
    LockEventReceived,
    RequestAborted,
    RequestTimedOut,
    ResponseReceived,
    StaleResponse,
    ToolEvent,
)
from protocols.framing import CRC_SIZE, cobs_overhead
from protocols.messages import (
    AnyRequest,
    ErrorResponse,
    HelloRequest,
    HelloResponse,
    LockEvent,
    Response,
)
from protocols.retransmit import RetransmitPolicy, RttEstimator
from protocols.session import CIPHER_OVERHEAD, hello_exchange

DEFAULT_TOOL_MAX_FRAME = ABSOLUTE_MAX_FRAME
MAX_OUTSTANDING = 64
"""Requests in flight at once; the board's reply cache holds this many answers (SPEC.md 7.2)."""


@dataclass(slots=True)
class _Outstanding:
    request: AnyRequest
    encrypted: bool
    """Sent under the session keys; its resends and its answer must be too."""
    first_sent_s: float
    deadline_s: float
    resend_at_s: float
    processing_s: float
    line_s: float
    """Time the link needs to carry this request and its answer, queued bytes included."""
    response_bytes: int
    attempts: int = 1
    damaged: int = 0
    """Resends made at once because a damaged frame arrived while the answer was awaited:
    they are neither backed off nor counted against the largest number of sends."""


def estimate_response_bytes(request: AnyRequest, request_wire_bytes: int) -> int:
    """The answer's size on the wire: exact for fixed-size answers, else a generous guess."""
    body = fixed_body_size(request.RESPONSE)
    if body is None:
        return max(request_wire_bytes, MIN_MAX_FRAME)
    frame = HEADER_SIZE + body + CRC_SIZE
    return frame + cobs_overhead(frame)


class ToolConnection(Endpoint[ToolEvent]):
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        max_frame: int = DEFAULT_TOOL_MAX_FRAME,
        policy: RetransmitPolicy | None = None,
        initial_seq: int | None = None,
        max_outstanding: int = MAX_OUTSTANDING,
    ) -> None:
        super().__init__(max_frame)
        self._clock = clock
        self.rtt = RttEstimator(policy or RetransmitPolicy())
        self._next_seq = secrets.randbelow(0x10000) if initial_seq is None else initial_seq
        self._outstanding: dict[int, _Outstanding] = {}
        self.max_outstanding = max_outstanding
        self._last_event_seq: int | None = None
        self.line_rate_bytes_per_s: float | None = None
        """The link's rate (serial: baud / 10). ``None`` when unknown or unlimited."""
        self._line_free_at_s = 0.0
        self.boot_id: int | None = None
        self.hello_exchange = b""
        """The HELLO of this link session as sent and answered (the secure session binds it)."""
        self.retransmits = 0
        self.stale_responses = 0
        self.events_missed = 0

    # --- sending ----------------------------------------------------------------------------

    def hello(self) -> HelloRequest:
        """The HELLO this side sends to open a link session."""
        return HelloRequest(MIN_PROTOCOL_VERSION, MAX_PROTOCOL_VERSION, self.max_frame)

    def send_request(
        self,
        request: AnyRequest,
        *,
        timeout_s: float,
        processing_s: float = 0.0,
        response_bytes: int | None = None,
    ) -> int:
        """Queue ``request``; return its sequence number. Its answer or timeout comes as an event.

        ``processing_s`` is how long the board may work on it before answering, and
        ``response_bytes`` how large its answer may be on the wire (estimated from the catalogue
        if not given). Both lengthen the resend timer, so a slow operation or a large frame on
        a slow line is not resent while it is still under way. ``timeout_s`` counts from when
        the request and its answer are through the line, the requests queued before it
        included, so a full window on a slow link does not time out while it waits its turn.
        """
        if timeout_s <= 0:
            raise LocalProtocolError("timeout_s must be positive")
        if len(self._outstanding) >= self.max_outstanding:
            raise LocalProtocolError(
                f"at most {self.max_outstanding} requests may be outstanding "
                "(the board's reply cache)"
            )
        if isinstance(request, HelloRequest):
            self.end_session("a new link session began (HELLO)")  # HELLO always goes in clear
        seq = self._allocate_seq()
        wire = self._encode(request, seq, Flags.NONE)
        now = self._clock()
        if response_bytes is None:
            response_bytes = estimate_response_bytes(request, len(wire))
            if self.cipher is not None:
                response_bytes += CIPHER_OVERHEAD
        line_s = self._occupy_line(now, len(wire) + response_bytes)
        self._outstanding[seq] = _Outstanding(
            request=request,
            encrypted=self.cipher is not None,
            first_sent_s=now,
            deadline_s=now + line_s + timeout_s,
            resend_at_s=now + line_s + self.rtt.rto_s + processing_s,
            processing_s=processing_s,
            line_s=line_s,
            response_bytes=response_bytes,
        )
        self._queue(wire)
        return seq

    def _occupy_line(self, now: float, wire_bytes: int) -> float:
        """Book ``wire_bytes`` on the link; return when they are through (queue included)."""
        rate = self.line_rate_bytes_per_s
        if not rate:
            return 0.0
        start = max(now, self._line_free_at_s)
        self._line_free_at_s = start + wire_bytes / rate
        return self._line_free_at_s - now

    def cancel(self, seq: int) -> None:
        """Forget request ``seq``; a late answer to it will be reported as stale."""
        self._outstanding.pop(seq, None)

    def cancel_all(self) -> list[int]:
        """Forget every outstanding request (the link went down); return their numbers."""
        seqs = list(self._outstanding)
        self._outstanding.clear()
        return seqs

    def end_session(self, reason: str, code: str = "") -> None:
        """Forget the session keys; requests sent under them end now (``RequestAborted``)."""
        had_session = self.cipher is not None
        super().end_session(reason, code)
        if not had_session:
            return
        for seq, item in list(self._outstanding.items()):
            if item.encrypted:
                del self._outstanding[seq]
                self._emit(RequestAborted(seq, item.request, reason))

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    @property
    def next_seq(self) -> int:
        """The sequence number the next request will carry (if it is free)."""
        return self._next_seq

    def _allocate_seq(self) -> int:
        for _ in range(0x10000):
            seq = self._next_seq
            self._next_seq = (seq + 1) & 0xFFFF
            if seq not in self._outstanding:
                return seq
        raise LocalProtocolError("no free sequence number")

    # --- timers -----------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``handle_timers()`` next has work, on the injected clock; ``None`` if idle."""
        if not self._outstanding:
            return None
        return min(min(o.resend_at_s, o.deadline_s) for o in self._outstanding.values())

    def handle_timers(self) -> None:
        """Resend requests whose answer is overdue; report those past their deadline."""
        now = self._clock()
        policy = self.rtt.policy
        for seq, item in list(self._outstanding.items()):
            if now >= item.deadline_s or (
                now >= item.resend_at_s and item.attempts - item.damaged >= policy.max_attempts
            ):
                del self._outstanding[seq]
                self._emit(RequestTimedOut(seq, item.request, item.attempts))
            elif now >= item.resend_at_s:
                item.attempts += 1
                self.retransmits += 1
                wire = self._encode(item.request, seq, Flags.RETRANSMIT, encrypt=item.encrypted)
                self._queue(wire)
                line_s = self._occupy_line(now, len(wire) + item.response_bytes)
                backoff_s = self.rtt.backoff_s(item.attempts - item.damaged)
                wait_s = line_s + backoff_s + item.processing_s
                item.resend_at_s = min(now + wait_s, item.deadline_s)

    def _reject(self, error: RemoteProtocolError) -> None:
        """A frame the line damaged (its CRC fails, or it cannot be split out): on a noisy line
        that is most often the answer itself. Requests awaiting a plain answer are resent at
        once, at their current backoff, instead of waiting out a doubled timer; a request the
        board takes long over (``processing_s``) is left to its timer (SPEC.md 7.1)."""
        super()._reject(error)
        if not isinstance(error, FrameCorrupt | FrameTooShort):
            return  # a whole frame that says something wrong: not the line's doing
        now = self._clock()
        for item in self._outstanding.values():
            if item.processing_s == 0 and now < item.resend_at_s:
                item.resend_at_s = now
                item.damaged += 1

    # --- receiving --------------------------------------------------------------------------

    def _on_message(self, decoded: Decoded) -> None:
        message = decoded.message
        if isinstance(message, LockEvent):
            self._on_lock_event(decoded.seq, message)
            return
        if not isinstance(message, Response):
            self._reject(UnexpectedMessage(f"the tool never receives {type(message).__name__}"))
            return
        item = self._outstanding.get(decoded.seq)
        if item is None:
            self.stale_responses += 1
            self._emit(StaleResponse(decoded.seq, message))
            return
        if item.encrypted and not decoded.flags & Flags.ENCRYPTED:
            if isinstance(message, ErrorResponse) and message.code == ErrorCode.NOT_ALLOWED:
                # The board has no session (idle timeout, restart, a forged frame). A forged
                # one of these could only end the session, which jamming the line does too.
                self.end_session(f"the lock has no secure session: {message.detail}")
                return
            self._reject(
                UnexpectedMessage(f"a plaintext answer to encrypted request {decoded.seq}: ignored")
            )
            return
        if not isinstance(message, (item.request.RESPONSE, ErrorResponse)):
            self._reject(
                UnexpectedMessage(
                    f"{type(message).__name__} does not answer {type(item.request).__name__}"
                    f" (seq {decoded.seq})"
                )
            )
            return
        del self._outstanding[decoded.seq]
        now = self._clock()
        rtt_s = now - item.first_sent_s
        if item.attempts == 1:
            self.rtt.sample(max(0.0, rtt_s - item.processing_s - item.line_s))
        if isinstance(message, HelloResponse):
            problem = self._check_hello(message)
            if problem is not None:
                message = ErrorResponse(ErrorCode.UNSUPPORTED_VERSION, problem)
            else:
                self._on_hello(message)
                if isinstance(item.request, HelloRequest):
                    self.hello_exchange = hello_exchange(item.request, message)
        self._emit(ResponseReceived(decoded.seq, item.request, message, rtt_s, item.attempts))

    @staticmethod
    def _check_hello(hello: HelloResponse) -> str | None:
        """Why the board's HELLO answer cannot be used, or ``None`` if it can."""
        if not MIN_PROTOCOL_VERSION <= hello.version <= MAX_PROTOCOL_VERSION:
            return (
                f"board chose version {hello.version}; tool speaks "
                f"{MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}, "
                f"board speaks {hello.min_version}..{hello.max_version}"
            )
        if hello.max_frame < MIN_MAX_FRAME:
            return f"board accepts frames of {hello.max_frame} B, below the minimum {MIN_MAX_FRAME}"
        return None

    def _on_hello(self, hello: HelloResponse) -> None:
        self.version = hello.version
        self.peer_max_frame = min(hello.max_frame, ABSOLUTE_MAX_FRAME)
        if hello.boot_id != self.boot_id:
            self._last_event_seq = None  # the board restarted: its event numbering did too
        self.boot_id = hello.boot_id

    def _on_lock_event(self, seq: int, event: LockEvent) -> None:
        missed = 0
        if self._last_event_seq is not None:
            gap = (seq - self._last_event_seq) & 0xFFFF
            if gap == 0:
                return  # a duplicate
            if gap < 0x8000:
                missed = gap - 1
            # a jump backwards means the board restarted; count nothing as missed
        self._last_event_seq = seq
        self.events_missed += missed
        self._emit(LockEventReceived(seq, event, missed))
