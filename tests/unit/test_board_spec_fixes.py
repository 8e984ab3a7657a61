"""Issue 15, where the emulated board and SPEC.md disagreed: each test failed before the fix.
(``pki`` is the suite's development PKI, from the hil plugin.)

The board runs in-process (no link, no ticking task): a ``ToolConnection`` hands it frames and
reads what it sends, and its clock is moved by hand. The fifth disagreement, a frame one byte
over ``max_frame``, is tested at the connection in tests/unit/test_connection.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firmware.emulator import Emulator
from firmware.trust import IDLE_TIMEOUT_S
from protocols.catalogue import BoltState, DoorState, ErrorCode, EventKind, Flags
from protocols.diag_messages import KeypadTestRequest, KeypadTestResponse
from protocols.events import ResponseReceived, SessionEnded
from protocols.framing import FrameSplitter
from protocols.messages import ErrorResponse
from protocols.session import ToolHandshake
from protocols.tool import ToolConnection
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
)
from safetool.identity import TechnicianIdentity
from tests.board_bench import Bench, board_of, open_session

pytestmark = pytest.mark.in_memory


def test_no_session_keys_when_the_session_init_answer_never_went_out(
    tmp_path: Path, pki: Path
) -> None:
    """1: after HELLO with max_frame 256 the 264-byte answer is ERROR FRAME_TOO_LARGE; the
    board then sealed its events under keys no tool had. Now it seals nothing."""
    board = board_of(tmp_path, pki)
    try:
        bench = Bench(board, max_frame=256)
        bench.ask(bench.tool.hello())
        identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
        handshake = ToolHandshake(
            identity.certificate_bytes, identity.sign, bench.tool.hello_exchange
        )
        refused = bench.ask(handshake.start())
        assert isinstance(refused, ErrorResponse)
        assert refused.code is ErrorCode.FRAME_TOO_LARGE
        bench.events()  # POWER_ON, after the HELLO
        board.lock.press_key("1")
        ((_, event),) = bench.events()
        assert event is not None, "the board sealed its event under keys no tool has"
        assert event.kind is EventKind.KEY_PRESS
    finally:
        board.close()


def test_power_on_is_the_first_event_of_every_boot(tmp_path: Path, pki: Path) -> None:
    """2: POWER_ON was defined and never sent; the first event after a power cycle was a
    KEY_PRESS with seq 0."""
    board = board_of(tmp_path, pki)
    try:
        for boot in (1, 2):
            bench = Bench(board)
            bench.ask(bench.tool.hello())
            ((seq, event),) = bench.events()
            assert event is not None
            assert (seq, event.kind, event.value) == (0, EventKind.POWER_ON, boot)
            bench.ask(bench.tool.hello())  # a second HELLO of the same boot: no second one
            board.lock.press_key("1")
            ((seq, event),) = bench.events()
            assert event is not None and (seq, event.kind) == (1, EventKind.KEY_PRESS)
            board.power_cycle()
    finally:
        board.close()


def test_a_request_after_the_idle_timeout_is_refused_even_before_the_timer_runs(
    tmp_path: Path, pki: Path
) -> None:
    """4: the idle timeout was only a timer, so a request right after the lock's clock passed
    it was served and restarted the idle period."""
    board = board_of(tmp_path, pki)
    try:
        bench = Bench(board)
        bench.ask(bench.tool.hello())
        open_session(bench, TechnicianIdentity.load(pki / "technicians" / "T-1001"))
        assert isinstance(bench.ask(ConfigGetRequest()), ConfigResponse)
        board.clock.advance(IDLE_TIMEOUT_S + 1)  # no tick runs in between
        bench.tool.send_request(ConfigGetRequest(), timeout_s=5.0)
        bench.events()
        seen = list(iter(bench.tool.next_event, None))
        assert not any(isinstance(e, ResponseReceived) for e in seen), seen  # not served
        ended = [e for e in seen if isinstance(e, SessionEnded)]
        assert ended and "no secure session" in ended[0].reason
        closed = [e for e in board.audit.entries() if e["kind"] == "session_closed"]
        assert closed[-1]["reason"] == "idle_timeout"
    finally:
        board.close()


def test_a_resend_after_the_idle_timeout_is_not_answered_from_the_reply_cache(
    tmp_path: Path, pki: Path
) -> None:
    """A resend of a request served before the timeout, arriving after it: the reply cache
    answered it again, sealed, from a session the rule had already ended (B-11.7.1)."""
    board = board_of(tmp_path, pki)
    try:
        bench = Bench(board)
        tool_s = [0.0]
        bench.tool = ToolConnection(lambda: tool_s[0])  # the tool's resend timer, by hand
        bench.ask(bench.tool.hello())
        open_session(bench, TechnicianIdentity.load(pki / "technicians" / "T-1001"))

        def answers() -> list[bytes]:
            board.service.receive_data(bench.tool.data_to_send())
            frames = FrameSplitter(65535).feed(board.service.data_to_send())
            return [f for f in frames if isinstance(f, bytes) and f[2] & Flags.RESPONSE]

        bench.tool.send_request(ConfigGetRequest(), timeout_s=60.0)
        (first,) = answers()  # served, sealed; the answer is lost on its way
        assert first[2] & Flags.ENCRYPTED
        board.clock.advance(IDLE_TIMEOUT_S + 1)  # no tick runs in between
        tool_s[0] += 30
        bench.tool.handle_timers()  # the resend, sealed afresh
        assert bench.tool.retransmits == 1
        assert [answer for answer in answers() if answer[2] & Flags.ENCRYPTED] == []
        closed = [e for e in board.audit.entries() if e["kind"] == "session_closed"]
        assert closed[-1]["reason"] == "idle_timeout"
    finally:
        board.close()


def test_a_keypad_tests_duration_is_held_to_1_to_300_seconds(tmp_path: Path, pki: Path) -> None:
    """SPEC 16.6: ``duration_s`` 0 runs the test for 1 s, more than 300 for 300."""
    board = board_of(tmp_path, pki)
    try:
        bench = Bench(board)
        bench.ask(bench.tool.hello())
        open_session(bench, TechnicianIdentity.load(pki / "technicians" / "T-1002"))
        for asked in (0, 1, 300, 301, 0xFFFF):
            answer = bench.ask(KeypadTestRequest(1, asked))
            assert isinstance(answer, KeypadTestResponse) and answer.active == 1
        tests = [e["seconds"] for e in board.audit.entries() if e["kind"] == "diag_keypad_test"]
        assert tests == [1, 1, 300, 300, 300]
        until = board.lock.keypad_test_until
        assert until is not None and 299 < until - board.lock.clock.monotonic() <= 300  # the last
    finally:
        board.close()


def _settle(board: Emulator, seconds: float = 3.0) -> None:
    """Let the motor travel (the board's clock moved by hand)."""
    board.clock.advance(seconds)
    board.lock.tick()


def _relocks(board: Emulator) -> list[dict[str, Any]]:
    return [e for e in board.audit.entries() if e["kind"] == "relocked"]


def test_a_power_cut_with_the_bolt_open_and_the_door_shut_relocks_at_boot(
    tmp_path: Path, pki: Path
) -> None:
    """5: the relock timer lived in RAM, so a power cut left the safe open until someone
    entered a code."""
    board = board_of(tmp_path, pki)
    try:
        assert board.lock.enter_code("123456").name == "OPENED"
        _settle(board)
        assert board.lock.hardware.bolt is BoltState.RETRACTED
        board.power_cycle()
        _settle(board)  # the first tick starts the motor
        _settle(board)
        assert board.lock.hardware.bolt is BoltState.EXTENDED
        assert [e["cause"] for e in _relocks(board)] == ["power_loss"]
    finally:
        board.close()


def test_with_the_door_open_the_relock_waits_for_the_door(tmp_path: Path, pki: Path) -> None:
    board = board_of(tmp_path, pki)
    try:
        assert board.lock.enter_code("123456").name == "OPENED"
        _settle(board)
        board.lock.open_door()
        board.power_cycle()  # the door stays where it is
        _settle(board)
        assert board.lock.hardware.door is DoorState.OPEN
        assert board.lock.hardware.bolt is BoltState.RETRACTED and _relocks(board) == []
        board.lock.close_door()
        _settle(board, 30.0)  # the usual relock after the door closes
        _settle(board)
        assert board.lock.hardware.bolt is BoltState.EXTENDED
        assert _relocks(board) == []  # an ordinary relock, not one for the power loss
    finally:
        board.close()
