"""Alembic migrations of the ledger, applied by :func:`safetool.authority.database.migrate`."""
