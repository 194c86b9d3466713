"""Public ids of agents (client-side embeds): one row per id, keyed by the id itself.

Row-level security as for every tenant table (revision 0005): a tenant's statements see its
own ids; resolving an id, the one read that starts without a tenant, runs in operator mode
(``aace.operator = on``) as a single primary-key read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aace.adapters.sql import types
from aace.adapters.sql.migrations import index_name, table_name

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: Every table this revision creates, by base name (``TableNames`` decides the full name).
TABLES = ("public_ids",)

OPERATOR = "current_setting('aace.operator', true) = 'on'"
TENANT = f"(partition_key = current_setting('aace.tenant', true) OR {OPERATOR})"


def _quoted(base: str) -> str:
    return str(op.get_bind().dialect.identifier_preparer.quote(table_name(base)))


def upgrade() -> None:
    op.create_table(
        table_name("public_ids"),
        sa.Column("public_id", types.KeyText(), nullable=False),
        sa.Column("kind", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("agent_uuid", types.KeyText(), nullable=False),
        sa.PrimaryKeyConstraint("public_id", "kind"),
    )
    op.create_index(
        index_name("public_ids", "partition_key-agent_uuid-index"),
        table_name("public_ids"),
        ["partition_key", "agent_uuid", "public_id", "kind"],
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    table = _quoted("public_ids")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY aace_tenant ON {table} FOR ALL USING ({TENANT}) WITH CHECK ({TENANT})"
    )


def downgrade() -> None:
    op.drop_table(table_name("public_ids"))
