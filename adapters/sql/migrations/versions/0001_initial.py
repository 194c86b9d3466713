"""Initial schema: one table per entity, keyed like the DynamoDB layout.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aace.adapters.sql import types
from aace.adapters.sql.migrations import index_name, table_name

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

#: Every table this revision creates, by base name (``TableNames`` decides the full name).
TABLES = (
    "agents",
    "threads",
    "prompt_templates",
    "flow_snippets",
    "mcp_servers",
    "elements",
    "wizards",
    "wizard_groups",
    "wizard_group_filters",
    "runs",
    "messages",
    "tool_calls",
    "async_tasks",
    "coordinations",
    "tasks",
    "sessions",
    "session_agents",
    "session_runs",
    "task_schedules",
    "idempotency",
    "tenant_counters",
)


def upgrade() -> None:
    op.create_table(
        table_name("agents"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("agent_version_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("agent_uuid", types.KeyText(), nullable=False),
        sa.Column("agent_name", types.FreeText(), nullable=False),
        sa.Column("agent_description", types.FreeText(), nullable=True),
        sa.Column("llm_provider", types.FreeText(), nullable=False),
        sa.Column("llm_name", types.FreeText(), nullable=False),
        sa.Column("instructions", types.FreeText(), nullable=True),
        sa.Column("configuration", types.Json(), nullable=False),
        sa.Column("mcp_server_uuids", types.Json(), nullable=True),
        sa.Column("variables", types.Json(), nullable=True),
        sa.Column("num_of_messages", types.Number(), nullable=False),
        sa.Column("tool_call_role", types.FreeText(), nullable=False),
        sa.Column("flow_snippet_version_uuid", types.FreeText(), nullable=True),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "agent_version_uuid"),
    )
    op.create_index(
        index_name("agents", "agent_uuid-index"),
        table_name("agents"),
        ["partition_key", "agent_uuid", "agent_version_uuid"],
    )
    op.create_index(
        index_name("agents", "updated_at-index"),
        table_name("agents"),
        ["partition_key", "updated_at", "agent_version_uuid"],
    )
    op.create_table(
        table_name("threads"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("agent_uuid", types.KeyText(), nullable=False),
        sa.Column("user_id", types.FreeText(), nullable=True),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "thread_uuid"),
    )
    op.create_index(
        index_name("threads", "agent_uuid-index"),
        table_name("threads"),
        ["partition_key", "agent_uuid", "thread_uuid"],
    )
    op.create_index(
        index_name("threads", "updated_at-index"),
        table_name("threads"),
        ["partition_key", "created_at", "thread_uuid"],
    )
    op.create_table(
        table_name("prompt_templates"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("prompt_version_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("prompt_uuid", types.KeyText(), nullable=False),
        sa.Column("prompt_type", types.KeyText(), nullable=False),
        sa.Column("prompt_name", types.FreeText(), nullable=False),
        sa.Column("prompt_description", types.FreeText(), nullable=True),
        sa.Column("template_context", types.FreeText(), nullable=False),
        sa.Column("variables", types.Json(), nullable=False),
        sa.Column("mcp_servers", types.Json(), nullable=False),
        sa.Column("ui_components", types.Json(), nullable=False),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "prompt_version_uuid"),
    )
    op.create_index(
        index_name("prompt_templates", "prompt_uuid-index"),
        table_name("prompt_templates"),
        ["partition_key", "prompt_uuid", "prompt_version_uuid"],
    )
    op.create_index(
        index_name("prompt_templates", "prompt_type-index"),
        table_name("prompt_templates"),
        ["partition_key", "prompt_type", "prompt_version_uuid"],
    )
    op.create_index(
        index_name("prompt_templates", "updated_at-index"),
        table_name("prompt_templates"),
        ["partition_key", "updated_at", "prompt_version_uuid"],
    )
    op.create_table(
        table_name("flow_snippets"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("flow_snippet_version_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("flow_snippet_uuid", types.KeyText(), nullable=False),
        sa.Column("prompt_uuid", types.KeyText(), nullable=False),
        sa.Column("flow_name", types.FreeText(), nullable=False),
        sa.Column("flow_relationship", types.FreeText(), nullable=True),
        sa.Column("flow_context", types.FreeText(), nullable=True),
        sa.Column("enabled_tools", types.Json(), nullable=True),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "flow_snippet_version_uuid"),
    )
    op.create_index(
        index_name("flow_snippets", "flow_snippet_uuid-index"),
        table_name("flow_snippets"),
        ["partition_key", "flow_snippet_uuid", "flow_snippet_version_uuid"],
    )
    op.create_index(
        index_name("flow_snippets", "prompt_uuid-index"),
        table_name("flow_snippets"),
        ["partition_key", "prompt_uuid", "flow_snippet_version_uuid"],
    )
    op.create_index(
        index_name("flow_snippets", "updated_at-index"),
        table_name("flow_snippets"),
        ["partition_key", "updated_at", "flow_snippet_version_uuid"],
    )
    op.create_table(
        table_name("mcp_servers"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("mcp_server_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("mcp_label", types.FreeText(), nullable=False),
        sa.Column("mcp_server_url", types.FreeText(), nullable=False),
        sa.Column("headers", types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "mcp_server_uuid"),
    )
    op.create_index(
        index_name("mcp_servers", "updated_at-index"),
        table_name("mcp_servers"),
        ["partition_key", "updated_at", "mcp_server_uuid"],
    )
    op.create_table(
        table_name("elements"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("element_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("data_type", types.KeyText(), nullable=False),
        sa.Column("element_title", types.FreeText(), nullable=False),
        sa.Column("priority", types.Number(), nullable=False),
        sa.Column("attribute_name", types.FreeText(), nullable=False),
        sa.Column("attribute_type", types.FreeText(), nullable=False),
        sa.Column("option_values", types.Json(), nullable=False),
        sa.Column("conditions", types.Json(), nullable=False),
        sa.Column("pattern", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "element_uuid"),
    )
    op.create_index(
        index_name("elements", "data_type-index"),
        table_name("elements"),
        ["partition_key", "data_type", "element_uuid"],
    )
    op.create_index(
        index_name("elements", "updated_at-index"),
        table_name("elements"),
        ["partition_key", "updated_at", "element_uuid"],
    )
    op.create_table(
        table_name("wizards"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("wizard_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("wizard_title", types.FreeText(), nullable=False),
        sa.Column("wizard_description", types.FreeText(), nullable=True),
        sa.Column("wizard_type", types.FreeText(), nullable=False),
        sa.Column("wizard_schema_type", types.FreeText(), nullable=False),
        sa.Column("wizard_schema_name", types.FreeText(), nullable=False),
        sa.Column("wizard_attributes", types.Json(), nullable=False),
        sa.Column("wizard_elements", types.Json(), nullable=False),
        sa.Column("priority", types.Number(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "wizard_uuid"),
    )
    op.create_index(
        index_name("wizards", "updated_at-index"),
        table_name("wizards"),
        ["partition_key", "updated_at", "wizard_uuid"],
    )
    op.create_table(
        table_name("wizard_groups"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("wizard_group_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("wizard_group_name", types.FreeText(), nullable=False),
        sa.Column("wizard_group_description", types.FreeText(), nullable=True),
        sa.Column("weight", types.Number(), nullable=False),
        sa.Column("wizard_uuids", types.Json(), nullable=True),
        sa.PrimaryKeyConstraint("partition_key", "wizard_group_uuid"),
    )
    op.create_index(
        index_name("wizard_groups", "updated_at-index"),
        table_name("wizard_groups"),
        ["partition_key", "updated_at", "wizard_group_uuid"],
    )
    op.create_table(
        table_name("wizard_group_filters"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("wizard_group_filter_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("wizard_group_filter_name", types.FreeText(), nullable=False),
        sa.Column("wizard_group_filter_description", types.FreeText(), nullable=True),
        sa.Column("region", types.FreeText(), nullable=False),
        sa.Column("criteria", types.Json(), nullable=False),
        sa.Column("weight", types.Number(), nullable=False),
        sa.Column("wizard_group_uuid", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("partition_key", "wizard_group_filter_uuid"),
    )
    op.create_index(
        index_name("wizard_group_filters", "updated_at-index"),
        table_name("wizard_group_filters"),
        ["partition_key", "updated_at", "wizard_group_filter_uuid"],
    )
    op.create_table(
        table_name("runs"),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("run_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("run_id", types.FreeText(), nullable=True),
        sa.Column("completion_tokens", types.Number(), nullable=False),
        sa.Column("prompt_tokens", types.Number(), nullable=False),
        sa.Column("total_tokens", types.Number(), nullable=False),
        sa.Column("time_spent", types.Number(), nullable=True),
        sa.PrimaryKeyConstraint("thread_uuid", "run_uuid"),
    )
    op.create_index(
        index_name("runs", "updated_at-index"),
        table_name("runs"),
        ["thread_uuid", "updated_at", "run_uuid"],
    )
    op.create_table(
        table_name("messages"),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("message_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("run_uuid", types.KeyText(), nullable=False),
        sa.Column("message_id", types.FreeText(), nullable=True),
        sa.Column("role", types.FreeText(), nullable=False),
        sa.Column("message", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("thread_uuid", "message_uuid"),
    )
    op.create_index(
        index_name("messages", "run_uuid-index"),
        table_name("messages"),
        ["thread_uuid", "run_uuid", "message_uuid"],
    )
    op.create_index(
        index_name("messages", "updated_at-index"),
        table_name("messages"),
        ["thread_uuid", "updated_at", "message_uuid"],
    )
    op.create_table(
        table_name("tool_calls"),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("tool_call_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("run_uuid", types.KeyText(), nullable=False),
        sa.Column("tool_call_id", types.FreeText(), nullable=True),
        sa.Column("tool_type", types.FreeText(), nullable=False),
        sa.Column("name", types.FreeText(), nullable=False),
        sa.Column("arguments", types.FreeText(), nullable=True),
        sa.Column("content", types.FreeText(), nullable=True),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.Column("notes", types.FreeText(), nullable=True),
        sa.Column("time_spent", types.Number(), nullable=True),
        sa.PrimaryKeyConstraint("thread_uuid", "tool_call_uuid"),
    )
    op.create_index(
        index_name("tool_calls", "run_uuid-index"),
        table_name("tool_calls"),
        ["thread_uuid", "run_uuid", "tool_call_uuid"],
    )
    op.create_index(
        index_name("tool_calls", "updated_at-index"),
        table_name("tool_calls"),
        ["thread_uuid", "updated_at", "tool_call_uuid"],
    )
    op.create_table(
        table_name("async_tasks"),
        sa.Column("function_name", types.KeyText(), nullable=False),
        sa.Column("async_task_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("arguments", types.Json(), nullable=True),
        sa.Column("result", types.FreeText(), nullable=True),
        sa.Column("output_files", types.Json(), nullable=False),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.Column("notes", types.FreeText(), nullable=True),
        sa.Column("time_spent", types.Number(), nullable=True),
        sa.PrimaryKeyConstraint("function_name", "async_task_uuid"),
    )
    op.create_index(
        index_name("async_tasks", "partition_key-updated_at-index"),
        table_name("async_tasks"),
        ["partition_key", "updated_at", "function_name", "async_task_uuid"],
    )
    op.create_table(
        table_name("coordinations"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("coordination_uuid", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("coordination_name", types.FreeText(), nullable=False),
        sa.Column("coordination_description", types.FreeText(), nullable=True),
        sa.Column("agents", types.Json(), nullable=False),
        sa.Column("theme_uuid", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("partition_key", "coordination_uuid"),
    )
    op.create_table(
        table_name("tasks"),
        sa.Column("coordination_uuid", types.KeyText(), nullable=False),
        sa.Column("task_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("task_name", types.FreeText(), nullable=False),
        sa.Column("task_description", types.FreeText(), nullable=True),
        sa.Column("initial_task_query", types.FreeText(), nullable=False),
        sa.Column("subtask_queries", types.Json(), nullable=False),
        sa.Column("agent_actions", types.Json(), nullable=False),
        sa.PrimaryKeyConstraint("coordination_uuid", "task_uuid"),
    )
    op.create_table(
        table_name("sessions"),
        sa.Column("coordination_uuid", types.KeyText(), nullable=False),
        sa.Column("session_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("task_uuid", types.KeyText(), nullable=True),
        sa.Column("user_id", types.KeyText(), nullable=True),
        sa.Column("task_query", types.FreeText(), nullable=True),
        sa.Column("input_files", types.Json(), nullable=False),
        sa.Column("iteration_count", types.Number(), nullable=False),
        sa.Column("subtask_queries", types.Json(), nullable=False),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.Column("logs", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("coordination_uuid", "session_uuid"),
    )
    op.create_index(
        index_name("sessions", "task_uuid-index"),
        table_name("sessions"),
        ["coordination_uuid", "task_uuid", "session_uuid"],
    )
    op.create_index(
        index_name("sessions", "user_id-index"),
        table_name("sessions"),
        ["coordination_uuid", "user_id", "session_uuid"],
    )
    op.create_table(
        table_name("session_agents"),
        sa.Column("session_uuid", types.KeyText(), nullable=False),
        sa.Column("session_agent_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("coordination_uuid", types.FreeText(), nullable=False),
        sa.Column("agent_uuid", types.FreeText(), nullable=False),
        sa.Column("agent_action", types.Json(), nullable=True),
        sa.Column("user_input", types.FreeText(), nullable=True),
        sa.Column("agent_input", types.FreeText(), nullable=True),
        sa.Column("agent_output", types.FreeText(), nullable=True),
        sa.Column("in_degree", types.Number(), nullable=False),
        sa.Column("state", types.FreeText(), nullable=False),
        sa.Column("notes", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("session_uuid", "session_agent_uuid"),
    )
    op.create_table(
        table_name("session_runs"),
        sa.Column("session_uuid", types.KeyText(), nullable=False),
        sa.Column("run_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("thread_uuid", types.KeyText(), nullable=False),
        sa.Column("agent_uuid", types.KeyText(), nullable=False),
        sa.Column("coordination_uuid", types.FreeText(), nullable=False),
        sa.Column("async_task_uuid", types.FreeText(), nullable=False),
        sa.Column("session_agent_uuid", types.FreeText(), nullable=True),
        sa.PrimaryKeyConstraint("session_uuid", "run_uuid"),
    )
    op.create_index(
        index_name("session_runs", "thread_uuid-index"),
        table_name("session_runs"),
        ["session_uuid", "thread_uuid", "run_uuid"],
    )
    op.create_index(
        index_name("session_runs", "agent_uuid-index"),
        table_name("session_runs"),
        ["session_uuid", "agent_uuid", "run_uuid"],
    )
    op.create_table(
        table_name("task_schedules"),
        sa.Column("task_uuid", types.KeyText(), nullable=False),
        sa.Column("schedule_uuid", types.KeyText(), nullable=False),
        sa.Column("partition_key", types.FreeText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("updated_by", types.FreeText(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.Column("coordination_uuid", types.FreeText(), nullable=False),
        sa.Column("schedule", types.FreeText(), nullable=False),
        sa.Column("status", types.FreeText(), nullable=False),
        sa.PrimaryKeyConstraint("task_uuid", "schedule_uuid"),
    )
    op.create_table(
        table_name("idempotency"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("idempotency_key", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("operation", types.FreeText(), nullable=False),
        sa.Column("fingerprint", types.FreeText(), nullable=False),
        sa.Column("entity_name", types.FreeText(), nullable=False),
        sa.Column("entity_key", types.Json(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "idempotency_key"),
    )
    op.create_table(
        table_name("tenant_counters"),
        sa.Column("partition_key", types.KeyText(), nullable=False),
        sa.Column("counter_name", types.KeyText(), nullable=False),
        sa.Column("endpoint_id", types.FreeText(), nullable=False),
        sa.Column("part_id", types.FreeText(), nullable=False),
        sa.Column("value", types.Number(), nullable=False),
        sa.Column("updated_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("partition_key", "counter_name"),
    )


def downgrade() -> None:
    for base in reversed(TABLES):
        op.drop_table(table_name(base))
