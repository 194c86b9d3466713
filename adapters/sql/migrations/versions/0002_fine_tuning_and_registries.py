"""The agent engine's added tables: fine-tuning messages and the platform registries.

``fine_tuning_messages`` is hashed on its agent (tenant-checked like runs); ``llms``,
``ui_components`` and ``wizard_schemas`` belong to the platform and have no tenant columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aace.adapters.sql import types
from aace.adapters.sql.migrations import index_name, table_name

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

#: Every table this revision creates, by base name (``TableNames`` decides the full name).
TABLES = (
    "fine_tuning_messages",
    "llms",
    "ui_components",
    "wizard_schemas",
)


def upgrade() -> None:
    op.create_table(
        table_name("fine_tuning_messages"),
        sa.Column("agent_uuid", types.KeyText(), nullable=False),
        sa.Column("message_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("timestamp", types.Number(), nullable=False),
        sa.Column("role", types.FreeText(), nullable=False),
        sa.Column("tool_calls", types.Json(), nullable=True),
        sa.Column("tool_call_uuid", types.FreeText(), nullable=True),
        sa.Column("content", types.FreeText(), nullable=True),
        sa.Column("weight", types.Number(), nullable=False),
        sa.Column("trained", sa.Boolean(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("agent_uuid", "message_uuid"),
    )
    op.create_index(
        index_name("fine_tuning_messages", "thread_uuid-index"),
        table_name("fine_tuning_messages"),
        ["agent_uuid", "thread_uuid", "message_uuid"],
    )
    op.create_index(
        index_name("fine_tuning_messages", "timestamp-index"),
        table_name("fine_tuning_messages"),
        ["agent_uuid", "timestamp", "message_uuid"],
    )
    op.create_table(
        table_name("llms"),
        sa.Column("llm_provider", types.KeyText(), nullable=False),
        sa.Column("llm_name", types.KeyText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("module_name", types.FreeText(), nullable=False),
        sa.Column("class_name", types.FreeText(), nullable=False),
        sa.Column("configuration_schema", types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("llm_provider", "llm_name"),
    )
    op.create_index(
        index_name("llms", "updated_at-index"),
        table_name("llms"),
        ["llm_provider", "updated_at", "llm_name"],
    )
    op.create_table(
        table_name("ui_components"),
        sa.Column("ui_component_type", types.KeyText(), nullable=False),
        sa.Column("ui_component_uuid", types.KeyText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("tag_name", types.FreeText(), nullable=False),
        sa.Column("parameters", types.Json(), nullable=False),
        sa.Column("wait_for", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("ui_component_type", "ui_component_uuid"),
    )
    op.create_index(
        index_name("ui_components", "updated_at-index"),
        table_name("ui_components"),
        ["ui_component_type", "updated_at", "ui_component_uuid"],
    )
    op.create_table(
        table_name("wizard_schemas"),
        sa.Column("wizard_schema_type", types.KeyText(), nullable=False),
        sa.Column("wizard_schema_name", types.KeyText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("wizard_schema_description", types.FreeText(), nullable=True),
        sa.Column("attributes", types.Json(), nullable=False),
        sa.Column("attribute_groups", types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("wizard_schema_type", "wizard_schema_name"),
    )
    op.create_index(
        index_name("wizard_schemas", "updated_at-index"),
        table_name("wizard_schemas"),
        ["wizard_schema_type", "updated_at", "wizard_schema_name"],
    )


def downgrade() -> None:
    for base in reversed(TABLES):
        op.drop_table(table_name(base))
