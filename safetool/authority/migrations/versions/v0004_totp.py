"""The operators' optional second factor: a TOTP secret and the last step used.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as table:
        table.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        table.add_column(
            sa.Column("totp_last_step", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("operators") as table:
        table.drop_column("totp_last_step")
        table.drop_column("totp_secret")
