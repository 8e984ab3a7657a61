"""The lock register the desk keeps, and the scope of an authorisation: a registered lock's
authorisations go only to technicians of its region, or to technicians on its service contract
(a bank's safes served by the contract's own team across regions; docs/authority.md, "Who may
recover what"). A service centre whose register is complete sets ``registered_locks_only`` and
locks outside it get none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from protocols.certificates import Certificate
from safetool.authority.digits import parse_name
from safetool.authority.errors import CertificateRefused, RequestInvalid
from safetool.authority.schema import ContractTechnicianRow, LockRow
from safetool.messages import Message


@dataclass(frozen=True, slots=True)
class RegisteredLock:
    serial: str
    region: str
    contract: str


@dataclass(frozen=True, slots=True)
class ContractTechnician:
    contract: str
    technician_id: str
    added_by: str


class LockRegister:
    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.clock = clock

    def add(self, serial: str, region: str, contract: str, by: str) -> RegisteredLock:
        serial = parse_name(serial, what="serial")
        if not region.strip():
            raise RequestInvalid(Message("authority.locks.region_needed"))
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(LockRow).values(
                        serial=serial,
                        region=region.strip()[:64],
                        contract=contract.strip()[:64],
                        added_by=by,
                        added_at=int(self.clock()),
                    )
                )
        except IntegrityError:
            raise RequestInvalid(Message("authority.locks.exists", {"serial": serial})) from None
        return RegisteredLock(serial, region.strip()[:64], contract.strip()[:64])

    def get(self, serial: str) -> RegisteredLock | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(LockRow).where(LockRow.serial == serial)).first()
        return None if row is None else RegisteredLock(row.serial, row.region, row.contract)

    def listing(self) -> list[RegisteredLock]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(LockRow).order_by(LockRow.serial))
            return [RegisteredLock(r.serial, r.region, r.contract) for r in rows]

    def check_scope(self, serial: str, technician: Certificate, *, registered_only: bool) -> None:
        """Raise :class:`CertificateRefused` unless ``technician`` may recover ``serial``."""
        lock = self.get(serial)
        if lock is None:
            if registered_only:
                raise CertificateRefused(
                    Message("authority.scope.unregistered", {"serial": serial}),
                    meaning=Message("authority.nothing_issued"),
                    next_step=Message("authority.scope.unregistered.next"),
                )
            return
        if technician.region == lock.region:
            return
        if lock.contract and self.serves(technician.subject_id, lock.contract):
            return
        values = {
            "technician": technician.subject_id,
            "technician_region": technician.region or "—",
            "serial": serial,
            "region": lock.region,
            "contract": lock.contract,
        }
        which = "contract" if lock.contract else "region"
        raise CertificateRefused(
            Message(f"authority.scope.{which}", values),
            meaning=Message("authority.nothing_issued"),
            next_step=Message(f"authority.scope.{which}.next", values),
        )

    # --- technicians on service contracts ------------------------------------------------------

    def assign(self, contract: str, technician_id: str, by: str) -> ContractTechnician:
        """Put ``technician_id`` on ``contract`` (nothing changes if they are on it already)."""
        contract = contract.strip()[:64]
        if not contract:
            raise RequestInvalid(Message("authority.contracts.contract_needed"))
        technician_id = parse_name(technician_id, what="technician")
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(ContractTechnicianRow).values(
                        contract=contract,
                        technician_id=technician_id,
                        added_by=by,
                        added_at=int(self.clock()),
                    )
                )
        except IntegrityError:
            raise RequestInvalid(
                Message(
                    "authority.contracts.exists",
                    {"technician": technician_id, "contract": contract},
                )
            ) from None
        return ContractTechnician(contract, technician_id, by)

    def unassign(self, contract: str, technician_id: str) -> bool:
        """Take ``technician_id`` off ``contract``; say whether they were on it."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(ContractTechnicianRow).where(
                    ContractTechnicianRow.contract == contract,
                    ContractTechnicianRow.technician_id == technician_id,
                )
            )
        return bool(result.rowcount)

    def serves(self, technician_id: str, contract: str) -> bool:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ContractTechnicianRow.contract).where(
                    ContractTechnicianRow.contract == contract,
                    ContractTechnicianRow.technician_id == technician_id,
                )
            ).first()
        return row is not None

    def contract_technicians(self) -> list[ContractTechnician]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(ContractTechnicianRow).order_by(
                    ContractTechnicianRow.contract, ContractTechnicianRow.technician_id
                )
            )
            return [ContractTechnician(r.contract, r.technician_id, r.added_by) for r in rows]
