"""Operators are people: accounts with roles, Argon2-hashed passwords, lockout after repeated
failed logins, server-side sessions with a CSRF token each, and every action in an append-only
table (docs/authority.md, "The hotline desk").

Sessions are kept in the database (the cookie holds a random token; the table only its
SHA-256), so several authority processes serve one desk, a logout or an expiry ends a session
everywhere, and a stolen table row opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from safetool.authority.database import unavailable
from safetool.authority.errors import AuthorityError, NotAuthenticated, RequestInvalid
from safetool.authority.schema import (
    ROLES,
    OperatorActionRow,
    OperatorRow,
    OperatorSessionRow,
    Role,
)
from safetool.messages import Message

T = TypeVar("T")
MAX_FAILED_LOGINS = 5
LOCKOUT_S = 15 * 60
SESSION_IDLE_S = 30 * 60
"""A desk left alone this long logs out."""
SESSION_MAX_S = 12 * 3600
"""A shift: no session outlives it, used or not."""
MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()
HASHING_AT_ONCE = 4
_HASHING = threading.BoundedSemaphore(HASHING_AT_ONCE)
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
"""Verified against when the name is unknown, so a wrong name costs what a wrong password does."""


class LoginRefused(AuthorityError):
    """A wrong name or password, or an account locked or disabled: one message for all but the
    lock, so the page never tells which names exist."""

    http_status = 401


class NotPermitted(AuthorityError):
    """An operator asked for what their role does not allow."""

    http_status = 403


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    username: str
    display_name: str
    role: Role

    def may(self, needed: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)


@dataclass(frozen=True, slots=True)
class DeskSession:
    operator: Operator
    csrf: str
    """The token every form of this session carries (compared in constant time)."""

    def check_csrf(self, given: str | None) -> None:
        if not given or not hmac.compare_digest(given.encode(), self.csrf.encode()):
            raise NotPermitted(
                Message("desk.csrf"),
                meaning=Message("desk.csrf.meaning"),
                next_step=Message("desk.csrf.next"),
            )

    def require(self, needed: Role) -> None:
        if not self.operator.may(needed):
            raise NotPermitted(
                Message("desk.role", {"role": Message(f"desk.role.{needed}")}),
                next_step=Message("desk.role.next"),
            )


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _operator(row: Any) -> Operator:
    """An operator from an ``operators`` row (as a Core select returns it)."""
    role = row.role if row.role in ROLES else "operator"
    return Operator(row.id, row.username, row.display_name, role)  # type: ignore[arg-type]


class OperatorDesk:
    """Accounts, logins, sessions and the action record, in the ledger's database."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock())

    def _run(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except IntegrityError:
            raise
        except DBAPIError as error:
            raise unavailable(self.engine.url, error) from None

    # --- accounts ------------------------------------------------------------------------------

    def add(self, username: str, display_name: str, role: Role, password: str) -> Operator:
        """A new account (the administrator's command; the first account of a desk)."""
        if role not in ROLES:
            raise RequestInvalid(Message("desk.account.role", {"role": role}))
        if not 0 < len(username) <= 64 or not username.isprintable() or " " in username:
            raise RequestInvalid(Message("desk.account.username"))
        if len(password) < MIN_PASSWORD_LENGTH:
            raise RequestInvalid(
                Message("desk.account.password_short", {"length": MIN_PASSWORD_LENGTH})
            )
        now = self._now()

        def work(connection: Connection) -> Operator:
            row = connection.execute(
                insert(OperatorRow)
                .values(
                    username=username,
                    display_name=display_name[:120],
                    role=role,
                    password_hash=_HASHER.hash(password),
                    failed_logins=0,
                    locked_until=0,
                    disabled=0,
                    created_at=now,
                )
                .returning(OperatorRow.id)
            ).scalar_one()
            self._record(connection, username, "account_created", f"role={role}")
            return Operator(row, username, display_name[:120], role)

        try:
            return self._run(work)
        except IntegrityError:
            raise RequestInvalid(Message("desk.account.exists", {"username": username})) from None

    def enable_totp(self, username: str) -> str:
        """Give the account a second factor; the provisioning URI for an authenticator app
        (shown once, to the administrator who sets the account up)."""
        secret = pyotp.random_base32()

        def work(connection: Connection) -> None:
            changed = connection.execute(
                update(OperatorRow)
                .where(OperatorRow.username == username)
                .values(totp_secret=secret, totp_last_step=0)
            ).rowcount
            if not changed:
                raise RequestInvalid(Message("desk.account.unknown", {"username": username}))
            self._record(connection, username, "second_factor_set", "")

        self._run(work)
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="safetool desk")

    def operators(self) -> list[Operator]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(OperatorRow).order_by(OperatorRow.username))
            return [_operator(row) for row in rows]

    # --- logins and sessions -------------------------------------------------------------------

    def log_in(self, username: str, password: str, code: str = "") -> tuple[str, DeskSession]:
        """The new session's cookie token and the session; raise :class:`LoginRefused`.

        An account with a second factor also needs ``code``, the authenticator's current
        six digits, each good once; a wrong code counts as a wrong password."""
        now = self._now()
        with self.engine.connect() as connection:
            operator_row = connection.execute(
                select(OperatorRow).where(OperatorRow.username == username[:64])
            ).first()
        if operator_row is None:
            _verify(_DUMMY_HASH, password)  # an unknown name costs what a known one does
            self._run(lambda c: self._record(c, username[:64], "login_unknown", ""))
            raise _refused()
        if operator_row.locked_until > now:
            self._run(lambda c: self._record(c, username, "login_while_locked", ""))
            raise LoginRefused(
                Message(
                    "desk.login.locked", {"minutes": -(-(operator_row.locked_until - now) // 60)}
                ),
                next_step=Message("desk.login.locked.next"),
            )
        step = None
        good = not operator_row.disabled and _verify(operator_row.password_hash, password)
        if good and operator_row.totp_secret:
            step = _totp_step(operator_row.totp_secret, code, now, operator_row.totp_last_step)
            good = step is not None
        if not good:
            failed = operator_row.failed_logins + 1
            locked_until = now + LOCKOUT_S if failed >= MAX_FAILED_LOGINS else 0

            def failure(connection: Connection) -> None:
                connection.execute(
                    update(OperatorRow)
                    .where(OperatorRow.id == operator_row.id)
                    .values(failed_logins=0 if locked_until else failed, locked_until=locked_until)
                )
                self._record(connection, username, "login_failed", "locked" if locked_until else "")

            self._run(failure)
            raise _refused()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)

        def success(connection: Connection) -> None:
            connection.execute(
                update(OperatorRow)
                .where(OperatorRow.id == operator_row.id)
                .values(
                    failed_logins=0,
                    locked_until=0,
                    totp_last_step=operator_row.totp_last_step if step is None else step,
                )
            )
            connection.execute(
                insert(OperatorSessionRow).values(
                    token_sha256=_sha(token),
                    operator_id=operator_row.id,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                )
            )
            self._record(connection, username, "logged_in", "")
            connection.execute(  # sessions left to expire are cleared as others log in
                delete(OperatorSessionRow).where(
                    (OperatorSessionRow.last_seen < now - SESSION_IDLE_S)
                    | (OperatorSessionRow.created_at < now - SESSION_MAX_S)
                )
            )

        self._run(success)
        return token, DeskSession(_operator(operator_row), csrf)

    def session(self, token: str | None) -> DeskSession | None:
        """The live session the cookie ``token`` belongs to, its idle time restarted; ``None``
        if there is none, or it expired (and is then ended)."""
        if not token:
            return None
        now = self._now()
        key = _sha(token)

        def work(connection: Connection) -> DeskSession | None:
            held = connection.execute(
                select(OperatorSessionRow).where(OperatorSessionRow.token_sha256 == key)
            ).first()
            if held is None:
                return None
            account = connection.execute(
                select(OperatorRow).where(OperatorRow.id == held.operator_id)
            ).one()
            if (
                now - held.last_seen > SESSION_IDLE_S
                or now - held.created_at > SESSION_MAX_S
                or account.disabled
            ):
                connection.execute(
                    delete(OperatorSessionRow).where(OperatorSessionRow.token_sha256 == key)
                )
                self._record(connection, account.username, "session_expired", "")
                return None
            connection.execute(
                update(OperatorSessionRow)
                .where(OperatorSessionRow.token_sha256 == key)
                .values(last_seen=now)
            )
            return DeskSession(_operator(account), held.csrf)

        return self._run(work)

    def log_out(self, token: str, operator: Operator) -> None:
        def work(connection: Connection) -> None:
            connection.execute(
                delete(OperatorSessionRow).where(OperatorSessionRow.token_sha256 == _sha(token))
            )
            self._record(connection, operator.username, "logged_out", "")

        self._run(work)

    # --- the record ----------------------------------------------------------------------------

    def record(self, operator: Operator, action: str, detail: str = "") -> None:
        self._run(lambda connection: self._record(connection, operator.username, action, detail))

    def _record(self, connection: Connection, username: str, action: str, detail: str) -> None:
        connection.execute(
            insert(OperatorActionRow).values(
                at=self._now(), username=username[:64], action=action[:40], detail=detail[:400]
            )
        )

    def actions(self, username: str | None = None) -> list[tuple[int, str, str, str]]:
        """(time, username, action, detail), oldest first."""
        query = select(OperatorActionRow).order_by(OperatorActionRow.id)
        if username is not None:
            query = query.where(OperatorActionRow.username == username)
        with self.engine.connect() as connection:
            return [
                (row.at, row.username, row.action, row.detail) for row in connection.execute(query)
            ]


def _verify(password_hash: str, password: str) -> bool:
    """Argon2 takes 64 MiB a check: a rush of logins waits its turn (HASHING_AT_ONCE at a time)
    rather than taking the server's memory."""
    with _HASHING:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def _totp_step(secret: str, code: str, now: int, last_step: int) -> int | None:
    """The 30-second step ``code`` belongs to (this one or the one before, for a slow typist),
    if it is right and later than the last one taken; else ``None``."""
    totp = pyotp.TOTP(secret)
    digits = code.replace(" ", "")
    for step in (now // 30, now // 30 - 1):
        if step > last_step and hmac.compare_digest(totp.at(step * 30), digits):
            return step
    return None


def _refused() -> LoginRefused:
    return LoginRefused(Message("desk.login.refused"), next_step=Message("desk.login.refused.next"))


def not_logged_in() -> NotAuthenticated:
    return NotAuthenticated(
        Message("desk.login.needed"), next_step=Message("desk.login.needed.next")
    )
