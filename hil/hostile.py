"""A malicious board for the tool's commands (``--campaign fuzz``, issue 19): whatever the tool
asks, it answers with something no lock should send, seeded and replayable.

Per request it picks one way to answer:

* ``honest``: the golden answer of that type (under the request's sequence number);
* ``mutated``: that answer with its body changed, cut, stretched or replaced (valid CRC);
* ``hostile_text``: a well-formed IDENTIFY or ERROR whose strings carry terminal escapes,
  carriage returns and bidi overrides;
* ``wrong_type``: another message's answer under the request's sequence number;
* ``wrong_seq``: the right answer under another sequence number;
* ``events``: a flood of events (mutated golden events), then the honest answer;
* ``silence``, ``garbage`` (random bytes) and ``overlong`` (70,000 bytes without a delimiter).

A board's ``hostility`` is the share of requests answered in one of those ways (the honest
golden answer otherwise), so a low one lets a command get further before something goes wrong.
HELLO is answered well most of the time (in range, with a random frame limit and boot id), so the
tool gets past it to the rest of its command. Sans-IO: :meth:`HostileBoard.receive_data` takes
the tool's bytes and returns the board's.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata
from collections import Counter, defaultdict

from hil.fuzz import HEADER_SIZE, _mutated_body
from protocols.catalogue import ErrorCode, Flags, MsgType
from protocols.codec import encode_message
from protocols.errors import RemoteProtocolError
from protocols.framing import DELIMITER, decode_frame, encode_frame
from protocols.golden import good_vectors
from protocols.messages import ErrorResponse, HelloResponse, IdentifyResponse

STRATEGIES = (
    "honest",
    "mutated",
    "hostile_text",
    "wrong_type",
    "wrong_seq",
    "events",
    "silence",
    "garbage",
    "overlong",
)
HOSTILE_TEXT = (
    "SL-1\x1b[2J\x1b]0;pwned\x07\rstate UNLOCKED\u202etxt.exe\u2066\x9b",
    "\x1b[31m锁\x1b[0m\r\n\x08\x08\x08\u200f\u2067",
    "\x00\x07\x1b[?1049h\x1bc",
)
_BUFFER_LIMIT = 1 << 20


def harmless(text: str) -> bool:
    """Nothing in ``text`` a terminal acts on: no control (newline aside), format (bidi),
    surrogate, private or unassigned character. The oracle for what a tool shows of a lock's
    words, kept apart from the code that makes them visible."""
    return all(
        char == "\n" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        for char in text
    )


class HostileBoard:
    def __init__(self, seed: int, hostility: float = 1.0) -> None:
        self._rng = random.Random(seed)
        self.hostility = hostility
        self._buffer = bytearray()
        self.strategies: Counter[str] = Counter()
        self._answers: defaultdict[int, list[bytes]] = defaultdict(list)
        self._events: list[bytes] = []
        for vector in good_vectors():
            header = vector["header"]
            body = bytes.fromhex(vector["frame_hex"])[HEADER_SIZE:]
            if header["type"] == MsgType.EVENT:
                self._events.append(body)
            elif header["flags"] & Flags.RESPONSE:
                self._answers[header["type"]].append(body)

    def receive_data(self, data: bytes) -> bytes:
        out = bytearray()
        self._buffer += data
        while (end := self._buffer.find(DELIMITER)) >= 0:
            stuffed = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            try:
                frame = decode_frame(stuffed)
            except RemoteProtocolError:
                continue
            if len(frame) >= HEADER_SIZE:
                out += self._answer(frame[1], int.from_bytes(frame[3:5], "little"))
        if len(self._buffer) > _BUFFER_LIMIT:
            self._buffer.clear()
        return bytes(out)

    def _frame(self, msg_type: int, flags: int, seq: int, body: bytes) -> bytes:
        return encode_frame(bytes([1, msg_type, flags]) + seq.to_bytes(2, "little") + body)

    def _answer(self, msg_type: int, seq: int) -> bytes:
        rng = self._rng
        if msg_type == MsgType.HELLO and rng.random() < 0.7:
            self.strategies["hello"] += 1
            hello = HelloResponse(
                1, 1, 1, rng.choice((256, 512, 4160, 65535)), rng.randrange(1 << 32)
            )
            return encode_frame(encode_message(hello, seq, Flags.RESPONSE))
        strategy = rng.choice(STRATEGIES) if rng.random() < self.hostility else "honest"
        self.strategies[strategy] += 1
        own = self._answers.get(msg_type) or rng.choice(list(self._answers.values()))
        if strategy == "honest":
            return self._frame(msg_type, Flags.RESPONSE, seq, rng.choice(own))
        if strategy == "mutated":
            return self._frame(msg_type, Flags.RESPONSE, seq, _mutated_body(rng, rng.choice(own)))
        if strategy == "hostile_text":
            text = rng.choice(HOSTILE_TEXT)
            message: IdentifyResponse | ErrorResponse
            if msg_type == MsgType.IDENTIFY:
                message = IdentifyResponse(text, text, text[:8], text[:20], text[:20], 1)
            else:
                message = ErrorResponse(rng.choice(list(ErrorCode)), text)
            return encode_frame(encode_message(message, seq, Flags.RESPONSE))
        if strategy == "wrong_type":
            other = rng.choice(list(self._answers))
            return self._frame(other, Flags.RESPONSE, seq, rng.choice(self._answers[other]))
        if strategy == "wrong_seq":
            other_seq = (seq + rng.randrange(1, 0x10000)) & 0xFFFF
            return self._frame(msg_type, Flags.RESPONSE, other_seq, rng.choice(own))
        if strategy == "events":
            flood = b"".join(
                self._frame(
                    MsgType.EVENT,
                    Flags.NONE,
                    rng.randrange(0x10000),
                    _mutated_body(rng, rng.choice(self._events)),
                )
                for _ in range(rng.randint(10, 200))
            )
            return flood + self._frame(msg_type, Flags.RESPONSE, seq, rng.choice(own))
        if strategy == "garbage":
            return rng.randbytes(rng.randint(1, 300)) + DELIMITER
        if strategy == "overlong":
            return rng.randbytes(70_000).replace(DELIMITER, b"\x01") + DELIMITER
        return b""  # silence


class HostileServer:
    """A :class:`HostileBoard` on loopback TCP (``socket://127.0.0.1:PORT``): each connection
    meets a fresh board of the same seed."""

    def __init__(self, seed: int, hostility: float = 1.0) -> None:
        self.seed = seed
        self.hostility = hostility
        self.strategies: Counter[str] = Counter()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        port = self._server.sockets[0].getsockname()[1]
        return f"socket://127.0.0.1:{port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        board = HostileBoard(self.seed, self.hostility)
        try:
            while data := await reader.read(65536):
                answer = board.receive_data(data)
                if answer:
                    writer.write(answer)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.strategies.update(board.strategies)
            writer.close()
