"""The technician register in the database: enrolled at the desk, suspended, revoked.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "technicians",
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("serial_number", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("certificate", sa.String(1024), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("enrolled_by", sa.String(64), nullable=False),
        sa.Column("enrolled_at", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'revoked')", name="ck_technicians_status"
        ),
    )


def downgrade() -> None:
    op.drop_table("technicians")
