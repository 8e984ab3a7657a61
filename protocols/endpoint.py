"""What both ends of the link share: the frame splitter, the decoder and the outgoing buffer."""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from protocols.catalogue import MAX_PROTOCOL_VERSION, MIN_MAX_FRAME, Flags
from protocols.codec import (
    HEADER,
    HEADER_SIZE,
    BadMessage,
    Decoded,
    Header,
    decode_message,
    encode_message,
)
from protocols.errors import LocalProtocolError, NotInSession, RemoteProtocolError
from protocols.events import FrameRejected, SessionEnded
from protocols.framing import CRC_SIZE, FrameSplitter, encode_frame
from protocols.messages import Message
from protocols.session import FrameCipher, SessionBroken

E = TypeVar("E")
_ENCRYPTED = int(Flags.ENCRYPTED)


class LinkStats:
    """Counters a technician or QA engineer can read to judge the link."""

    __slots__ = ("bytes_in", "bytes_out", "frames_in", "frames_out", "frames_rejected")

    def __init__(self) -> None:
        self.bytes_in = self.bytes_out = 0
        self.frames_in = self.frames_out = self.frames_rejected = 0

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


class FrameTooLargeToSend(LocalProtocolError):
    """The message does not fit in a frame the peer accepts."""


class Endpoint(Generic[E]):
    """Bytes in, typed events out; messages in, bytes out. Subclasses add each role's duties."""

    def __init__(self, max_frame: int) -> None:
        if max_frame < MIN_MAX_FRAME:
            raise LocalProtocolError(f"max_frame must be at least {MIN_MAX_FRAME}")
        self.max_frame = max_frame
        """The largest frame (header, body and CRC) this side accepts."""
        self.peer_max_frame = MIN_MAX_FRAME
        """The largest frame the peer accepts: the minimum until HELLO says more."""
        self.version = MAX_PROTOCOL_VERSION
        self.stats = LinkStats()
        self._splitter = FrameSplitter(max_frame)
        self._events: deque[E | FrameRejected | SessionEnded] = deque()
        self._outgoing = bytearray()
        self.cipher: FrameCipher | None = None
        """The session's frame cipher once a secure session is up."""

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the wire, in any chunking."""
        self.stats.bytes_in += len(data)
        for item in self._splitter.feed(data):
            if isinstance(item, RemoteProtocolError):
                self._reject(item)
                continue
            self.stats.frames_in += 1
            if len(item) >= HEADER_SIZE and item[2] & _ENCRYPTED:
                opened = self._decrypt(item)
                if opened is None:
                    continue
                item = opened
            try:
                decoded = decode_message(item)
            except RemoteProtocolError as error:
                self._on_bad_message(error)
                continue
            self._on_message(decoded)

    def next_event(self) -> E | FrameRejected | SessionEnded | None:
        """The next event, or ``None`` when more bytes are needed."""
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        """Everything queued for the wire since the last call."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    @property
    def max_body(self) -> int:
        """The largest message body the peer accepts."""
        return self.peer_max_frame - HEADER_SIZE - CRC_SIZE

    def _encode(
        self, message: Message, seq: int, flags: Flags, *, encrypt: bool | None = None
    ) -> bytes:
        """Frame ``message``; encrypted under the session keys when ``encrypt`` (by default:
        whenever a session is up)."""
        if encrypt is None:
            encrypt = self.cipher is not None
        if encrypt:
            if self.cipher is None:
                raise LocalProtocolError("no secure session to encrypt with")
            frame = encode_message(message, seq, flags | Flags.ENCRYPTED, self.version)
            header = frame[:HEADER_SIZE]
            frame = header + self.cipher.seal(header, frame[HEADER_SIZE:])
        else:
            frame = encode_message(message, seq, flags, self.version)
        if len(frame) + CRC_SIZE > self.peer_max_frame:
            raise FrameTooLargeToSend(
                f"{type(message).__name__} needs a frame of {len(frame) + CRC_SIZE} bytes; "
                f"the peer accepts {self.peer_max_frame}"
            )
        return encode_frame(frame)

    def _queue(self, wire: bytes) -> None:
        self.stats.frames_out += 1
        self.stats.bytes_out += len(wire)
        self._outgoing += wire

    def _emit(self, event: E | FrameRejected) -> None:
        self._events.append(event)

    def _reject(self, error: RemoteProtocolError) -> None:
        self.stats.frames_rejected += 1
        self._events.append(FrameRejected(error))

    def _decrypt(self, frame: bytes) -> bytes | None:
        header = frame[:HEADER_SIZE]
        if self.cipher is None:
            version, msg_type, flags, seq = HEADER.unpack(header)
            error = NotInSession("an encrypted frame arrived outside a secure session")
            self._on_bad_message(BadMessage(error, Header(version, msg_type, Flags(flags), seq)))
            return None
        try:
            return header + self.cipher.open(header, frame[HEADER_SIZE:])
        except SessionBroken as broken:
            self.end_session(str(broken), broken.code)
            self._reject(broken)
            return None

    def end_session(self, reason: str, code: str = "") -> None:
        """Forget the session keys; report it once, as ``SessionEnded``."""
        if self.cipher is not None:
            self.cipher = None
            self._events.append(SessionEnded(reason, code))

    def _on_bad_message(self, error: RemoteProtocolError) -> None:
        self._reject(error)

    def _on_message(self, decoded: Decoded) -> None:
        raise NotImplementedError
