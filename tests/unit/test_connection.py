"""ToolConnection and BoardConnection in one process, on a fake clock and a hand-driven link."""

from __future__ import annotations

import itertools
import random
import struct
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.board import REPLY_CACHE_SIZE, BoardConnection
from protocols.catalogue import (
    KNOWN_FLAGS,
    MIN_MAX_FRAME,
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
from protocols.certificates import CertificateKind, Qualification
from protocols.codec import BadMessage, Decoded, decode_message, encode_message
from protocols.errors import (
    FrameTooLarge,
    LocalProtocolError,
    MalformedMessage,
    NotInSession,
    UnexpectedMessage,
    UnknownMessageType,
)
from protocols.events import (
    FrameRejected,
    HelloReceived,
    LockEventReceived,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    StaleResponse,
)
from protocols.framing import FrameSplitter, encode_frame
from protocols.messages import (
    ErrorResponse,
    HelloRequest,
    HelloResponse,
    IdentifyRequest,
    IdentifyResponse,
    LockEvent,
    PingRequest,
    PingResponse,
    Request,
    Response,
    StatusRequest,
    StatusResponse,
)
from protocols.retransmit import RetransmitPolicy
from protocols.tool import MAX_OUTSTANDING, ToolConnection, estimate_response_bytes

BOOT_ID = 0xB007_0001
IDENTITY = IdentifyResponse("SL-0000-0001", "SL-100", "B", "2.3.1", "1.0.0", 1)


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


def status(uptime_s: int = 60) -> StatusResponse:
    return StatusResponse(
        LockState.LOCKED,
        DoorState.CLOSED,
        BoltState.EXTENDED,
        0,
        0,
        6000,
        215,
        uptime_s,
        Alerts(0),
    )


def frames_of(data: bytes) -> list[bytes]:
    """Split a ``data_to_send()`` batch into its frames (each with its delimiter)."""
    return [part + b"\x00" for part in data.split(b"\x00")[:-1]]


def decode_wire(data: bytes) -> list[Decoded]:
    splitter = FrameSplitter(65535)
    out = []
    for item in splitter.feed(data):
        assert isinstance(item, bytes), item
        out.append(decode_message(item))
    return out


def wire(message: Any, seq: int, flags: Flags = Flags.NONE, version: int = 1) -> bytes:
    return encode_frame(encode_message(message, seq, flags, version))


class Link:
    """A tool and a board, with the bytes between them moved (or lost) by hand."""

    def __init__(
        self,
        *,
        tool_max_frame: int = 65535,
        board_max_frame: int = 4160,
        boot_id: int = BOOT_ID,
        initial_seq: int = 0x0100,
        policy: RetransmitPolicy | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.tool = ToolConnection(
            self.clock, max_frame=tool_max_frame, initial_seq=initial_seq, policy=policy
        )
        self.board = BoardConnection(boot_id=boot_id, max_frame=board_max_frame)
        self.executed: Counter[int] = Counter()

    def to_board(self, *, drop: bool = False) -> bytes:
        data = self.tool.data_to_send()
        if not drop:
            self.board.receive_data(data)
        return data

    def to_tool(self, *, drop: bool = False) -> bytes:
        data = self.board.data_to_send()
        if not drop:
            self.tool.receive_data(data)
        return data

    def tool_events(self) -> list[Any]:
        return list(iter(self.tool.next_event, None))

    def board_events(self) -> list[Any]:
        return list(iter(self.board.next_event, None))

    def serve(self, answer: Any = None) -> list[Any]:
        """Carry out every request the board has received; return the board's events."""
        events = self.board_events()
        for event in events:
            if isinstance(event, RequestReceived):
                self.executed[event.seq] += 1
                self.board.send_response(event.seq, answer or default_answer(event.request))
        return events

    def handshake(self) -> HelloResponse:
        seq = self.tool.send_request(self.tool.hello(), timeout_s=2.0)
        self.to_board()
        assert [type(e) for e in self.board_events()] == [HelloReceived]
        self.to_tool()
        (event,) = self.tool_events()
        assert isinstance(event, ResponseReceived) and event.seq == seq
        assert isinstance(event.response, HelloResponse)
        return event.response

    def advance_to_deadline(self) -> None:
        deadline = self.tool.next_deadline()
        assert deadline is not None
        self.clock.now_s = max(self.clock.now_s, deadline)
        self.tool.handle_timers()


def default_answer(request: Request) -> Response:
    if isinstance(request, StatusRequest):
        return status()
    if isinstance(request, IdentifyRequest):
        return IDENTITY
    if isinstance(request, PingRequest):
        return PingResponse(request.data)
    raise AssertionError(f"unexpected request {request!r}")


# --- HELLO ----------------------------------------------------------------------------------


def test_hello_negotiates_version_frame_limits_and_boot_id() -> None:
    link = Link(tool_max_frame=1000, board_max_frame=4160)
    assert link.tool.peer_max_frame == link.board.peer_max_frame == MIN_MAX_FRAME
    seq = link.tool.send_request(link.tool.hello(), timeout_s=1.0)
    link.to_board()
    (hello,) = link.board_events()
    assert isinstance(hello, HelloReceived)
    assert (hello.seq, hello.version, hello.max_frame) == (seq, 1, 1000)
    assert hello.request == HelloRequest(1, 1, 1000)
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived)
    assert answer.response == HelloResponse(1, 1, 1, 4160, BOOT_ID)
    assert link.tool.peer_max_frame == 4160
    assert link.board.peer_max_frame == 1000
    assert link.tool.version == link.board.version == 1
    assert link.tool.boot_id == BOOT_ID
    assert link.board.link_sessions == 1


def test_before_hello_frames_are_limited_to_the_minimum() -> None:
    link = Link()
    link.tool.send_request(PingRequest(b"x" * (MIN_MAX_FRAME - 9)), timeout_s=1.0)
    link.tool.data_to_send()
    with pytest.raises(LocalProtocolError):
        link.tool.send_request(PingRequest(b"x" * (MIN_MAX_FRAME - 8)), timeout_s=1.0)
    assert link.tool.outstanding == 1, "a refused request must not be left outstanding"
    assert link.tool.data_to_send() == b"", "nor queued"


def test_each_direction_is_limited_by_its_receiver() -> None:
    link = Link(tool_max_frame=400, board_max_frame=4160)
    link.handshake()
    # The tool may send up to the board's limit, not one byte more.
    with pytest.raises(LocalProtocolError):
        link.tool.send_request(PingRequest(b"p" * (4160 - 8)), timeout_s=1.0)
    big = link.tool.send_request(PingRequest(b"p" * (4160 - 9)), timeout_s=1.0)
    # An echo that fits the tool's 400 bytes comes back; a larger one becomes FRAME_TOO_LARGE.
    fits = link.tool.send_request(PingRequest(b"f" * (400 - 9)), timeout_s=1.0)
    link.to_board()
    link.serve()
    link.to_tool()
    answers = {e.seq: e.response for e in link.tool_events() if isinstance(e, ResponseReceived)}
    assert answers[fits] == PingResponse(b"f" * 391)
    too_large = answers[big]
    assert isinstance(too_large, ErrorResponse)
    assert too_large.code == ErrorCode.FRAME_TOO_LARGE


def test_board_treats_a_hello_limit_below_the_minimum_as_the_minimum() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(HelloRequest(1, 1, 100), 5))
    (event,) = list(iter(board.next_event, None))
    assert isinstance(event, HelloReceived)
    assert event.max_frame == board.peer_max_frame == MIN_MAX_FRAME


