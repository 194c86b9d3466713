"""Entity validation and the storage record conversion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, MCP_SERVERS, RUNS, SESSION_AGENTS, McpServer
from aace.domain.errors import InvalidPartitionKey, TooLarge, ValidationError
from aace.domain.records import from_record, item_size, structure_input, to_record
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

TENANT = PartitionKey("ep", "acme")


def test_the_tenant_is_flattened_into_three_agreeing_attributes() -> None:
    record = to_record(RUNS, sample(RUNS, TENANT))
    assert (record["partition_key"], record["endpoint_id"], record["part_id"]) == (
        "ep#acme",
        "ep",
        "acme",
    )


def test_a_record_whose_tenant_attributes_disagree_is_refused() -> None:
    record = to_record(AGENTS, sample(AGENTS, TENANT))
    record["part_id"] = "other"
    with pytest.raises(InvalidPartitionKey) as caught:
        from_record(AGENTS, record)
    assert caught.value.field == "part_id"


def test_attributes_the_entity_does_not_know_are_ignored_on_read() -> None:
    record = to_record(AGENTS, sample(AGENTS, TENANT))
    assert from_record(AGENTS, {**record, "legacy_flag": True}) == from_record(AGENTS, record)


def test_documented_defaults_apply() -> None:
    agent = structure_input(
        AGENTS.entity,
        {
            "partition_key": TENANT,
            "updated_by": "u",
            "agent_version_uuid": "v",
            "agent_uuid": "a",
            "agent_name": "n",
            "llm_provider": "p",
            "llm_name": "m",
        },
    )
    assert (agent.num_of_messages, agent.tool_call_role, agent.status) == (
        10,
        "developer",
        "active",
    )
    session_agent = sample(SESSION_AGENTS, TENANT)
    assert session_agent.agent_action == {
        "primary_path": True,
        "user_in_the_loop": None,
        "predecessors": [],
        "action_function": {},
    }


def test_mcp_server_headers_never_appear_in_repr_or_errors() -> None:
    server = sample(MCP_SERVERS, TENANT, headers={"Authorization": "Bearer s3cr3t"})
    assert "s3cr3t" not in repr(server)
    with pytest.raises(ValidationError) as caught:
        McpServer(**{**_fields(server), "headers": {"Authorization": 12345}})
    assert "12345" not in str(caught.value)
    assert caught.value.field == "headers.Authorization"


def _fields(server: McpServer) -> dict[str, Any]:
    return attrs.asdict(server, recurse=False)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        sample(AGENTS, TENANT, updated_at=datetime(2024, 1, 1))
    assert caught.value.field == "updated_at"


def test_a_versioned_status_is_active_or_inactive() -> None:
    with pytest.raises(ValidationError) as caught:
        sample(AGENTS, TENANT, status="archived")
    assert caught.value.field == "status"


def test_item_size_counts_names_and_values() -> None:
    assert item_size({"ab": "xyz"}) == 5
    assert item_size({"m": {"k": "v"}}) == 1 + 3 + 1 + 1 + 1


def test_an_oversize_record_names_its_largest_attribute() -> None:
    with pytest.raises(TooLarge) as caught:
        to_record(AGENTS, sample(AGENTS, TENANT, instructions="x" * 500_000))
    assert caught.value.field == "instructions"
    assert caught.value.limit == "item size"
