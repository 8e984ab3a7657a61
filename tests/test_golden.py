"""The codec and both connection objects against the golden vectors written from SPEC.md."""

from __future__ import annotations

import dataclasses
import enum
import re
import struct
import typing
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import protocols
from protocols.board import BoardConnection
from protocols.catalogue import ABSOLUTE_MAX_FRAME, Flags
from protocols.codec import BadMessage, decode_message, encode_message
from protocols.events import FrameRejected, RequestReceived, ResponseReceived
from protocols.framing import FrameSplitter, decode_frame, encode_frame
from protocols.golden import (
    bad_vectors,
    frame_bytes,
    good_vectors,
    load_vectors,
    message_class,
    message_from_vector,
    vector,
    wire_bytes,
)
from protocols.messages import (
    REQUESTS,
    RESPONSES,
    ErrorResponse,
    IdentifyRequest,
    LockEvent,
    StatusRequest,
)
from protocols.tool import ToolConnection

GOOD = good_vectors()
BAD = bad_vectors()


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
    names = _ids(data["good"]) + _ids(data["bad"])
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


def test_every_catalogue_message_has_a_good_vector() -> None:
    covered = {message_class(v) for v in GOOD}
    for cls in (*REQUESTS, *RESPONSES, LockEvent):
        assert cls in covered, f"no golden vector for {cls.__name__}"


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
        value = getattr(message, name)
        assert isinstance(value, enum.Enum)
        if isinstance(expected, list):
            assert sorted(m.name for m in type(value) if m in value) == sorted(expected)
        else:
            assert value.name == expected
    assert message == message_from_vector(item)


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


@pytest.mark.parametrize("item", BAD, ids=_ids(BAD))
def test_bad_vector_raises_the_named_error(item: dict[str, Any]) -> None:
    wire = wire_bytes(item)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    items = list(FrameSplitter(ABSOLUTE_MAX_FRAME).feed(wire))
    assert len(items) == 1
    if item["stage"] == "frame":
        assert isinstance(items[0], Exception)
        assert type(items[0]).__name__ == item["error"]
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


_WITH_REPLY = [v for v in BAD if "board_reply" in v]


@pytest.mark.parametrize("item", _WITH_REPLY, ids=_ids(_WITH_REPLY))
def test_board_replies_to_bad_request_with_golden_bytes(item: dict[str, Any]) -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire_bytes(item))
    assert board.data_to_send() == wire_bytes(vector(item["board_reply"]))


_NO_PINNED_REPLY = [v for v in BAD if "board_reply" not in v]


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
    golden = {v["wire_hex"] for v in GOOD}
    for item in wires:
        assert item in golden, f"SPEC.md shows {item} which no golden vector holds"
