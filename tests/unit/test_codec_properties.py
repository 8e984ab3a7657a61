"""Properties of the message codec: messages round-trip; bad bytes raise only remote errors."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from protocols.audit_messages import (
    AUDIT_REQUESTS,
    AUDIT_RESPONSES,
    AuditHeadRequest,
    AuditHeadResponse,
    AuditReadRequest,
    AuditReadResponse,
    ClockSetRequest,
    ClockSetResponse,
)
from protocols.catalogue import (
    KNOWN_FLAGS,
    Alerts,
    BoltState,
    DoorState,
    ErrorCode,
    EventKind,
    Flags,
    LockState,
    MsgType,
    RecoveryMethod,
    RecoveryResult,
    RefusalReason,
)
from protocols.codec import HEADER_SIZE, BadMessage, decode_message, encode_message
from protocols.diag_messages import (
    DIAG_REQUESTS,
    DIAG_RESPONSES,
    BoardError,
    ErrorLogRequest,
    ErrorLogResponse,
    KeypadTestRequest,
    KeypadTestResponse,
    MotorResult,
    MotorTestRequest,
    MotorTestResponse,
    Output,
    OutputTestRequest,
    OutputTestResponse,
    SensorsRequest,
    SensorsResponse,
)
from protocols.errors import (
    FrameTooShort,
    LocalProtocolError,
    MalformedMessage,
    RemoteProtocolError,
    UnknownMessageType,
    UnsupportedVersion,
)
from protocols.firmware_messages import (
    FIRMWARE_REQUESTS,
    FIRMWARE_RESPONSES,
    SLOT_RECORD,
    Compression,
    FirmwareActivateRequest,
    FirmwareActivateResponse,
    FirmwareBeginRequest,
    FirmwareBeginResponse,
    FirmwareConfirmRequest,
    FirmwareConfirmResponse,
    FirmwareDeltaRequest,
    FirmwareDeltaResponse,
    FirmwareHashRequest,
    FirmwareHashResponse,
    FirmwareHealthRequest,
    FirmwareHealthResponse,
    FirmwareSlot,
    FirmwareStatusRequest,
    FirmwareStatusResponse,
    FirmwareStreamRequest,
    FirmwareStreamResponse,
    FirmwareWriteRequest,
    FirmwareWriteResponse,
    InstallResult,
    SlotState,
    TrialState,
)
from protocols.framing import FrameSplitter, encode_frame
from protocols.messages import (
    ErrorResponse,
    HelloRequest,
    HelloResponse,
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
from protocols.trust_messages import (
    TRUST_REQUESTS,
    TRUST_RESPONSES,
    ConfigGetRequest,
    ConfigResponse,
    ConfigSetRequest,
    ConfigSetResponse,
    RecoveryAuthoriseRequest,
    RecoveryAuthoriseResponse,
    RecoveryChallengeRequest,
    RecoveryChallengeResponse,
    RecoverySealRequest,
    RecoverySealResponse,
    RevocationsRequest,
    RevocationsResponse,
    SessionAuthRequest,
    SessionAuthResponse,
    SessionEndRequest,
    SessionEndResponse,
    SessionInitRequest,
    SessionInitResponse,
)

SETTINGS = settings(max_examples=80, deadline=None)

u8 = st.integers(0, 0xFF)
flag = st.sampled_from([0, 1])
"""A closed flag field (SPEC.md 5): 0 or 1."""
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
i16 = st.integers(-0x8000, 0x7FFF)
i32 = st.integers(-0x8000_0000, 0x7FFF_FFFF)
b16 = st.binary(min_size=16, max_size=16)
b32 = st.binary(min_size=32, max_size=32)
b64 = st.binary(min_size=64, max_size=64)
UNKNOWN_FLAG_BITS = 0xFF & ~int(KNOWN_FLAGS)
"""0xF8: header flag bits version 1 does not define."""


def _fit_str8(text: str) -> str:
    """Cut ``text`` to at most 255 bytes of UTF-8 without splitting a character."""
    return text.encode("utf-8")[:255].decode("utf-8", errors="ignore")


str8 = st.one_of(
    st.text(max_size=300).map(_fit_str8),
    st.text(st.characters(min_codepoint=0x10000), min_size=63, max_size=63),  # 252 bytes
    st.just("é" * 127 + "x"),  # exactly 255 bytes
)

MESSAGES: dict[type[Message], st.SearchStrategy[Message]] = {
    HelloRequest: st.builds(HelloRequest, u8, u8, u16),
    HelloResponse: st.builds(HelloResponse, u8, u8, u8, u16, u32),
    IdentifyRequest: st.just(IdentifyRequest()),
    IdentifyResponse: st.builds(IdentifyResponse, str8, str8, str8, str8, str8, u8),
    StatusRequest: st.just(StatusRequest()),
    StatusResponse: st.builds(
        StatusResponse,
        st.sampled_from(LockState),
        st.sampled_from(DoorState),
        st.sampled_from(BoltState),
        u8,
        u32,
        u16,
        i16,
        u32,
        u8.map(Alerts),
    ),
    PingRequest: st.builds(PingRequest, st.binary(max_size=600)),
    PingResponse: st.builds(PingResponse, st.binary(max_size=600)),
    LockEvent: st.builds(LockEvent, st.sampled_from(EventKind), u32, i32),
    ErrorResponse: st.builds(ErrorResponse, st.sampled_from(ErrorCode), str8),
    # the secure session and recovery (protocols.trust_messages)
    SessionInitRequest: st.builds(
        SessionInitRequest, st.binary(min_size=32, max_size=32), b16, st.binary(max_size=300)
    ),
    SessionInitResponse: st.builds(
        SessionInitResponse,
        st.binary(min_size=32, max_size=32),
        b16,
        st.binary(min_size=64, max_size=64),
        st.binary(max_size=300),
    ),
    SessionAuthRequest: st.builds(SessionAuthRequest, st.binary(min_size=64, max_size=64)),
    SessionAuthResponse: st.builds(SessionAuthResponse, u8, u32, u32),
    SessionEndRequest: st.just(SessionEndRequest()),
    SessionEndResponse: st.just(SessionEndResponse()),
    RevocationsRequest: st.builds(RevocationsRequest, st.binary(max_size=400)),
    RevocationsResponse: st.builds(RevocationsResponse, u32, u32, u32),
    RecoveryChallengeRequest: st.just(RecoveryChallengeRequest()),
    RecoveryChallengeResponse: st.builds(RecoveryChallengeResponse, b16, u32, u32, u8, str8, str8),
    RecoveryAuthoriseRequest: st.builds(
        RecoveryAuthoriseRequest,
        st.sampled_from(RecoveryMethod),
        str8,
        st.binary(max_size=300),
    ),
    RecoveryAuthoriseResponse: st.builds(
        RecoveryAuthoriseResponse,
        st.sampled_from(RecoveryResult),
        st.sampled_from(RefusalReason),
        u32,
        u8,
        u16,
    ),
    RecoverySealRequest: st.just(RecoverySealRequest()),
    RecoverySealResponse: st.builds(RecoverySealResponse, u32, str8),
    # the lock policy (SPEC.md 13.2)
    ConfigGetRequest: st.just(ConfigGetRequest()),
    ConfigResponse: st.builds(ConfigResponse, u8, u16, u16, u8, u16, u16, u8, u8),
    ConfigSetRequest: st.builds(ConfigSetRequest, u8, u16, u16, u8, u16, u16, u8, u8),
    ConfigSetResponse: st.builds(ConfigSetResponse, u8, u16, u16, u8, u16, u16, u8, u8),
    # diagnostics (SPEC.md 16)
    SensorsRequest: st.just(SensorsRequest()),
    SensorsResponse: st.builds(
        SensorsResponse,
        u16,
        i16,
        u32,
        u32,
        flag,
        st.sampled_from(DoorState),
        st.sampled_from(BoltState),
        st.sampled_from(BoltState),
        u16,
    ),
    MotorTestRequest: st.just(MotorTestRequest()),
    MotorTestResponse: st.builds(
        MotorTestResponse, st.sampled_from(MotorResult), u16, u16, u16, u16, u16
    ),
    KeypadTestRequest: st.builds(KeypadTestRequest, flag, u16),
    KeypadTestResponse: st.builds(KeypadTestResponse, flag, u16),
    OutputTestRequest: st.builds(OutputTestRequest, st.sampled_from(Output), u16),
    OutputTestResponse: st.builds(OutputTestResponse, st.sampled_from(Output), u16),
    ErrorLogRequest: st.just(ErrorLogRequest()),
    ErrorLogResponse: st.builds(
        ErrorLogResponse,
        st.lists(
            st.fixed_dictionaries(
                {"code": st.sampled_from(BoardError), "count": u32, "first_s": u32, "last_s": u32}
            ),
            max_size=6,
        ),
    ),
    # audit trail and clock (SPEC.md 17)
    AuditHeadRequest: st.builds(AuditHeadRequest, b16),
    AuditHeadResponse: st.builds(AuditHeadResponse, u32, u32, b32, b32, u32, flag, b64),
    AuditReadRequest: st.builds(AuditReadRequest, u32, u16),
    AuditReadResponse: st.builds(AuditReadResponse, u32, u32, st.binary(max_size=300)),
    ClockSetRequest: st.builds(ClockSetRequest, u32, st.binary(max_size=200)),
    ClockSetResponse: st.builds(ClockSetResponse, u32, u32),
    # firmware status and install (SPEC.md 19, 20)
    FirmwareStatusRequest: st.just(FirmwareStatusRequest()),
    FirmwareStatusResponse: st.builds(
        FirmwareStatusResponse,
        st.sampled_from(FirmwareSlot),
        flag,
        u32,
        st.sampled_from(InstallResult),
        str8,
        st.lists(
            st.fixed_dictionaries(
                {
                    "slot": st.sampled_from([FirmwareSlot.A, FirmwareSlot.B]),
                    "state": st.sampled_from(SlotState),
                    "security_counter": u32,
                    "size": u32,
                    "version": str8,
                }
            ),
            min_size=2,
            max_size=2,
        ),
    ),
    FirmwareBeginRequest: st.builds(FirmwareBeginRequest, u32, b32),
    FirmwareBeginResponse: st.builds(
        FirmwareBeginResponse,
        st.sampled_from(FirmwareSlot),
        u32,
        b32,
        u32,
        u8,
        u32,
        st.sampled_from(TrialState),
        u32,
    ),
    FirmwareStreamRequest: st.builds(
        FirmwareStreamRequest, u32, st.sampled_from(Compression), u32, u32
    ),
    FirmwareStreamResponse: st.builds(FirmwareStreamResponse, u32),
    FirmwareWriteRequest: st.builds(FirmwareWriteRequest, u32, st.binary(max_size=600)),
    FirmwareWriteResponse: st.builds(FirmwareWriteResponse, u32, u32),
    FirmwareActivateRequest: st.builds(FirmwareActivateRequest, b32),
    FirmwareActivateResponse: st.builds(
        FirmwareActivateResponse, st.sampled_from(FirmwareSlot), b32
    ),
    FirmwareConfirmRequest: st.just(FirmwareConfirmRequest()),
    FirmwareConfirmResponse: st.builds(FirmwareConfirmResponse, st.sampled_from(FirmwareSlot), u32),
    FirmwareHealthRequest: st.just(FirmwareHealthRequest()),
    FirmwareHealthResponse: st.builds(FirmwareHealthResponse, u8, u8, u16),
    FirmwareHashRequest: st.builds(FirmwareHashRequest, st.sampled_from(FirmwareSlot), u32),
    FirmwareHashResponse: st.builds(FirmwareHashResponse, st.sampled_from(FirmwareSlot), u32, b32),
    FirmwareDeltaRequest: st.builds(
        FirmwareDeltaRequest,
        u32,
        st.sampled_from(FirmwareSlot),
        u32,
        b32,
        st.sampled_from(Compression),
        u32,
        u32,
    ),
    FirmwareDeltaResponse: st.builds(FirmwareDeltaResponse, u32),
}
any_message = st.one_of(*MESSAGES.values())
GREEDY: tuple[type[Message], ...] = (
    PingRequest,
    PingResponse,
    SessionInitRequest,
    SessionInitResponse,
    RevocationsRequest,
    RecoveryAuthoriseRequest,
    ErrorLogResponse,
    AuditReadResponse,
    ClockSetRequest,
    FirmwareWriteRequest,
)
"""Messages whose last field takes the rest of the body (bytes, or whole records): a longer or
shorter body can be theirs too."""


def _flags_for(message: Message) -> st.SearchStrategy[Flags]:
    if isinstance(message, Request):
        return st.sampled_from([Flags.NONE, Flags.RETRANSMIT])
    if isinstance(message, LockEvent):
        return st.sampled_from([Flags.NONE, Flags.RESPONSE])
    return st.sampled_from([Flags.RESPONSE, Flags.RESPONSE | Flags.RETRANSMIT])


@st.composite
def framed(draw: st.DrawFn) -> tuple[Message, int, Flags]:
    message = draw(any_message)
    return message, draw(u16), draw(_flags_for(message))


def test_strategies_cover_the_catalogue() -> None:
    from protocols.messages import REQUESTS, RESPONSES

    assert set(MESSAGES) == {
        *REQUESTS,
        *RESPONSES,
        LockEvent,
        *TRUST_REQUESTS,
        *TRUST_RESPONSES,
        *DIAG_REQUESTS,
        *DIAG_RESPONSES,
        *AUDIT_REQUESTS,
        *AUDIT_RESPONSES,
        *FIRMWARE_REQUESTS,
        *FIRMWARE_RESPONSES,
    }


def test_greedy_list_is_every_message_ending_in_greedy_bytes() -> None:
    from construct import GreedyBytes, GreedyRange, Renamed

    def ends_greedy(cls: type[Message]) -> bool:
        subcons = cls.BODY.subcons
        last = subcons[-1] if subcons else None
        return isinstance(last, Renamed) and (
            last.subcon is GreedyBytes or isinstance(last.subcon, GreedyRange)
        )

    assert set(GREEDY) == {cls for cls in MESSAGES if ends_greedy(cls)}


# --- round trips ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(framed())
def test_every_message_round_trips(case: tuple[Message, int, Flags]) -> None:
    message, seq, flags = case
    frame = encode_message(message, seq, flags)
    assert frame[:HEADER_SIZE] == struct.pack("<BBBH", 1, message.TYPE, flags, seq)
    decoded = decode_message(frame)
    assert decoded.message == message
    assert type(decoded.message) is type(message)
    assert (decoded.version, decoded.flags, decoded.seq) == (1, flags, seq)
    assert decoded.body == frame[HEADER_SIZE:]


@SETTINGS
@given(st.lists(framed(), min_size=1, max_size=5), st.integers(1, 50))
def test_messages_round_trip_through_the_wire(
    cases: list[tuple[Message, int, Flags]], chunk: int
) -> None:
    stream = b"".join(encode_frame(encode_message(m, s, f)) for m, s, f in cases)
    splitter = FrameSplitter(4096)
    out: list[bytes | RemoteProtocolError] = []
    for i in range(0, len(stream), chunk):
        out.extend(splitter.feed(stream[i : i + chunk]))
    assert [decode_message(frame).message for frame in out if isinstance(frame, bytes)] == [
        m for m, _, _ in cases
    ]


@SETTINGS
@given(st.sampled_from([HelloRequest, HelloResponse, ErrorResponse]), u8, st.data())
def test_frozen_layouts_decode_in_any_version(
    cls: type[Message], version: int, data: st.DataObject
) -> None:
    message = data.draw(MESSAGES[cls])
    flags = Flags.NONE if cls is HelloRequest else Flags.RESPONSE
    decoded = decode_message(encode_message(message, 1, flags, version))
    assert decoded.message == message
    assert decoded.version == version


@SETTINGS
@given(framed(), u8)
def test_other_messages_in_an_unknown_version_are_refused(
    case: tuple[Message, int, Flags], version: int
) -> None:
    message, seq, flags = case
    assume(message.TYPE not in (MsgType.HELLO, MsgType.ERROR) and version != 1)
    with pytest.raises(BadMessage) as caught:
        decode_message(encode_message(message, seq, flags, version))
    assert isinstance(caught.value.error, UnsupportedVersion)
    assert caught.value.header.seq == seq


# --- encoding refuses what the wire cannot carry --------------------------------------------


@SETTINGS
@given(st.text(min_size=1, max_size=40).map(lambda s: s * (255 // len(s.encode("utf-8")) + 1)))
def test_strings_over_255_bytes_are_refused(text: str) -> None:
    assert len(text.encode("utf-8")) > 255
    with pytest.raises(LocalProtocolError):
        encode_message(ErrorResponse(ErrorCode.INTERNAL, text), 1, Flags.RESPONSE)
    with pytest.raises(LocalProtocolError):
        encode_message(IdentifyResponse("s", "m", text, "f", "b", 1), 1, Flags.RESPONSE)


@pytest.mark.parametrize(
    "message",
    [
        HelloRequest(1, 1, 0x10000),
        HelloRequest(-1, 1, 256),
        HelloResponse(1, 1, 256, 256, 0),
        HelloResponse(1, 1, 1, 256, 1 << 32),
        StatusResponse(
            LockState.LOCKED, DoorState.CLOSED, BoltState.EXTENDED, 0, 0, 0, 0x8000, 0, Alerts(0)
        ),
        LockEvent(EventKind.TAMPER, 0, 1 << 31),
        LockEvent(EventKind.TAMPER, -1, 0),
        ErrorResponse(ErrorCode.BUSY, "x" * 256),
    ],
)
def test_out_of_range_fields_are_local_errors(message: Message) -> None:
    with pytest.raises(LocalProtocolError):
        encode_message(message, 1, Flags.RESPONSE)


@pytest.mark.parametrize("seq", [-1, 0x10000])
def test_out_of_range_seq_is_a_local_error(seq: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_message(StatusRequest(), seq)


# --- decoding arbitrary bytes ---------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_decode_arbitrary_bytes_raises_only_remote_errors(frame: bytes) -> None:
    try:
        decoded = decode_message(frame)
    except RemoteProtocolError:
        return
    # Anything accepted is the one canonical encoding of what it decoded to.
    assert encode_message(decoded.message, decoded.seq, decoded.flags, decoded.version) == frame


_KNOWN_TYPES = [int(t) for t in MsgType]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([1, 1, 1, 0, 2, 255]),
    st.sampled_from(_KNOWN_TYPES) | u8,
    u8,
    u16,
    st.binary(max_size=60),
)
def test_decode_plausible_headers_with_random_bodies(
    version: int, msg_type: int, flags: int, seq: int, body: bytes
) -> None:
    frame = struct.pack("<BBBH", version, msg_type, flags, seq) + body
    try:
        decoded = decode_message(frame)
    except BadMessage as error:
        assert isinstance(error.error, RemoteProtocolError)
        assert error.header == (version, msg_type, flags, seq)
        if flags & UNKNOWN_FLAG_BITS:
            assert isinstance(error.error, MalformedMessage)
        return
    assert flags & UNKNOWN_FLAG_BITS == 0, "a frame with an unknown flag was accepted"
    assert encode_message(decoded.message, seq, decoded.flags, version) == frame


def test_known_flags_are_the_three_of_the_spec() -> None:
    assert int(KNOWN_FLAGS) == 0x07
    assert UNKNOWN_FLAG_BITS == 0xF8
    assert [int(f) for f in (Flags.RESPONSE, Flags.RETRANSMIT, Flags.ENCRYPTED)] == [1, 2, 4]


@SETTINGS
@given(framed(), st.integers(0x08, 0xFF))
def test_any_unknown_flag_is_refused(case: tuple[Message, int, Flags], extra: int) -> None:
    message, seq, flags = case
    assume(extra & UNKNOWN_FLAG_BITS)
    frame = bytearray(encode_message(message, seq, flags))
    frame[2] |= extra
    with pytest.raises(BadMessage) as caught:
        decode_message(bytes(frame))
    assert isinstance(caught.value.error, MalformedMessage)


@SETTINGS
@given(framed(), st.binary(min_size=1, max_size=4))
def test_trailing_bytes_are_refused(case: tuple[Message, int, Flags], extra: bytes) -> None:
    message, seq, flags = case
    assume(not isinstance(message, GREEDY))  # a greedy last field takes any length
    with pytest.raises(BadMessage) as caught:
        decode_message(encode_message(message, seq, flags) + extra)
    assert isinstance(caught.value.error, MalformedMessage)


@SETTINGS
@given(framed(), st.integers(min_value=1))
def test_truncated_bodies_are_refused(case: tuple[Message, int, Flags], cut: int) -> None:
    message, seq, flags = case
    frame = encode_message(message, seq, flags)
    assume(len(frame) > HEADER_SIZE and not isinstance(message, GREEDY))
    cut = HEADER_SIZE + cut % (len(frame) - HEADER_SIZE)
    with pytest.raises(BadMessage) as caught:
        decode_message(frame[:cut])
    assert isinstance(caught.value.error, MalformedMessage)


def test_firmware_status_cut_inside_its_slot_records_is_refused() -> None:
    """Found by hypothesis: compiled construct read a cut record's string short and gave ''."""
    record = {"slot": FirmwareSlot.A, "state": SlotState.EMPTY, "security_counter": 0, "size": 0}
    message = FirmwareStatusResponse(
        FirmwareSlot.NONE,
        0,
        0,
        InstallResult.NONE,
        "é" * 127 + "x",
        [{**record, "version": ""}, {**record, "slot": FirmwareSlot.B, "version": "2.4.0"}],
    )
    frame = encode_message(message, 0, Flags.RESPONSE)
    for cut in range(HEADER_SIZE, len(frame)):
        with pytest.raises(BadMessage) as caught:
            decode_message(frame[:cut])
        assert isinstance(caught.value.error, MalformedMessage)


