"""Codec throughput: our encode+decode path as a ratio to a hand-written ``struct`` codec.

Both sides encode the same messages to the same wire bytes (asserted before timing) and decode
them back to the same typed messages (asserted too), with the same ``cobs`` package and
``zlib.crc32`` doing the framing work, so the ratio measures only what the codec adds.

Run: ``.venv/bin/python benchmarks/codec.py`` (``--quick`` for a smoke run,
``--profile STATUS`` to see where our path spends its time). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import platform
import pstats
import random
import struct
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import construct
from cobs import cobs

from protocols.catalogue import (
    MAX_PROTOCOL_VERSION,
    Alerts,
    BoltState,
    DoorState,
    EventKind,
    Flags,
    LockState,
)
from protocols.codec import decode_message, encode_message
from protocols.errors import RemoteProtocolError
from protocols.events import FrameRejected
from protocols.framing import FrameSplitter, encode_frame
from protocols.messages import (
    IdentifyRequest,
    IdentifyResponse,
    LockEvent,
    Message,
    PingRequest,
    PingResponse,
    Request,
    StatusRequest,
    StatusResponse,
)
from protocols.tool import ToolConnection

GOAL_RATIO = 0.25
"""The issue's goal: our encode+decode at least a quarter of the hand-written struct codec."""
MAX_FRAME = 65535
TOOL_TIMEOUT_S = 3600.0


# --- the hand-written baseline ---------------------------------------------------------------
# What an engineer would write by hand for these four frames: struct for the header and the
# fixed bodies, a loop for the length-prefixed strings, zlib.crc32, and the same cobs package.

B_HEADER = struct.Struct("<BBBH")
B_HEADER_SIZE = B_HEADER.size
B_CRC = struct.Struct("<I")
B_STATUS = struct.Struct("<BBBBIHhIB")
B_EVENT = struct.Struct("<BIi")
VERSION = MAX_PROTOCOL_VERSION
RESPONSE = int(Flags.RESPONSE)


def _b_frame(frame: bytes) -> bytes:
    stuffed: bytes = cobs.encode(frame + B_CRC.pack(zlib.crc32(frame)))
    return stuffed + b"\x00"


def b_encode_status(m: StatusResponse, seq: int) -> bytes:
    return _b_frame(
        B_HEADER.pack(VERSION, 0x03, RESPONSE, seq)
        + B_STATUS.pack(
            m.lock_state,
            m.door,
            m.bolt,
            m.wrong_code_count,
            m.lockout_seconds,
            m.battery_mv,
            m.temperature_dc,
            m.uptime_s,
            m.alerts,
        )
    )


def b_encode_event(m: LockEvent, seq: int) -> bytes:
    return _b_frame(B_HEADER.pack(VERSION, 0x70, 0, seq) + B_EVENT.pack(m.kind, m.time_s, m.value))


def _b_str8(text: str) -> bytes:
    raw = text.encode()
    return bytes((len(raw),)) + raw


def b_encode_identify(m: IdentifyResponse, seq: int) -> bytes:
    return _b_frame(
        B_HEADER.pack(VERSION, 0x02, RESPONSE, seq)
        + _b_str8(m.serial)
        + _b_str8(m.model)
        + _b_str8(m.hardware_revision)
        + _b_str8(m.firmware_version)
        + _b_str8(m.bootloader_version)
        + bytes((m.protocol_version,))
    )


def b_encode_ping(m: PingResponse, seq: int) -> bytes:
    return _b_frame(B_HEADER.pack(VERSION, 0x04, RESPONSE, seq) + m.data)


class BaselineError(ValueError):
    pass


def _b_status(body: bytes) -> Message:
    state, door, bolt, wrong, lockout, mv, temp, uptime, alerts = B_STATUS.unpack(body)
    return StatusResponse(
        LockState(state),
        DoorState(door),
        BoltState(bolt),
        wrong,
        lockout,
        mv,
        temp,
        uptime,
        Alerts(alerts),
    )


def _b_event(body: bytes) -> Message:
    kind, time_s, value = B_EVENT.unpack(body)
    return LockEvent(EventKind(kind), time_s, value)


