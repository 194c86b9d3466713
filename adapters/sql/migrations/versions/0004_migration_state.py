"""The migration tool's state: checkpoints, stream positions and tombstones of its jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aace.adapters.sql import types
from aace.adapters.sql.migrations import table_name

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: Every table this revision creates, by base name (``TableNames`` decides the full name).
TABLES = ("migration_state",)


def upgrade() -> None:
    op.create_table(
        table_name("migration_state"),
        sa.Column("job", types.KeyText(), nullable=False),
        sa.Column("item", types.KeyText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("state", types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("job", "item"),
    )


def downgrade() -> None:
    for base in reversed(TABLES):
        op.drop_table(table_name(base))
