"""The ledger's database: SQLite (a file, by default) or PostgreSQL (by URL), one layer for both.

* SQLite: WAL journal, a 30 s busy timeout, and every transaction begins ``IMMEDIATE``, so
  concurrent writers queue for the write lock instead of failing, and a count-then-insert
  (the rate limits) cannot interleave with another.
* PostgreSQL (``postgresql+psycopg://user:password@host/db``): a connection pool; each issue
  holds transaction-scoped advisory locks on the lock and the technician while it counts and
  inserts (see :mod:`safetool.authority.ledger`).

:func:`open_ledger_database` applies the migrations shipped in ``migrations/`` before anything
else touches the database, under a lock so several workers starting at once do it once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from safetool.authority.errors import AuthorityConfigError, AuthorityUnavailable
from safetool.messages import Message

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0
MIGRATION_LOCK_KEY = 0x5AFE_7001
"""PostgreSQL advisory lock taken while migrating."""
DB_ENV = "SAFETOOL_AUTHORITY_DB"
NEWEST_REVISION = "0006"
"""The last migration in ``migrations/versions`` (a test holds it to alembic's head). A ledger
already there opens without loading alembic: the hotline's offline commands start sooner."""


def default_database_url(pki: Path) -> str:
    """``$SAFETOOL_AUTHORITY_DB``, else a SQLite file in the PKI's authority folder."""
    return os.environ.get(DB_ENV) or f"sqlite:///{pki / 'authority' / 'ledger.sqlite'}"


def describe(url: str | URL) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unreadable database URL>"
    return parsed.render_as_string(hide_password=True)


def _config_error(url: str, problem: str, **values: object) -> AuthorityConfigError:
    """``authority.db.<problem>`` about the database at ``url`` (shown without password)."""
    return AuthorityConfigError(
        Message(f"authority.db.{problem}", {"url": describe(url), **values}),
        meaning=Message("authority.db.cannot_record"),
        next_step=Message("authority.db.give_url"),
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        raise _config_error(str(url), "in_memory")
    Path(database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=8,
        max_overflow=8,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_ledger_engine(url: str) -> Engine:
    """An engine for ``url``; refuses databases the ledger cannot use."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise _config_error(url, "not_a_url") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.get_driver_name() not in ("pysqlite", ""):
            raise _config_error(url, "sqlite_driver")
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.get_driver_name() != "psycopg":
            raise _config_error(url, "postgres_driver")
        try:
            return create_engine(
                parsed, pool_size=20, max_overflow=20, pool_timeout=60, pool_pre_ping=True
            )
        except NoSuchModuleError:
            raise _config_error(url, "no_psycopg") from None
    raise _config_error(url, "unsupported", backend=backend)


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> str:
    """Bring the ledger to the newest schema; return its revision. Safe with several workers."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        if _revision(connection) == NEWEST_REVISION:
            return NEWEST_REVISION
        from alembic import command

        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        revision = _revision(connection)
    return revision or ""


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    """The schema revision alembic recorded in the database (None in a new database). Read
    from alembic's own table with plain SQL, so that opening a current ledger needs no alembic."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(found[0]) if len(found) == 1 else None


def unavailable(url: str | URL, error: DBAPIError) -> AuthorityUnavailable:
    log.error("ledger database %s: %s", describe(url), type(error.orig).__name__)
    return AuthorityUnavailable(
        Message(
            "authority.db.unavailable", {"url": describe(url), "error": type(error.orig).__name__}
        ),
        meaning=Message("authority.db.unavailable.meaning"),
        next_step=Message("authority.db.unavailable.next"),
    )


def open_ledger_database(url: str) -> Engine:
    """Create the engine and migrate; unreachable databases raise AuthorityUnavailable."""
    engine = create_ledger_engine(url)
    try:
        revision = migrate(engine)
    except DBAPIError as error:
        engine.dispose()
        raise unavailable(url, error) from None
    log.info("ledger %s at schema %s", describe(url), revision)
    return engine