@pytest.mark.parametrize("cut", [1, 2, 5])
def test_truncated_final_string_is_refused(cut: int) -> None:
    frame = encode_message(ErrorResponse(ErrorCode.BUSY, "try again"), 3, Flags.RESPONSE)
    with pytest.raises(BadMessage) as caught:
        decode_message(frame[:-cut])
    assert isinstance(caught.value.error, MalformedMessage)


@pytest.mark.parametrize("length", range(HEADER_SIZE))
def test_short_frames_are_too_short(length: int) -> None:
    with pytest.raises(FrameTooShort):
        decode_message(bytes([1, 3, 0, 0, 0])[:length])


@pytest.mark.parametrize(
    ("offset", "value"),
    [(0, max(LockState) + 1), (0, 255), (1, max(DoorState) + 1), (2, max(BoltState) + 1)],
)
def test_status_with_undefined_enum_value_is_malformed(offset: int, value: int) -> None:
    body = bytearray(struct.pack("<BBBBIHhIB", 0, 0, 0, 0, 0, 0, 0, 0, 0))
    body[offset] = value
    frame = struct.pack("<BBBH", 1, MsgType.STATUS, Flags.RESPONSE, 9) + bytes(body)
    with pytest.raises(BadMessage) as caught:
        decode_message(frame)
    assert isinstance(caught.value.error, MalformedMessage)


_LAST_KIND = max(EventKind)


@pytest.mark.parametrize(
    ("kind", "ok"),
    [
        (0, False),
        (1, True),
        (14, True),
        (15, True),
        (18, True),
        (_LAST_KIND, True),
        (_LAST_KIND + 1, False),
        (0xFF, False),
    ],
)
def test_event_kinds_outside_the_catalogue_are_malformed(kind: int, ok: bool) -> None:
    frame = struct.pack("<BBBHBIi", 1, MsgType.EVENT, 0, 3, kind, 0, 0)
    if ok:
        assert decode_message(frame).message == LockEvent(EventKind(kind), 0, 0)
    else:
        with pytest.raises(BadMessage):
            decode_message(frame)


def test_alert_bits_outside_the_catalogue_are_kept() -> None:
    body = struct.pack("<BBBBIHhIB", 0, 0, 0, 0, 0, 0, 0, 0, 0xFF)
    frame = struct.pack("<BBBH", 1, MsgType.STATUS, Flags.RESPONSE, 9) + body
    message = decode_message(frame).message
    assert isinstance(message, StatusResponse)
    assert message.alerts == 0xFF
    assert Alerts.TAMPER in message.alerts and Alerts.LOW_BATTERY in message.alerts


@pytest.mark.parametrize(
    ("msg_type", "flags"),
    [
        *[(0x00, 0), (0x05, 0), (0x14, 0), (0x23, 0), (0x55, 0), (0x80, 0), (0xFF, 1)],
        *[(0x7F, 0), (0x05, 1), (0x14, 1), (0x1F, 0), (0x2F, 1), (0x3A, 0), (0x14, 4)],
        (0x23, 5),
    ],
)
def test_unknown_types_are_refused(msg_type: int, flags: int) -> None:
    with pytest.raises(BadMessage) as caught:
        decode_message(struct.pack("<BBBH", 1, msg_type, flags, 4))
    assert isinstance(caught.value.error, UnknownMessageType)


def test_every_type_outside_the_catalogue_is_unknown_in_both_directions() -> None:
    known = {int(t) for t in MsgType}
    assert known == {0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22}.union(
        {
            0x28,
            0x29,
            0x30,
            0x31,
            0x32,
            0x33,
            0x34,
            0x35,
            0x36,
            0x37,
            0x38,
            0x40,
            0x41,
            0x42,
            0x43,
            0x44,
            0x48,
            0x49,
            0x4A,
            0x70,
            0x7F,
        }
    )
    for msg_type in range(256):
        for flags in (Flags.NONE, Flags.RESPONSE):
            frame = struct.pack("<BBBH", 1, msg_type, flags, 4)
            if msg_type in known and (flags or msg_type != MsgType.ERROR):
                continue
            with pytest.raises(BadMessage) as caught:
                decode_message(frame)
            assert isinstance(caught.value.error, UnknownMessageType), hex(msg_type)


@pytest.mark.parametrize(
    "message",
    [
        SessionAuthRequest(b"\x01" * 63),
        SessionAuthRequest(b"\x01" * 65),
        SessionInitRequest(b"\x02" * 31, b"\x03" * 16, b"certificate"),
        SessionInitResponse(b"\x02" * 32, b"\x03" * 17, b"\x04" * 64, b""),
        RecoveryChallengeResponse(b"\x05" * 15, 1, 2, 3, "SL-0000-0001", "1234567890"),
    ],
)
def test_fixed_size_bytes_of_the_wrong_length_are_local_errors(message: Message) -> None:
    with pytest.raises(LocalProtocolError):
        encode_message(message, 1, Flags.RESPONSE)


