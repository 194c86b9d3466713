"""The web shape of records, pages and loaded records (aace.domain.serialization)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from aace.application.loader import Loaded
from aace.application.serialization import dumps, from_json_data, json_schema, to_json_data
from aace.domain.entities import Agent, McpServer
from aace.domain.errors import ValidationError
from aace.domain.query import Page
from aace.domain.tenancy import PartitionKey

TENANT = PartitionKey("endpoint-1", "part-1")
AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
AGENT = Agent(
    partition_key=TENANT, updated_by="alice", created_at=AT, updated_at=AT,
    agent_version_uuid="v1", agent_uuid="a1", agent_name="Support", llm_provider="openai",
    llm_name="gpt-4o", configuration={"snake_key": {"innerKey": 1}},
)  # fmt: skip
SERVER = McpServer(
    partition_key=TENANT, updated_by="alice", mcp_server_uuid="m1", mcp_label="tools",
    mcp_server_url="https://tools.example", headers={"Authorization": "Bearer secret"},
)  # fmt: skip


def test_web_output_omits_the_tenant_and_secrets() -> None:
    data = to_json_data(AGENT)
    assert not {"partition_key", "endpoint_id", "part_id"} & data.keys()
    assert data["created_at"] == "2030-01-02T03:04:05+00:00"
    assert "headers" not in to_json_data(SERVER)
    assert "Bearer" not in json.dumps(to_json_data([SERVER]))


def test_the_tenant_and_secrets_when_asked_for() -> None:
    data = to_json_data(SERVER, tenant=True, secrets=True)
    assert (data["partition_key"], data["endpoint_id"], data["part_id"]) == (
        "endpoint-1#part-1", "endpoint-1", "part-1",
    )  # fmt: skip
    assert data["headers"] == {"Authorization": "Bearer secret"}


def test_camel_case_renames_the_packages_names_not_the_callers_json() -> None:
    data = to_json_data(Page([AGENT], "c", {"flow_snippet": {("v1",): None}}), camel=True)
    assert set(data) == {"items", "nextCursor", "related"}
    item = data["items"][0]
    assert item["agentVersionUuid"] == "v1"
    assert "agent_version_uuid" not in item
    assert item["configuration"] == {"snake_key": {"innerKey": 1}}
    assert data["related"] == {"flowSnippet": [{"key": ["v1"], "value": None}]}


def test_a_page_and_a_loaded_record_with_related_encode_as_json() -> None:
    page = Page([AGENT], None, {"mcp_servers": {("v1",): [SERVER]}})
    data = to_json_data(page)
    assert data["related"] == {"mcp_servers": [{"key": ["v1"], "value": [to_json_data(SERVER)]}]}
    assert json.loads(json.dumps(data)) == data
    loaded = to_json_data(Loaded(AGENT, {"flow_snippet": {("v1",): None}}))
    assert loaded == {"record": to_json_data(AGENT), "related": {"flow_snippet": [
        {"key": ["v1"], "value": None}]}}  # fmt: skip


def test_dumps_gives_the_bytes_json_gives() -> None:
    value = [Page([AGENT], "c"), {"text": "é ✓"}]
    expected = json.dumps(to_json_data(value), ensure_ascii=False, separators=(",", ":"))
    assert dumps(value) == expected.encode()


def test_json_input_back_to_service_input() -> None:
    data = from_json_data("agents", {"agentName": "x", "llm_provider": "p", "unknownName": 1,
                                     "configuration": {"camelKey": 1}})  # fmt: skip
    assert data == {"agent_name": "x", "llm_provider": "p", "unknownName": 1,
                    "configuration": {"camelKey": 1}}  # fmt: skip
    with pytest.raises(ValidationError):
        from_json_data(Agent, {"agentName": "x", "agent_name": "y"})


def test_the_json_schema_describes_the_output() -> None:
    for options in ({}, {"camel": True}, {"tenant": True, "secrets": True}):
        schema = json_schema(McpServer, **options)
        assert list(schema["properties"]) == list(to_json_data(SERVER, **options))
    assert json_schema(Agent)["properties"]["agent_description"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }
