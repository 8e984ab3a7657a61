"""The codec and both connection objects against the golden vectors written from SPEC.md."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
import struct
import typing
import zlib
from dataclasses import replace
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import protocols
from protocols import codec, session
from protocols.audit_messages import (
    AUDIT_REQUESTS,
    AUDIT_RESPONSES,
    AuditHeadResponse,
    AuditReadResponse,
    ClockSetRequest,
    chain_hash,
    decode_entries,
    head_payload,
    kind_name,
)
from protocols.board import BoardConnection
from protocols.catalogue import (
    ABSOLUTE_MAX_FRAME,
    KNOWN_FLAGS,
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
from protocols.certificates import (
    Certificate,
    CertificateError,
    CertificateExpired,
    CertificateKind,
    Qualification,
    key_id,
    raw_public,
)
from protocols.codec import BadMessage, decode_message, encode_message
from protocols.diag_messages import DIAG_REQUESTS, DIAG_RESPONSES, BoardError, MotorResult, Output
from protocols.errors import MalformedMessage, NotInSession
from protocols.events import FrameRejected, RequestReceived, ResponseReceived, SessionEnded
from protocols.firmware_messages import (
    FIRMWARE_REQUESTS,
    FIRMWARE_RESPONSES,
    InstallResult,
    SlotState,
)
from protocols.framing import FrameSplitter, decode_frame, encode_frame
from protocols.golden import (
    bad_vectors,
    crypto_vector,
    crypto_vectors,
    encrypted_vectors,
    frame_bytes,
    good_vectors,
    load_vectors,
    make_extra_vectors,
    message_class,
    message_from_vector,
    vector,
    wire_bytes,
)
from protocols.messages import (
    REQUESTS,
    RESPONSES,
    ErrorResponse,
    HelloRequest,
    HelloResponse,
    IdentifyRequest,
    LockEvent,
    StatusRequest,
)
from protocols.recovery import (
    Authorisation,
    RecoveryError,
    RevocationList,
    TimeStatement,
    challenge_digits,
    check_digits_ok,
    damm_digit,
    device_recovery_secret,
    phone_response,
    seal_code,
    with_check_digit,
)
from protocols.session import (
    BoardSessionOffer,
    FrameCipher,
    SessionBroken,
    ToolHandshake,
    board_accept_init,
    board_check_auth,
    board_signed_bytes,
    hello_exchange,
    technician_signed_bytes,
    transcript_hash,
)
from protocols.tool import ToolConnection
from protocols.trust_messages import (
    TRUST_REQUESTS,
    TRUST_RESPONSES,
    RecoveryAuthoriseRequest,
    RecoveryChallengeResponse,
    RecoverySealResponse,
    RevocationsRequest,
    SessionEndRequest,
    SessionInitRequest,
    SessionInitResponse,
)

GOOD = good_vectors()
BAD = bad_vectors()
ENCRYPTED = encrypted_vectors()


def _ids(vectors: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vectors]


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


# --- the vectors file itself ----------------------------------------------------------------


def test_vectors_are_package_data() -> None:
    path = resources.files("protocols.golden").joinpath("vectors.json")
    assert path.is_file()
    data = load_vectors()
    assert data["format"] == 1
    assert data["protocol_version"] == 1
    assert len(data["good"]) >= 15
    assert len(data["bad"]) >= 10
    assert len(data["encrypted"]) >= 4
    names = _ids(data["good"]) + _ids(data["bad"]) + _ids(data["encrypted"])
    names += _ids(data["crypto"])
    assert len(names) == len(set(names)), "vector names must be unique"


def test_load_vectors_returns_a_fresh_copy() -> None:
    first = load_vectors()
    first["good"].clear()
    assert load_vectors()["good"], "a caller's change must not leak into the next load"


@pytest.mark.parametrize("item", GOOD, ids=_ids(GOOD))
def test_good_vector_is_self_consistent(item: dict[str, Any]) -> None:
    """Header bytes, CRC and delimiting of the JSON agree (checked without the codec)."""
    frame = frame_bytes(item)
    header = item["header"]
    assert frame[:5] == struct.pack(
        "<BBBH", header["version"], header["type"], header["flags"], header["seq"]
    )
    assert bytes.fromhex(item["crc32_hex"]) == struct.pack("<I", zlib.crc32(frame))
    wire = wire_bytes(item)
    assert wire.endswith(b"\x00")
    assert 0 not in wire[:-1]
    frame_size = len(frame) + 4
    assert frame_size <= item.get("min_max_frame", 256)


CATALOGUE: tuple[type[Any], ...] = (
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
)


def test_every_catalogue_message_has_a_good_vector() -> None:
    covered = {message_class(v) for v in GOOD}
    missing = [cls.__name__ for cls in CATALOGUE if cls not in covered]
    assert not missing, f"no golden vector for {', '.join(missing)}"


def test_the_catalogue_list_is_the_codecs() -> None:
    """Every class the codec knows is in CATALOGUE above, so a new family needs vectors too."""
    codec.load_catalogue()  # families past the core register at their first use
    assert set(CATALOGUE) == set(codec._BY_CLASS)


def test_extra_vectors_are_what_their_generator_computes() -> None:
    """The diagnostics, audit and firmware vectors, and those of recovery v2 (SPEC.md 12.3, 12.4,
    12.6, 12.8 and 13.2) and of the revocation list with its next update (11.3, 11.6), are those
    make_extra_vectors.py computes from SPEC.md (without the codec), and nobody edited them by
    hand."""
    data = load_vectors()
    extra = make_extra_vectors.message_vectors(data)
    recovery_v2 = 11  # 2 REVOCATIONS, 5 RECOVERY_AUTHORISE, 3 policy, 1 signed CLOCK_SET
    assert len(extra) == len(DIAG_REQUESTS + AUDIT_REQUESTS + FIRMWARE_REQUESTS) * 2 + recovery_v2
    assert [vector(item["name"]) for item in extra] == extra
    crypto = make_extra_vectors.recovery_crypto_vectors(data)
    assert [crypto_vector(item["name"]) for item in crypto] == crypto
    bad = make_extra_vectors.bad_message_vectors(data)
    assert len(bad) == len(make_extra_vectors.BAD_CASES)
    assert [vector(item["name"]) for item in bad] == bad
    assert make_extra_vectors.updated(data) == data


# The bad vectors of make_extra_vectors.py with a field holding a value the SPEC does not list,
# and why the codec refuses each (None: a count of records, refused by the layout).
_UNLISTED = {
    "diag_sensors_response_bad_door": "SensorsResponse: 3 is not a valid DoorState",
    "diag_sensors_response_bad_bolt_sensor": "SensorsResponse: 4 is not a valid BoltState",
    "diag_sensors_response_bad_bolt_commanded": "SensorsResponse: 255 is not a valid BoltState",
    "diag_keypad_test_request_bad_active": "KeypadTestRequest: 2 is not one of 0, 1",
    "diag_keypad_test_response_bad_active": "KeypadTestResponse: 2 is not one of 0, 1",
    "diag_error_log_response_bad_code": "ErrorLogResponse: 9 is not a valid BoardError",
    "diag_error_log_response_code_zero": "ErrorLogResponse: 0 is not a valid BoardError",
    "firmware_status_response_bad_slot": "FirmwareStatusResponse: 3 is not one of 1, 2",
    "firmware_status_response_slot_none": "FirmwareStatusResponse: 0 is not one of 1, 2",
    "firmware_status_response_bad_state": "FirmwareStatusResponse: 4 is not a valid SlotState",
    "diag_sensors_response_bad_tamper_open": "SensorsResponse: 2 is not one of 0, 1",
    "firmware_status_response_bad_trial_pending": "FirmwareStatusResponse: 255 is not one of 0, 1",
    "audit_head_response_bad_signed": "AuditHeadResponse: 2 is not one of 0, 1",
    "firmware_status_response_one_slot": None,
    "firmware_status_response_three_slots": None,
}


def test_every_generated_bad_vector_is_explained() -> None:
    names = [case[1] for case in make_extra_vectors.BAD_CASES]
    assert sorted(names) == sorted(_UNLISTED)


@pytest.mark.parametrize(("name", "detail"), _UNLISTED.items())
def test_unlisted_values_are_refused_for_that_value(name: str, detail: str | None) -> None:
    """Each generated bad vector is refused as malformed, and for the value it changed (not for
    a length or a string it broke by accident)."""
    frame = decode_frame(wire_bytes(vector(name))[:-1])
    with pytest.raises(BadMessage) as caught:
        decode_message(frame)
    assert isinstance(caught.value.error, MalformedMessage)
    if detail is not None:
        assert str(caught.value.error) == detail


def test_required_vectors_are_present() -> None:
    identity = vector("identify_response")
    assert identity["header"] == {"version": 1, "type": 2, "flags": 1, "seq": 0x0102}
    assert identity["fields"] == {
        "serial": "SL-0000-0001",
        "model": "SL-100",
        "hardware_revision": "B",
        "firmware_version": "2.3.1",
        "bootloader_version": "1.0.0",
        "protocol_version": 1,
    }
    assert vector("ping_request")["fields"] == {"data": "68656c6c6f"}
    long_ping = bytes.fromhex(vector("ping_request_long")["fields"]["data"])
    assert len(long_ping) > 254
    assert 0 in long_ping
    assert 0xFF in wire_bytes(vector("ping_request_long"))
    assert vector("error_unknown_type")["fields"]["detail"] == "unknown request type 0x55"
    assert vector("status_request_retransmit")["header"]["flags"] == Flags.RETRANSMIT
    errors = {v["error"] for v in BAD}
    assert {"FrameCorrupt", "MalformedMessage", "UnknownMessageType"} <= errors
    assert {"NotInSession", "SessionBroken"} <= errors
    # 0x04 is ENCRYPTED now: the "unknown flag" vector must use a flag that is really unknown.
    unknown_flag = vector("unknown_flag_request")["header"]["flags"]
    assert unknown_flag == 0x08 and not unknown_flag & KNOWN_FLAGS
    assert vector("error_unknown_flags")["fields"]["detail"] == "unknown header flags 0x08"
    assert vector("encrypted_outside_session")["header"]["flags"] == Flags.ENCRYPTED
    assert vector("recovery_challenge_request")["frame_hex"] == "0120001004"
    assert vector("session_end_request")["fields"] == {}
    assert vector("revocations_request")["fields"]["revocation_list"]


# --- codec: fields to bytes and back --------------------------------------------------------


@pytest.mark.parametrize("item", GOOD, ids=_ids(GOOD))
def test_codec_encodes_fields_to_golden_bytes(item: dict[str, Any]) -> None:
    header = item["header"]
    message = message_from_vector(item)
    frame = encode_message(message, header["seq"], Flags(header["flags"]), header["version"])
    assert frame.hex() == item["frame_hex"]
    assert encode_frame(frame).hex() == item["wire_hex"]


def _expected_value(cls: type[Any], name: str, raw: Any) -> Any:
    hint = typing.get_type_hints(cls)[name]
    if hint is bytes:
        return bytes.fromhex(raw)
    return raw


@pytest.mark.parametrize("item", GOOD, ids=_ids(GOOD))
def test_codec_decodes_golden_bytes_to_fields(item: dict[str, Any]) -> None:
    wire = wire_bytes(item)
    splitter = FrameSplitter(ABSOLUTE_MAX_FRAME)
    frames = list(splitter.feed(wire))
    assert frames == [frame_bytes(item)]
    assert decode_frame(wire[:-1]) == frame_bytes(item)

    decoded = decode_message(frame_bytes(item))
    header = item["header"]
    assert (decoded.version, decoded.flags, decoded.seq) == (
        header["version"],
        header["flags"],
        header["seq"],
    )
    message = decoded.message
    assert type(message).__name__ == item["message"]
    assert header["type"] == message.TYPE
    hints = typing.get_type_hints(type(message))
    names = {f.name for f in dataclasses.fields(message)}
    assert names == set(item["fields"]), "the vector must give every field"
    for name, raw in item["fields"].items():
        value = getattr(message, name)
        assert value == _expected_value(type(message), name, raw), name
        hint = hints[name]
        assert isinstance(value, hint if isinstance(hint, type) else object), name
    for name, expected in item.get("enum_names", {}).items():
        _check_enum_names(getattr(message, name), expected)
    assert message == message_from_vector(item)


def _check_enum_names(value: Any, expected: Any) -> None:
    """``expected``: a member's name, a Flag's names (a list of strings), or for a list of
    records one object of names per record."""
    if isinstance(expected, list) and all(isinstance(e, dict) for e in expected):
        assert isinstance(value, list) and len(value) == len(expected)
        for record, names in zip(value, expected, strict=True):
            for key, name in names.items():
                _check_enum_names(record[key], name)
        return
    assert isinstance(value, enum.Enum)
    if isinstance(expected, list):
        assert isinstance(value, enum.Flag)
        assert sorted(str(m.name) for m in type(value) if m in value) == sorted(expected)
    else:
        assert value.name == expected


def test_splitter_recovers_every_golden_frame_fed_one_byte_at_a_time() -> None:
    stream = b"".join(wire_bytes(v) for v in GOOD)
    splitter = FrameSplitter(ABSOLUTE_MAX_FRAME)
    out: list[bytes | Exception] = []
    for i in range(len(stream)):
        out.extend(splitter.feed(stream[i : i + 1]))
    assert out == [frame_bytes(v) for v in GOOD]


# --- bad vectors ----------------------------------------------------------------------------


def _unwrap(error: Exception) -> Exception:
    return error.error if isinstance(error, BadMessage) else error


_CODEC_BAD = [v for v in BAD if v["stage"] != "session"]
_SESSION_BAD = [v for v in BAD if v["stage"] == "session"]


@pytest.mark.parametrize("item", _CODEC_BAD, ids=_ids(_CODEC_BAD))
def test_bad_vector_raises_the_named_error(item: dict[str, Any]) -> None:
    wire = wire_bytes(item)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    items = list(FrameSplitter(item.get("max_frame", ABSOLUTE_MAX_FRAME)).feed(wire))
    assert len(items) == 1
    if item["stage"] == "frame":
        assert isinstance(items[0], Exception)
        assert type(items[0]).__name__ == item["error"]
        if "max_frame" in item:  # intact, and one byte over the receiver's limit
            assert len(decode_frame(wire[:-1])) + 4 == item["max_frame"] + 1
            return
        with pytest.raises(Exception) as caught:
            decode_frame(wire[:-1])
        assert type(caught.value).__name__ == item["error"]
        return
    assert item["stage"] == "message"
    frame = items[0]
    assert isinstance(frame, bytes), f"the frame itself must be intact, got {frame!r}"
    with pytest.raises(Exception) as caught:
        decode_message(frame)
    error = caught.value
    assert type(_unwrap(error)).__name__ == item["error"]
    if "header" in item:
        assert isinstance(error, BadMessage)
        header = item["header"]
        assert error.header == (header["version"], header["type"], header["flags"], header["seq"])
    else:
        assert not isinstance(error, BadMessage)


# --- the board against the vectors ----------------------------------------------------------


def test_board_answers_unknown_type_with_golden_error() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(vector("unknown_type_request")))
    assert board.data_to_send() == wire_bytes(vector("error_unknown_type"))
    event = board.next_event()
    assert isinstance(event, FrameRejected)
    assert type(
        event.error.error if isinstance(event.error, BadMessage) else event.error
    ).__name__ == ("UnknownMessageType")
    assert board.next_event() is None


_WITH_REPLY = [v for v in BAD if "board_reply" in v]  # at a board with no session


@pytest.mark.parametrize("item", _WITH_REPLY, ids=_ids(_WITH_REPLY))
def test_board_replies_to_bad_request_with_golden_bytes(item: dict[str, Any]) -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(item))
    assert board.data_to_send() == wire_bytes(vector(item["board_reply"]))


_NO_PINNED_REPLY = [v for v in _CODEC_BAD if "board_reply" not in v]


@pytest.mark.parametrize("item", _NO_PINNED_REPLY, ids=_ids(_NO_PINNED_REPLY))
def test_board_answers_intact_bad_requests_and_ignores_the_rest(item: dict[str, Any]) -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(item))
    reply = board.data_to_send()
    header = item.get("header")
    if header is None or header["flags"] & Flags.RESPONSE:
        assert reply == b"", "no answer to a frame whose header is untrusted or a response"
        return
    frames = list(FrameSplitter(ABSOLUTE_MAX_FRAME).feed(reply))
    assert len(frames) == 1 and isinstance(frames[0], bytes)
    decoded = decode_message(frames[0])
    assert decoded.seq == header["seq"]
    assert decoded.flags == Flags.RESPONSE
    assert isinstance(decoded.message, ErrorResponse)
    expected = {"MalformedMessage": 2, "UnknownMessageType": 1, "UnsupportedVersion": 3}
    assert decoded.message.code == expected[item["error"]]


def test_board_answers_hello_with_golden_response() -> None:
    board = BoardConnection(boot_id=0x12345678, max_frame=4160)
    board.receive_data(wire_bytes(vector("hello_request")))
    assert board.data_to_send() == wire_bytes(vector("hello_response"))


def test_board_answers_and_replays_status_with_golden_bytes() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(vector("status_request")))
    event = board.next_event()
    assert isinstance(event, RequestReceived)
    assert isinstance(event.request, StatusRequest)
    board.send_response(event.seq, message_from_vector(vector("status_response")))  # type: ignore[arg-type]
    golden = wire_bytes(vector("status_response"))
    assert board.data_to_send() == golden
    board.receive_data(wire_bytes(vector("status_request_retransmit")))
    assert board.next_event() is None, "a resend must not be carried out again"
    assert board.data_to_send() == golden


def test_board_echoes_ping_with_golden_bytes() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(vector("ping_request")))
    event = board.next_event()
    assert isinstance(event, RequestReceived)
    board.send_response(event.seq, message_from_vector(vector("ping_response")))  # type: ignore[arg-type]
    assert board.data_to_send() == wire_bytes(vector("ping_response"))


def test_board_numbers_events_from_zero_as_the_vectors_do() -> None:
    board = BoardConnection(boot_id=1)
    power_on = message_from_vector(vector("event_power_on"))
    wrong_code = message_from_vector(vector("event_wrong_code"))
    assert isinstance(power_on, LockEvent) and isinstance(wrong_code, LockEvent)
    board.send_event(power_on)
    assert board.data_to_send() == wire_bytes(vector("event_power_on"))
    for _ in range(6):
        board.send_event(power_on)
    board.data_to_send()
    board.send_event(wrong_code)
    assert board.data_to_send() == wire_bytes(vector("event_wrong_code"))


# --- the tool against the vectors -----------------------------------------------------------


def test_tool_sends_golden_hello_and_reads_the_golden_answer() -> None:
    clock = FakeClock()
    tool = ToolConnection(clock, initial_seq=0x0100)
    tool.send_request(tool.hello(), timeout_s=1.0)
    assert tool.data_to_send() == wire_bytes(vector("hello_request"))
    tool.receive_data(wire_bytes(vector("hello_response")))
    event = tool.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response == message_from_vector(vector("hello_response"))
    assert tool.peer_max_frame == 4160
    assert tool.boot_id == 0x12345678


def test_tool_sends_golden_identify_and_reads_the_golden_answer() -> None:
    tool = ToolConnection(FakeClock(), initial_seq=0x0102)
    tool.send_request(IdentifyRequest(), timeout_s=1.0)
    assert tool.data_to_send() == wire_bytes(vector("identify_request"))
    tool.receive_data(wire_bytes(vector("identify_response")))
    event = tool.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.response == message_from_vector(vector("identify_response"))


def test_tool_resends_with_the_golden_retransmit_bytes() -> None:
    clock = FakeClock()
    tool = ToolConnection(clock, initial_seq=0x0103)
    tool.send_request(StatusRequest(), timeout_s=5.0)
    assert tool.data_to_send() == wire_bytes(vector("status_request"))
    deadline = tool.next_deadline()
    assert deadline is not None
    clock.now_s = deadline
    tool.handle_timers()
    assert tool.data_to_send() == wire_bytes(vector("status_request_retransmit"))
    tool.receive_data(wire_bytes(vector("status_response")))
    event = tool.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.attempts == 2


def test_tool_reads_golden_error_as_the_answer_to_its_request() -> None:
    tool = ToolConnection(FakeClock(), initial_seq=7)
    seq = tool.send_request(StatusRequest(), timeout_s=1.0)
    assert seq == 7
    tool.receive_data(wire_bytes(vector("error_unknown_type")))
    event = tool.next_event()
    assert isinstance(event, ResponseReceived)
    assert isinstance(event.response, ErrorResponse)
    assert event.response.code == 1
    assert event.response.detail == "unknown request type 0x55"


def test_wire_examples_in_the_spec_are_golden_vectors() -> None:
    """Every wire listing in SPEC.md (a code block of hex bytes ending in 00) is a vector."""
    spec = (Path(protocols.__file__).parent / "SPEC.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n([0-9a-f \n]+)\n```", spec)
    listings = ["".join(block.split()) for block in blocks]
    wires = [item for item in listings if item.endswith("00")]
    assert len(wires) >= 3
    golden = {v["wire_hex"] for v in (*GOOD, *ENCRYPTED)}
    for item in wires:
        assert item in golden, f"SPEC.md shows {item} which no golden vector holds"


# --- encryption outside a session, and inside one -------------------------------------------


def test_board_refuses_an_encrypted_frame_outside_a_session_with_golden_error() -> None:
    item = vector("encrypted_outside_session")
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(item))
    assert board.data_to_send() == wire_bytes(vector(item["board_reply"]))
    (event,) = list(iter(board.next_event, None))
    assert isinstance(event, FrameRejected)
    assert isinstance(event.error, BadMessage)
    assert isinstance(event.error.error, NotInSession)
    header = item["header"]
    assert event.error.header == (header["version"], header["type"], header["flags"], header["seq"])
    reply = message_from_vector(vector("error_not_in_session"))
    assert isinstance(reply, ErrorResponse) and reply.code == ErrorCode.NOT_ALLOWED


def test_tool_drops_an_encrypted_frame_outside_a_session_without_answering() -> None:
    tool = ToolConnection(FakeClock(), initial_seq=0x0402)
    tool.send_request(StatusRequest(), timeout_s=1.0)
    tool.data_to_send()
    tool.receive_data(wire_bytes(vector("status_response_encrypted")))
    (event,) = list(iter(tool.next_event, None))
    assert isinstance(event, FrameRejected)
    assert isinstance(event.error, BadMessage) and isinstance(event.error.error, NotInSession)
    assert tool.data_to_send() == b""
    assert tool.outstanding == 1, "the request waits for a real answer"


@pytest.mark.parametrize("item", ENCRYPTED, ids=_ids(ENCRYPTED))
def test_encrypted_vector_is_self_consistent(item: dict[str, Any]) -> None:
    """Header, counter, nonce, CRC and stuffing of the JSON agree (checked without the code)."""
    frame = frame_bytes(item)
    header = item["header"]
    assert frame[:5] == struct.pack(
        "<BBBH", header["version"], header["type"], header["flags"], header["seq"]
    )
    assert header["flags"] & Flags.ENCRYPTED
    assert frame[5:13] == struct.pack("<Q", item["counter"])
    assert bytes.fromhex(item["nonce_hex"]) == bytes(4) + struct.pack("<Q", item["counter"])
    plaintext = bytes.fromhex(item["plaintext_body_hex"])
    assert len(frame) == 5 + 8 + len(plaintext) + 16
    assert bytes.fromhex(item["crc32_hex"]) == struct.pack("<I", zlib.crc32(frame))
    wire = wire_bytes(item)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    assert len(frame) + 4 <= 256


def test_encrypted_vectors_count_up_in_each_direction() -> None:
    for direction in ("tool_to_board", "board_to_tool"):
        counters = [v["counter"] for v in ENCRYPTED if v["direction"] == direction]
        assert counters == list(range(1, len(counters) + 1))


@pytest.mark.parametrize("item", ENCRYPTED, ids=_ids(ENCRYPTED))
def test_encrypted_vector_plaintext_is_the_codec_body(item: dict[str, Any]) -> None:
    header = item["header"]
    plain = encode_message(
        message_from_vector(item), header["seq"], Flags(header["flags"]), header["version"]
    )
    assert plain[5:].hex() == item["plaintext_body_hex"]
    decoded = decode_message(plain)
    assert decoded.message == message_from_vector(item)
    assert decoded.flags & Flags.ENCRYPTED


_ENCRYPTED_BAD = [v for v in _SESSION_BAD if "session" in v]


def _in_session(board: BoardConnection) -> bool:
    return board.cipher is not None


@pytest.mark.parametrize("item", _ENCRYPTED_BAD, ids=_ids(_ENCRYPTED_BAD))
def test_board_in_session_rejects_tampered_frame_and_ends_the_session(
    item: dict[str, Any],
) -> None:
    _, board_cipher = golden_ciphers()
    board = BoardConnection(boot_id=1)
    board.cipher = board_cipher
    board.receive_data(wire_bytes(item))
    events = list(iter(board.next_event, None))
    assert [type(e) for e in events] == [SessionEnded, FrameRejected]
    rejected = events[1]
    assert isinstance(rejected, FrameRejected)
    assert type(rejected.error).__name__ == item["error"]
    assert isinstance(rejected.error, SessionBroken)
    assert not _in_session(board)
    assert board.data_to_send() == b"", "nothing is answered to a frame that failed the AEAD"
    # Once the session is gone the genuine frame is refused like any encrypted frame.
    board.receive_data(wire_bytes(vector("status_request_encrypted")))
    assert board.data_to_send() == wire_bytes(vector("error_not_in_session"))


# --- cryptographic formats against the crypto vectors ---------------------------------------


def _hex(item: dict[str, Any], key: str) -> bytes:
    return bytes.fromhex(item[key])


def _private(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_hex(crypto_vector(name), "seed_hex"))


def _public(name: str) -> Ed25519PublicKey:
    return _private(name).public_key()


def golden_ciphers() -> tuple[FrameCipher, FrameCipher]:
    """The tool's and the board's frame cipher of the golden handshake, fresh (no frame yet)."""
    handshake = crypto_vector("handshake")
    to_board = _hex(handshake, "key_tool_to_board_hex")
    to_tool = _hex(handshake, "key_board_to_tool_hex")
    return (
        FrameCipher(send_key=to_board, receive_key=to_tool),
        FrameCipher(send_key=to_tool, receive_key=to_board),
    )


_KEYS = [v for v in crypto_vectors() if v["kind"] == "ed25519_key"]


@pytest.mark.parametrize("item", _KEYS, ids=_ids(_KEYS))
def test_key_ids_are_the_first_8_bytes_of_sha256_of_the_raw_key(item: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.from_private_bytes(_hex(item, "seed_hex"))
    assert raw_public(key.public_key()).hex() == item["public_key_hex"]
    assert key_id(key.public_key()).hex() == item["key_id_hex"]
    assert key_id(_hex(item, "public_key_hex")).hex() == item["key_id_hex"]


_CERTIFICATES = [v for v in crypto_vectors() if v["kind"] == "certificate"]


def _certificate_from(item: dict[str, Any]) -> Certificate:
    fields = item["fields"]
    return Certificate(
        kind=CertificateKind(fields["kind"]),
        serial_number=fields["serial_number"],
        subject_id=fields["subject_id"],
        name=fields["name"],
        region=fields["region"],
        qualifications=Qualification(fields["qualifications"]),
        not_before=fields["not_before"],
        not_after=fields["not_after"],
        public_key=bytes.fromhex(fields["public_key"]),
        issuer_key_id=b"",
    )


@pytest.mark.parametrize("item", _CERTIFICATES, ids=_ids(_CERTIFICATES))
def test_certificate_encodes_and_signs_as_the_golden_vector(item: dict[str, Any]) -> None:
    signer = _private(f"key_{item['signer']}")
    certificate = _certificate_from(item).signed_by(signer)
    assert certificate.issuer_key_id.hex() == item["fields"]["issuer_key_id"]
    assert certificate.to_be_signed().hex() == item["to_be_signed_hex"]
    assert certificate.signature.hex() == item["signature_hex"]
    assert certificate.encode().hex() == item["encoded_hex"]
    assert len(certificate.encode()) == item["size"]


@pytest.mark.parametrize("item", _CERTIFICATES, ids=_ids(_CERTIFICATES))
def test_certificate_decodes_and_verifies_from_the_golden_vector(item: dict[str, Any]) -> None:
    decoded = Certificate.decode(_hex(item, "encoded_hex"))
    expected = replace(
        _certificate_from(item),
        issuer_key_id=bytes.fromhex(item["fields"]["issuer_key_id"]),
        signature=_hex(item, "signature_hex"),
    )
    assert decoded == expected
    issuer = _public(f"key_{item['signer']}")
    fields = item["fields"]
    for now in (fields["not_before"], fields["not_after"]):  # inclusive at both ends
        decoded.verify(issuer, now=now, kind=decoded.kind)
    with pytest.raises(CertificateExpired):
        decoded.verify(issuer, now=fields["not_after"] + 1, kind=decoded.kind)
    with pytest.raises(CertificateError):
        decoded.verify(_public("key_technician"), now=fields["not_before"], kind=decoded.kind)
    other = next(k for k in CertificateKind if k != decoded.kind)
    with pytest.raises(CertificateError):
        decoded.verify(issuer, now=fields["not_before"], kind=other)


def test_certificate_is_about_170_bytes_and_fits_a_minimum_frame() -> None:
    for item in _CERTIFICATES:
        assert 125 <= item["size"] <= 256 - 9 - 48  # SESSION_INIT request: 48 bytes before it


def test_authorisation_encodes_and_decodes_as_the_golden_vector() -> None:
    item = crypto_vector("authorisation")
    fields = item["fields"]
    unsigned = Authorisation(
        serial=fields["serial"],
        nonce=bytes.fromhex(fields["nonce"]),
        counter=fields["counter"],
        technician_id=fields["technician_id"],
        certificate_serial=fields["certificate_serial"],
        recovery_id=fields["recovery_id"],
        issued_at=fields["issued_at"],
    )
    token = unsigned.signed_by(_private("key_authority"))
    assert token.issuer_key_id.hex() == fields["issuer_key_id"]
    assert token.to_be_signed().hex() == item["to_be_signed_hex"]
    assert token.signature.hex() == item["signature_hex"]
    assert token.encode().hex() == item["encoded_hex"]
    decoded = Authorisation.decode(_hex(item, "encoded_hex"))
    assert decoded == token
    decoded.verify_signature(_public("key_authority"))
    with pytest.raises(RecoveryError):
        decoded.verify_signature(_public("key_technician"))
    assert len(token.encode()) == 110 + len(fields["serial"]) + len(fields["technician_id"])
    online = message_from_vector(vector("recovery_authorise_request_online"))
    assert isinstance(online, RecoveryAuthoriseRequest) and online.token == token.encode()


def test_time_statement_encodes_and_decodes_as_the_golden_vector() -> None:
    item = crypto_vector("time_statement")
    fields = item["fields"]
    statement = TimeStatement(fields["serial"], fields["time_s"]).signed_by(
        _private("key_authority")
    )
    assert statement.issuer_key_id.hex() == fields["issuer_key_id"]
    assert statement.to_be_signed().hex() == item["to_be_signed_hex"]
    assert statement.encode().hex() == item["encoded_hex"]
    decoded = TimeStatement.decode(_hex(item, "encoded_hex"))
    assert decoded == statement
    decoded.verify_signature(_public("key_authority"))
    with pytest.raises(RecoveryError):
        decoded.verify_signature(_public("key_technician"))
    tampered = bytearray(_hex(item, "encoded_hex"))
    tampered[-70] ^= 1  # the time itself
    with pytest.raises(RecoveryError):
        TimeStatement.decode(bytes(tampered)).verify_signature(_public("key_authority"))
    clock_set = message_from_vector(vector("clock_set_request_signed"))
    assert isinstance(clock_set, ClockSetRequest)
    assert clock_set.statement == statement.encode() and clock_set.time_s == fields["time_s"]


def test_revocation_list_encodes_and_decodes_as_the_golden_vector() -> None:
    item = crypto_vector("revocation_list")
    fields = item["fields"]
    crl = RevocationList(
        fields["issued_at"], fields["next_update"], tuple(fields["serials"])
    ).signed_by(_private("key_authority"))
    assert crl.issuer_key_id.hex() == fields["issuer_key_id"]
    assert crl.to_be_signed().hex() == item["to_be_signed_hex"]
    assert crl.signature.hex() == item["signature_hex"]
    assert crl.encode().hex() == item["encoded_hex"]
    decoded = RevocationList.decode(_hex(item, "encoded_hex"))
    assert decoded == crl
    decoded.verify_signature(_public("key_authority"))
    revocations = message_from_vector(vector("revocations_request"))
    assert isinstance(revocations, RevocationsRequest)
    assert revocations.revocation_list == crl.encode()


def test_damm_check_digits_match_the_golden_cases() -> None:
    cases = crypto_vector("damm")["cases"]
    assert ["572", "4"] in cases  # the textbook example
    for digits, check in cases:
        assert damm_digit(digits) == check
        assert with_check_digit(digits) == digits + check
        if digits:
            assert check_digits_ok(digits + check)


def test_challenge_digits_match_the_golden_vector() -> None:
    item = crypto_vector("challenge_digits")
    assert challenge_digits(_hex(item, "nonce_hex")) == item["digits"]
    challenge = message_from_vector(vector("recovery_challenge_response"))
    assert isinstance(challenge, RecoveryChallengeResponse)
    assert challenge.challenge == item["digits"]
    assert challenge.nonce.hex() == item["nonce_hex"]


def test_recovery_secret_matches_the_golden_vector() -> None:
    item = crypto_vector("recovery_secret")
    secret = device_recovery_secret(_hex(item, "master_secret_hex"), item["serial"])
    assert secret.hex() == item["secret_hex"]


def test_phone_response_matches_the_golden_vector() -> None:
    item = crypto_vector("phone_response")
    response = phone_response(
        _hex(item, "secret_hex"),
        item["serial"],
        item["challenge"],
        item["counter"],
        item["technician_id"],
    )
    assert response == item["response"]
    assert len(response) == 13 and check_digits_ok(response)
    phone = message_from_vector(vector("recovery_authorise_request_phone"))
    assert isinstance(phone, RecoveryAuthoriseRequest) and phone.digits == response


def test_seal_code_matches_the_golden_vector() -> None:
    item = crypto_vector("seal_code")
    seal = seal_code(
        _hex(item, "secret_hex"), item["serial"], item["recovery_counter"], item["challenge"]
    )
    assert seal == item["seal"]
    assert len(seal) == 9 and check_digits_ok(seal)
    answer = message_from_vector(vector("recovery_seal_response"))
    assert isinstance(answer, RecoverySealResponse) and answer.seal == seal


def test_audit_vectors_chain_and_verify_with_the_audit_module() -> None:
    """The trail of audit_read_response chains to audit_head_response's head_hash, and the
    head's signature (made from SPEC.md 17.2 without the code) verifies over head_payload."""
    read = message_from_vector(vector("audit_read_response"))
    head = message_from_vector(vector("audit_head_response"))
    assert isinstance(read, AuditReadResponse) and isinstance(head, AuditHeadResponse)
    entries = decode_entries(read.entries)
    assert [(e.index, e.kind_name) for e in entries] == [(0, "power_on"), (1, "session_opened")]
    assert entries[0].detail() == {"boot": 1}
    assert kind_name(entries[1].kind, entries[1].detail()) == "session_opened"
    previous = head.start_hash
    for entry in entries:
        previous = chain_hash(previous, entry.canonical())
        assert previous[:8] == entry.check
    assert previous == head.head_hash
    assert (head.count, head.first_index, head.signed) == (len(entries), 0, 1)
    nonce = bytes.fromhex(vector("audit_head_request")["fields"]["nonce"])
    payload = head_payload(
        serial="SL-0000-0001",
        nonce=nonce,
        count=head.count,
        first_index=head.first_index,
        start_hash=head.start_hash,
        head_hash=head.head_hash,
        time_s=head.time_s,
    )
    _public("key_device").verify(head.signature, payload)