def _b_identify(body: bytes) -> Message:
    texts = []
    offset = 0
    for _ in range(5):
        length = body[offset]
        end = offset + 1 + length
        if end > len(body):
            raise BaselineError("string runs past the body")
        texts.append(body[offset + 1 : end].decode())
        offset = end
    if offset + 1 != len(body):
        raise BaselineError("IDENTIFY body has the wrong length")
    serial, model, hardware, firmware, bootloader = texts
    return IdentifyResponse(serial, model, hardware, firmware, bootloader, body[offset])


def _b_ping(body: bytes) -> Message:
    return PingResponse(body)


B_DECODERS: dict[tuple[int, bool], Callable[[bytes], Message]] = {
    (0x03, True): _b_status,
    (0x70, False): _b_event,
    (0x02, True): _b_identify,
    (0x04, True): _b_ping,
}


def b_decode_frame(stuffed: bytes) -> Message:
    raw: bytes = cobs.decode(stuffed)
    if len(raw) < B_HEADER_SIZE + 4:
        raise BaselineError("short frame")
    (crc,) = B_CRC.unpack_from(raw, len(raw) - 4)
    frame = raw[:-4]
    if zlib.crc32(frame) != crc:
        raise BaselineError("CRC mismatch")
    version, msg_type, flags, _seq = B_HEADER.unpack_from(frame)
    if version != VERSION:
        raise BaselineError("version")
    decoder = B_DECODERS.get((msg_type, bool(flags & RESPONSE)))
    if decoder is None:
        raise BaselineError("unknown type")
    return decoder(frame[B_HEADER_SIZE:])