def test_hello_without_a_common_version_is_refused() -> None:
    link = Link()
    seq = link.tool.send_request(HelloRequest(2, 3, 65535), timeout_s=1.0)
    link.to_board()
    assert link.board_events() == [], "no new link session"
    assert link.board.link_sessions == 0
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.seq == seq
    assert isinstance(event.response, ErrorResponse)
    assert event.response.code == ErrorCode.UNSUPPORTED_VERSION
    assert "2..3" in event.response.detail and "1..1" in event.response.detail
    assert link.tool.boot_id is None
    assert link.tool.version == 1


def test_hello_picks_the_highest_common_version() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(HelloRequest(0, 9, 65535), 1))
    (reply,) = decode_wire(board.data_to_send())
    assert reply.message == HelloResponse(1, 1, 1, board.max_frame, 1)


def test_hello_is_read_whatever_its_header_version() -> None:
    board = BoardConnection(boot_id=7)
    board.receive_data(wire(HelloRequest(1, 4, 65535), 1, version=4))
    (reply,) = decode_wire(board.data_to_send())
    assert isinstance(reply.message, HelloResponse)
    assert reply.version == reply.message.version == 1


# --- matching -------------------------------------------------------------------------------


def test_pipelined_answers_in_any_order_are_matched_by_seq() -> None:
    link = Link()
    link.handshake()
    sent = {
        link.tool.send_request(StatusRequest(), timeout_s=1.0): StatusRequest(),
        link.tool.send_request(IdentifyRequest(), timeout_s=1.0): IdentifyRequest(),
        link.tool.send_request(PingRequest(b"a"), timeout_s=1.0): PingRequest(b"a"),
        link.tool.send_request(PingRequest(b"b"), timeout_s=1.0): PingRequest(b"b"),
    }
    link.to_board()
    requests = link.board_events()
    for event in reversed(requests):
        link.board.send_response(event.seq, default_answer(event.request))
    link.to_tool()
    events = link.tool_events()
    assert [e.seq for e in events] == list(reversed(sent))
    for event in events:
        assert isinstance(event, ResponseReceived)
        assert event.request == sent[event.seq]
        assert event.response == default_answer(sent[event.seq])
    assert link.tool.outstanding == 0


