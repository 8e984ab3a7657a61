"""Alembic's entry point: runs the migrations on the connection the authority hands over.

The authority never runs migrations from a command line with a URL of its own: it opens the
database, takes a lock (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE) and passes
that connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from safetool.authority.schema import Base


def run() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "ledger migrations run through safetool.authority.database.migrate(), "
            "which passes the database connection"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
