"""Entity rules as data: the defaults keep input and records; the coordination's rules
normalise its agents and check a task's agents; a new record is built from input plus the
package's fields, under the entity's rules."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.services.entity import ServiceSpec
from aace.application.services.inputs import built, package_keys
from aace.domain.coordination_rules import COORDINATION_RULES, checked_task, coordination_input
from aace.domain.entities import COORDINATIONS, SESSIONS, TASKS, USAGE_LIMITS
from aace.domain.entity_rules import MCP_SERVER_RULES, EntityRules
from aace.domain.errors import ValidationError
from aace.domain.session_rules import SESSION_RULES
from aace.domain.tenancy import PartitionKey
from aace.domain.usage_rules import limit_key
from tests.factories import sample

TENANT = PartitionKey("ep", "part")
AGENT = {"agent_uuid": "a", "agent_name": "A", "agent_type": "task"}


def test_default_rules_keep_input_and_records() -> None:
    rules: EntityRules[Any] = EntityRules()
    data = {"x": 1}
    record = sample(TASKS, TENANT)
    assert rules.normalise(data) is data
    assert rules.created(record) is record
    assert rules.changed(record, record, {}) is record


def test_a_coordinations_agents_are_normalised_when_given() -> None:
    assert coordination_input({"coordination_name": "c"}) == {"coordination_name": "c"}
    normal = COORDINATION_RULES.normalise({"agents": [AGENT]})
    assert normal["agents"] == [{**AGENT, "agent_description": None}]
    with pytest.raises(ValidationError):
        coordination_input({"agents": [{"agent_uuid": "a"}]})


def test_a_task_names_only_its_coordinations_agents() -> None:
    coordination = sample(COORDINATIONS, TENANT, agents=[AGENT])
    task = sample(TASKS, TENANT, subtask_queries=[{"agent_uuid": "a"}], agent_actions={"a": {}})
    assert checked_task(coordination, task) is task
    stranger = sample(TASKS, TENANT, agent_actions={"b": {}})
    with pytest.raises(ValidationError) as caught:
        checked_task(coordination, stranger)
    assert caught.value.field == "agent_actions.b"


def test_a_new_record_takes_the_package_fields_and_its_rules() -> None:
    data = {"coordination_uuid": "c", "status": "dispatched"}
    keys = package_keys(ServiceSpec(SESSIONS), data)
    assert set(keys) == {"session_uuid"}
    with pytest.raises(ValidationError, match="a session starts"):
        built(SESSIONS, SESSION_RULES, data, tenant=TENANT, updated_by="u", managed=keys)
    session = built(
        SESSIONS,
        SESSION_RULES,
        {"coordination_uuid": "c"},
        tenant=TENANT,
        updated_by="u",
        managed=keys,
    )
    assert (session.partition_key, session.updated_by, session.status) == (TENANT, "u", "initial")
    assert session.created_at == session.updated_at


@pytest.mark.parametrize("field", ["session_uuid", "updated_by", "partition_key", "logs"])
def test_a_caller_giving_a_package_field_is_refused_by_name(field: str) -> None:
    keys = {"session_uuid": "s"}
    with pytest.raises(ValidationError) as caught:
        built(
            SESSIONS,
            SESSION_RULES,
            {"coordination_uuid": "c", field: "x"},
            tenant=TENANT,
            updated_by="u",
            managed=keys,
            also_managed={"logs"},
        )
    assert caught.value.field == field


def test_a_key_made_from_the_data() -> None:
    spec = ServiceSpec(USAGE_LIMITS, key_from=limit_key)
    assert package_keys(spec, {"usage_key": "tokens", "period": "day"}) == {
        "limit_key": "tokens#day"
    }
    assert package_keys(ServiceSpec(SESSIONS, natural_key=True), {}) == {}
    with pytest.raises(ValidationError) as caught:
        package_keys(ServiceSpec(SESSIONS), {})
    assert caught.value.field == "coordination_uuid"


def test_mcp_server_headers_named_as_an_envelope_are_refused() -> None:
    data = {"mcp_label": "x", "headers": {"Authorization": "t"}}
    assert MCP_SERVER_RULES.normalise(data) is data
    assert MCP_SERVER_RULES.normalise({"headers": None}) == {"headers": None}
    with pytest.raises(ValidationError) as caught:
        MCP_SERVER_RULES.normalise({"headers": {"aace:key": "k"}})
    assert caught.value.field == "headers"
