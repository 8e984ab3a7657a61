"""A tool connection wired to an in-process emulated board, frame by frame, with no loop and
no wire: for tests that read what the board answers to exactly these bytes."""

from __future__ import annotations

import time
from pathlib import Path

from firmware.clock import SystemClock
from firmware.emulator import Emulator
from firmware.provisioning import Provisioning
from protocols.catalogue import Flags, MsgType
from protocols.codec import decode_message
from protocols.events import LockEventReceived, ResponseReceived
from protocols.framing import FrameSplitter
from protocols.messages import AnyRequest, LockEvent, Response
from protocols.session import ToolHandshake
from protocols.tool import ToolConnection
from protocols.trust_messages import SessionAuthResponse, SessionInitResponse
from safetool.identity import TechnicianIdentity

SERIAL = "SL-0000-0001"


class Bench:
    """A tool connection wired to an in-process board, frame by frame."""

    def __init__(self, board: Emulator, *, max_frame: int = 65535) -> None:
        self.board = board
        self.tool = ToolConnection(time.monotonic, max_frame=max_frame)
        self._events: list[tuple[int, LockEvent | None]] = []
        self.received: list[LockEvent] = []
        """The events the tool took (opened, if sealed) while :meth:`ask` waited."""

    def _pump(self) -> None:
        self.board.service.receive_data(self.tool.data_to_send())
        data = self.board.service.data_to_send()
        for frame in FrameSplitter(65535).feed(data):
            assert isinstance(frame, bytes), frame
            if frame[2] & Flags.ENCRYPTED:
                if frame[1] == MsgType.EVENT:
                    self._events.append((-1, None))  # sealed: unreadable here
                continue
            decoded = decode_message(frame)
            if isinstance(decoded.message, LockEvent):
                self._events.append((decoded.seq, decoded.message))
        self.tool.receive_data(data)

    def ask(self, request: AnyRequest) -> Response:
        ((response, _),) = self.ask_all([request])
        return response

    def ask_all(self, requests: list[AnyRequest]) -> list[tuple[Response, float]]:
        """Send ``requests`` together (several in flight, as an install's chunks are): each
        one's answer, with the board's uptime when it came. Slow work (the flash's erase and
        program times) ends at once: the board's clock is moved on to when it does."""
        seqs = [self.tool.send_request(request, timeout_s=5.0) for request in requests]
        answered: dict[int, tuple[Response, float]] = {}
        others: list[object] = []
        ticked = False
        while True:
            self._pump()
            for event in iter(self.tool.next_event, None):
                if isinstance(event, LockEventReceived):
                    self.received.append(event.event)
                elif isinstance(event, ResponseReceived) and event.seq not in answered:
                    answered[event.seq] = (event.response, self.board.clock.monotonic())
                else:
                    others.append(event)
            if len(answered) == len(seqs):
                assert not others, others
                return [answered[seq] for seq in seqs]
            ready_s = self.board.service.next_ready_s()
            if ready_s is None:  # nothing is known to end: a tick of the board's timers
                assert not ticked, f"the board never answers {requests}: {others}"
                ticked = True
            else:
                ticked = False
                self.board.clock.advance(max(0.0, ready_s - self.board.clock.monotonic()))
            self.board.service.poll_pending()

    def events(self) -> list[tuple[int, LockEvent | None]]:
        """(seq, event) of each event the board sent since the last call; ``None`` for an
        event sent sealed."""
        self._pump()
        found, self._events = self._events, []
        return found


def board_of(tmp_path: Path, pki: Path, clock: SystemClock | None = None) -> Emulator:
    return Emulator(
        state_dir=tmp_path / "board", provisioning=Provisioning.load(pki, SERIAL), clock=clock
    )


def stopped_clock() -> SystemClock:
    """A board clock that moves only when a test (or :meth:`Bench.ask_all`) moves it on."""
    return SystemClock(elapsed=lambda: 0.0)


def open_session(bench: Bench, identity: TechnicianIdentity) -> None:
    handshake = ToolHandshake(identity.certificate_bytes, identity.sign, bench.tool.hello_exchange)
    reply = bench.ask(handshake.start())
    assert isinstance(reply, SessionInitResponse), reply
    auth, cipher, _ = handshake.finish(
        reply,
        provisioning_key=identity.provisioning_key,
        expected_serial=SERIAL,
        now=time.time(),
    )
    bench.tool.cipher = cipher
    assert isinstance(bench.ask(auth), SessionAuthResponse)