def test_answer_of_the_wrong_type_is_rejected_and_the_request_stays() -> None:
    link = Link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.tool.receive_data(wire(PingResponse(b"?"), seq, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, FrameRejected)
    assert isinstance(event.error, UnexpectedMessage)
    assert link.tool.outstanding == 1
    link.tool.receive_data(wire(status(), seq, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.response == status()


def test_messages_each_side_never_receives_are_rejected() -> None:
    link = Link()
    link.tool.receive_data(wire(StatusRequest(), 1))
    (event,) = link.tool_events()
    assert isinstance(event, FrameRejected) and isinstance(event.error, UnexpectedMessage)
    link.board.receive_data(wire(status(), 1, Flags.RESPONSE))
    link.board.receive_data(wire(LockEvent(EventKind.TAMPER, 0, 1), 1))
    events = link.board_events()
    assert len(events) == 2
    assert all(isinstance(e, FrameRejected) for e in events)
    assert link.board.data_to_send() == b"", "the board never answers a response or an event"


# --- loss and resends -----------------------------------------------------------------------


def test_lost_answer_is_resent_from_the_reply_cache() -> None:
    link = Link()
    link.handshake()
    srtt_before = link.tool.rtt.srtt_s
    seq = link.tool.send_request(StatusRequest(), timeout_s=2.0)
    link.to_board()
    link.serve()
    first_answer = link.to_tool(drop=True)
    assert link.executed[seq] == 1
    link.clock.now_s += 0.01
    link.advance_to_deadline()
    (resend,) = decode_wire(link.to_board())
    assert resend.seq == seq
    assert resend.flags == Flags.RETRANSMIT
    assert isinstance(resend.message, StatusRequest)
    assert link.board_events() == [], "the resend must not be carried out a second time"
    assert link.board.duplicates == 1
    assert link.to_tool() == first_answer, "the cached answer is resent byte for byte"
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived)
    assert (event.seq, event.attempts) == (seq, 2)
    assert link.tool.retransmits == 1
    assert link.tool.rtt.srtt_s == srtt_before, "Karn: a resent request gives no RTT sample"


def test_lost_request_is_carried_out_once_after_the_resend() -> None:
    link = Link()
    link.handshake()
    seq = link.tool.send_request(PingRequest(b"once"), timeout_s=2.0)
    link.to_board(drop=True)
    link.advance_to_deadline()
    link.to_board()
    events = link.serve()
    assert [type(e) for e in events] == [RequestReceived]
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived)
    assert event.response == PingResponse(b"once")
    assert event.attempts == 2
    assert link.executed == Counter({seq: 1})


def test_resend_while_the_board_is_still_working_is_dropped() -> None:
    link = Link()
    link.handshake()
    seq = link.tool.send_request(StatusRequest(), timeout_s=2.0)
    link.to_board()
    (event,) = link.board_events()  # received, not answered yet
    link.advance_to_deadline()
    link.to_board()
    assert link.board_events() == []
    assert link.board.data_to_send() == b""
    link.board.send_response(event.seq, status(7))
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq
    assert answer.response == status(7)


def test_same_seq_with_other_content_is_a_new_request() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(PingRequest(b"one"), 9))
    assert len(list(iter(board.next_event, None))) == 1
    board.send_response(9, PingResponse(b"one"))
    board.data_to_send()
    board.receive_data(wire(PingRequest(b"two"), 9, Flags.RETRANSMIT))
    (second,) = list(iter(board.next_event, None))
    assert isinstance(second, RequestReceived)
    assert second.request == PingRequest(b"two")


def test_reply_cache_keeps_the_last_answers_only() -> None:
    board = BoardConnection(boot_id=1)
    for seq in range(REPLY_CACHE_SIZE + 1):
        board.receive_data(wire(PingRequest(bytes([seq])), seq))
        board.send_response(seq, PingResponse(bytes([seq])))
    board.data_to_send()
    list(iter(board.next_event, None))
    board.receive_data(wire(PingRequest(bytes([REPLY_CACHE_SIZE])), REPLY_CACHE_SIZE))
    assert board.next_event() is None and board.data_to_send() != b""  # still cached
    board.receive_data(wire(PingRequest(b"\x00"), 0))
    assert isinstance(board.next_event(), RequestReceived)  # evicted: carried out again


def test_timeout_then_late_answer_is_stale_and_never_taken_for_another() -> None:
    """smpclient #104: after one timeout every later reply was matched to the wrong request."""
    link = Link()
    link.handshake()
    first = link.tool.send_request(StatusRequest(), timeout_s=0.5)
    link.to_board()
    (slow,) = link.board_events()
    while link.tool.next_deadline() is not None:
        link.advance_to_deadline()
        link.to_board()  # resends reach the board, which is still busy with the first copy
    events = link.tool_events()
    assert [type(e) for e in events] == [RequestTimedOut]
    assert events[0].seq == first
    assert link.board_events() == []

    second = link.tool.send_request(StatusRequest(), timeout_s=0.5)
    link.to_board()
    (fresh,) = link.board_events()
    assert fresh.seq == second != first
    link.board.send_response(slow.seq, status(uptime_s=1))  # the late, stale answer first
    link.board.send_response(fresh.seq, status(uptime_s=2))
    link.to_tool()
    stale, answer = link.tool_events()
    assert isinstance(stale, StaleResponse) and stale.seq == first
    assert stale.response == status(uptime_s=1)
    assert isinstance(answer, ResponseReceived) and answer.seq == second
    assert answer.response == status(uptime_s=2)
    assert link.tool.stale_responses == 1


def test_cancelled_request_answer_is_stale() -> None:
    link = Link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.tool.cancel(seq)
    assert link.tool.next_deadline() is None
    link.tool.receive_data(wire(status(), seq, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, StaleResponse)


def test_resends_back_off_and_stop_after_max_attempts() -> None:
    policy = RetransmitPolicy(initial_rto_s=0.25, max_rto_s=2.0, max_attempts=8)
    link = Link(policy=policy)
    start = link.clock.now_s
    seq = link.tool.send_request(StatusRequest(), timeout_s=60.0)
    sends = [link.clock.now_s]
    link.tool.data_to_send()
    while link.tool.next_deadline() is not None:
        link.advance_to_deadline()
        for frame in decode_wire(link.tool.data_to_send()):
            assert frame.seq == seq and frame.flags == Flags.RETRANSMIT
            sends.append(link.clock.now_s)
    (event,) = link.tool_events()
    assert isinstance(event, RequestTimedOut)
    assert event.attempts == 8
    assert len(sends) == 8
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(sends)]
    assert gaps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert link.clock.now_s - start == pytest.approx(sum(gaps) + 2.0)


