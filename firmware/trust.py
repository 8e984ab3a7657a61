"""The board's side of trust: secure sessions, the revocation list, and who may do what.

Privileged requests (recovery, and later audit, firmware and configuration) are served only
inside an authenticated session whose technician certificate carries the qualification; every
refusal is recorded in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from firmware.audit import AuditTrail
from firmware.lock import Lock
from firmware.pending import Pending
from firmware.policy import LockPolicy
from firmware.provisioning import Provisioning
from firmware.recovery import BoardRecovery, SealNotReady
from protocols.board import BoardConnection
from protocols.catalogue import ErrorCode, EventKind, MsgType, RefusalReason
from protocols.certificates import Certificate, Qualification
from protocols.messages import AnyRequest, ErrorResponse, Response, error_detail
from protocols.recovery import RecoveryError, RevocationList
from protocols.session import (
    BoardSessionOffer,
    HandshakeFailed,
    board_accept_init,
    board_check_auth,
)
from protocols.trust_messages import (
    ConfigResponse,
    ConfigSetRequest,
    ConfigSetResponse,
    RecoveryAuthoriseRequest,
    RevocationsRequest,
    RevocationsResponse,
    SessionAuthRequest,
    SessionAuthResponse,
    SessionEndRequest,
    SessionEndResponse,
    SessionInitRequest,
)

IDLE_TIMEOUT_S = 600
PrivilegedHandler = Callable[[AnyRequest, Certificate], Response | Pending]
"""Serves one privileged request for the session's technician."""
After = Callable[[], None]
"""Work to do once the answer is queued (installing session keys must wait for it)."""


@dataclass(slots=True)
class _Session:
    offer: BoardSessionOffer
    established: bool = False
    last_used_s: float = 0.0

    @property
    def technician(self) -> Certificate:
        return self.offer.technician


