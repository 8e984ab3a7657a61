"""Technicians on service contracts: who, besides a lock's region, may recover its locks.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "contract_technicians",
        sa.Column("contract", sa.String(64), primary_key=True),
        sa.Column("technician_id", sa.String(64), primary_key=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contract_technicians")