class BaselineSplitter:
    """The hand-written receive loop: buffer, cut at each 0x00, decode each frame."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        buffer = self.buffer
        buffer += data
        out = []
        start = 0
        while (end := buffer.find(0, start)) >= 0:
            if end > start:
                out.append(b_decode_frame(bytes(buffer[start:end])))
            start = end + 1
        del buffer[:start]
        return out


B_ENCODERS: dict[type[Message], Callable[[Message, int], bytes]] = {
    StatusResponse: b_encode_status,  # type: ignore[dict-item]
    LockEvent: b_encode_event,  # type: ignore[dict-item]
    IdentifyResponse: b_encode_identify,  # type: ignore[dict-item]
    PingResponse: b_encode_ping,  # type: ignore[dict-item]
}


# --- the frames ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    message: Message
    seq: int
    flags: Flags


def sample_messages() -> dict[str, Message]:
    rng = random.Random(64)
    return {
        "STATUS resp": StatusResponse(
            LockState.LOCKED,
            DoorState.CLOSED,
            BoltState.EXTENDED,
            1,
            0,
            5875,
            -35,
            1_234_567,
            Alerts.LOW_BATTERY,
        ),
        "EVENT": LockEvent(EventKind.WRONG_CODE, 1_767_225_600, 3),
        "IDENTIFY resp": IdentifyResponse(
            "SL-2041-000137", "SafeLock Pro 300", "C2", "2.4.1", "1.1.0", 1
        ),
        "PING 64 B resp": PingResponse(rng.randbytes(64)),
    }


_REQUEST_FOR: dict[type[Message], Callable[[], Request]] = {
    StatusResponse: StatusRequest,
    IdentifyResponse: IdentifyRequest,
    PingResponse: lambda: PingRequest(b""),
}


def make_items(messages: Sequence[Message]) -> list[Item]:
    """Sequence numbers as on a real link: responses count requests, events count events."""
    items = []
    next_response, next_event = 0, 1
    for message in messages:
        if isinstance(message, LockEvent):
            items.append(Item(message, next_event & 0xFFFF, Flags.NONE))
            next_event += 1
        else:
            items.append(Item(message, next_response & 0xFFFF, Flags.RESPONSE))
            next_response += 1
    return items


# --- the two codecs, as timed ----------------------------------------------------------------


def ours_encode(items: Sequence[Item]) -> list[bytes]:
    return [encode_frame(encode_message(i.message, i.seq, i.flags)) for i in items]


def ours_decode(wires: Sequence[bytes]) -> list[Message]:
    splitter = FrameSplitter(MAX_FRAME)
    out = []
    for wire in wires:
        for frame in splitter.feed(wire):
            if isinstance(frame, RemoteProtocolError):
                raise frame
            out.append(decode_message(frame).message)
    return out


def baseline_encode(items: Sequence[Item]) -> list[bytes]:
    encoders = B_ENCODERS
    return [encoders[type(i.message)](i.message, i.seq) for i in items]


def baseline_decode(wires: Sequence[bytes]) -> list[Message]:
    splitter = BaselineSplitter()
    out = []
    for wire in wires:
        out.extend(splitter.feed(wire))
    return out


def tool_connection_for(items: Sequence[Item]) -> ToolConnection:
    """A tool with one outstanding request per response in ``items`` (setup, not timed)."""
    connection = ToolConnection(
        time.monotonic, max_frame=MAX_FRAME, initial_seq=0, max_outstanding=len(items)
    )
    for item in items:
        if not isinstance(item.message, LockEvent):
            seq = connection.send_request(
                _REQUEST_FOR[type(item.message)](), timeout_s=TOOL_TIMEOUT_S
            )
            assert seq == item.seq
    connection.data_to_send()
    return connection


def tool_receive(connection: ToolConnection, wires: Sequence[bytes]) -> int:
    events = 0
    for wire in wires:
        connection.receive_data(wire)
        while (event := connection.next_event()) is not None:
            if isinstance(event, FrameRejected):
                raise event.error
            events += 1
    return events


# --- timing ----------------------------------------------------------------------------------


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls (GC off while timing, as timeit does)."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best


def best_time_with_setup(
    setup: Callable[[], object], fn: Callable[[object], object], repeats: int
) -> float:
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            state = setup()
            start = time.perf_counter()
            fn(state)
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return best


@dataclass(slots=True)
class Row:
    name: str
    frames: int
    wire_bytes: int
    b_enc_s: float = float("inf")
    b_dec_s: float = float("inf")
    o_enc_s: float = float("inf")
    o_dec_s: float = float("inf")
    tool_dec_s: float = float("inf")

    @property
    def ratio(self) -> float:
        return (self.b_enc_s + self.b_dec_s) / (self.o_enc_s + self.o_dec_s)


def check_identical(items: Sequence[Item]) -> list[bytes]:
    """Both codecs must produce and parse the same bytes, or the comparison means nothing."""
    ours = ours_encode(items)
    theirs = baseline_encode(items)
    assert ours == theirs, "baseline and codec disagree on the wire bytes"
    decoded_ours = ours_decode(ours)
    decoded_theirs = baseline_decode(ours)
    expected = [i.message for i in items]
    assert decoded_ours == expected, "our codec does not round-trip"
    assert decoded_theirs == expected, "the baseline does not round-trip"
    connection = tool_connection_for(items)
    assert tool_receive(connection, ours) == len(items)
    assert connection.outstanding == 0
    return ours


def measure(name: str, items: list[Item], repeats: int) -> Row:
    wires = check_identical(items)
    row = Row(name, len(items), sum(map(len, wires)))
    # Interleave the contenders round by round so drift (turbo, other load) hits both alike.
    for _ in range(repeats):
        row.b_enc_s = min(row.b_enc_s, best_time(lambda: baseline_encode(items), 1))
        row.o_enc_s = min(row.o_enc_s, best_time(lambda: ours_encode(items), 1))
        row.b_dec_s = min(row.b_dec_s, best_time(lambda: baseline_decode(wires), 1))
        row.o_dec_s = min(row.o_dec_s, best_time(lambda: ours_decode(wires), 1))
        row.tool_dec_s = min(
            row.tool_dec_s,
            best_time_with_setup(
                lambda: tool_connection_for(items),
                lambda c: tool_receive(c, wires),  # type: ignore[arg-type]
                1,
            ),
        )
    return row


# --- construct reference rows ----------------------------------------------------------------


@dataclass(slots=True)
class RefRow:
    name: str
    seconds: float
    baseline_s: float
    frames: int


def construct_references(n: int, repeats: int) -> list[RefRow]:
    """STATUS body alone, and a whole STATUS frame, with the body done by construct."""
    status = sample_messages()["STATUS resp"]
    assert isinstance(status, StatusResponse)
    names = [
        "lock_state",
        "door",
        "bolt",
        "wrong_code_count",
        "lockout_seconds",
        "battery_mv",
        "temperature_dc",
        "uptime_s",
        "alerts",
    ]
    values = tuple(int(getattr(status, n)) for n in names)
    plain = StatusResponse.BODY
    compiled = construct.Struct(*plain.subcons, construct.Terminated).compile()
    body = B_STATUS.pack(*values)
    assert plain.build(dict(zip(names, values, strict=True))) == body
    assert compiled.build(dict(zip(names, values, strict=True))) == body

    def struct_body() -> None:
        for _ in range(n):
            B_STATUS.unpack(B_STATUS.pack(*values))

    def construct_body(c: construct.Construct) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n):
                parsed = c.parse(c.build(dict(zip(names, values, strict=True))))
                tuple(parsed[k] for k in names)

        return run

    items = make_items([status] * n)
    wires = baseline_encode(items)

    def frame_with(c: construct.Construct) -> Callable[[], None]:
        def encode(m: StatusResponse, seq: int) -> bytes:
            fields = {k: int(getattr(m, k)) for k in names}
            return _b_frame(B_HEADER.pack(VERSION, 0x03, RESPONSE, seq) + c.build(fields))

        def decode(stuffed: bytes) -> StatusResponse:
            raw = cobs.decode(stuffed)
            (crc,) = B_CRC.unpack_from(raw, len(raw) - 4)
            frame = raw[:-4]
            if zlib.crc32(frame) != crc:
                raise BaselineError("CRC mismatch")
            B_HEADER.unpack_from(frame)
            p = c.parse(frame[B_HEADER_SIZE:])
            return StatusResponse(
                LockState(p.lock_state),
                DoorState(p.door),
                BoltState(p.bolt),
                p.wrong_code_count,
                p.lockout_seconds,
                p.battery_mv,
                p.temperature_dc,
                p.uptime_s,
                Alerts(p.alerts),
            )

        assert encode(status, 7) == b_encode_status(status, 7)
        assert decode(b_encode_status(status, 7)[:-1]) == status

        def run() -> None:
            for item in items:
                encode(item.message, item.seq)  # type: ignore[arg-type]
            for wire in wires:
                decode(wire[:-1])

        return run

    def struct_frame() -> None:
        baseline_encode(items)
        baseline_decode(wires)

    def ours_frame() -> None:
        ours_decode(ours_encode(items))

    contenders: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        ("STATUS body: plain construct", construct_body(plain), struct_body),
        ("STATUS body: compiled construct", construct_body(compiled), struct_body),
        ("STATUS frame: plain construct body", frame_with(plain), struct_frame),
        ("STATUS frame: compiled construct body", frame_with(compiled), struct_frame),
        ("STATUS frame: our codec (as above)", ours_frame, struct_frame),
    ]
    rows = []
    for name, fn, base in contenders:
        seconds = baseline_s = float("inf")
        for _ in range(repeats):
            baseline_s = min(baseline_s, best_time(base, 1))
            seconds = min(seconds, best_time(fn, 1))
        rows.append(RefRow(name, seconds, baseline_s, n))
    return rows


# --- report ----------------------------------------------------------------------------------


def kfps(frames: int, seconds: float) -> str:
    return f"{frames / seconds / 1000:8.1f}"


def print_report(rows: list[Row], refs: list[RefRow], frames: int, repeats: int) -> None:
    print(
        f"Codec throughput, ours vs hand-written struct codec "
        f"({frames} frames per run, best of {repeats} runs, GC off while timing)"
    )
    print(
        f"Python {platform.python_version()} ({platform.machine()}), construct "
        f"{construct.__version__}, cobs C extension: {cobs._using_extension}"
    )
    print("Encode = encode_message + encode_frame; decode = FrameSplitter.feed + decode_message,")
    print("one frame per feed. Rates in thousands of frames per second (kfr/s).")
    print()
    header = (
        f"{'message':<16}{'wire B':>7} | {'struct enc':>10}{'ours enc':>10}{'ratio':>7} | "
        f"{'struct dec':>10}{'ours dec':>10}{'ratio':>7} | {'struct e+d':>10}{'ours e+d':>10}"
        f"{'RATIO':>7} {'goal':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        n = r.frames
        met = "ok" if r.ratio >= GOAL_RATIO else "MISS"
        print(
            f"{r.name:<16}{r.wire_bytes / n:7.1f} | "
            f"{kfps(n, r.b_enc_s):>10}{kfps(n, r.o_enc_s):>10}{r.b_enc_s / r.o_enc_s:7.2f} | "
            f"{kfps(n, r.b_dec_s):>10}{kfps(n, r.o_dec_s):>10}{r.b_dec_s / r.o_dec_s:7.2f} | "
            f"{kfps(n, r.b_enc_s + r.b_dec_s):>10}{kfps(n, r.o_enc_s + r.o_dec_s):>10}"
            f"{r.ratio:7.2f} {met:>5}"
        )
    print()
    print(f"Goal (the issue): ours/struct for encode+decode >= {GOAL_RATIO:.2f} for every row.")
    misses = [r.name for r in rows if r.ratio < GOAL_RATIO]
    worst = min(rows, key=lambda r: r.ratio)
    if misses:
        print(f"NOT MET for: {', '.join(misses)} (worst {worst.name}: {worst.ratio:.2f})")
    else:
        print(f"MET for every row (worst {worst.name}: {worst.ratio:.2f})")
    print()
    print("Informational: full tool receive path, ToolConnection.receive_data + next_event")
    print("(request matching, RTT sample, typed events), vs the struct baseline's decode.")
    header2 = f"{'message':<16} | {'struct dec':>10}{'tool recv':>10}{'ratio':>7}"
    print(header2)
    print("-" * len(header2))
    for r in rows:
        print(
            f"{r.name:<16} | {kfps(r.frames, r.b_dec_s):>10}{kfps(r.frames, r.tool_dec_s):>10}"
            f"{r.b_dec_s / r.tool_dec_s:7.2f}"
        )
    print()
    print("Reference: construct (what the codec avoids for fixed integer bodies), encode+decode")
    print("of STATUS vs the struct equivalent measured alongside.")
    header3 = f"{'what':<40}{'kfr/s':>9}{'struct':>9}{'ratio':>7}"
    print(header3)
    print("-" * len(header3))
    for ref in refs:
        print(
            f"{ref.name:<40}{kfps(ref.frames, ref.seconds):>9}"
            f"{kfps(ref.frames, ref.baseline_s):>9}{ref.baseline_s / ref.seconds:7.3f}"
        )


def profile(name: str, items: list[Item], top: int) -> None:
    wires = check_identical(items)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        ours_decode(ours_encode(items))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print(f"cProfile of our encode+decode, {name}, 5 x {len(wires)} frames (sorted by tottime)")
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (CI)")
    parser.add_argument("--frames", type=int, help="frames per timed run (default 20000)")
    parser.add_argument("--repeats", type=int, help="timed runs, best kept (default 7)")
    parser.add_argument(
        "--profile",
        metavar="MESSAGE",
        help="instead of the table, cProfile our path for one message "
        "(STATUS, EVENT, IDENTIFY, PING or MIXED)",
    )
    args = parser.parse_args(argv)
    frames = args.frames or (500 if args.quick else 20000)
    repeats = args.repeats or (2 if args.quick else 7)
    if not 0 < frames <= 0x8000:
        parser.error("--frames must be in 1..32768 (one outstanding request per response)")

    samples = sample_messages()
    rng = random.Random(2024)
    # The mixed stream: what a tool sees while polling a lock during a visit, by weight.
    weights = {"STATUS resp": 4, "EVENT": 4, "IDENTIFY resp": 1, "PING 64 B resp": 1}
    mixed = rng.choices(list(weights), weights=list(weights.values()), k=frames)
    streams = {name: make_items([m] * frames) for name, m in samples.items()}
    streams["mixed 4:4:1:1"] = make_items([samples[k] for k in mixed])

    if args.profile:
        wanted = args.profile.upper()
        for name, items in streams.items():
            if name.upper().startswith(wanted):
                profile(name, items, 25)
                return 0
        parser.error(f"no message {args.profile!r}")

    started = time.perf_counter()
    rows = [measure(name, items, repeats) for name, items in streams.items()]
    refs = construct_references(max(100, frames // 4), repeats)
    print_report(rows, refs, frames, repeats)
    print(f"\n(ran in {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