# --- the handshake with fixed randomness ----------------------------------------------------


class _FixedRandomness:
    """Stands in for the ephemeral-key generator and os.urandom of protocols.session."""

    def __init__(self, keys: list[bytes], nonces: list[bytes]) -> None:
        self._keys = [X25519PrivateKey.from_private_bytes(k) for k in keys]
        self._nonces = list(nonces)

    def generate(self) -> X25519PrivateKey:
        return self._keys.pop(0)

    def urandom(self, size: int) -> bytes:
        nonce = self._nonces.pop(0)
        assert len(nonce) == size
        return nonce


@pytest.fixture
def golden_randomness(monkeypatch: pytest.MonkeyPatch) -> _FixedRandomness:
    handshake = crypto_vector("handshake")
    fixed = _FixedRandomness(
        [
            _hex(handshake, "tool_ephemeral_private_hex"),
            _hex(handshake, "board_ephemeral_private_hex"),
        ],
        [_hex(handshake, "tool_nonce_hex"), _hex(handshake, "board_nonce_hex")],
    )
    monkeypatch.setattr(session, "_ephemeral_key", fixed.generate)
    monkeypatch.setattr(session, "os", SimpleNamespace(urandom=fixed.urandom))
    return fixed


def _golden_hello() -> bytes:
    """The HELLO exchange the golden handshake binds: good vectors hello_request and
    hello_response (SPEC.md 11.4)."""
    request = message_from_vector(vector("hello_request"))
    response = message_from_vector(vector("hello_response"))
    assert isinstance(request, HelloRequest) and isinstance(response, HelloResponse)
    exchange = hello_exchange(request, response)
    assert (
        exchange
        == frame_bytes(vector("hello_request"))[5:] + frame_bytes(vector("hello_response"))[5:]
    )
    assert exchange.hex() == crypto_vector("handshake")["hello_exchange_hex"]
    return exchange


