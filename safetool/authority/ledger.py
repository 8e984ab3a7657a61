"""The ledger's transactions: every authorisation is committed here before anyone sees it.

One :meth:`Ledger.issue` transaction does, in order: take the lock's and the technician's
locks (PostgreSQL advisory locks; SQLite's one write lock), so concurrent workers queue; look
for a live authorisation of this technician for this lock and challenge (an identical request
gets that same entry back; a different one is refused); count the last hour's authorisations
per technician and per lock (over the limit: :class:`RateLimited` with the seconds until a
slot frees); insert the new entry; commit.

States: ``issued`` → ``used`` | ``refused`` (the lock's result) → ``closed`` (a verified close
seal); an ``issued`` entry past its window is marked ``expired`` when the same challenge is
asked for again. Entries are returned as :class:`LedgerEntry` snapshots.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    case,
    distinct,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.sql import Executable

from safetool.authority.database import unavailable
from safetool.authority.errors import (
    Conflict,
    RateLimited,
    RecoveryNotFound,
    RequestInvalid,
    SealRefused,
)
from safetool.authority.schema import LIVE, AuthorisationRow, EventRow
from safetool.messages import Message

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRIES = 5
_RETRY_SQLSTATES = {"40001", "40P01"}
"""PostgreSQL serialization failure and deadlock: the transaction is run again."""
AUTHORISATIONS = cast(Table, AuthorisationRow.__table__)
EVENTS = cast(Table, EventRow.__table__)
_A = AUTHORISATIONS.c
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_LIVE = select(AUTHORISATIONS).where(
    _A.technician_id == bindparam("technician_id"),
    _A.serial == bindparam("serial"),
    _A.challenge == bindparam("challenge"),
    _A.state == LIVE,
)
_COUNT_BY_TECHNICIAN = select(func.count(), func.min(_A.issued_at)).where(
    _A.technician_id == bindparam("value"), _A.issued_at > bindparam("since")
)
_COUNT_BY_LOCK = select(
    func.count(case((_A.state.in_(("used", "refused", "closed")), 1)))
    + func.count(distinct(case((_A.state == LIVE, _A.technician_id)))),
    func.min(_A.issued_at),
).where(_A.serial == bindparam("value"), _A.issued_at > bindparam("since"))
"""What a lock could have asked for: every authorisation it took (used, refused, closed), and
one per technician still waiting — a lock shows one challenge at a time, so a technician's
further live ones for it (made-up nonces) cannot use up its hourly quota for everyone else.
(Expired ones never reached the lock.)"""
_INSERT_AUTHORISATION = insert(AUTHORISATIONS).returning(_A.id)
_INSERT_EVENT = insert(EVENTS)
_BY_ID_FOR_UPDATE = select(AUTHORISATIONS).where(_A.id == bindparam("id")).with_for_update()
_BY_LOCK_NUMBER = (
    select(_A.id)
    .where(
        _A.serial == bindparam("serial"),
        _A.counter == bindparam("counter"),
        _A.state != "refused",
    )
    .order_by(case((_A.state.in_(("used", "closed")), 0), else_=1), _A.id.desc())
    .limit(1)
)
"""The authorisation a lock's recovery number names: the one the lock used, else the latest."""


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_technician: int = 20
    """Authorisations one technician may get in ``window_s``."""
    per_lock: int = 6
    """Authorisations one lock may get in ``window_s``."""
    window_s: int = 3600


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A snapshot of one ledger row; ``id`` is the recovery id."""

    id: int
    kind: str
    serial: str
    technician_id: str
    certificate_serial: int
    challenge: str
    nonce: str | None
    counter: int | None
    issued_at: int
    not_before: int
    not_after: int
    issued_via: str
    state: str
    used_at: int | None
    result: str | None
    closed_at: int | None
    seal: str | None
    seal_failures: int

    @classmethod
    def of(cls, row: AuthorisationRow) -> LedgerEntry:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS = tuple(f.name for f in fields(LedgerEntry))


@dataclass(frozen=True, slots=True)
class PendingIssue:
    """What the issuing logic asks the ledger to record."""

    kind: str
    serial: str
    technician_id: str
    certificate_serial: int
    challenge: str
    nonce: str | None
    counter: int | None
    not_before: int
    not_after: int
    issued_via: str

    def same_request_as(self, entry: LedgerEntry) -> bool:
        """True if ``entry`` answers exactly this request (so it may be handed out again)."""
        return (
            entry.kind == self.kind
            and entry.certificate_serial == self.certificate_serial
            and entry.nonce == self.nonce
            and (
                entry.counter == self.counter
                or (self.kind == "phone" and (self.counter is None or entry.counter is None))
            )
        )


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    serial: str | None = None
    technician_id: str | None = None
    state: str | None = None
    kind: str | None = None
    since: int | None = None
    """Issued at or after (seconds since 1970)."""
    until: int | None = None
    """Issued before."""
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    id: int
    at: int
    event: str
    recovery_id: int | None
    serial: str | None
    technician_id: str | None
    detail: str


class Ledger:
    """The ledger on one database (SQLAlchemy Core; the models in ``schema`` declare it)."""

    def __init__(self, engine: Engine, *, limits: RateLimits | None = None) -> None:
        self.engine = engine
        self.limits = limits or RateLimits()
        self._postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time anyway (every transaction begins IMMEDIATE): this
        # process's threads queue on a lock instead of sleeping in SQLite's busy handler.
        # Other processes on the same file still wait through the busy timeout.
        self._writer: AbstractContextManager[Any] = (
            nullcontext() if self._postgres else threading.Lock()
        )

    # --- plumbing ---------------------------------------------------------------------------

    def _run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a transaction, again after a deadlock or serialization failure."""
        for attempt in range(RETRIES):
            try:
                with self._writer, self.engine.begin() as connection:
                    return work(connection)
            except (OperationalError, IntegrityError) as error:
                sqlstate = getattr(error.orig, "sqlstate", None)
                retry = sqlstate in _RETRY_SQLSTATES or (
                    isinstance(error, IntegrityError)
                    and (sqlstate == "23505" or "UNIQUE constraint failed" in str(error.orig))
                )
                if not retry or attempt == RETRIES - 1:
                    if isinstance(error, OperationalError):
                        raise unavailable(self.engine.url, error) from None
                    raise
                log.info("ledger: transaction retried after %s", type(error.orig).__name__)
                time.sleep(0.005 * (attempt + 1))
            except DBAPIError as error:
                raise unavailable(self.engine.url, error) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except DBAPIError as error:
            raise unavailable(self.engine.url, error) from None

    def _lock_subjects(self, connection: Connection, serial: str, technician_id: str) -> None:
        """PostgreSQL: hold the lock's, then the technician's, advisory lock until commit, so
        workers count and insert one at a time per lock and per technician. (SQLite: BEGIN
        IMMEDIATE already holds the database's one write lock.)"""
        if self._postgres:
            for key in (f"lock:{serial}", f"technician:{technician_id}"):
                connection.execute(_ADVISORY_LOCK, {"key": f"safetool-authority:{key}"})

    def _check_rate(
        self,
        connection: Connection,
        query: Executable,
        value: str,
        limit: int,
        now: int,
        who: str,
    ) -> None:
        """``who`` is ``technician`` or ``lock``: whose limit ``value`` names."""
        since = now - self.limits.window_s
        count, oldest = connection.execute(query, {"value": value, "since": since}).one()
        if count >= limit:
            retry_after_s = max(1, int(oldest) + self.limits.window_s - now + 1)
            raise RateLimited(
                Message(
                    f"authority.rate.{who}",
                    {
                        who: value,
                        "count": count,
                        "minutes": self.limits.window_s // 60,
                        "limit": limit,
                    },
                ),
                retry_after_s=retry_after_s,
                meaning=Message("authority.rate.meaning"),
                next_step=Message("authority.rate.next", {"seconds": retry_after_s}),
            )

    @staticmethod
    def _event(
        connection: Connection,
        now: int,
        event: str,
        entry: LedgerEntry | None = None,
        *,
        serial: str | None = None,
        technician_id: str | None = None,
        detail: str = "",
    ) -> None:
        connection.execute(
            _INSERT_EVENT,
            {
                "at": now,
                "event": event,
                "recovery_id": None if entry is None else entry.id,
                "serial": serial if entry is None else entry.serial,
                "technician_id": technician_id if entry is None else entry.technician_id,
                "detail": detail[:400],
            },
        )

    @staticmethod
    def _update(connection: Connection, entry: LedgerEntry, **changes: Any) -> LedgerEntry:
        connection.execute(
            update(AUTHORISATIONS).where(AUTHORISATIONS.c.id == entry.id).values(**changes)
        )
        return replace(entry, **changes)

    def _locked_entry(
        self, connection: Connection, recovery_id: int, serial: str | None = None
    ) -> LedgerEntry:
        row = connection.execute(_BY_ID_FOR_UPDATE, {"id": recovery_id}).one_or_none()
        if row is None or (serial is not None and row.serial != serial):
            raise RecoveryNotFound(
                Message("authority.ledger.no_recovery", {"recovery": recovery_id})
                if serial is None
                else Message(
                    "authority.ledger.no_recovery_for_lock",
                    {"recovery": recovery_id, "serial": serial},
                ),
                meaning=Message("authority.nothing_recorded"),
                next_step=Message("authority.ledger.no_recovery.next"),
            )
        return LedgerEntry(**row._mapping)

    # --- issuing ----------------------------------------------------------------------------

    def issue(self, pending: PendingIssue, now: int) -> tuple[LedgerEntry, bool]:
        """Record ``pending``; return its entry and whether it was already issued (duplicate)."""

        def work(connection: Connection) -> tuple[LedgerEntry, bool]:
            self._lock_subjects(connection, pending.serial, pending.technician_id)
            row = connection.execute(
                _LIVE,
                {
                    "technician_id": pending.technician_id,
                    "serial": pending.serial,
                    "challenge": pending.challenge,
                },
            ).one_or_none()
            live = None if row is None else LedgerEntry(**row._mapping)
            if live is not None and live.not_after < now:
                self._event(
                    connection, now, "expired", self._update(connection, live, state="expired")
                )
            elif live is not None:
                if not pending.same_request_as(live):
                    raise Conflict(
                        Message(
                            "authority.ledger.live",
                            {
                                "technician": pending.technician_id,
                                "recovery": live.id,
                                "serial": pending.serial,
                            },
                        ),
                        meaning=Message("authority.ledger.live.meaning"),
                        next_step=Message(
                            "authority.ledger.live.next",
                            {
                                "recovery": live.id,
                                "when": datetime.fromtimestamp(live.not_after, UTC),
                            },
                        ),
                    )
                self._event(connection, now, "duplicate", live)
                return live, True
            self._check_rate(
                connection,
                _COUNT_BY_TECHNICIAN,
                pending.technician_id,
                self.limits.per_technician,
                now,
                "technician",
            )
            self._check_rate(
                connection,
                _COUNT_BY_LOCK,
                pending.serial,
                self.limits.per_lock,
                now,
                "lock",
            )
            values: dict[str, Any] = {
                **asdict(pending),
                "issued_at": now,
                "state": LIVE,
                "used_at": None,
                "result": None,
                "closed_at": None,
                "seal": None,
                "seal_failures": 0,
            }
            recovery_id = connection.execute(_INSERT_AUTHORISATION, values).scalar_one()
            entry = LedgerEntry(id=recovery_id, **values)
            self._event(
                connection, now, "issued", entry, detail=f"{entry.kind} via {entry.issued_via}"
            )
            return entry, False

        return self._run(work)

    def record_refusal(
        self, now: int, *, serial: str | None, technician_id: str | None, reason: str
    ) -> None:
        """Note a refused request from a known technician (never for unauthenticated ones)."""

        def work(connection: Connection) -> None:
            self._event(
                connection,
                now,
                "refused",
                serial=serial,
                technician_id=technician_id,
                detail=reason,
            )

        self._run(work)

    # --- after the issue --------------------------------------------------------------------

    def report_result(
        self, recovery_id: int, technician_id: str, result: str, detail: str, now: int
    ) -> LedgerEntry:
        """Record what the lock did with the authorisation (``used`` or ``refused``)."""

        def work(connection: Connection) -> LedgerEntry:
            entry = self._locked_entry(connection, recovery_id)
            if entry.technician_id != technician_id:
                raise Conflict(
                    Message("authority.ledger.other_technician", {"recovery": recovery_id}),
                    meaning=Message("authority.nothing_recorded"),
                    next_step=Message("authority.ledger.own_results"),
                )
            if entry.state == result and (entry.result or "") == (detail or result):
                return entry
            if entry.state not in (LIVE, "expired"):
                raise Conflict(
                    Message(
                        "authority.ledger.already",
                        {"recovery": recovery_id, "state": Message(f"ledger.state.{entry.state}")},
                    ),
                    meaning=Message("authority.ledger.already.meaning"),
                    next_step=Message("authority.ledger.ask_hotline"),
                )
            entry = self._update(
                connection,
                entry,
                state=result,
                result=detail or result,
                used_at=now if result == "used" else None,
            )
            self._event(connection, now, result, entry, detail=detail)
            return entry

        return self._run(work)

    def close(
        self,
        recovery_id: int,
        serial: str,
        seal: str,
        counter: int | None,
        seal_ok: Callable[[LedgerEntry, int], bool],
        now: int,
        *,
        technician_id: str | None = None,
        max_seal_failures: int = 3,
    ) -> LedgerEntry:
        """Verify the close seal with ``seal_ok(entry, counter)`` and mark the entry closed.

        A wrong seal is counted and recorded (committed) before :class:`SealRefused` is raised;
        after ``max_seal_failures`` wrong seals the recovery can no longer be closed by seal."""
        refused: list[SealRefused] = []

        def work(connection: Connection) -> LedgerEntry:
            refused.clear()
            entry = self._locked_entry(connection, recovery_id, serial)
            if technician_id is not None and entry.technician_id != technician_id:
                raise Conflict(
                    Message("authority.ledger.other_technician", {"recovery": recovery_id}),
                    meaning=Message("authority.nothing_recorded"),
                    next_step=Message("authority.ledger.own_seals"),
                )
            if entry.state == "closed":
                if entry.seal is not None and hmac.compare_digest(entry.seal, seal):
                    return entry
                raise Conflict(
                    Message("authority.ledger.closed_other_seal", {"recovery": recovery_id}),
                    meaning=Message("authority.nothing_changed"),
                    next_step=Message("authority.ledger.closed_other_seal.next"),
                )
            if entry.state == "refused":
                raise Conflict(
                    Message("authority.ledger.refused_nothing_to_close", {"recovery": recovery_id}),
                    meaning=Message("authority.nothing_changed"),
                    next_step=Message("authority.ledger.refused_nothing_to_close.next"),
                )
            if entry.seal_failures >= max_seal_failures:
                raise Conflict(
                    Message(
                        "authority.ledger.too_many_seals",
                        {"recovery": recovery_id, "count": entry.seal_failures},
                    ),
                    meaning=Message("authority.ledger.too_many_seals.meaning"),
                    next_step=Message("authority.ledger.too_many_seals.next"),
                )
            if counter is not None and entry.counter is not None and counter != entry.counter:
                raise Conflict(
                    Message(
                        "authority.ledger.other_counter",
                        {"recovery": recovery_id, "counter": entry.counter, "given": counter},
                    ),
                    meaning=Message("authority.nothing_recorded"),
                    next_step=Message("authority.ledger.other_counter.next"),
                )
            use_counter = entry.counter if entry.counter is not None else counter
            if use_counter is None:
                raise RequestInvalid(
                    Message("authority.ledger.no_counter", {"recovery": recovery_id}),
                    meaning=Message("authority.nothing_recorded"),
                    next_step=Message("authority.ledger.no_counter.next"),
                )
            if not seal_ok(entry, use_counter):
                failures = entry.seal_failures + 1
                entry = self._update(connection, entry, seal_failures=failures)
                self._event(
                    connection,
                    now,
                    "seal-refused",
                    entry,
                    detail=f"wrong seal {failures} of {max_seal_failures}",
                )
                refused.append(
                    SealRefused(
                        Message(
                            "authority.ledger.wrong_seal",
                            {"recovery": recovery_id, "serial": serial},
                        ),
                        meaning=Message(
                            "authority.ledger.wrong_seal.meaning",
                            {"count": failures, "limit": max_seal_failures},
                        ),
                        next_step=Message("authority.ledger.wrong_seal.next"),
                    )
                )
                return entry
            entry = self._update(
                connection, entry, state="closed", counter=use_counter, closed_at=now, seal=seal
            )
            self._event(connection, now, "closed", entry)
            return entry

        entry = self._run(work)
        if refused:
            raise refused[0]
        return entry

    # --- reading ----------------------------------------------------------------------------

    def recovery_numbered(self, serial: str, counter: int) -> int:
        """The ledger entry of the lock's recovery ``counter`` (the number the lock shows with
        its challenge and its seal): one recovery, one reference, for the technician and the
        hotline alike."""
        row = self._read(
            lambda connection: connection.execute(
                _BY_LOCK_NUMBER, {"serial": serial, "counter": counter}
            ).one_or_none()
        )
        if row is None:
            raise RecoveryNotFound(
                Message(
                    "authority.ledger.no_recovery_numbered", {"serial": serial, "number": counter}
                ),
                meaning=Message("authority.nothing_recorded"),
                next_step=Message("authority.ledger.no_recovery_numbered.next"),
            )
        return int(row.id)

    def get(self, recovery_id: int) -> LedgerEntry:
        row = self._read(
            lambda connection: connection.execute(
                select(AUTHORISATIONS).where(AUTHORISATIONS.c.id == recovery_id)
            ).one_or_none()
        )
        if row is None:
            raise RecoveryNotFound(
                Message("authority.ledger.no_recovery", {"recovery": recovery_id}),
                next_step=Message("authority.ledger.check_recovery"),
            )
        return LedgerEntry(**row._mapping)

    def entries(self, wanted: LedgerFilter | None = None) -> list[LedgerEntry]:
        wanted = wanted or LedgerFilter()
        table = AUTHORISATIONS.c
        query = select(AUTHORISATIONS).order_by(table.id)
        for column, value in (
            (table.serial, wanted.serial),
            (table.technician_id, wanted.technician_id),
            (table.state, wanted.state),
            (table.kind, wanted.kind),
        ):
            if value is not None:
                query = query.where(column == value)
        if wanted.since is not None:
            query = query.where(table.issued_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(table.issued_at < wanted.until)
        if wanted.limit is not None:
            query = query.limit(wanted.limit)
        return self._read(
            lambda connection: [LedgerEntry(**row._mapping) for row in connection.execute(query)]
        )

    def events(self, recovery_id: int | None = None) -> Sequence[LedgerEvent]:
        query = select(EVENTS).order_by(EVENTS.c.id)
        if recovery_id is not None:
            query = query.where(EVENTS.c.recovery_id == recovery_id)
        return self._read(
            lambda connection: [LedgerEvent(**row._mapping) for row in connection.execute(query)]
        )
