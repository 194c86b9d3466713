"""The bootstrap creates exactly the deployed layout of storage-layout.md."""

from __future__ import annotations

from typing import Any

import pytest

from aace.domain.entities import ALL_SCHEMAS
from tests.backends.dynamodb import fresh_prefix
from tests.dynamodb.conftest import OpenStore

pytestmark = pytest.mark.anyio

PK = "partition_key"
DT = "S"  # UTC datetimes are stored as ISO-8601 strings


def lsi(name: str, hash_key: str, range_key: str) -> tuple[str, tuple[str, str, str, str]]:
    return name, ("LOCAL", hash_key, range_key, "ALL")


def gsi(name: str, hash_key: str, range_key: str) -> tuple[str, tuple[str, str, str, str]]:
    return name, ("GLOBAL", hash_key, range_key, "ALL")


#: storage-layout.md written out: table -> (hash, range, key attribute types, indexes).
EXPECTED: dict[str, tuple[str, str, dict[str, str], dict[str, tuple[str, str, str, str]]]] = {
    "aace-agents": (
        PK,
        "agent_version_uuid",
        {PK: "S", "agent_version_uuid": "S", "agent_uuid": "S", "updated_at": DT},
        dict(
            [
                lsi("agent_uuid-index", PK, "agent_uuid"),
                lsi("updated_at-index", PK, "updated_at"),
            ]
        ),
    ),
    "aace-threads": (
        PK,
        "thread_uuid",
        {PK: "S", "thread_uuid": "S", "agent_uuid": "S", "created_at": DT},
        dict(
            [
                lsi("agent_uuid-index", PK, "agent_uuid"),
                lsi("updated_at-index", PK, "created_at"),  # the deployed quirk
            ]
        ),
    ),
    "aace-prompt_templates": (
        PK,
        "prompt_version_uuid",
        {
            PK: "S",
            "prompt_version_uuid": "S",
            "prompt_uuid": "S",
            "prompt_type": "S",
            "updated_at": DT,
        },
        dict(
            [
                lsi("prompt_uuid-index", PK, "prompt_uuid"),
                lsi("prompt_type-index", PK, "prompt_type"),
                lsi("updated_at-index", PK, "updated_at"),
            ]
        ),
    ),
    "aace-flow_snippets": (
        PK,
        "flow_snippet_version_uuid",
        {
            PK: "S",
            "flow_snippet_version_uuid": "S",
            "flow_snippet_uuid": "S",
            "prompt_uuid": "S",
            "updated_at": DT,
        },
        dict(
            [
                lsi("flow_snippet_uuid-index", PK, "flow_snippet_uuid"),
                lsi("prompt_uuid-index", PK, "prompt_uuid"),
                lsi("updated_at-index", PK, "updated_at"),
            ]
        ),
    ),
    "aace-mcp_servers": (
        PK,
        "mcp_server_uuid",
        {PK: "S", "mcp_server_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", PK, "updated_at")]),
    ),
    "aace-elements": (
        PK,
        "element_uuid",
        {PK: "S", "element_uuid": "S", "data_type": "S", "updated_at": DT},
        dict([lsi("data_type-index", PK, "data_type"), lsi("updated_at-index", PK, "updated_at")]),
    ),
    "aace-wizards": (
        PK,
        "wizard_uuid",
        {PK: "S", "wizard_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", PK, "updated_at")]),
    ),
    "aace-wizard_groups": (
        PK,
        "wizard_group_uuid",
        {PK: "S", "wizard_group_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", PK, "updated_at")]),
    ),
    "aace-wizard_group_filters": (
        PK,
        "wizard_group_filter_uuid",
        {PK: "S", "wizard_group_filter_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", PK, "updated_at")]),
    ),
    "aace-runs": (
        "thread_uuid",
        "run_uuid",
        {"thread_uuid": "S", "run_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", "thread_uuid", "updated_at")]),
    ),
    "aace-messages": (
        "thread_uuid",
        "message_uuid",
        {"thread_uuid": "S", "message_uuid": "S", "run_uuid": "S", "updated_at": DT},
        dict(
            [
                lsi("run_uuid-index", "thread_uuid", "run_uuid"),
                lsi("updated_at-index", "thread_uuid", "updated_at"),
            ]
        ),
    ),
    "aace-tool_calls": (
        "thread_uuid",
        "tool_call_uuid",
        {"thread_uuid": "S", "tool_call_uuid": "S", "run_uuid": "S", "updated_at": DT},
        dict(
            [
                lsi("run_uuid-index", "thread_uuid", "run_uuid"),
                lsi("updated_at-index", "thread_uuid", "updated_at"),
            ]
        ),
    ),
    "aace-async_tasks": (
        "function_name",
        "async_task_uuid",
        {"function_name": "S", "async_task_uuid": "S", PK: "S", "updated_at": DT},
        dict([gsi("partition_key-updated_at-index", PK, "updated_at")]),
    ),
    "aace-fine_tuning_messages": (
        "agent_uuid",
        "message_uuid",
        {"agent_uuid": "S", "message_uuid": "S", "thread_uuid": "S", "timestamp": "N"},
        dict(
            [
                lsi("thread_uuid-index", "agent_uuid", "thread_uuid"),
                lsi("timestamp-index", "agent_uuid", "timestamp"),
            ]
        ),
    ),
    # The platform registries: no tenant key anywhere.
    "aace-llms": (
        "llm_provider",
        "llm_name",
        {"llm_provider": "S", "llm_name": "S", "updated_at": DT},
        dict([lsi("updated_at-index", "llm_provider", "updated_at")]),
    ),
    "aace-ui_components": (
        "ui_component_type",
        "ui_component_uuid",
        {"ui_component_type": "S", "ui_component_uuid": "S", "updated_at": DT},
        dict([lsi("updated_at-index", "ui_component_type", "updated_at")]),
    ),
    "aace-wizard_schemas": (
        "wizard_schema_type",
        "wizard_schema_name",
        {"wizard_schema_type": "S", "wizard_schema_name": "S", "updated_at": DT},
        dict([lsi("updated_at-index", "wizard_schema_type", "updated_at")]),
    ),
    "ace-coordinations": (PK, "coordination_uuid", {PK: "S", "coordination_uuid": "S"}, {}),
    "ace-tasks": (
        "coordination_uuid",
        "task_uuid",
        {"coordination_uuid": "S", "task_uuid": "S"},
        {},
    ),
    "ace-sessions": (
        "coordination_uuid",
        "session_uuid",
        {"coordination_uuid": "S", "session_uuid": "S", "task_uuid": "S", "user_id": "S"},
        dict(
            [
                lsi("task_uuid-index", "coordination_uuid", "task_uuid"),
                lsi("user_id-index", "coordination_uuid", "user_id"),
            ]
        ),
    ),
    "ace-session_agents": (
        "session_uuid",
        "session_agent_uuid",
        {"session_uuid": "S", "session_agent_uuid": "S"},
        {},
    ),
    "ace-session_runs": (
        "session_uuid",
        "run_uuid",
        {"session_uuid": "S", "run_uuid": "S", "thread_uuid": "S", "agent_uuid": "S"},
        dict(
            [
                lsi("thread_uuid-index", "session_uuid", "thread_uuid"),
                lsi("agent_uuid-index", "session_uuid", "agent_uuid"),
            ]
        ),
    ),
    "ace-task_schedules": (
        "task_uuid",
        "schedule_uuid",
        {"task_uuid": "S", "schedule_uuid": "S"},
        {},
    ),
    # The package's own tables (no deployed equivalent), hashed on the tenant.
    "aace-idempotency": (PK, "idempotency_key", {PK: "S", "idempotency_key": "S"}, {}),
    "aace-tenant_counters": (PK, "counter_name", {PK: "S", "counter_name": "S"}, {}),
    "aace-usage_limits": (PK, "limit_key", {PK: "S", "limit_key": "S"}, {}),
    "aace-usage_summaries": (PK, "summary_key", {PK: "S", "summary_key": "S"}, {}),
    # Public ids for client-side embeds: keyed by the id alone (resolved before the tenant is
    # known), listed per tenant and agent through a global index.
    "aace-public_ids": (
        "public_id",
        "kind",
        {"public_id": "S", "kind": "S", PK: "S", "agent_uuid": "S"},
        dict([gsi("partition_key-agent_uuid-index", PK, "agent_uuid")]),
    ),
    # The migration tool's state: per job, its checkpoints, stream positions and tombstones.
    "aace-migration_state": ("job", "item", {"job": "S", "item": "S"}, {}),
}


