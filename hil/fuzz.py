"""Frames for the fuzz campaign (``--campaign fuzz``), sans-IO: seeded, replayable, from the
golden vectors of ``protocols/golden`` (every message family of the SPEC).

Each :class:`FuzzFrame` is wire bytes and the mutation that made them:

* ``bits``: a good frame with 1–3 bits flipped (the CRC catches it: a frame error);
* ``body``: a good frame's body changed, cut, stretched or emptied, **with a valid CRC**, so it
  reaches the codec and the board's request handling;
* ``header``: a valid-CRC frame with another version, type, flags or sequence number;
* ``same_seq``: two different requests under one sequence number in one write (issue 19);
* ``garbage``: random bytes, with and without delimiters, and runs far over any frame limit;
* ``cut``: a good frame cut short, then the next good one.

Inside a secure session (:func:`session_frames`) the frames are requests to seal under the
session's keys just before they are sent, so they pass the AEAD and reach the board's privileged
handlers: ``body`` (a request's body mutated as above), ``valid`` (a golden request as it is,
under another sequence number), ``retyped`` (one request's body under another's type) and
``same_seq`` (two of them under one sequence number in one write). HELLO and the session's own
requests are left out, so the session the campaign fuzzes stays up.

Nothing here needs a board; :func:`frames` and :func:`session_frames` are generators for any
count.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from protocols.catalogue import Flags
from protocols.framing import DELIMITER, encode_frame
from protocols.golden import good_vectors

HEADER_SIZE = 5
MUTATIONS = ("bits", "body", "header", "same_seq", "garbage", "cut")
SESSION_MUTATIONS = ("body", "valid", "retyped", "same_seq")
_SESSION_ITSELF = {"HelloRequest", "SessionInitRequest", "SessionAuthRequest", "SessionEndRequest"}
SEQ_WINDOW = 0x4000
"""Session fuzz frames take sequence numbers from a window this wide, starting half the number
space away from the tool's own, so no answer to them is ever taken for the tool's."""


@dataclass(frozen=True, slots=True)
class FuzzFrame:
    mutation: str
    wire: bytes


def _good() -> list[tuple[bytes, bytes]]:
    """(frame: header and body, wire) of every good golden vector."""
    return [(bytes.fromhex(v["frame_hex"]), bytes.fromhex(v["wire_hex"])) for v in good_vectors()]


def _bits(rng: random.Random, frame: bytes, wire: bytes) -> bytes:
    data = bytearray(wire[:-1])
    for _ in range(rng.randint(1, 3)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data) + DELIMITER


def _body(rng: random.Random, frame: bytes, wire: bytes) -> bytes:
    return encode_frame(frame[:HEADER_SIZE] + _mutated_body(rng, frame[HEADER_SIZE:]))


def _mutated_body(rng: random.Random, good: bytes) -> bytes:
    """``good`` with bytes changed, cut, stretched, emptied or replaced by random bytes."""
    body = bytearray(good)
    how = rng.randrange(5)
    if how == 0 and body:
        for _ in range(rng.randint(1, 4)):
            body[rng.randrange(len(body))] = rng.randrange(256)
    elif how == 1:
        body = body[: rng.randrange(len(body) + 1)]
    elif how == 2:
        body += rng.randbytes(rng.randint(1, 64))
    elif how == 3:
        body = bytearray()
    else:
        body = bytearray(rng.randbytes(rng.randint(1, 300)))
    return bytes(body)


def _header(rng: random.Random, frame: bytes, wire: bytes) -> bytes:
    header = bytearray(frame[:HEADER_SIZE])
    field = rng.randrange(4)
    if field == 0:
        header[0] = rng.randrange(256)  # version
    elif field == 1:
        header[1] = rng.randrange(256)  # type
    elif field == 2:
        header[2] = rng.randrange(256)  # flags
    else:
        header[3:5] = rng.randbytes(2)  # sequence number
    return encode_frame(bytes(header) + frame[HEADER_SIZE:])


def _same_seq(rng: random.Random, good: list[tuple[bytes, bytes]]) -> bytes:
    seq = rng.randbytes(2)
    first, second = rng.sample(good, 2)
    return b"".join(
        encode_frame(frame[:3] + seq + frame[HEADER_SIZE:]) for frame, _ in (first, second)
    )


def _garbage(rng: random.Random) -> bytes:
    how = rng.randrange(3)
    if how == 0:
        return rng.randbytes(rng.randint(1, 200)) + DELIMITER
    if how == 1:  # no delimiter for longer than a frame may be (now and then far longer)
        size = 70_000 if rng.random() < 0.01 else rng.randint(4200, 9000)
        return rng.randbytes(size).replace(DELIMITER, b"\x01") + DELIMITER
    return DELIMITER * rng.randint(1, 8)


def frames(seed: int, count: int) -> Iterator[FuzzFrame]:
    """``count`` fuzz frames, the same for the same ``seed``."""
    rng = random.Random(seed)
    good = _good()
    for _ in range(count):
        mutation = rng.choice(MUTATIONS)
        frame, wire = rng.choice(good)
        if mutation == "bits":
            data = _bits(rng, frame, wire)
        elif mutation == "body":
            data = _body(rng, frame, wire)
        elif mutation == "header":
            data = _header(rng, frame, wire)
        elif mutation == "same_seq":
            data = _same_seq(rng, good)
        elif mutation == "garbage":
            data = _garbage(rng)
        else:
            cut = wire[: rng.randrange(1, len(wire))]
            data = cut + rng.choice(good)[1]
        yield FuzzFrame(mutation, data)


@dataclass(frozen=True, slots=True)
class SessionFuzz:
    """Requests to seal under the session's keys and send in one write: ``(header, body)``
    pairs, the header with ``ENCRYPTED`` set, the body in plaintext."""

    mutation: str
    requests: tuple[tuple[bytes, bytes], ...]


def _session_requests() -> list[tuple[int, bytes]]:
    """(type, body) of every golden request a tool may send inside a session."""
    return [
        (v["header"]["type"], bytes.fromhex(v["frame_hex"])[HEADER_SIZE:])
        for v in good_vectors()
        if not v["header"]["flags"] & Flags.RESPONSE
        and v["message"].endswith("Request")
        and v["message"] not in _SESSION_ITSELF
    ]


def session_frames(seed: int, count: int, first_seq: int) -> Iterator[SessionFuzz]:
    """``count`` session fuzz items, the same for the same ``seed`` and ``first_seq``."""
    rng = random.Random(seed)
    requests = _session_requests()

    def header(msg_type: int, seq: int) -> bytes:
        return struct.pack("<BBBH", 1, msg_type, Flags.ENCRYPTED, seq)

    def seq() -> int:
        return (first_seq + rng.randrange(SEQ_WINDOW)) & 0xFFFF

    for _ in range(count):
        mutation = rng.choice(SESSION_MUTATIONS)
        msg_type, body = rng.choice(requests)
        pairs: tuple[tuple[bytes, bytes], ...]
        if mutation == "body":
            pairs = ((header(msg_type, seq()), _mutated_body(rng, body)),)
        elif mutation == "valid":
            pairs = ((header(msg_type, seq()), body),)
        elif mutation == "retyped":
            other_type, _ = rng.choice(requests)
            pairs = ((header(other_type, seq()), body),)
        else:
            shared = seq()
            second_type, second_body = rng.choice(requests)
            pairs = ((header(msg_type, shared), body), (header(second_type, shared), second_body))
        yield SessionFuzz(mutation, pairs)