def _damaged(data: bytes) -> bytes:
    """``data`` with one bit of its body flipped, as line noise does: its CRC fails."""
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x04
    return bytes(damaged)


def test_a_damaged_answer_is_asked_for_again_at_once_and_does_not_count() -> None:
    """On a noisy line the damaged frame is most often the answer: resend at once, at the
    current backoff, and do not count those sends against the largest number of sends (a
    noisy line that keeps answering is not a silent board); the deadline still holds."""
    policy = RetransmitPolicy(initial_rto_s=0.25, max_rto_s=2.0, max_attempts=3)
    link = Link(policy=policy)
    seq = link.tool.send_request(StatusRequest(), timeout_s=30.0)
    link.tool.data_to_send()
    answer = _damaged(wire(status(), seq, Flags.RESPONSE))
    sends = 0
    for _ in range(6):  # twice the largest number of sends, each answered by a damaged frame
        link.clock.now_s += 0.01
        link.tool.receive_data(answer)
        assert link.tool.next_deadline() == link.clock.now_s  # at once, not after 0.25 s
        link.tool.handle_timers()
        (frame,) = decode_wire(link.tool.data_to_send())
        assert frame.seq == seq and frame.flags == Flags.RETRANSMIT
        sends += 1
    events = link.tool_events()
    assert all(isinstance(event, FrameRejected) for event in events) and len(events) == 6
    assert link.tool.next_deadline() == pytest.approx(link.clock.now_s + 0.25)  # not doubled
    link.tool.receive_data(wire(status(), seq, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.attempts == 1 + sends


def test_a_damaged_frame_does_not_hurry_a_slow_request() -> None:
    link = Link()
    seq = link.tool.send_request(StatusRequest(), timeout_s=10.0, processing_s=3.0)
    link.tool.data_to_send()
    link.clock.now_s += 0.5
    link.tool.receive_data(_damaged(wire(status(), seq, Flags.RESPONSE)))
    assert link.tool.next_deadline() == pytest.approx(100.0 + 0.25 + 3.0)
    link.tool.handle_timers()
    assert link.tool.data_to_send() == b""


def test_deadline_cuts_resends_short() -> None:
    link = Link()
    link.tool.send_request(StatusRequest(), timeout_s=0.6)
    link.tool.data_to_send()
    times = []
    while link.tool.next_deadline() is not None:
        link.advance_to_deadline()
        times.append(link.clock.now_s - 100.0)
    (event,) = link.tool_events()
    assert isinstance(event, RequestTimedOut)
    assert times[-1] == pytest.approx(0.6)
    assert event.attempts == 2  # at 0 s and 0.25 s; the next would be at 0.75 s


def test_processing_time_delays_the_resend() -> None:
    link = Link()
    link.tool.send_request(StatusRequest(), timeout_s=10.0, processing_s=3.0)
    link.tool.data_to_send()
    assert link.tool.next_deadline() == pytest.approx(100.0 + 0.25 + 3.0)
    link.clock.now_s = 100.0 + 2.0
    link.tool.handle_timers()
    assert link.tool.data_to_send() == b""
    link.clock.now_s = 100.0 + 1.5
    link.tool.receive_data(wire(status(), 0x0100, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived)
    assert link.tool.rtt.srtt_s == 0.0, "processing time is taken out of the RTT sample"


def test_rtt_is_sampled_from_requests_sent_once() -> None:
    link = Link()
    link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.clock.now_s += 0.08
    link.tool.receive_data(wire(status(), 0x0100, Flags.RESPONSE))
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived)
    assert event.rtt_s == pytest.approx(0.08)
    assert link.tool.rtt.srtt_s == pytest.approx(0.08)
    assert link.tool.rtt.rto_s == pytest.approx(0.08 + 4 * 0.04)


def test_send_request_needs_a_positive_timeout() -> None:
    link = Link()
    with pytest.raises(LocalProtocolError):
        link.tool.send_request(StatusRequest(), timeout_s=0)


# --- HELLO and the reply cache --------------------------------------------------------------


def test_hello_empties_the_reply_cache_for_a_restarted_tool() -> None:
    link = Link(initial_seq=500)
    link.handshake()  # seq 500
    link.tool.send_request(StatusRequest(), timeout_s=1.0)  # seq 501
    link.to_board()
    link.serve(status(uptime_s=5))
    link.to_tool()
    assert link.tool_events()[0].response == status(uptime_s=5)

    # The tool restarts and happens to number its requests the same way.
    link.tool = ToolConnection(link.clock, initial_seq=500)
    link.handshake()
    assert link.board.link_sessions == 2
    link.tool.send_request(StatusRequest(), timeout_s=1.0)  # seq 501 again, same empty body
    link.to_board()
    events = link.serve(status(uptime_s=9))
    assert [type(e) for e in events] == [RequestReceived], "carried out, not a cache hit"
    link.to_tool()
    (event,) = link.tool_events()
    assert event.response == status(uptime_s=9), "fresh status, not the cached one"


def test_without_hello_a_restarted_tool_would_get_a_stale_cached_answer() -> None:
    """Why SPEC.md requires HELLO first: this is what it prevents."""
    link = Link(initial_seq=500)
    link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.to_board()
    link.serve(status(uptime_s=5))
    link.to_tool()
    link.tool = ToolConnection(link.clock, initial_seq=500)
    link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.to_board()
    assert link.board_events() == []
    link.to_tool()
    (event,) = link.tool_events()
    assert event.response == status(uptime_s=5)


def test_a_request_in_progress_across_a_hello_is_answered_and_seen_as_stale() -> None:
    link = Link()
    link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.to_board()
    (pending,) = link.board_events()
    link.tool = ToolConnection(link.clock, initial_seq=9)  # the tool restarted meanwhile
    link.handshake()
    link.board.send_response(pending.seq, status())
    link.to_tool()
    (late,) = link.tool_events()
    assert isinstance(late, StaleResponse) and late.seq == pending.seq


# --- events ---------------------------------------------------------------------------------


def _event(n: int) -> LockEvent:
    return LockEvent(EventKind.WRONG_CODE, 1_767_225_600 + n, n)


def test_event_numbers_count_missed_events() -> None:
    link = Link()
    link.handshake()
    for n in range(6):
        link.board.send_event(_event(n))
        link.to_tool(drop=n in (2, 3))
    events = link.tool_events()
    assert [(e.seq, e.missed) for e in events] == [(0, 0), (1, 0), (4, 2), (5, 0)]
    assert all(isinstance(e, LockEventReceived) for e in events)
    assert [e.event for e in events] == [_event(n) for n in (0, 1, 4, 5)]
    assert link.tool.events_missed == 2


def test_duplicate_event_is_dropped_and_numbers_wrap() -> None:
    tool = ToolConnection(FakeClock())
    for seq in (65534, 65534, 65535, 0, 2):
        tool.receive_data(wire(_event(seq), seq))
    events = list(iter(tool.next_event, None))
    assert all(isinstance(e, LockEventReceived) for e in events)
    assert [(e.seq, e.missed) for e in events if isinstance(e, LockEventReceived)] == [
        (65534, 0),
        (65535, 0),
        (0, 0),
        (2, 1),
    ]


def test_board_restart_resets_event_numbering_without_counting_misses() -> None:
    link = Link()
    link.handshake()
    for n in range(40):
        link.board.send_event(_event(n))
    link.to_tool()
    link.tool_events()
    link.board = BoardConnection(boot_id=BOOT_ID + 1)  # a power cycle
    link.handshake()
    assert link.tool.boot_id == BOOT_ID + 1
    link.board.send_event(_event(0))
    link.board.send_event(_event(1))
    link.to_tool()
    events = link.tool_events()
    assert [(e.seq, e.missed) for e in events] == [(0, 0), (1, 0)]
    assert link.tool.events_missed == 0


# --- bad messages ---------------------------------------------------------------------------


def _raw(version: int, msg_type: int, flags: int, seq: int, body: bytes = b"") -> bytes:
    return encode_frame(struct.pack("<BBBH", version, msg_type, flags, seq) + body)


@pytest.mark.parametrize(
    ("frame", "seq", "code", "cause"),
    [
        (_raw(1, 0x55, 0, 7), 7, ErrorCode.UNKNOWN_TYPE, UnknownMessageType),
        (_raw(1, 0x03, 0x08, 8), 8, ErrorCode.MALFORMED, MalformedMessage),
        (_raw(1, 0x03, 0x40, 9), 9, ErrorCode.MALFORMED, MalformedMessage),
        # ENCRYPTED with no session: refused before anything else in the header is read
        (_raw(1, 0x03, 0x04, 14, bytes(24)), 14, ErrorCode.NOT_ALLOWED, NotInSession),
        (_raw(1, 0x03, 0x0C, 15, bytes(24)), 15, ErrorCode.NOT_ALLOWED, NotInSession),
        (_raw(2, 0x55, 0x06, 16), 16, ErrorCode.NOT_ALLOWED, NotInSession),
        (_raw(1, 0x03, 0, 10, b"\x00"), 10, ErrorCode.MALFORMED, MalformedMessage),
        (_raw(1, 0x01, 0, 11, b"\x01\x01"), 11, ErrorCode.MALFORMED, MalformedMessage),
        (_raw(3, 0x02, 0, 12), 12, ErrorCode.UNSUPPORTED_VERSION, None),
        (_raw(1, 0x7F, 0, 13, b"\x01\x00\x00"), 13, ErrorCode.UNKNOWN_TYPE, UnknownMessageType),
    ],
)
def test_board_answers_bad_requests_with_an_error_of_the_same_seq(
    frame: bytes, seq: int, code: ErrorCode, cause: type[Exception] | None
) -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(frame)
    (event,) = list(iter(board.next_event, None))
    assert isinstance(event, FrameRejected)
    assert isinstance(event.error, BadMessage)
    if cause is not None:
        assert isinstance(event.error.error, cause)
    (reply,) = decode_wire(board.data_to_send())
    assert reply.seq == seq
    assert reply.flags == Flags.RESPONSE
    assert isinstance(reply.message, ErrorResponse)
    assert reply.message.code == code


def test_the_board_drops_a_frame_one_byte_over_its_stated_limit() -> None:
    """Issue 15, disagreement 3: after stating 8256 in HELLO the board accepted 8257 bytes."""
    board = BoardConnection(boot_id=1, max_frame=8256)
    board.receive_data(wire(PingRequest(bytes(8256 - 9 + 1)), 5))  # 8257 bytes
    (event,) = list(iter(board.next_event, None))
    assert isinstance(event, FrameRejected) and isinstance(event.error, FrameTooLarge)
    assert board.data_to_send() == b""  # not answered: nothing in it is trusted
    board.receive_data(wire(PingRequest(bytes(8256 - 9)), 6))  # 8256 bytes: accepted
    (request,) = list(iter(board.next_event, None))
    assert isinstance(request, RequestReceived) and request.seq == 6


@pytest.mark.parametrize(
    "unreadable",
    [
        _raw(1, 0x03, 0, 9, bytes(32)),  # STATUS with a body it has not: malformed
        _raw(1, 0x55, 0, 9),  # an unknown type
        _raw(3, 0x02, 0, 9),  # a version the board does not speak
    ],
    ids=["malformed", "unknown_type", "unsupported_version"],
)
def test_an_unreadable_request_under_a_seq_being_worked_on_is_not_answered(
    unreadable: bytes,
) -> None:
    """Found by the fuzz campaign's races: while a slow request (the motor test) was worked
    on, a malformed request under its sequence number got ERROR MALFORMED, and the tool took
    that for the motor test's answer. It is dropped now, as a readable one is (SPEC.md 7.2)."""
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(PingRequest(b"slow"), 9))
    (slow,) = list(iter(board.next_event, None))
    assert isinstance(slow, RequestReceived)
    board.receive_data(unreadable)
    assert all(isinstance(e, FrameRejected) for e in iter(board.next_event, None))
    assert board.data_to_send() == b"" and board.conflicts == 1
    board.send_response(9, PingResponse(b"slow"))
    (reply,) = decode_wire(board.data_to_send())
    assert reply.seq == 9 and reply.message == PingResponse(b"slow")
    board.receive_data(unreadable)  # once answered, the same frame is answered as before
    (error,) = decode_wire(board.data_to_send())
    assert error.seq == 9 and isinstance(error.message, ErrorResponse)


@pytest.mark.parametrize(
    "data",
    [
        _raw(1, 0x03, 0, 7)[:-3] + b"\x00",  # truncated: CRC fails
        bytes([0x03, 0x01, 0x03, 0x03, 0x99, 0x98, 0x97, 0x96, 0x00]),  # bad CRC
        _raw(1, 0x55, Flags.RESPONSE, 7),  # an unknown response: never answered
        encode_frame(b"\x01\x03\x00"),  # too short for a header
    ],
)
def test_board_does_not_answer_frames_it_cannot_trust(data: bytes) -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(data)
    assert all(isinstance(e, FrameRejected) for e in iter(board.next_event, None))
    assert board.data_to_send() == b""
    assert board.stats.frames_rejected == 1


def test_tool_error_answer_arrives_for_an_unknown_request_type_at_once() -> None:
    """End to end: a request the board does not know ends at once, with no resend."""
    link = Link()
    link.handshake()
    seq = link.tool.send_request(StatusRequest(), timeout_s=1.0)
    link.tool.data_to_send()
    # What the board sees is a type it does not implement (as a newer tool's request would be).
    link.board.receive_data(_raw(1, 0x0E, 0, seq))
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived)
    assert isinstance(event.response, ErrorResponse)
    assert event.response.code == ErrorCode.UNKNOWN_TYPE
    assert event.attempts == 1 and link.tool.retransmits == 0