def _keys(key_schema: list[dict[str, str]]) -> tuple[str, str]:
    by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    return by_type["HASH"], by_type["RANGE"]


def _indexes(table: dict[str, Any]) -> dict[str, tuple[str, str, str, str]]:
    found = {}
    for kind, field in (("LOCAL", "LocalSecondaryIndexes"), ("GLOBAL", "GlobalSecondaryIndexes")):
        for index in table.get(field, []):
            hash_key, range_key = _keys(index["KeySchema"])
            found[index["IndexName"]] = (
                kind,
                hash_key,
                range_key,
                index["Projection"]["ProjectionType"],
            )
    return found


async def test_the_bootstrap_creates_every_table_of_the_layout_exactly(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    await open_dynamo_store(prefix=prefix)
    names = {
        n[len(prefix) :]
        for page in dynamodb_client.get_paginator("list_tables").paginate()
        for n in page["TableNames"]
        if n.startswith(prefix)
    }
    assert names == set(EXPECTED)
    for name, (hash_key, range_key, attributes, indexes) in EXPECTED.items():
        table = dynamodb_client.describe_table(TableName=prefix + name)["Table"]
        assert _keys(table["KeySchema"]) == (hash_key, range_key), name
        defined = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        assert defined == attributes, name
        assert _indexes(table) == indexes, name
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", name
        assert table["TableStatus"] == "ACTIVE", name


async def test_after_the_prefix_the_tables_take_the_deployed_names(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store(initialize=False)
    prefix = store.settings.table_prefix
    deployed = {store.settings.table_name(s)[len(prefix) :] for s in ALL_SCHEMAS}
    assert deployed == set(EXPECTED)
