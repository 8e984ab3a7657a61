"""The board's audit and clock requests: the signed head, paged reads, and setting the clock.

Registered with the trust layer, so each is served only inside an authenticated session whose
technician holds the qualification (SPEC.md section 17): AUDIT_HEAD and AUDIT_READ need
``diagnose``, CLOCK_SET needs ``configure``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from firmware.audit import AuditTrail
from firmware.lock import CLOCK_JUMP_S, Lock
from firmware.provisioning import Provisioning
from firmware.trust import BoardTrust
from protocols.audit_messages import (
    CLOCK_NUDGE_S,
    AuditHeadRequest,
    AuditHeadResponse,
    AuditReadRequest,
    AuditReadResponse,
    ClockSetRequest,
    ClockSetResponse,
    WireEntry,
    encode_entries,
    head_payload,
)
from protocols.catalogue import ErrorCode, MsgType
from protocols.certificates import Certificate, Qualification
from protocols.messages import AnyRequest, ErrorResponse, Response
from protocols.recovery import RecoveryError, TimeStatement
from protocols.session import CIPHER_OVERHEAD

if TYPE_CHECKING:
    from firmware.emulator import Emulator

READ_FIXED_BYTES = 8
"""AUDIT_READ response bytes before the entries (count, first_index)."""


class BoardAudit:
    def __init__(
        self,
        lock: Lock,
        provisioning: Provisioning | None,
        audit: AuditTrail,
        serial: str,
        *,
        advance_clock: Callable[[float], None],
        max_body: Callable[[], int],
    ) -> None:
        self.lock = lock
        self.provisioning = provisioning
        self.audit = audit
        self.serial = serial
        self.advance_clock = advance_clock
        self.max_body = max_body
        """The largest response body the tool accepts now (its HELLO frame limit)."""

    @classmethod
    def of_emulator(cls, emulator: Emulator) -> BoardAudit:
        return cls(
            emulator.lock,
            emulator.provisioning,
            emulator.audit,
            emulator.identity.serial,
            advance_clock=emulator.clock.shift_rtc,
            max_body=lambda: emulator.service.connection.max_body,
        )

    def register(self, trust: BoardTrust) -> None:
        trust.register(MsgType.AUDIT_HEAD, Qualification.DIAGNOSE, self._serve)
        trust.register(MsgType.AUDIT_READ, Qualification.DIAGNOSE, self._serve)
        trust.register(MsgType.CLOCK_SET, Qualification.CONFIGURE, self._serve)

    def _serve(self, request: AnyRequest, technician: Certificate | None) -> Response:
        if isinstance(request, AuditHeadRequest):
            return self.head(request.nonce)
        if isinstance(request, AuditReadRequest):
            return self.read(request.start_index, request.max_bytes)
        if isinstance(request, ClockSetRequest):
            return self.set_clock(request, technician)
        return ErrorResponse(ErrorCode.UNKNOWN_TYPE, f"{type(request).__name__} is not served")

    def head(self, nonce: bytes) -> AuditHeadResponse:
        trail = self.audit
        time_s = int(self.lock.trusted_rtc())
        trail.flush_refusals(time_s)  # what a download shows includes every refusal counted
        unsigned = AuditHeadResponse(
            count=trail.count,
            first_index=trail.first_index,
            start_hash=trail.start_hash,
            head_hash=trail.head_hash,
            time_s=time_s,
            signed=0,
            signature=bytes(64),
        )
        if self.provisioning is None:
            return unsigned
        payload = head_payload(
            serial=self.serial,
            nonce=nonce,
            count=unsigned.count,
            first_index=unsigned.first_index,
            start_hash=unsigned.start_hash,
            head_hash=unsigned.head_hash,
            time_s=time_s,
        )
        unsigned.signed = 1
        unsigned.signature = self.provisioning.device_key.sign(payload)
        return unsigned

    def read(self, start_index: int, max_bytes: int) -> AuditReadResponse:
        """As many whole entries from ``start_index`` as fit both the asked size and the frame
        the tool accepts (at least one, so a reader always moves on)."""
        room = min(max_bytes, self.max_body() - CIPHER_OVERHEAD) - READ_FIXED_BYTES
        chosen: list[WireEntry] = []
        used = 0
        for entry in self.audit.stored(start_index):
            encoded = len(entry.wire().canonical()) + 8
            if chosen and used + encoded > room:
                break
            chosen.append(entry.wire())
            used += encoded
        first = max(start_index, self.audit.first_index)
        return AuditReadResponse(self.audit.count, first, encode_entries(chosen))

    def set_clock(self, request: ClockSetRequest, technician: Certificate | None) -> Response:
        """A laptop may nudge the clock forward, by :data:`CLOCK_NUDGE_S` in all between two
        signed times; back, or further, needs a time statement signed by the service authority
        (SPEC.md 17.2), which the board takes only if it is newer than any it has taken."""
        who = "" if technician is None else technician.subject_id
        lock = self.lock
        before = lock.trusted_rtc()
        rtc = lock.clock.rtc()
        if request.statement:
            refusal = self._take_statement(request.statement)
            if refusal is not None:
                self.audit.append(
                    before,
                    "clock_set_refused",
                    technician=who,
                    wanted=request.time_s,
                    reason=refusal,
                )
                return ErrorResponse(ErrorCode.NOT_ALLOWED, refusal)
            target = float(TimeStatement.decode(request.statement).time_s)
            source = "authority"
        else:
            target = float(request.time_s)
            source = "laptop"
            nudged = float(lock.saved.service.get("nudged_s", 0.0))
            off = target - rtc
            if off < -CLOCK_JUMP_S or off + nudged > CLOCK_NUDGE_S:
                self.audit.append(
                    before,
                    "clock_set_refused",
                    technician=who,
                    wanted=request.time_s,
                    off_s=round(off),
                )
                direction = "back" if off < 0 else "forward"
                return ErrorResponse(
                    ErrorCode.OUT_OF_RANGE,
                    f"needs a signed time statement: {request.time_s} is {abs(round(off))} s "
                    f"{direction} from the lock's clock (a laptop may only move it forward, "
                    f"{CLOCK_NUDGE_S} s in all between signed times)",
                )
            lock.saved.service["nudged_s"] = nudged + max(0.0, off)
        jump_s = target - rtc
        self.advance_clock(jump_s)
        lock.saved.rtc_floor = target  # a set clock is the trusted time from now on
        after = lock.trusted_rtc()
        kind = "clock_jump_forward" if jump_s > CLOCK_JUMP_S else "clock_set"
        self.audit.append(
            after,
            kind,
            technician=who,
            before=int(before),
            after=int(after),
            seconds=round(jump_s),
            source=source,
        )
        lock.commit()
        return ClockSetResponse(int(before), int(after))

    def _take_statement(self, data: bytes) -> str | None:
        """Why the time statement ``data`` is refused, or ``None`` once it is taken."""
        if self.provisioning is None:
            return "this board has no authority key (not provisioned)"
        try:
            statement = TimeStatement.decode(data)
            statement.verify_signature(self.provisioning.authority_key)
        except RecoveryError as error:
            return f"time statement refused: {error}"
        if statement.serial != self.serial:
            return f"the time statement is for {statement.serial[:40]}, not this lock"
        service = self.lock.saved.service
        taken = int(service.get("statement_time", -1))
        if statement.time_s <= taken:  # each statement once: an old one never sets a clock back
            return (
                f"the time statement ({statement.time_s}) is not newer than the last one this "
                f"lock took ({taken})"
            )
        signed = self.lock.signed_time()
        if signed is not None and statement.time_s < signed - CLOCK_NUDGE_S:
            return (
                f"the time statement ({statement.time_s}) is older than the newest signed time "
                f"this lock has seen ({int(signed)})"
            )
        service["statement_time"] = statement.time_s
        self.lock.take_signed_time(statement.time_s)  # newer than the anchor, or the same second
        self.lock.commit()
        return None