def test_oversize_send_by_the_board_is_an_error_answer_not_a_crash() -> None:
    link = Link(tool_max_frame=MIN_MAX_FRAME)
    link.handshake()
    seq = link.tool.send_request(PingRequest(b"z" * 200), timeout_s=1.0)
    link.to_board()
    (event,) = link.board_events()
    link.board.send_response(event.seq, PingResponse(b"z" * 300))
    link.to_tool()
    (answer,) = link.tool_events()
    assert answer.seq == seq
    assert isinstance(answer.response, ErrorResponse)
    assert answer.response.code == ErrorCode.FRAME_TOO_LARGE


# --- garbage --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_garbage_flood_does_not_wedge_either_side(seed: int) -> None:
    rng = random.Random(seed)
    garbage = rng.randbytes(20_000)
    link = Link()
    for endpoint in (link.tool, link.board):
        pos = 0
        while pos < len(garbage):
            step = rng.randint(1, 700)
            endpoint.receive_data(garbage[pos : pos + step])
            pos += step
            assert endpoint._splitter.buffered <= endpoint._splitter.max_stuffed
        endpoint.receive_data(b"\x00")
    for event in link.tool_events() + link.board_events():
        assert isinstance(event, FrameRejected)
    assert link.tool.stats.frames_rejected > 0 and link.board.stats.frames_rejected > 0
    link.board.data_to_send()  # whatever it answered to chance frames
    link.handshake()
    seq = link.tool.send_request(IdentifyRequest(), timeout_s=1.0)
    link.to_board()
    link.serve()
    link.to_tool()
    (event,) = link.tool_events()
    assert isinstance(event, ResponseReceived) and event.seq == seq
    assert event.response == IDENTITY