def _golden_handshake() -> tuple[
    ToolHandshake, SessionInitRequest, SessionInitResponse, BoardSessionOffer
]:
    handshake = crypto_vector("handshake")
    tool = ToolHandshake(
        _hex(crypto_vector("certificate_technician"), "encoded_hex"),
        _private("key_technician").sign,
        _golden_hello(),
    )
    init = tool.start()
    reply, offer = board_accept_init(
        init,
        hello=_golden_hello(),
        device_key=_private("key_device"),
        device_certificate=_hex(crypto_vector("certificate_device"), "encoded_hex"),
        authority_key=_public("key_authority"),
        revoked=frozenset(),
        now=handshake["now_s"],
    )
    return tool, init, reply, offer


def test_handshake_reproduces_the_golden_vectors(golden_randomness: _FixedRandomness) -> None:
    handshake = crypto_vector("handshake")
    tool, init, reply, offer = _golden_handshake()
    assert init == message_from_vector(vector("session_init_request"))
    assert reply == message_from_vector(vector("session_init_response"))
    assert transcript_hash(_golden_hello(), init, reply).hex() == handshake["transcript_hash_hex"]
    assert offer.transcript.hex() == handshake["transcript_hash_hex"]
    assert reply.signature.hex() == handshake["board_signature_hex"]
    auth, tool_cipher, device = tool.finish(
        reply,
        provisioning_key=_public("key_provisioning"),
        expected_serial="SL-0000-0001",
        now=handshake["now_s"],
    )
    assert device.subject_id == "SL-0000-0001"
    assert auth.signature.hex() == handshake["technician_signature_hex"]
    board_check_auth(offer, auth)
    # Both derived the golden keys: each side's first frame is the golden one, and opens
    # on the other side.
    auth_frame = frame_bytes(vector("session_auth_request"))
    assert tool_cipher.seal(auth_frame[:5], auth.signature) == auth_frame[5:]
    assert offer.cipher.open(auth_frame[:5], auth_frame[5:]) == auth.signature
    answer_frame = frame_bytes(vector("session_auth_response"))
    plain = bytes.fromhex(vector("session_auth_response")["plaintext_body_hex"])
    assert offer.cipher.seal(answer_frame[:5], plain) == answer_frame[5:]
    assert tool_cipher.open(answer_frame[:5], answer_frame[5:]) == plain


