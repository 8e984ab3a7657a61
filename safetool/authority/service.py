"""The issuing logic: who may have an authorisation, what it is bound to, and the ledger first.

* :meth:`Authority.issue_online` — a technician's signed request → a signed
  :class:`~protocols.recovery.Authorisation` bound to the lock's serial, nonce and counter, the
  technician and certificate serial, with ``recovery_id`` = the ledger entry.
* :meth:`Authority.issue_phone` — an operator reads the lock's challenge → 13 digits to read
  back: :func:`protocols.recovery.phone_response` under the board's recovery secret, over the
  full challenge the board shows (check digit included), the technician id and the 10-minute
  window of issue (the board also accepts the next window).
* :meth:`Authority.report_result` and :meth:`Authority.close` — what the lock did, and the
  close seal that proves it was shut again.

Everything is synchronous (the HTTP layer runs it in worker threads); time comes from
``clock`` so tests can move it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protocols.certificates import Certificate
from protocols.recovery import (
    Authorisation,
    TimeStatement,
    challenge_digits,
    device_recovery_secret,
    digits_equal,
    phone_response,
    seal_code,
)
from safetool.authority.database import default_database_url, open_ledger_database
from safetool.authority.digits import parse_challenge, parse_name, parse_seal
from safetool.authority.errors import (
    AuthorityError,
    CertificateRefused,
    NotAuthenticated,
    RequestInvalid,
    StaleRequest,
)
from safetool.authority.keys import AuthorityKeys, load_authority_keys
from safetool.authority.ledger import Ledger, LedgerEntry, PendingIssue, RateLimits
from safetool.authority.locks import LockRegister
from safetool.authority.register import (
    TechnicianRegister,
    check_signed_by_authority,
    check_technician,
    load_register,
)
from safetool.authority.revocations import DAY_S, DEFAULT_VALID_DAYS, RevocationPublisher
from safetool.authority.technicians import TechnicianBook
from safetool.authority.wire import (
    U32_MAX,
    CloseReport,
    IssuedAuthorisation,
    OnlineRequest,
    PhoneResponse,
    ResultReport,
    decode_certificate,
    verify_technician_signature,
)
from safetool.messages import Message
from safetool.report_signature import SignedReport

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)


def _check_counter(counter: int | None) -> None:
    if counter is not None and not 0 <= counter <= U32_MAX:
        raise RequestInvalid(
            Message("authority.counter.out_of_range", {"counter": counter, "maximum": U32_MAX}),
            meaning=Message("authority.nothing_issued_or_recorded"),
            next_step=Message("authority.counter.read_again"),
        )


@dataclass(frozen=True, slots=True)
class ReportCheck:
    """A customer report whose signature holds: what it states, and who signed it."""

    facts: dict[str, Any]
    technician_id: str
    certificate_serial: int
    revoked_now: bool
    """The certificate has been revoked since (the report was genuine when signed, if its
    date is before the revocation; the hotline should ask)."""


def authenticated(
    certificate_bytes: bytes, signature: bytes, data: bytes, authority_key: Ed25519PublicKey
) -> Certificate:
    """The certificate, if ``authority_key`` issued it and its key signed ``data``; else
    :class:`AuthorityError`."""
    certificate = decode_certificate(certificate_bytes)
    check_signed_by_authority(certificate, authority_key)
    verify_technician_signature(certificate, signature, data)
    return certificate


def check_report(signed: SignedReport, keys: AuthorityKeys) -> ReportCheck:
    """Whether a customer's report was signed by a technician this authority certified, and
    the facts that signature covers (what the hotline reads back to the customer). Needs the
    authority's keys and revocation list only, not its ledger."""
    try:
        certificate = authenticated(
            signed.certificate, signed.signature, signed.signed_bytes, keys.public_key
        )
    except AuthorityError:
        raise NotAuthenticated(
            Message("report_signature.forged"),
            meaning=Message("report_signature.forged.meaning"),
            next_step=Message("report_signature.forged.next"),
        ) from None
    if signed.facts.get("technician") != certificate.subject_id:
        raise NotAuthenticated(
            Message(
                "report_signature.other_technician",
                {"named": str(signed.facts.get("technician")), "signer": certificate.subject_id},
            ),
            meaning=Message("report_signature.forged.meaning"),
            next_step=Message("report_signature.forged.next"),
        )
    revoked = keys.revocations.is_revoked(certificate.serial_number)
    return ReportCheck(signed.facts, certificate.subject_id, certificate.serial_number, revoked)