def test_garbage_between_frames_costs_no_frame() -> None:
    rng = random.Random(99)
    link = Link()
    link.handshake()
    seqs = [link.tool.send_request(PingRequest(bytes([n]) * 5), timeout_s=1.0) for n in range(5)]
    noisy = b"".join(rng.randbytes(300) + b"\x00" + f for f in frames_of(link.tool.data_to_send()))
    link.board.receive_data(noisy)
    link.serve()
    link.to_tool()
    answers = [e for e in link.tool_events() if isinstance(e, ResponseReceived)]
    assert [e.seq for e in answers] == seqs
    assert link.board.stats.frames_rejected >= 5


# --- exactly once under any loss ------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=64),
)
def test_every_request_is_carried_out_at_most_once_and_ends_once(
    payloads: list[bytes], losses: list[bool]
) -> None:
    link = Link()
    link.handshake()
    loss = iter(losses * 50)
    requests = {link.tool.send_request(PingRequest(data), timeout_s=3.0): data for data in payloads}
    endings: Counter[int] = Counter()
    for _ in range(200):
        for frame in frames_of(link.tool.data_to_send()):
            if not next(loss):
                link.board.receive_data(frame)
        link.serve()
        for frame in frames_of(link.board.data_to_send()):
            if not next(loss):
                link.tool.receive_data(frame)
        for event in link.tool_events():
            if isinstance(event, ResponseReceived):
                assert event.response == PingResponse(requests[event.seq])
                assert link.executed[event.seq] == 1
                endings[event.seq] += 1
            elif isinstance(event, RequestTimedOut):
                endings[event.seq] += 1
            else:
                assert isinstance(event, StaleResponse)
        if link.tool.next_deadline() is None:
            break
        link.advance_to_deadline()
    assert link.tool.outstanding == 0
    assert endings == Counter(dict.fromkeys(requests, 1))
    assert all(count <= 1 for count in link.executed.values())
    assert set(link.executed) <= set(requests)


