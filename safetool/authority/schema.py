"""The ledger's tables, as SQLAlchemy models (the migrations in ``migrations/`` create them).

Times are whole seconds since 1970 (UTC), as in the authorisation itself; exports add ISO 8601.
A change here needs a new migration in ``migrations/versions/`` (see docs/authority.md).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Kind = Literal["online", "phone"]
State = Literal["issued", "used", "refused", "closed", "expired"]
KINDS: tuple[Kind, ...] = ("online", "phone")
STATES: tuple[State, ...] = ("issued", "used", "refused", "closed", "expired")
LIVE: State = "issued"


class Base(DeclarativeBase):
    pass


class AuthorisationRow(Base):
    """Every authorisation the authority issued; ``id`` is the recovery id."""

    __tablename__ = "authorisations"
    __table_args__ = (
        CheckConstraint("kind IN ('online', 'phone')", name="ck_authorisations_kind"),
        CheckConstraint(
            "state IN ('issued', 'used', 'refused', 'closed', 'expired')",
            name="ck_authorisations_state",
        ),
        Index(
            "uq_authorisations_live",
            "technician_id",
            "serial",
            "challenge",
            unique=True,
            sqlite_where=text("state = 'issued'"),
            postgresql_where=text("state = 'issued'"),
        ),
        Index("ix_authorisations_technician_issued", "technician_id", "issued_at"),
        Index("ix_authorisations_serial_issued", "serial", "issued_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    serial: Mapped[str] = mapped_column(String(64))
    technician_id: Mapped[str] = mapped_column(String(64))
    certificate_serial: Mapped[int] = mapped_column(BigInteger)
    challenge: Mapped[str] = mapped_column(String(16))
    """The challenge digits as the board shows them, check digit included."""
    nonce: Mapped[str | None] = mapped_column(String(32))
    """Hex of the board's 16-byte challenge nonce (online only)."""
    counter: Mapped[int | None] = mapped_column(BigInteger)
    """The board's recovery counter (online; phone only if the technician read it out)."""
    issued_at: Mapped[int] = mapped_column(BigInteger)
    not_before: Mapped[int] = mapped_column(BigInteger)
    not_after: Mapped[int] = mapped_column(BigInteger)
    issued_via: Mapped[str] = mapped_column(String(16))
    """``api`` (technician), ``operator-api`` or ``cli`` (hotline desk)."""
    state: Mapped[str] = mapped_column(String(10))
    used_at: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[int | None] = mapped_column(BigInteger)
    seal: Mapped[str | None] = mapped_column(String(16))
    seal_failures: Mapped[int] = mapped_column(Integer, default=0)


class EventRow(Base):
    """What happened around the ledger: issues, duplicates, refusals, results, seals."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_recovery", "recovery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(32))
    recovery_id: Mapped[int | None] = mapped_column(ForeignKey("authorisations.id"))
    serial: Mapped[str | None] = mapped_column(String(64))
    technician_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(400), default="")


# --- the hotline desk (docs/authority.md "The hotline desk") --------------------------------------

Role = Literal["operator", "supervisor", "administrator"]
ROLES: tuple[Role, ...] = ("operator", "supervisor", "administrator")
"""Each role may do what the ones before it may, and more."""


class OperatorRow(Base):
    """A person at the desk: a name to log in with, a role and an Argon2 hash of the password."""

    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint(
            "role IN ('operator', 'supervisor', 'administrator')", name="ck_operators_role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    """Failed logins in a row; reset by a good one."""
    locked_until: Mapped[int] = mapped_column(BigInteger, default=0)
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    """The second factor's shared secret (base32), if the account has one."""
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    """The last 30-second step whose code was taken: a code is good once."""


class OperatorSessionRow(Base):
    """A logged-in browser: the SHA-256 of its cookie (never the cookie) and its CSRF token."""

    __tablename__ = "operator_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)
    last_seen: Mapped[int] = mapped_column(BigInteger)


class OperatorActionRow(Base):
    """Every operator action, append-only (the database refuses updates and deletes)."""

    __tablename__ = "operator_actions"
    __table_args__ = (Index("ix_operator_actions_username", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[int] = mapped_column(BigInteger)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(400), default="")


TechnicianStatus = Literal["active", "suspended", "revoked"]
TECHNICIAN_STATUSES: tuple[TechnicianStatus, ...] = ("active", "suspended", "revoked")


class TechnicianRow(Base):
    """A technician enrolled at the desk: the certificate the authority signed for the public
    key their own tool made (the private key never left their laptop), and its status."""

    __tablename__ = "technicians"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'suspended', 'revoked')", name="ck_technicians_status"
        ),
    )

    technician_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    serial_number: Mapped[int] = mapped_column(BigInteger, unique=True)
    certificate: Mapped[str] = mapped_column(String(1024))
    """The signed certificate, hex."""
    status: Mapped[str] = mapped_column(String(10))
    enrolled_by: Mapped[str] = mapped_column(String(64))
    enrolled_at: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[int] = mapped_column(BigInteger)


class LockRow(Base):
    """A lock the service centre looks after: its region and service contract. A registered
    lock gets authorisations only for technicians of its region or on its contract."""

    __tablename__ = "locks"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64))
    contract: Mapped[str] = mapped_column(String(64), default="")
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[int] = mapped_column(BigInteger)


class ContractTechnicianRow(Base):
    """A technician who serves a service contract: besides the technicians of its region, they
    get authorisations for the locks registered under that contract, wherever they are."""

    __tablename__ = "contract_technicians"

    contract: Mapped[str] = mapped_column(String(64), primary_key=True)
    technician_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[int] = mapped_column(BigInteger)
