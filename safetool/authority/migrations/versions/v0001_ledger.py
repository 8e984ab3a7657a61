"""The first ledger: authorisations and events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "authorisations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("technician_id", sa.String(64), nullable=False),
        sa.Column("certificate_serial", sa.BigInteger(), nullable=False),
        sa.Column("challenge", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(32), nullable=True),
        sa.Column("counter", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("not_before", sa.BigInteger(), nullable=False),
        sa.Column("not_after", sa.BigInteger(), nullable=False),
        sa.Column("issued_via", sa.String(16), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.String(200), nullable=True),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("seal", sa.String(16), nullable=True),
        sa.Column("seal_failures", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('online', 'phone')", name="ck_authorisations_kind"),
        sa.CheckConstraint(
            "state IN ('issued', 'used', 'refused', 'closed', 'expired')",
            name="ck_authorisations_state",
        ),
    )
    op.create_index(
        "uq_authorisations_live",
        "authorisations",
        ["technician_id", "serial", "challenge"],
        unique=True,
        sqlite_where=sa.text("state = 'issued'"),
        postgresql_where=sa.text("state = 'issued'"),
    )
    op.create_index(
        "ix_authorisations_technician_issued", "authorisations", ["technician_id", "issued_at"]
    )
    op.create_index("ix_authorisations_serial_issued", "authorisations", ["serial", "issued_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("recovery_id", sa.Integer(), sa.ForeignKey("authorisations.id"), nullable=True),
        sa.Column("serial", sa.String(64), nullable=True),
        sa.Column("technician_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(400), nullable=False),
    )
    op.create_index("ix_events_recovery", "events", ["recovery_id"])


def downgrade() -> None:
    op.drop_index("ix_events_recovery", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_authorisations_serial_issued", table_name="authorisations")
    op.drop_index("ix_authorisations_technician_issued", table_name="authorisations")
    op.drop_index("uq_authorisations_live", table_name="authorisations")
    op.drop_table("authorisations")