def test_transcript_hash_signed_strings_and_keys_follow_the_spec() -> None:
    """The constructions of SPEC.md 11.4, computed here with hashlib and HKDF directly."""
    handshake = crypto_vector("handshake")
    init = message_from_vector(vector("session_init_request"))
    reply = message_from_vector(vector("session_init_response"))
    assert isinstance(init, SessionInitRequest) and isinstance(reply, SessionInitResponse)
    hello = _golden_hello()
    assert transcript_hash(hello, init, reply).hex() == handshake["transcript_hash_hex"]
    transcript = _hex(handshake, "transcript_hash_hex")
    assert board_signed_bytes(transcript) == b"board\x00" + transcript
    assert technician_signed_bytes(transcript) == b"technician\x00" + transcript
    _public("key_device").verify(
        _hex(handshake, "board_signature_hex"), board_signed_bytes(transcript)
    )
    _public("key_technician").verify(
        _hex(handshake, "technician_signature_hex"), technician_signed_bytes(transcript)
    )
    digest = hashlib.sha256(b"safetool session v1\x00")
    for part in (
        hello[:4],
        hello[4:],
        init.ephemeral_key,
        init.nonce,
        init.certificate,
        reply.ephemeral_key,
        reply.nonce,
        reply.certificate,
    ):
        digest.update(struct.pack("<H", len(part)) + part)
    assert digest.digest() == transcript
    tool_private = X25519PrivateKey.from_private_bytes(
        _hex(handshake, "tool_ephemeral_private_hex")
    )
    assert raw_x25519(tool_private.public_key()) == init.ephemeral_key
    board_public = X25519PublicKey.from_public_bytes(reply.ephemeral_key)
    shared = tool_private.exchange(board_public)
    assert shared.hex() == handshake["shared_secret_hex"]
    keys = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=transcript, info=b"safetool session keys v1"
    ).derive(shared)
    assert keys[:32].hex() == handshake["key_tool_to_board_hex"]
    assert keys[32:].hex() == handshake["key_board_to_tool_hex"]