def test_msgtype_values_match_the_spec() -> None:
    assert [int(t) for t in MsgType] == [
        0x01,
        0x02,
        0x03,
        0x04,
        0x10,
        0x11,
        0x12,
        0x13,
        0x20,
        0x21,
        0x22,
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
    ]
    assert int(Flags.RESPONSE | Flags.RETRANSMIT | Flags.ENCRYPTED) == 0x07
    assert KNOWN_FLAGS == Flags.RESPONSE | Flags.RETRANSMIT | Flags.ENCRYPTED


def test_unencodable_answer_still_ends_the_request_with_an_error() -> None:
    """A firmware answer the codec cannot encode must not leave the tool waiting (or raise)."""
    link = Link()
    link.handshake()
    seq = link.tool.send_request(IdentifyRequest(), timeout_s=1.0)
    link.to_board()
    (event,) = link.board_events()
    bad = IdentifyResponse("序" * 100, "SL-100", "B", "2.3.1", "1.0.0", 1)  # 300 UTF-8 bytes
    link.board.send_response(event.seq, bad)
    link.to_tool()
    (answer,) = link.tool_events()
    assert isinstance(answer, ResponseReceived) and answer.seq == seq
    assert isinstance(answer.response, ErrorResponse)


def test_request_and_hello_in_one_chunk_do_not_break_the_board() -> None:
    """A restarted tool's HELLO may arrive in the same read as the old tool's last request."""
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(StatusRequest(), 5) + wire(HelloRequest(1, 1, 65535), 9))
    for event in iter(board.next_event, None):
        if isinstance(event, RequestReceived):
            board.send_response(event.seq, status())  # what firmware/service.py does
    replies = decode_wire(board.data_to_send())
    assert [type(r.message) for r in replies] == [HelloResponse, StatusResponse]
    assert [r.seq for r in replies] == [9, 5]


# --- the tool checks the board's HELLO answer, and keeps the pipeline within the reply cache --


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (HelloResponse(9, 9, 9, 4160, BOOT_ID), "board chose version 9"),
        (HelloResponse(1, 1, 1, 100, BOOT_ID), "below the minimum 256"),
    ],
)
def test_an_unusable_hello_answer_fails_the_hello(answer: HelloResponse, reason: str) -> None:
    tool = ToolConnection(FakeClock(), initial_seq=4)
    tool.send_request(tool.hello(), timeout_s=1.0)
    tool.receive_data(wire(answer, 4, Flags.RESPONSE, version=1))
    (event,) = list(iter(tool.next_event, None))
    assert isinstance(event, ResponseReceived)
    assert isinstance(event.response, ErrorResponse)
    assert event.response.code == ErrorCode.UNSUPPORTED_VERSION
    assert reason in event.response.detail
    assert tool.peer_max_frame == 256  # nothing from the bad answer was taken


def test_the_pipeline_is_bounded_by_the_reply_cache() -> None:
    tool = ToolConnection(FakeClock())
    for _ in range(MAX_OUTSTANDING):
        tool.send_request(StatusRequest(), timeout_s=1.0)
    with pytest.raises(LocalProtocolError, match="reply cache"):
        tool.send_request(StatusRequest(), timeout_s=1.0)
    assert MAX_OUTSTANDING <= REPLY_CACHE_SIZE