class BoardTrust:
    def __init__(
        self,
        lock: Lock,
        provisioning: Provisioning | None,
        connection: BoardConnection,
        audit: AuditTrail,
        serial: str,
    ) -> None:
        self.lock = lock
        self.provisioning = provisioning
        self.connection = connection
        self.audit = audit
        self.session: _Session | None = None
        # pragma comments: an unprovisioned board opens no session, so nothing reaches recovery
        self.recovery: BoardRecovery | None = None  # pragma: no mutate
        if provisioning is not None:  # pragma: no mutate
            self.recovery = BoardRecovery(lock, provisioning, audit, serial)
        self._handlers: dict[MsgType, tuple[Qualification, PrivilegedHandler]] = {}
        self.on_session_end: list[Callable[[], None]] = []
        """Called whenever a session ends (services that must stop with it)."""
        self._register_own()
        if provisioning is not None and provisioning.revocation_list is not None:
            self._take_revocations(provisioning.revocation_list)

    # --- dispatch ------------------------------------------------------------------------------

    def handle(
        self, request: AnyRequest, encrypted: bool, link_session: int
    ) -> tuple[Response | Pending, After | None] | None:
        """Answer a trust or privileged request; ``None`` if ``request`` is neither.
        ``link_session``: the HELLOs answered when it arrived (``RequestReceived``)."""
        self.expire_idle()  # the timer may not have run yet: the rule holds at request time
        if isinstance(request, SessionInitRequest):
            return self._init(request, link_session)
        if isinstance(request, SessionAuthRequest):
            response = self._auth(request, encrypted)
            if self.session is None:  # refused: the keys of the failed handshake go too
                return response, self._keys_go_after()
            return response, None
        if isinstance(request, SessionEndRequest):
            self.end("ended_by_tool")
            return SessionEndResponse(), self._keys_go_after()
        if isinstance(request, RevocationsRequest):
            return self._revocations(request), None
        if request.TYPE in self._handlers:
            return self._privileged(request, encrypted), None
        return None

    def end(self, reason: str) -> None:
        """The session ends; ``reason`` is the audit's code (SPEC.md 12.10): ``new_link``,
        ``new_session``, ``ended_by_tool``, ``idle_timeout``, ``forged_frame``,
        ``replayed_frame``, ``truncated_frame``, ``disconnected`` or ``link_broken``."""
        for on_end in self.on_session_end:
            on_end()
        if self.session is not None and self.session.established:
            self.audit.append(
                self.lock.trusted_rtc(),
                "session_closed",
                reason=reason,
                technician=self.session.technician.subject_id,
            )
        self.session = None

    def _keys_go_after(self) -> After:
        """The link forgets the session keys once this answer is out. (The link's own
        ``SessionEnded`` reason is read by nobody: the trail's ``session_closed`` says why.)"""
        return lambda: self.connection.end_session("")  # pragma: no mutate (read by nobody)

    def expire_idle(self) -> None:
        session = self.session
        if (
            session is not None
            and self.lock.clock.monotonic() - session.last_used_s > IDLE_TIMEOUT_S
        ):
            self.end("idle_timeout")
            self.connection.end_session("idle timeout")  # pragma: no mutate (read by nobody)

    # --- session ------------------------------------------------------------------------------

    def _init(
        self, request: SessionInitRequest, link_session: int
    ) -> tuple[Response, After | None]:
        self.end("new_session")
        self.connection.cipher = None  # dropped here, not reported back to us as an event
        provisioning = self.provisioning
        if provisioning is None:
            return _not_allowed("this board has no device key (not provisioned)"), None
        if not link_session or link_session != self.connection.link_sessions:
            # before any HELLO, or in a link session a later HELLO (same chunk) already ended
            return ErrorResponse(
                ErrorCode.INVALID_STATE, "SESSION_INIT needs a HELLO on this link first"
            ), None
        now = self.lock.trusted_rtc()
        expiry_at, started_by = self.lock.certificate_times()
        try:
            reply, offer = board_accept_init(
                request,
                hello=self.connection.hello_exchange,
                device_key=provisioning.device_key,
                device_certificate=provisioning.device_certificate,
                authority_key=provisioning.authority_key,
                revoked=self._revoked(),
                now=expiry_at,
                started_by=started_by,
            )
        except HandshakeFailed as failure:
            reason = failure.reason
            self.audit.append(
                now,
                "session_refused",
                reason=reason.name.lower(),
                detail=error_detail(str(failure)),
                certificate=_cert_summary(request),
            )
            self.lock.emit(EventKind.SESSION_REFUSED, int(reason))
            return _not_allowed(f"session refused ({reason.name}): {failure}"), None
        self.session = _Session(offer, last_used_s=self.lock.clock.monotonic())

        def install_keys() -> None:
            self.connection.cipher = offer.cipher

        return reply, install_keys

    def _auth(self, request: SessionAuthRequest, encrypted: bool) -> Response:
        session = self.session
        if session is None or not encrypted:
            return _not_allowed("SESSION_AUTH needs SESSION_INIT first, under the session keys")
        now = self.lock.trusted_rtc()
        try:
            board_check_auth(session.offer, request)
        except HandshakeFailed as failure:
            self.audit.append(
                now,
                "session_refused",
                reason="bad_signature",
                technician=session.technician.subject_id,
            )
            self.lock.emit(EventKind.SESSION_REFUSED, int(RefusalReason.BAD_SIGNATURE))
            self.session = None
            return _not_allowed(f"session refused: {failure}")
        session.established = True
        session.last_used_s = self.lock.clock.monotonic()
        technician = session.technician
        self.audit.append(
            now,
            "session_opened",
            technician=technician.subject_id,
            certificate=technician.serial_number,
            qualifications=technician.qualifications.names(),
        )
        self.lock.emit(EventKind.SESSION_OPENED, technician.serial_number & 0x7FFFFFFF)
        return SessionAuthResponse(int(technician.qualifications), IDLE_TIMEOUT_S, int(now))

    # --- revocations ----------------------------------------------------------------------------

    def _revoked(self) -> frozenset[int]:
        crl = self.lock.saved.service.get("crl") or {}
        return frozenset(int(s) for s in crl.get("serials", []))

    def _take_revocations(self, data: bytes) -> None:
        """Keep ``data`` if it is a valid list newer than the one held (a damaged or forged one
        raises :class:`RecoveryError`)."""
        assert self.provisioning is not None
        crl = RevocationList.decode(data)
        crl.verify_signature(self.provisioning.authority_key)
        held = self.lock.saved.service.get("crl")
        if held and crl.issued_at <= int(held["issued_at"]):
            return
        self.lock.saved.service["crl"] = {
            "issued_at": crl.issued_at,
            "next_update": crl.next_update,
            "serials": list(crl.serials),
        }
        self.lock.take_signed_time(crl.issued_at)  # also the newest signed time (SPEC.md 12.6)
        self.lock.commit()
        self.audit.append(
            self.lock.trusted_rtc(),
            "revocations_updated",
            issued_at=crl.issued_at,
            next_update=crl.next_update,
            count=len(crl.serials),
        )

    def _revocations(self, request: RevocationsRequest) -> Response:
        if self.provisioning is None:
            return _not_allowed("this board has no authority key (not provisioned)")
        try:
            self._take_revocations(request.revocation_list)
        except RecoveryError as error:
            self.audit.append(self.lock.trusted_rtc(), "revocations_refused", detail=str(error))
            return _not_allowed(f"revocation list refused: {error}")
        held = self.lock.saved.service["crl"]  # this list, or a newer one held before
        return RevocationsResponse(
            int(held["issued_at"]),
            int(held.get("next_update", 0)),  # a list kept before lists had one: due now
            len(held["serials"]),
        )

    def list_out_of_date(self) -> int | None:
        """The held list's ``next_update`` if the board's signed time has reached it (or 0 if
        it holds none); ``None`` while the list is current (SPEC.md 11.3, B-11.3.3). Signed
        time, not the clock: a clock set forward cannot age the list, nor one set back keep it."""
        held = self.lock.saved.service.get("crl") or {}
        next_update = int(held.get("next_update", 0))
        signed = self.lock.signed_time()
        if signed is None or signed >= next_update:  # none held: next_update 0, always reached
            return next_update
        return None

    # --- privileged -----------------------------------------------------------------------------

    def _privileged(self, request: AnyRequest, encrypted: bool) -> Response | Pending:
        """Serve ``request`` if the session may (SPEC.md 11.8, B-11.8.1): the checks in order,
        the first failure refused with its reason in the ``detail`` and the audit trail."""
        session = self.session
        name = MsgType(request.TYPE).name
        now = self.lock.trusted_rtc()
        if session is None or not session.established or not encrypted:
            self.audit.append(now, "privileged_refused", request=name, reason="no_session")
            return _not_allowed(
                f"{name} refused (no_session): needs an authenticated secure session"
            )
        session.last_used_s = self.lock.clock.monotonic()
        technician = session.technician
        needed = self._handlers[MsgType(request.TYPE)][0]
        refusal = self._refusal(technician, needed)
        if refusal is not None:
            reason, text = refusal
            self.audit.append(
                now,
                "privileged_refused",
                request=name,
                reason=reason,
                technician=technician.subject_id,
            )
            return _not_allowed(f"{name} refused ({reason}): {text}")
        return self._handlers[MsgType(request.TYPE)][1](request, technician)

    def _refusal(self, technician: Certificate, needed: Qualification) -> tuple[str, str] | None:
        """Why the session's technician may not do what needs ``needed`` now, if they may not:
        ``(reason, text)``. Judged at every request, not once at the handshake, so a list or an
        expiry that arrives mid-session takes effect at once."""
        out_of_date = self.list_out_of_date()
        if out_of_date is not None:
            return "list_out_of_date", (
                f"the revocation list held was due to be replaced at {out_of_date}; "
                "a newer one is needed (REVOCATIONS)"
            )
        if technician.serial_number in self._revoked():
            return "revoked", f"certificate {technician.serial_number} has been revoked"
        expiry_at, started_by = self.lock.certificate_times()
        if not technician.valid_at(expiry_at, started_by=started_by):
            return "expired", (
                f"certificate {technician.serial_number} of {technician.subject_id} is not valid "
                f"now (valid {technician.not_before}..{technician.not_after})"
            )
        if needed not in technician.qualifications:
            return "not_qualified", (
                f"needs the '{needed.names()[0]}' qualification, which certificate "
                f"{technician.serial_number} of {technician.subject_id} does not carry"
            )
        return None

    # --- the privileged services this board offers ----------------------------------------------

    def register(
        self, msg_type: MsgType, qualification: Qualification, handler: PrivilegedHandler
    ) -> None:
        """Serve ``msg_type`` inside sessions whose certificate has ``qualification``."""
        self._handlers[msg_type] = (qualification, handler)

    def _register_own(self) -> None:
        self.register(
            MsgType.CONFIG_GET,
            Qualification.DIAGNOSE,
            lambda request, technician: ConfigResponse(**self.lock.saved.policy.to_json()),
        )
        self.register(
            MsgType.CONFIG_SET,
            Qualification.CONFIGURE,
            lambda request, technician: self._configure(_as(request, ConfigSetRequest), technician),
        )
        recovery = self.recovery
        if recovery is None:
            return
        self.register(
            MsgType.RECOVERY_CHALLENGE,
            Qualification.RECOVER,
            lambda request, technician: recovery.challenge(technician),
        )
        self.register(
            MsgType.RECOVERY_AUTHORISE,
            Qualification.RECOVER,
            lambda request, technician: recovery.authorise(
                _as(request, RecoveryAuthoriseRequest), technician
            ),
        )
        self.register(MsgType.RECOVERY_SEAL, Qualification.RECOVER, self._seal)

    def _seal(self, request: AnyRequest, technician: Certificate) -> Response:
        assert self.recovery is not None
        try:
            return self.recovery.seal()
        except SealNotReady as not_ready:
            return ErrorResponse(ErrorCode.INVALID_STATE, str(not_ready))

    def _configure(self, request: ConfigSetRequest, technician: Certificate) -> Response:
        before = self.lock.saved.policy.to_json()
        wanted = {name: getattr(request, name) for name in before}
        now = self.lock.trusted_rtc()
        try:
            policy = LockPolicy(**wanted)
        except ValueError as error:
            self.audit.append(
                now, "config_refused", technician=technician.subject_id, detail=str(error)
            )
            return ErrorResponse(ErrorCode.OUT_OF_RANGE, error_detail(str(error)))
        self.lock.saved.policy = policy
        self.lock.commit()
        changes = {k: [before[k], v] for k, v in policy.to_json().items() if before[k] != v}
        self.audit.append(now, "config_changed", technician=technician.subject_id, changes=changes)
        self.lock.emit(EventKind.CONFIG_CHANGED, technician.serial_number & 0x7FFFFFFF)
        return ConfigSetResponse(**policy.to_json())


R = TypeVar("R", bound=AnyRequest)


def _as(request: AnyRequest, kind: type[R]) -> R:
    assert isinstance(request, kind)
    return request


def _not_allowed(detail: str) -> ErrorResponse:
    return ErrorResponse(ErrorCode.NOT_ALLOWED, error_detail(detail))


def _cert_summary(request: SessionInitRequest) -> str:
    try:
        certificate = Certificate.decode(request.certificate)
    except Exception:
        return "unreadable"
    return f"{certificate.subject_id} #{certificate.serial_number}"
