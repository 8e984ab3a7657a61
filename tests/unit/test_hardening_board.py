"""Issue 19, finding 4: the board's timers outlive any one failing tick, and say so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.emulator import Emulator
from firmware.provisioning import Provisioning
from protocols.catalogue import ErrorCode
from protocols.events import ResponseReceived
from protocols.messages import ErrorResponse
from protocols.session import ToolHandshake
from protocols.tool import ToolConnection
from protocols.trust_messages import SessionInitResponse
from safetool.services.devpki import init_dev_pki

pytestmark = pytest.mark.in_memory


async def test_a_failing_tick_is_reported_and_the_timers_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Emulator(state_dir=tmp_path)
    ticks = []
    real_tick = board.updater.tick

    def tick_that_fails_once() -> None:
        ticks.append(1)
        if len(ticks) == 1:
            raise RuntimeError("a fault in one tick")
        real_tick()

    board.updater.tick = tick_that_fails_once  # type: ignore[method-assign]
    board._start_ticking()
    try:
        for _ in range(200):
            if len(ticks) >= 5:
                break
            await asyncio.sleep(0.01)
    finally:
        board.close()
    assert board.tick_failures == 1 and len(ticks) >= 5  # the timers kept running
    assert "a fault in one tick" in capsys.readouterr().err  # and it was not silent


def _provisioned_board(tmp_path: Path) -> tuple[Emulator, bytes]:
    """An in-process board of the dev PKI, and technician T-1001's certificate."""
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = Emulator(
        state_dir=tmp_path / "board", provisioning=Provisioning.load(pki, "SL-0000-0001")
    )
    return board, (pki / "technicians/T-1001/technician.cert").read_bytes()


def test_the_board_opens_no_session_before_a_hello(tmp_path: Path) -> None:
    """Finding 7: the transcript binds the link's HELLO, so a board that has answered none
    refuses SESSION_INIT with INVALID_STATE, and answers it once a HELLO has been said."""
    board, certificate = _provisioned_board(tmp_path)
    tool = ToolConnection(lambda: 0.0)

    def ask(request: object) -> object:
        tool.send_request(request, timeout_s=5.0)  # type: ignore[arg-type]
        board.service.receive_data(tool.data_to_send())
        tool.receive_data(board.service.data_to_send())
        events = [e for e in iter(tool.next_event, None) if isinstance(e, ResponseReceived)]
        (event,) = events
        return event.response

    try:
        handshake = ToolHandshake(certificate, lambda data: bytes(64), b"")
        refused = ask(handshake.start())
        assert isinstance(refused, ErrorResponse) and refused.code is ErrorCode.INVALID_STATE
        assert "HELLO" in refused.detail
        ask(tool.hello())
        assert isinstance(ask(handshake.start()), SessionInitResponse)
    finally:
        board.close()


def test_a_session_init_read_in_one_chunk_with_a_later_hello_binds_no_hello(
    tmp_path: Path,
) -> None:
    """Found by the conformance suite (B-11.4.2): SESSION_INIT then HELLO arriving together;
    the connection answers HELLO as it reads it, before the SESSION_INIT is served, and the
    board took that HELLO for the one before it. A request is judged by the link session it
    arrived in."""
    board, certificate = _provisioned_board(tmp_path)
    tool = ToolConnection(lambda: 0.0)
    try:
        init_seq = tool.send_request(
            ToolHandshake(certificate, lambda data: bytes(64), b"").start(), timeout_s=5.0
        )
        tool.send_request(tool.hello(), timeout_s=5.0)
        board.service.receive_data(tool.data_to_send())  # both in one read
        tool.receive_data(board.service.data_to_send())
        answers = {
            e.seq: e.response
            for e in iter(tool.next_event, None)
            if isinstance(e, ResponseReceived)
        }
        refused = answers[init_seq]
        assert isinstance(refused, ErrorResponse) and refused.code is ErrorCode.INVALID_STATE
        assert board.service.connection.cipher is None
    finally:
        board.close()
