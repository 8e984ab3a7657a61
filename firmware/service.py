"""The board's service port: the protocol connection wired to the lock model.

Bytes in, bytes out, no I/O of its own, so the same object serves a pty, a TCP socket or a test.
"""

from __future__ import annotations

import secrets

from firmware.clock import Clock
from firmware.lock import Identity, Lock
from firmware.pending import Pending
from firmware.trust import BoardTrust
from protocols.board import DEFAULT_BOARD_MAX_FRAME, BoardConnection
from protocols.catalogue import PROTOCOL_VERSION, ErrorCode, EventKind
from protocols.errors import LocalProtocolError
from protocols.events import FrameRejected, HelloReceived, RequestReceived, SessionEnded
from protocols.messages import (
    AnyRequest,
    ErrorResponse,
    IdentifyRequest,
    IdentifyResponse,
    LockEvent,
    PingRequest,
    PingResponse,
    Response,
    StatusRequest,
    StatusResponse,
)


class BoardService:
    def __init__(
        self,
        identity: Identity,
        clock: Clock,
        *,
        max_frame: int = DEFAULT_BOARD_MAX_FRAME,
        boot_id: int | None = None,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.connection = BoardConnection(
            boot_id=secrets.randbits(32) if boot_id is None else boot_id, max_frame=max_frame
        )
        self.lock: Lock | None = None
        self.trust: BoardTrust | None = None
        self._pending: dict[int, Pending] = {}
        self.rejected_frames = 0
        self._power_on: int | None = None
        """The boot's POWER_ON event, until the first HELLO lets it out."""
        self.muted = False
        """When set, the board hears but never answers (a board that has stopped responding)."""

    def attach(self, lock: Lock, trust: BoardTrust | None = None) -> None:
        self.lock = lock
        self.trust = trust

    def emit_event(self, kind: EventKind, value: int) -> None:
        """Lock events go out only once a tool has said HELLO on this boot; POWER_ON, which
        comes before any tool can have, is held for the first HELLO (SPEC.md 10.5)."""
        if self.muted:
            return
        if not self.connection.link_sessions:
            if kind == EventKind.POWER_ON:
                self._power_on = value
            return
        self.connection.send_event(LockEvent(kind, int(self.clock.rtc()) & 0xFFFFFFFF, value))

    def receive_data(self, data: bytes) -> None:
        if self.trust is not None:  # before a resend is answered from the reply cache (B-11.7.1)
            self.trust.expire_idle()
        self.connection.receive_data(data)
        while (event := self.connection.next_event()) is not None:
            if isinstance(event, RequestReceived):
                handled = None
                if self.trust is not None:
                    handled = self.trust.handle(event.request, event.encrypted, event.link_session)
                response, after = handled or (self._answer(event.request), None)
                if isinstance(response, Pending):
                    self._pending[event.seq] = response
                    delivered = True
                else:
                    delivered = self.connection.send_response(event.seq, response)
                if after is not None and delivered:
                    after()  # e.g. install session keys: only once their answer is out
            elif isinstance(event, FrameRejected):
                self.rejected_frames += 1
            elif isinstance(event, HelloReceived):
                if self.trust is not None:
                    self.trust.end("new_link")
                if self._power_on is not None:  # the first HELLO of this boot is answered
                    value, self._power_on = self._power_on, None
                    self.emit_event(EventKind.POWER_ON, value)
            elif isinstance(event, SessionEnded) and self.trust is not None:
                self.trust.end(event.code or "link_broken")

    def link_dropped(self) -> None:
        """The link itself went (a BLE disconnect; a serial line has no such moment): the secure
        session goes with it, since a new connection is a new link session (SPEC.md 21)."""
        self.connection.end_session("the connection was dropped", "disconnected")
        self.receive_data(b"")  # hands the session's end to the trust service (its audit entry)

    def poll_pending(self) -> None:
        """Answer the requests whose slow work has finished."""
        for seq, pending in list(self._pending.items()):
            response = pending.poll()
            if response is not None:
                del self._pending[seq]
                try:
                    self.connection.send_response(seq, response)
                except LocalProtocolError:  # its request was replaced or the link reset
                    self.rejected_frames += 1

    def next_ready_s(self) -> float | None:
        """The earliest time a waiting answer is known to be ready, if any is."""
        times = [p.ready_at_s for p in self._pending.values() if p.ready_at_s is not None]
        return min(times, default=None)

    def data_to_send(self) -> bytes:
        data = self.connection.data_to_send()
        return b"" if self.muted else data

    def _answer(self, request: AnyRequest) -> Response:
        lock = self.lock
        if lock is None:
            return ErrorResponse(ErrorCode.BUSY, "booting")
        lock.tick()
        if isinstance(request, IdentifyRequest):
            ident = self.identity
            return IdentifyResponse(
                serial=ident.serial,
                model=ident.model,
                hardware_revision=ident.hardware_revision,
                firmware_version=ident.firmware_version,
                bootloader_version=ident.bootloader_version,
                protocol_version=PROTOCOL_VERSION,
            )
        if isinstance(request, StatusRequest):
            hardware = lock.hardware
            return StatusResponse(
                lock_state=lock.lock_state,
                door=hardware.door,
                bolt=hardware.bolt,
                wrong_code_count=min(lock.wrong_code_count, 255),
                lockout_seconds=lock.countdown_seconds,
                battery_mv=min(hardware.battery_mv, 0xFFFF),
                temperature_dc=hardware.temperature_dc,
                uptime_s=lock.uptime_s,
                alerts=lock.alerts,
            )
        if isinstance(request, PingRequest):
            return PingResponse(request.data)
        return ErrorResponse(ErrorCode.UNKNOWN_TYPE, f"{type(request).__name__} is not served")