# --- fields whose values the SPEC lists (SPEC.md 5: any other value is malformed) -----------

UNLISTED_CASES: list[tuple[type[Message], str, Iterable[int]]] = [
    (SensorsResponse, "door", DoorState),
    (SensorsResponse, "bolt_sensor", BoltState),
    (SensorsResponse, "bolt_commanded", BoltState),
    (KeypadTestRequest, "active", (0, 1)),
    (KeypadTestResponse, "active", (0, 1)),
    (ErrorLogResponse, "records.code", BoardError),
    (FirmwareStatusResponse, "slots.slot", (FirmwareSlot.A, FirmwareSlot.B)),
    (FirmwareStatusResponse, "slots.state", SlotState),
]
"""(message, field or ``records.field``, the values SPEC.md lists for it)"""


def _response_flags(message: Message) -> Flags:
    return Flags.NONE if isinstance(message, Request) else Flags.RESPONSE


@SETTINGS
@given(st.sampled_from(UNLISTED_CASES), st.data())
def test_values_the_spec_does_not_list_are_refused(
    case: tuple[type[Message], str, Iterable[int]], data: st.DataObject
) -> None:
    cls, field, listed = case
    allowed = {int(v) for v in listed}
    value = data.draw(u8.filter(lambda v: v not in allowed), label="value")
    message: Any = data.draw(MESSAGES[cls])
    if "." in field:  # one record's field
        key, name = field.split(".")
        records = [dict(r) for r in getattr(message, key)]
        assume(records)
        records[data.draw(st.integers(0, len(records) - 1), label="record")][name] = value
        message = dataclasses.replace(message, **{key: records})
    else:
        message = dataclasses.replace(message, **{field: value})
    frame = encode_message(message, 5, _response_flags(message))  # the encoder packs any u8
    with pytest.raises(BadMessage) as caught:
        decode_message(frame)
    assert isinstance(caught.value.error, MalformedMessage)
    assert caught.value.header.seq == 5


@SETTINGS
@given(MESSAGES[FirmwareStatusResponse], st.integers(0, 5).filter(lambda n: n != 2))
def test_firmware_status_needs_exactly_two_slot_records(message: Any, count: int) -> None:
    """SPEC.md 19.1: slot A, then slot B; fewer or more records are malformed, and the tool's
    own encoder refuses to send them."""
    records = [bytes(SLOT_RECORD.build(r)) for r in message.slots]
    frame = encode_message(message, 6, Flags.RESPONSE)
    head = frame[: len(frame) - sum(len(r) for r in records)]
    with pytest.raises(BadMessage) as caught:
        decode_message(head + b"".join((records * 3)[:count]))
    assert isinstance(caught.value.error, MalformedMessage)
    with pytest.raises(LocalProtocolError):
        encode_message(
            dataclasses.replace(message, slots=(message.slots * 3)[:count]), 6, Flags.RESPONSE
        )
