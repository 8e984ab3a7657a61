"""The technician register kept in the database: enrolled at the desk from a request the
technician's own tool made (the private key never leaves their laptop), suspended, reinstated,
revoked. Changes take effect at once in every authority process: the register reads the
database on each lookup; a revocation signs and publishes a new revocation list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from protocols.certificates import Certificate, CertificateKind, Qualification
from safetool.authority.errors import RequestInvalid
from safetool.authority.keys import AuthorityKeys
from safetool.authority.revocations import RevocationPublisher
from safetool.authority.schema import TechnicianRow, TechnicianStatus
from safetool.authority.wire import EnrolmentRequest
from safetool.messages import Message

DAY_S = 24 * 3600
DEFAULT_VALIDITY_DAYS = 365
FIRST_SERIAL = 20_000
"""Desk-enrolled certificates are numbered from here (the PKI folder's start at 1001)."""


@dataclass(frozen=True, slots=True)
class EnrolledTechnician:
    certificate: Certificate
    status: TechnicianStatus
    enrolled_by: str
    enrolled_at: int


class TechnicianBook:
    def __init__(
        self,
        engine: Engine,
        keys: AuthorityKeys,
        clock: Callable[[], float],
        publisher: RevocationPublisher,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.clock = clock
        self.publisher = publisher

    def get(self, technician_id: str) -> EnrolledTechnician | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(TechnicianRow).where(TechnicianRow.technician_id == technician_id)
            ).first()
        return None if row is None else _enrolled(row)

    def listing(self) -> list[EnrolledTechnician]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(TechnicianRow).order_by(TechnicianRow.technician_id))
            return [_enrolled(row) for row in rows]

    def enrol(
        self,
        request: EnrolmentRequest,
        qualifications: Qualification,
        by: str,
        *,
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        known: Callable[[str], bool] = lambda _id: False,
    ) -> Certificate:
        """Sign a certificate for the request's key and record it; refuse an id in use."""
        if known(request.technician_id) or self.get(request.technician_id) is not None:
            raise RequestInvalid(
                Message("authority.enrolment.taken", {"technician": request.technician_id})
            )
        now = int(self.clock())
        with self.engine.begin() as connection:
            highest = connection.execute(select(func.max(TechnicianRow.serial_number))).scalar()
            serial = max(FIRST_SERIAL, (highest or 0) + 1)
            certificate = Certificate(
                kind=CertificateKind.TECHNICIAN,
                serial_number=serial,
                subject_id=request.technician_id,
                name=request.name or request.technician_id,
                region=request.region,
                qualifications=qualifications,
                not_before=now - 300,
                not_after=now + validity_days * DAY_S,
                public_key=request.public_key,
                issuer_key_id=b"",
            ).signed_by(self.keys.signing_key)
            try:
                connection.execute(
                    insert(TechnicianRow).values(
                        technician_id=request.technician_id,
                        serial_number=serial,
                        certificate=certificate.encode().hex(),
                        status="active",
                        enrolled_by=by,
                        enrolled_at=now,
                        changed_at=now,
                    )
                )
            except IntegrityError:
                raise RequestInvalid(
                    Message("authority.enrolment.taken", {"technician": request.technician_id})
                ) from None
        return certificate

    def set_status(self, technician_id: str, status: TechnicianStatus) -> EnrolledTechnician:
        """Suspend (no authorisation is issued), reinstate, or revoke (also on every lock that
        is given the new revocation list). A revoked technician stays revoked."""
        found = self.get(technician_id)
        if found is None:
            raise RequestInvalid(
                Message("authority.certificate.unknown_technician", {"technician": technician_id})
            )
        if found.status == "revoked" and status != "revoked":
            raise RequestInvalid(
                Message("authority.enrolment.revoked_for_good", {"technician": technician_id})
            )
        if status == "revoked":
            self.publisher.revoke(found.certificate.serial_number)
        with self.engine.begin() as connection:
            connection.execute(
                update(TechnicianRow)
                .where(TechnicianRow.technician_id == technician_id)
                .values(status=status, changed_at=int(self.clock()))
            )
        return EnrolledTechnician(found.certificate, status, found.enrolled_by, found.enrolled_at)


def _enrolled(row: object) -> EnrolledTechnician:
    certificate = Certificate.decode(bytes.fromhex(row.certificate))  # type: ignore[attr-defined]
    return EnrolledTechnician(
        certificate,
        row.status,  # type: ignore[attr-defined]
        row.enrolled_by,  # type: ignore[attr-defined]
        row.enrolled_at,  # type: ignore[attr-defined]
    )
