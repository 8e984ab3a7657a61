"""The board's end of the link, sans-IO: requests in once each, answers out, events out.

Duties the connection carries out by itself:

* HELLO is answered here (version and frame size negotiated) and starts a new link session,
  which empties the reply cache so a restarted tool's sequence numbers cannot hit stale entries.
* A request whose sequence number and content match one already answered is answered again from
  the reply cache and not handed to the board a second time; one still being worked on is
  dropped. So a resend after a lost answer never runs a command twice. Another request under a
  sequence number still being worked on is dropped too.
* A frame with an intact header but a bad message is answered with an ERROR of the same
  sequence number, so the tool learns at once instead of timing out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from protocols.catalogue import (
    ABSOLUTE_MAX_FRAME,
    KNOWN_FLAGS,
    MAX_PROTOCOL_VERSION,
    MIN_MAX_FRAME,
    MIN_PROTOCOL_VERSION,
    ErrorCode,
    Flags,
    MsgType,
)
from protocols.codec import BadMessage, Decoded
from protocols.endpoint import Endpoint, FrameTooLargeToSend
from protocols.errors import (
    LocalProtocolError,
    MalformedMessage,
    NotInSession,
    RemoteProtocolError,
    UnexpectedMessage,
    UnknownMessageType,
    UnsupportedVersion,
)
from protocols.events import BoardEvent, HelloReceived, RequestReceived
from protocols.messages import (
    ErrorResponse,
    HelloRequest,
    HelloResponse,
    LockEvent,
    Request,
    Response,
    error_detail,
)
from protocols.session import hello_exchange

DEFAULT_BOARD_MAX_FRAME = 8192 + 64
REPLY_CACHE_SIZE = 64

_ERROR_CODES: dict[type[RemoteProtocolError], ErrorCode] = {
    UnknownMessageType: ErrorCode.UNKNOWN_TYPE,
    UnsupportedVersion: ErrorCode.UNSUPPORTED_VERSION,
    MalformedMessage: ErrorCode.MALFORMED,
    NotInSession: ErrorCode.NOT_ALLOWED,
}


@dataclass(slots=True)
class _Answered:
    key: bytes
    response: Response
    encrypted: bool


def _request_key(msg_type: int, body: bytes) -> bytes:
    return hashlib.blake2b(bytes([msg_type]) + body, digest_size=12).digest()


class BoardConnection(Endpoint[BoardEvent]):
    def __init__(
        self,
        *,
        boot_id: int,
        max_frame: int = DEFAULT_BOARD_MAX_FRAME,
        reply_cache_size: int = REPLY_CACHE_SIZE,
    ) -> None:
        super().__init__(max_frame)
        self.boot_id = boot_id
        self._reply_cache: OrderedDict[int, _Answered] = OrderedDict()
        self._reply_cache_size = reply_cache_size
        self._in_progress: dict[int, tuple[bytes, bool, int]] = {}
        """seq -> (request digest, came encrypted, link session it came in)."""
        self._event_seq = 0
        self.duplicates = 0
        self.conflicts = 0
        """Requests dropped because their sequence number was still being worked on."""
        self.link_sessions = 0
        self.hello_exchange = b""
        """The last HELLO answered on this boot, request and answer (SPEC.md 11.4 binds it
        into the secure session's transcript); empty until a tool has said HELLO."""

    # --- sending ----------------------------------------------------------------------------

    def send_response(self, seq: int, response: Response) -> bool:
        """Answer request ``seq`` (received as ``RequestReceived``). ``True`` if ``response``
        itself goes out; ``False`` if an ERROR went in its place (too large for the tool's
        ``max_frame``, not encodable, or its secure session ended): what the board was to do
        once this answer is out (install session keys) must then not happen."""
        waiting = self._in_progress.pop(seq, None)
        if waiting is None:
            raise LocalProtocolError(f"no request {seq} is waiting for an answer")
        key, encrypted, link_session = waiting
        if link_session == self.link_sessions:
            # cached only in its own link session: one asked before a HELLO is answered, but
            # never taken for a resend of a new request
            self._reply_cache[seq] = _Answered(key, response, encrypted)
            self._reply_cache.move_to_end(seq)
            while len(self._reply_cache) > self._reply_cache_size:
                self._reply_cache.popitem(last=False)
        wire, delivered = self._encode_response(seq, response, encrypted)
        self._queue(wire)
        return delivered

    def send_event(self, event: LockEvent) -> None:
        """Queue an unsolicited event; events are numbered from 0 at every boot."""
        self._queue(self._encode(event, self._event_seq, Flags.NONE))
        self._event_seq = (self._event_seq + 1) & 0xFFFF

    def _encode_response(self, seq: int, response: Response, encrypted: bool) -> tuple[bytes, bool]:
        """Answers go back the way the request came: encrypted if it was (and the session is
        still up; if it ended meanwhile, the answer is lost like any frame). Also whether the
        answer went out as itself rather than as an ERROR."""
        encrypt = encrypted and self.cipher is not None
        if encrypted and not encrypt:
            error = ErrorResponse(ErrorCode.NOT_ALLOWED, "the secure session ended")
            return self._encode(error, seq, Flags.RESPONSE, encrypt=False), False
        try:
            return self._encode(response, seq, Flags.RESPONSE, encrypt=encrypt), True
        except LocalProtocolError as exc:
            if isinstance(exc, FrameTooLargeToSend):
                code, text = ErrorCode.FRAME_TOO_LARGE, str(exc)  # the size and the limit
            else:  # a board fault: said in the SPEC's terms, not the codec's (B-9.3)
                name = _type_name(response.TYPE)
                code, text = ErrorCode.INTERNAL, f"the {name} answer could not be encoded"
            error = ErrorResponse(code, error_detail(text))
            return self._encode(error, seq, Flags.RESPONSE, encrypt=encrypt), False

    def end_session(self, reason: str, code: str = "") -> None:
        """Also forget answers given under the session's keys: a resend of one of those can
        never be answered again (it would need the old keys)."""
        for seq in [s for s, answered in self._reply_cache.items() if answered.encrypted]:
            del self._reply_cache[seq]
        super().end_session(reason, code)

    # --- receiving --------------------------------------------------------------------------

    def _on_message(self, decoded: Decoded) -> None:
        request = decoded.message
        seq = decoded.seq
        if not isinstance(request, Request) or decoded.flags & Flags.RESPONSE:
            self._reject(UnexpectedMessage(f"the board never receives {type(request).__name__}"))
            return
        if isinstance(request, HelloRequest):
            self._answer_hello(seq, request)
            return
        key = _request_key(request.TYPE, decoded.body)
        encrypted = bool(decoded.flags & Flags.ENCRYPTED)
        cached = self._reply_cache.get(seq)
        if cached is not None and cached.key == key and cached.encrypted == encrypted:
            self.duplicates += 1  # answered again, encrypted afresh: counters never repeat
            self._queue(self._encode_response(seq, cached.response, cached.encrypted)[0])
            return
        working = self._in_progress.get(seq)
        if working == (key, encrypted, self.link_sessions):
            self.duplicates += 1
            return
        if working is not None:
            # Another request under a sequence number still being worked on (a tool never
            # does this; a fuzzer or an attacker does): dropped, so the answer of the first
            # can never be filed under the second's key (SPEC.md 7.2).
            self.conflicts += 1
            return
        self._in_progress[seq] = (key, encrypted, self.link_sessions)
        self._emit(RequestReceived(seq, request, encrypted, self.link_sessions))

    def _on_bad_message(self, error: RemoteProtocolError) -> None:
        self._reject(error)
        if not isinstance(error, BadMessage) or error.header.flags & Flags.RESPONSE:
            return
        if error.header.seq in self._in_progress:
            # An unreadable request under a sequence number still being worked on: answering
            # it would hand the tool this ERROR as the answer to its own request (SPEC.md 7.2).
            self.conflicts += 1
            return
        code = _ERROR_CODES.get(type(error.error), ErrorCode.MALFORMED)
        detail = str(error.error)
        if code is ErrorCode.UNSUPPORTED_VERSION:
            detail = f"board speaks versions {MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}"
        elif code is ErrorCode.MALFORMED and not int(error.header.flags) & ~int(KNOWN_FLAGS):
            # the body: said in the SPEC's terms, not the codec's (SPEC.md 9, B-9.3)
            detail = f"the {_type_name(error.header.msg_type)} body does not match its layout"
        self._queue(
            self._encode(
                ErrorResponse(code, error_detail(detail)),
                error.header.seq,
                Flags.RESPONSE,
                encrypt=bool(error.header.flags & Flags.ENCRYPTED) and self.cipher is not None,
            )
        )

    def _answer_hello(self, seq: int, hello: HelloRequest) -> None:
        low = max(hello.min_version, MIN_PROTOCOL_VERSION)
        high = min(hello.max_version, MAX_PROTOCOL_VERSION)
        if low > high:
            detail = (
                f"tool speaks versions {hello.min_version}..{hello.max_version}, "
                f"board speaks {MIN_PROTOCOL_VERSION}..{MAX_PROTOCOL_VERSION}"
            )
            error = ErrorResponse(ErrorCode.UNSUPPORTED_VERSION, detail)
            self._queue(self._encode(error, seq, Flags.RESPONSE, encrypt=False))
            return
        self.version = high
        self.peer_max_frame = max(MIN_MAX_FRAME, min(hello.max_frame, ABSOLUTE_MAX_FRAME))
        self._reply_cache.clear()  # requests still being worked on are answered all the same
        self.end_session("a new link session began (HELLO)", "new_link")
        self.link_sessions += 1
        answer = HelloResponse(
            version=high,
            min_version=MIN_PROTOCOL_VERSION,
            max_version=MAX_PROTOCOL_VERSION,
            max_frame=self.max_frame,
            boot_id=self.boot_id,
        )
        self.hello_exchange = hello_exchange(hello, answer)
        self._queue(self._encode(answer, seq, Flags.RESPONSE, encrypt=False))
        self._emit(HelloReceived(seq, hello, high, self.peer_max_frame))


def _type_name(msg_type: int) -> str:
    try:
        return MsgType(msg_type).name
    except ValueError:
        return f"0x{msg_type:02x}"
