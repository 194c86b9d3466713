"""Usage metering: a tenant's usage limits and its running usage summaries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aace.adapters.sql import types
from aace.adapters.sql.migrations import table_name

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

#: Every table this revision creates, by base name (``TableNames`` decides the full name).
TABLES = ("usage_limits", "usage_summaries")


def upgrade() -> None:
    op.create_table(
        table_name("usage_limits"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("limit_key", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("usage_key", types.FreeText(), nullable=False),
        sa.Column("period", types.FreeText(), nullable=False),
        sa.Column("limit", types.Number(), nullable=False),
        sa.Column("allow_overage", sa.Boolean(), nullable=False),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "limit_key"),
    )
    op.create_table(
        table_name("usage_summaries"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("summary_key", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("usage_key", types.FreeText(), nullable=False),
        sa.Column("period", types.FreeText(), nullable=False),
        sa.Column("period_start", types.UtcDateTime(), nullable=True),
        sa.Column("value", types.Number(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "summary_key"),
    )


def downgrade() -> None:
    for base in reversed(TABLES):
        op.drop_table(table_name(base))