@dataclass(frozen=True, slots=True)
class AuthorityPolicy:
    validity_s: int = 15 * 60
    """How long the ledger holds an authorisation live (one challenge, one answer). The lock
    itself times the answer on its own lived time since its challenge (its policy's
    ``answer_valid_min``); no clock of ours is compared with the lock's."""
    request_skew_s: int = 5 * 60
    """How far a request's timestamp may be from the authority's clock."""
    max_seal_failures: int = 3
    limits: RateLimits = field(default_factory=RateLimits)
    registered_locks_only: bool = False
    """Issue only for locks in the lock register (once the centre's register is complete)."""
    revocations_valid_s: int = DEFAULT_VALID_DAYS * DAY_S
    """How long each revocation list this authority publishes stays current (SPEC.md 11.3)."""


@dataclass(slots=True)
class Authority:
    keys: AuthorityKeys
    register: TechnicianRegister
    ledger: Ledger
    publisher: RevocationPublisher
    """Keeps the revocation list current; the technician book revokes through the same one."""
    policy: AuthorityPolicy = field(default_factory=AuthorityPolicy)
    clock: Callable[[], float] = time.time
    locks: LockRegister | None = None
    """The locks the desk registered (their region scopes who may recover them)."""

    @classmethod
    def open(
        cls,
        pki: Path,
        database_url: str | None = None,
        *,
        policy: AuthorityPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> Authority:
        """Load keys and register from ``pki``, open (and migrate) the ledger database."""
        policy = policy or AuthorityPolicy()
        keys = load_authority_keys(pki)
        engine = open_ledger_database(database_url or default_database_url(pki))
        publisher = RevocationPublisher(keys, policy.revocations_valid_s, clock)
        book = TechnicianBook(engine, keys, clock, publisher)
        register = replace(load_register(pki, keys.public_key), book=book)
        ledger = Ledger(engine, limits=policy.limits)
        return cls(keys, register, ledger, publisher, policy, clock, LockRegister(engine, clock))

    def shutdown(self) -> None:
        self.ledger.engine.dispose()

    # --- checks -----------------------------------------------------------------------------

    def _authenticate(self, certificate_bytes: bytes, signature: bytes, data: bytes) -> Certificate:
        """The certificate, if this authority issued it and its key signed ``data``.

        Failures are logged, never written to the ledger: the sender is not authenticated."""
        try:
            certificate = authenticated(certificate_bytes, signature, data, self.keys.public_key)
            parse_name(certificate.subject_id, what="technician")
        except AuthorityError as error:
            log.warning("unauthenticated request refused: %r", error.message)
            raise
        return certificate

    def _check_fresh(self, timestamp: int, now: float) -> None:
        skew = timestamp - now
        if abs(skew) > self.policy.request_skew_s:
            raise StaleRequest(
                Message(
                    f"authority.stale.{'ahead' if skew > 0 else 'behind'}",
                    {
                        "when": datetime.fromtimestamp(timestamp, UTC),
                        "seconds": round(abs(skew)),
                        "allowed": self.policy.request_skew_s,
                    },
                ),
                meaning=Message("authority.stale.meaning"),
                next_step=Message("authority.stale.next"),
            )

    def _refuse(
        self, error: Exception, now: float, serial: str | None, certificate: Certificate
    ) -> None:
        reason = getattr(error, "message", str(error))
        log.warning("refused %s for %s: %s", certificate.subject_id, serial, reason)
        self.ledger.record_refusal(
            int(now), serial=serial, technician_id=certificate.subject_id, reason=reason
        )

    # --- online -----------------------------------------------------------------------------

    def authorisation_for(self, entry: LedgerEntry) -> Authorisation:
        """The signed authorisation for an online ledger entry (the same bytes every time)."""
        if entry.kind != "online" or entry.nonce is None or entry.counter is None:
            raise ValueError(f"recovery {entry.id} is not an online authorisation")
        return Authorisation(
            serial=entry.serial,
            nonce=bytes.fromhex(entry.nonce),
            counter=entry.counter,
            technician_id=entry.technician_id,
            certificate_serial=entry.certificate_serial,
            recovery_id=entry.id,
            issued_at=entry.issued_at,
        ).signed_by(self.keys.signing_key)

    def issue_online(self, request: OnlineRequest) -> IssuedAuthorisation:
        now = self.clock()
        certificate = self._authenticate(
            request.certificate, request.signature, request.signed_bytes()
        )
        serial = parse_name(request.serial, what="serial")
        try:
            check_technician(certificate, self.keys.public_key, self.keys.revocations, now=now)
            self._check_fresh(request.timestamp, now)
            self._check_scope(serial, certificate)
        except (CertificateRefused, StaleRequest) as error:
            self._refuse(error, now, serial, certificate)
            raise
        challenge = parse_challenge(request.challenge)
        if challenge != challenge_digits(request.nonce):
            raise RequestInvalid(
                Message("authority.challenge.not_its_nonce"),
                meaning=Message("authority.challenge.not_its_nonce.meaning"),
                next_step=Message("authority.challenge.not_its_nonce.next"),
            )
        issued_at = int(now)
        entry, duplicate = self.ledger.issue(
            PendingIssue(
                kind="online",
                serial=serial,
                technician_id=certificate.subject_id,
                certificate_serial=certificate.serial_number,
                challenge=challenge,
                nonce=request.nonce.hex(),
                counter=request.counter,
                not_before=issued_at,
                not_after=issued_at + self.policy.validity_s,
                issued_via="api",
            ),
            issued_at,
        )
        log.info(
            "%s online recovery %d: lock %s, technician %s",
            "re-sent" if duplicate else "issued",
            entry.id,
            entry.serial,
            entry.technician_id,
        )
        return IssuedAuthorisation(entry.id, self.authorisation_for(entry))

    # --- phone ------------------------------------------------------------------------------

    def check_technician_now(self, technician_id: str, serial: str | None = None) -> None:
        """Raise the refusal an authorisation for ``technician_id`` (for lock ``serial``)
        would get now — unknown, suspended, expired, revoked, not qualified, out of the lock's
        region — without recording anything."""
        certificate = self.register.get(technician_id)
        check_technician(certificate, self.keys.public_key, self.keys.revocations, now=self.clock())
        if serial:
            self._check_scope(serial, certificate)

    def _check_scope(self, serial: str, certificate: Certificate) -> None:
        if self.locks is not None:
            self.locks.check_scope(
                serial, certificate, registered_only=self.policy.registered_locks_only
            )

    def phone_response_for(self, entry: LedgerEntry) -> str:
        """The digits for a phone ledger entry (the same every time it is asked)."""
        if entry.counter is None:
            raise ValueError(f"recovery {entry.id} has no recovery counter")
        secret = device_recovery_secret(self.keys.master_secret.reveal(), entry.serial)
        return phone_response(
            secret, entry.serial, entry.challenge, entry.counter, entry.technician_id
        )

    def issue_phone(
        self,
        serial: str,
        challenge: str,
        technician_id: str,
        *,
        counter: int | None = None,
        via: str = "cli",
    ) -> PhoneResponse:
        """The operator's path: ``challenge`` as read over the phone (groups and spaces allowed)."""
        now = self.clock()
        serial = parse_name(serial, what="serial")
        technician_id = parse_name(technician_id, what="technician")
        digits = parse_challenge(challenge)
        _check_counter(counter)
        if counter is None:
            raise RequestInvalid(
                Message("authority.counter.missing"),
                meaning=Message("authority.counter.missing.meaning"),
                next_step=Message("authority.counter.missing.next"),
            )
        certificate = self.register.get(technician_id)
        try:
            check_technician(certificate, self.keys.public_key, self.keys.revocations, now=now)
            self._check_scope(serial, certificate)
        except CertificateRefused as error:
            self._refuse(error, now, serial, certificate)
            raise
        issued_at = int(now)
        entry, duplicate = self.ledger.issue(
            PendingIssue(
                kind="phone",
                serial=serial,
                technician_id=technician_id,
                certificate_serial=certificate.serial_number,
                challenge=digits,
                nonce=None,
                counter=counter,
                not_before=issued_at,
                not_after=issued_at + self.policy.validity_s,
                issued_via=via,
            ),
            issued_at,
        )
        log.info(
            "%s phone recovery %d: lock %s, technician %s",
            "re-read" if duplicate else "issued",
            entry.id,
            entry.serial,
            entry.technician_id,
        )
        return PhoneResponse(
            recovery_id=entry.id,
            serial=entry.serial,
            technician_id=entry.technician_id,
            challenge=entry.challenge,
            response=self.phone_response_for(entry),
            not_after=entry.not_after,
        )

    # --- after the recovery -----------------------------------------------------------------

    def report_result(self, report: ResultReport) -> LedgerEntry:
        """The tool's signed report of the lock's answer (``used`` or ``refused``)."""
        now = self.clock()
        certificate = self._authenticate(
            report.certificate, report.signature, report.signed_bytes()
        )
        self._check_fresh(report.timestamp, now)
        return self.ledger.report_result(
            report.recovery_id, certificate.subject_id, report.result, report.detail, int(now)
        )

    def close(
        self,
        serial: str,
        recovery_id: int | None,
        seal: str,
        *,
        counter: int | None = None,
        signed: CloseReport | None = None,
    ) -> LedgerEntry:
        """Verify the close seal the lock showed and mark the recovery closed.

        The board computes ``seal_code(secret, serial, recovery_counter, challenge)`` with the
        challenge string it showed (check digit included); the counter comes from the ledger
        (online) or from the technician (phone, ``counter``). Without ``recovery_id`` the
        recovery is the one the lock numbered ``counter``: the number the technician reads out
        with the seal is all the hotline needs."""
        now = self.clock()
        technician_id: str | None = None
        if signed is not None:
            certificate = self._authenticate(
                signed.certificate, signed.signature, signed.signed_bytes()
            )
            self._check_fresh(signed.timestamp, now)
            technician_id = certificate.subject_id
        serial = parse_name(serial, what="serial")
        digits = parse_seal(seal)
        _check_counter(counter)
        if recovery_id is None:
            if counter is None:
                raise RequestInvalid(
                    Message("authority.counter.missing"),
                    meaning=Message("authority.nothing_recorded"),
                    next_step=Message("authority.ledger.no_counter.next"),
                )
            recovery_id = self.ledger.recovery_numbered(serial, counter)
        master = self.keys.master_secret

        def seal_ok(entry: LedgerEntry, recovery_counter: int) -> bool:
            secret = device_recovery_secret(master.reveal(), entry.serial)
            expected = seal_code(secret, entry.serial, recovery_counter, entry.challenge)
            return digits_equal(expected, digits)

        return self.ledger.close(
            recovery_id,
            serial,
            digits,
            counter,
            seal_ok,
            int(now),
            technician_id=technician_id,
            max_seal_failures=self.policy.max_seal_failures,
        )

    def revocations(self) -> bytes:
        """The current signed revocation list (signed afresh when it is due, SPEC.md 11.3)."""
        return self.publisher.current()

    def time_statement(self, serial: str) -> TimeStatement:
        """The authority's signed word on the time now, for the lock ``serial``: what lets a
        lock's clock be set back, or forward by more than a laptop may nudge it (SPEC.md 12.6).
        It opens nothing, so anyone may ask; it is bound to one lock and a lock takes only a
        statement newer than any it has taken."""
        if not serial or len(serial.encode()) > 255:
            raise RequestInvalid(
                Message("authority.serial.length"), next_step=Message("authority.serial.read")
            )
        return TimeStatement(serial, int(self.clock())).signed_by(self.keys.signing_key)