def raw_x25519(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_encrypted_session_reproduces_the_golden_frames(
    golden_randomness: _FixedRandomness,
) -> None:
    """Tool and board connections, with the golden handshake, send the golden bytes."""
    handshake = crypto_vector("handshake")
    clock = FakeClock()
    hello_response = message_from_vector(vector("hello_response"))
    assert isinstance(hello_response, HelloResponse)
    tool = ToolConnection(clock, initial_seq=0x03FF, max_frame=65535)
    board = BoardConnection(boot_id=hello_response.boot_id, max_frame=hello_response.max_frame)

    def to_board() -> bytes:
        data = tool.data_to_send()
        board.receive_data(data)
        return data

    def to_tool(*, drop: bool = False) -> bytes:
        data = board.data_to_send()
        if not drop:
            tool.receive_data(data)
        return data

    def board_requests() -> list[RequestReceived]:
        events = list(iter(board.next_event, None))
        assert all(isinstance(e, RequestReceived) for e in events), events
        return [e for e in events if isinstance(e, RequestReceived)]

    def tool_answer() -> ResponseReceived:
        (event,) = list(iter(tool.next_event, None))
        assert isinstance(event, ResponseReceived), event
        return event

    # seq 0x03FF: the golden HELLO bodies (the session binds them), raising the frame limits
    tool.send_request(tool.hello(), timeout_s=1.0)
    to_board()
    list(iter(board.next_event, None))
    to_tool()
    tool_answer()
    assert tool.hello_exchange == board.hello_exchange == _golden_hello()

    handshaker, init, reply, offer = _golden_handshake()
    tool.send_request(init, timeout_s=1.0)
    assert to_board() == wire_bytes(vector("session_init_request"))
    (request,) = board_requests()
    assert request.request == init and not request.encrypted
    board.send_response(request.seq, reply)
    board.cipher = offer.cipher  # installed once the plaintext answer is queued
    assert to_tool() == wire_bytes(vector("session_init_response"))
    assert tool_answer().response == reply
    auth, tool.cipher, _ = handshaker.finish(
        reply,
        provisioning_key=_public("key_provisioning"),
        expected_serial="SL-0000-0001",
        now=handshake["now_s"],
    )

    expected = iter(ENCRYPTED)
    for request_message in (auth, StatusRequest(), SessionEndRequest()):
        tool.send_request(request_message, timeout_s=5.0)
        request_vector = next(expected)
        assert to_board() == wire_bytes(request_vector), request_vector["name"]
        (request,) = board_requests()
        assert request.encrypted and request.request == message_from_vector(request_vector)
        answer_vector = next(expected)
        board.send_response(request.seq, message_from_vector(answer_vector))  # type: ignore[arg-type]
        if answer_vector["name"] == "status_response_encrypted":
            # The answer is lost; the resend is answered from the reply cache, sealed afresh.
            assert to_tool(drop=True) == wire_bytes(answer_vector)
            deadline = tool.next_deadline()
            assert deadline is not None
            clock.now_s = deadline
            tool.handle_timers()
            resend_vector = next(expected)
            assert to_board() == wire_bytes(resend_vector), resend_vector["name"]
            assert board_requests() == [], "a resend is never carried out twice"
            answer_vector = next(expected)
        assert to_tool() == wire_bytes(answer_vector), answer_vector["name"]
        assert tool_answer().response == message_from_vector(answer_vector)
    assert next(expected, None) is None, "every encrypted vector was checked"


def _spec_section(heading: str) -> str:
    spec = (Path(protocols.__file__).parent / "SPEC.md").read_text(encoding="utf-8")
    start = spec.index(heading)
    end = spec.find("\n#", start + len(heading))
    return spec[start : end if end >= 0 else None]


def _spec_rows(heading: str) -> dict[str, int]:
    """``name: value`` for each table row ``| value | `NAME` | …`` of a SPEC.md section."""
    rows = re.findall(
        r"^\| `?(0x[0-9A-Fa-f]+|\d+)`? \| `?([A-Z_]+)`?[^|]*\|", _spec_section(heading), re.M
    )
    return {name: int(value, 0) for value, name in rows}


@pytest.mark.parametrize(
    ("heading", "enum_class"),
    [
        ("### 4.3 Message types", MsgType),
        ("### 10.1 LockState", LockState),
        ("### 10.2 DoorState", DoorState),
        ("### 10.3 BoltState", BoltState),
        ("### 10.5 EventKind", EventKind),
        ("### 10.6 ErrorCode", ErrorCode),
        ("### 10.7 RefusalReason", RefusalReason),
        ("### 10.8 RecoveryMethod", RecoveryMethod),
        ("### 10.9 RecoveryResult", RecoveryResult),
    ],
)
def test_spec_tables_list_exactly_the_catalogue(
    heading: str, enum_class: type[enum.IntEnum]
) -> None:
    assert _spec_rows(heading) == {str(m.name): int(m) for m in enum_class}


def _spec_inline_list(heading: str, after: str) -> dict[str, int]:
    """``name: value`` of a list written in prose (``0 OK, 1 STALLED (...), 2 REFUSED_LOCKED``),
    from the first line of a SPEC.md section that contains ``after``, from there on."""
    section = _spec_section(heading)
    start = section.index(after)
    line = section[start : section.find("\n", start)]
    if line.rstrip().endswith(","):  # a list that goes on in the next lines
        line = section[start : section.find(".\n", start)]
    return {name: int(value) for value, name in re.findall(r"(\d+) ([A-Z][A-Z_]+)\b", line)}


def _spec_name_value_rows(heading: str, title: str) -> dict[str, int]:
    """``name: value`` of the table of a SPEC.md section whose header is ``| title | value |``."""
    section = _spec_section(heading)
    table = section[section.index(f"| {title} | value |") :].split("\n\n")[0]
    return {name: int(v) for name, v in re.findall(r"^\| ([A-Z_]+) \| (\d+) \|", table, re.M)}


@pytest.mark.parametrize(
    ("values", "enum_class"),
    [
        (lambda: _spec_inline_list("### 16.2 DIAG_MOTOR_TEST", "0 OK"), MotorResult),
        (lambda: _spec_inline_list("### 16.4 DIAG_OUTPUT_TEST", "(1 BUZZER"), Output),
        (lambda: _spec_inline_list("### 16.5 DIAG_ERROR_LOG", "Codes:"), BoardError),
        (lambda: _spec_name_value_rows("### 19.1 FIRMWARE_STATUS", "SlotState"), SlotState),
        (
            lambda: _spec_name_value_rows("### 19.1 FIRMWARE_STATUS", "InstallResult"),
            InstallResult,
        ),
    ],
    ids=["MotorResult", "Output", "BoardError", "SlotState", "InstallResult"],
)
def test_spec_lists_of_the_privileged_families_are_the_enums(
    values: Any, enum_class: type[enum.IntEnum]
) -> None:
    """The codec refuses values its enums do not hold, so each enum holds exactly what SPEC.md
    lists (a value the SPEC does not list would be accepted where a board must refuse it)."""
    assert values() == {str(m.name): int(m) for m in enum_class}


def test_spec_lists_the_flags_and_qualifications() -> None:
    flags = re.findall(
        r"^\| \d \| `(0x[0-9A-F]{2})` \| `([A-Z]+)` \|", _spec_section("### 3.1 Flags"), re.M
    )
    assert {name: int(mask, 16) for mask, name in flags} == {
        str(f.name): int(f) for f in (Flags.RESPONSE, Flags.RETRANSMIT, Flags.ENCRYPTED)
    }
    section = _spec_section("### 10.10 CertificateKind")
    quals = re.findall(r"^\| \d \| `(0x[0-9A-F]{2})` \| `([A-Z]+)` \|", section, re.M)
    assert {name: int(mask, 16) for mask, name in quals} == {
        str(q.name): int(q) for q in Qualification
    }
