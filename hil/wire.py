"""The link as a lock maker's logic analyser sees it, for the conformance suite: every byte the
board sends is recorded under the tool's own client, so a test can tell what the board answered
(and under which sequence number), what it did not answer, and which events it sent, without
asking the board anything about itself."""

from __future__ import annotations

from dataclasses import dataclass

from hil.tamper import Tamper
from protocols.catalogue import Flags
from protocols.codec import Decoded, decode_message
from protocols.errors import RemoteProtocolError
from protocols.framing import FrameSplitter, encode_frame
from protocols.messages import LockEvent
from safetool.client import LockClient
from safetool.transport import Transport


class WireLog(Tamper):
    """A man in the middle that changes nothing and keeps what it read."""

    def __init__(self, inner: Transport, *, first: bytes = b"") -> None:
        """``first``: bytes to write as soon as the link is open, before the tool's HELLO."""
        super().__init__(inner)
        self.first = first
        self.received = bytearray()

    async def open(self) -> None:
        await self.inner.open()
        await self.begin()

    async def begin(self) -> None:
        """Say ``first`` (once): at :meth:`open`, or at once when put round a link that stays
        open across a power cycle (a rig's console)."""
        self.line_rate_bytes_per_s = self.inner.line_rate_bytes_per_s
        first, self.first = self.first, b""
        if first:
            await self.inner.write(first)

    async def read(self) -> bytes:
        data = await self.inner.read()
        self.received += data
        return data

    def frames(self) -> list[Seen]:
        """Every frame the board sent, in order: decoded if plaintext, else only its header."""
        seen = []
        for item in FrameSplitter(65535).feed(bytes(self.received)):
            if isinstance(item, RemoteProtocolError) or len(item) < 5:
                continue
            seq = int.from_bytes(item[3:5], "little")
            if item[2] & Flags.ENCRYPTED:
                seen.append(Seen(item[1], item[2], seq, None))
                continue
            try:
                decoded = decode_message(item)
            except RemoteProtocolError:
                continue
            seen.append(Seen(item[1], item[2], seq, decoded))
        return seen

    def answers_to(self, seq: int) -> list[Seen]:
        return [f for f in self.frames() if f.flags & Flags.RESPONSE and f.seq == seq]

    def events(self) -> list[Seen]:
        return [f for f in self.frames() if f.decoded and isinstance(f.decoded.message, LockEvent)]


@dataclass(frozen=True)
class Seen:
    msg_type: int
    flags: int
    seq: int
    decoded: Decoded | None
    """``None`` for a sealed frame (this side may not hold its keys)."""


async def record(client: LockClient) -> WireLog:
    """Put a :class:`WireLog` round the connected ``client``'s link, from now on. The read
    already waiting on the link is not recorded, so one PING goes through first: whatever the
    board sends after this returns is in the log."""
    log = WireLog(client.transport)
    client.transport = log
    await client.ping()
    await client.ping()  # the first answer may have come through the read already waiting
    return log


def raw_frame(version: int, msg_type: int, flags: int, seq: int, body: bytes) -> bytes:
    """A frame as a test writes it by hand (valid CRC, COBS, delimiter)."""
    return encode_frame(
        bytes([version, msg_type, flags]) + (seq & 0xFFFF).to_bytes(2, "little") + body
    )
