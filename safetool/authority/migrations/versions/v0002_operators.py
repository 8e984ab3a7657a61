"""The hotline desk: operators, their sessions and the append-only record of their actions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER operator_actions_no_update BEFORE UPDATE ON operator_actions
       BEGIN SELECT RAISE(ABORT, 'operator_actions is append-only'); END""",
    """CREATE TRIGGER operator_actions_no_delete BEFORE DELETE ON operator_actions
       BEGIN SELECT RAISE(ABORT, 'operator_actions is append-only'); END""",
]
APPEND_ONLY_POSTGRES = [
    """CREATE FUNCTION operator_actions_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'operator_actions is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER operator_actions_append_only BEFORE UPDATE OR DELETE ON operator_actions
       FOR EACH ROW EXECUTE FUNCTION operator_actions_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=False),
        sa.Column("disabled", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "role IN ('operator', 'supervisor', 'administrator')", name="ck_operators_role"
        ),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.Integer(), sa.ForeignKey("operators.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(400), nullable=False),
    )
    op.create_index("ix_operator_actions_username", "operator_actions", ["username", "at"])
    dialect = op.get_bind().dialect.name
    for statement in APPEND_ONLY_POSTGRES if dialect == "postgresql" else APPEND_ONLY_SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER operator_actions_append_only ON operator_actions")
        op.execute("DROP FUNCTION operator_actions_append_only()")
    op.drop_index("ix_operator_actions_username", table_name="operator_actions")
    op.drop_table("operator_actions")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