def test_an_answer_that_cannot_be_encoded_is_an_internal_error() -> None:
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(IdentifyRequest(), 3))
    (request,) = list(iter(board.next_event, None))
    assert isinstance(request, RequestReceived)
    too_long = IdentifyResponse("x" * 300, "m", "h", "f", "b", 1)
    board.send_response(request.seq, too_long)
    (reply,) = decode_wire(board.data_to_send())
    assert isinstance(reply.message, ErrorResponse)
    assert reply.message.code == ErrorCode.INTERNAL


def test_max_outstanding_is_a_constructor_option() -> None:
    tool = ToolConnection(FakeClock(), max_outstanding=2)
    tool.send_request(StatusRequest(), timeout_s=1.0)
    tool.send_request(StatusRequest(), timeout_s=1.0)
    with pytest.raises(LocalProtocolError, match="at most 2"):
        tool.send_request(StatusRequest(), timeout_s=1.0)
    assert tool.outstanding == 2


def test_resend_timer_includes_the_line_time_of_request_and_answer() -> None:
    """SPEC.md 7.1: line_s = (request wire bytes + answer bytes, queue included) / rate."""
    clock = FakeClock()
    tool = ToolConnection(clock, initial_seq=1)
    tool.line_rate_bytes_per_s = 1000.0  # 9600 baud is 960 B/s
    assert estimate_response_bytes(StatusRequest(), 11) == 28  # 5 + 17 + 4, COBS adds 2
    assert estimate_response_bytes(PingRequest(b"x"), 12) == MIN_MAX_FRAME
    tool.send_request(StatusRequest(), timeout_s=10.0)
    wire_bytes = len(tool.data_to_send())
    first_line_s = (wire_bytes + 28) / 1000.0
    assert tool.next_deadline() == pytest.approx(100.0 + first_line_s + 0.25)
    # A second request queues behind the first on the line.
    tool.send_request(IdentifyRequest(), timeout_s=10.0)
    second_wire = len(tool.data_to_send())
    second_line_s = first_line_s + (second_wire + max(second_wire, MIN_MAX_FRAME)) / 1000.0
    deadlines = sorted(item.resend_at_s for item in tool._outstanding.values())
    assert deadlines == pytest.approx([100.0 + first_line_s + 0.25, 100.0 + second_line_s + 0.25])


def test_a_request_queued_behind_a_window_on_a_slow_line_is_not_given_up_early() -> None:
    """SPEC.md 7.1: the deadline counts from when the request is through the line, so the last
    chunk of a full window on a slow link (BLE at MTU 23) waits its turn, then its timeout."""
    clock = FakeClock()
    tool = ToolConnection(clock, initial_seq=1)
    tool.line_rate_bytes_per_s = 100.0
    for _ in range(3):
        tool.send_request(PingRequest(bytes(200)), timeout_s=1.0, response_bytes=10)
    last = tool.send_request(PingRequest(bytes(200)), timeout_s=1.0, response_bytes=10)
    line_s = tool._outstanding[last].line_s
    assert line_s > 8.0  # four 200-byte frames at 100 B/s
    clock.now_s += line_s + 0.9  # through the line, then not quite its timeout
    tool.handle_timers()
    assert last in tool._outstanding
    clock.now_s += 0.2
    tool.handle_timers()
    assert last not in tool._outstanding


def test_enum_values_match_the_spec() -> None:
    """SPEC.md section 10: a value added in the code must be added there too."""
    assert [int(v) for v in LockState] == [0, 1, 2, 3, 4, 5]
    assert [int(v) for v in DoorState] == [0, 1, 2]
    assert [int(v) for v in BoltState] == [0, 1, 2, 3]
    assert [int(v) for v in EventKind] == list(range(1, 24))
    assert [int(v) for v in ErrorCode] == list(range(1, 10))
    assert [int(v) for v in RefusalReason] == list(range(16))
    assert [int(v) for v in RecoveryMethod] == [1, 2]
    assert [int(v) for v in RecoveryResult] == [0, 1]
    assert [int(v) for v in CertificateKind] == [1, 2]
    assert [int(v) for v in Qualification] == [0x01, 0x02, 0x04, 0x08]


def test_two_requests_under_one_seq_in_one_read_never_poison_the_cache() -> None:
    """Issue 19, finding 3: the second is dropped while the first is worked on, so the first's
    answer is never filed under the second's key and the board never meets an answer it has no
    request for."""
    board = BoardConnection(boot_id=1)
    board.receive_data(wire(PingRequest(b"first"), 9) + wire(PingRequest(b"second"), 9))
    (event,) = list(iter(board.next_event, None))
    assert isinstance(event, RequestReceived) and event.request == PingRequest(b"first")
    assert board.conflicts == 1
    board.send_response(9, PingResponse(b"first"))
    assert decode_wire(board.data_to_send())[0].message == PingResponse(b"first")
    board.receive_data(wire(PingRequest(b"second"), 9, Flags.RETRANSMIT))
    (second,) = list(iter(board.next_event, None))  # not answered from the cache
    assert isinstance(second, RequestReceived) and second.request == PingRequest(b"second")
    board.send_response(9, PingResponse(b"second"))
    board.receive_data(wire(PingRequest(b"first"), 9, Flags.RETRANSMIT))
    assert isinstance(board.next_event(), RequestReceived)  # the cache holds "second" only
