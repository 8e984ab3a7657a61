"""A tool connection wired to an in-process emulated board, frame by frame, with no loop and
no wire: for tests that read what the board answers to exactly these bytes."""

from __future__ import annotations

import time
from pathlib import Path

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
        self.tool.send_request(request, timeout_s=5.0)
        self._pump()
        events = list(iter(self.tool.next_event, None))
        self.received += [e.event for e in events if isinstance(e, LockEventReceived)]
        answers = [e for e in events if isinstance(e, ResponseReceived)]
        assert len(answers) == 1, events
        (answer,) = answers
        return answer.response

    def events(self) -> list[tuple[int, LockEvent | None]]:
        """(seq, event) of each event the board sent since the last call; ``None`` for an
        event sent sealed."""
        self._pump()
        found, self._events = self._events, []
        return found


def board_of(tmp_path: Path, pki: Path) -> Emulator:
    return Emulator(state_dir=tmp_path / "board", provisioning=Provisioning.load(pki, SERIAL))


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
