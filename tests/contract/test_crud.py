"""Create, read, replace and delete, with conditions, on every table of every adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, RUNS, SESSION_AGENTS
from aace.domain.errors import ConditionFailed, Conflict, NotFound
from aace.domain.ports import ABSENT, ANY, PRESENT, Condition, Store
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.factories import SCHEMAS, sample

pytestmark = pytest.mark.anyio

by_name = pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)


async def test_the_store_is_the_adapter_that_was_asked_for(
    store: Store, request: pytest.FixtureRequest
) -> None:
    assert store.adapter == request.node.callspec.params["store"]


@by_name
async def test_a_created_record_reads_back_equal(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=ABSENT)
    assert await repo.get(tenant, schema.key_of(entity)) == entity


@by_name
async def test_a_missing_record_is_none_for_find_and_not_found_for_get(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    key = schema.key_of(sample(schema, tenant))
    assert await repo.find(tenant, key) is None
    with pytest.raises(NotFound):
        await repo.get(tenant, key)


@by_name
async def test_creating_an_existing_key_is_a_conflict_and_keeps_the_first(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    first = sample(schema, tenant)
    await repo.put(first, condition=ABSENT)
    second = (
        attrs.evolve(first, updated_at=first.updated_at + timedelta(seconds=1))
        if hasattr(first, "updated_at")
        else attrs.evolve(first, created_at=first.created_at + timedelta(seconds=1))
    )
    with pytest.raises(Conflict):
        await repo.put(second, condition=ABSENT)
    assert await repo.get(tenant, schema.key_of(first)) == first


async def test_values_of_every_kind_survive_the_round_trip(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    moment = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    agent = sample(
        AGENTS,
        tenant,
        agent_name="Ünïcödé agent ✓",
        agent_description="",
        instructions="line one\nline two",
        configuration={
            "temperature": 0.25,
            "max_tokens": 4096,
            "stream": True,
            "stop": None,
            "nested": {"list": [1, "two", {"three": 3.5}], "empty": {}},
        },
        mcp_server_uuids=["m1", "m2"],
        variables=[{"name": "x", "value": "1"}],
        num_of_messages=0,
        created_at=moment,
        updated_at=moment + timedelta(microseconds=1),
    )
    await repo.put(agent, condition=ABSENT)
    stored = await repo.get(tenant, (agent.agent_version_uuid,))
    assert stored == agent
    assert stored.created_at == moment
    assert stored.created_at.tzinfo is not None


async def test_replacing_with_present_updates_the_record(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    await repo.put(agent, condition=ABSENT)
    renamed = attrs.evolve(agent, agent_name="renamed", status="inactive")
    await repo.put(renamed, condition=PRESENT)
    assert await repo.get(tenant, (agent.agent_version_uuid,)) == renamed


async def test_present_on_a_missing_record_is_not_found_and_writes_nothing(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    with pytest.raises(NotFound):
        await repo.put(agent, condition=PRESENT)
    assert await repo.find(tenant, (agent.agent_version_uuid,)) is None


async def test_an_equality_precondition_guards_concurrent_updates(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    await repo.put(agent, condition=ABSENT)
    newer = attrs.evolve(agent, agent_name="newer", updated_at=agent.updated_at + timedelta(1))
    await repo.put(newer, condition=Condition.present(updated_at=agent.updated_at))
    stale = attrs.evolve(agent, agent_name="stale")
    with pytest.raises(ConditionFailed):
        await repo.put(stale, condition=Condition.present(updated_at=agent.updated_at))
    assert (await repo.get(tenant, (agent.agent_version_uuid,))).agent_name == "newer"


async def test_an_equality_precondition_on_a_string_attribute(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    await repo.put(agent, condition=ABSENT)
    with pytest.raises(ConditionFailed):
        await repo.put(
            attrs.evolve(agent, agent_name="x"), condition=Condition.present(status="inactive")
        )
    await repo.put(
        attrs.evolve(agent, agent_name="x"), condition=Condition.present(status="active")
    )
    assert (await repo.get(tenant, (agent.agent_version_uuid,))).agent_name == "x"


async def test_an_unconditional_put_creates_then_replaces(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(RUNS)
    run = sample(RUNS, tenant)
    await repo.put(run, condition=ANY)
    updated = attrs.evolve(run, total_tokens=42)
    await repo.put(updated, condition=ANY)
    assert await repo.get(tenant, RUNS.key_of(run)) == updated


@by_name
async def test_delete_removes_the_record(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=ABSENT)
    await repo.delete(tenant, schema.key_of(entity))
    assert await repo.find(tenant, schema.key_of(entity)) is None


async def test_deleting_a_missing_record_is_not_found_unless_any(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(SESSION_AGENTS)
    key = SESSION_AGENTS.key_of(sample(SESSION_AGENTS, tenant))
    with pytest.raises(NotFound):
        await repo.delete(tenant, key)
    await repo.delete(tenant, key, condition=ANY)


async def test_a_conditional_delete_keeps_a_changed_record(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    await repo.put(agent, condition=ABSENT)
    with pytest.raises(ConditionFailed):
        await repo.delete(
            tenant, (agent.agent_version_uuid,), condition=Condition.present(status="inactive")
        )
    assert await repo.find(tenant, (agent.agent_version_uuid,)) == agent


async def test_put_many_writes_every_record(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(RUNS)
    thread = "thread-" + tenant.part_id
    runs = [sample(RUNS, tenant, thread_uuid=thread) for _ in range(60)]
    await repo.put_many(runs)
    found = await repo.get_many(tenant, [RUNS.key_of(r) for r in runs])
    assert found == runs


async def test_put_many_replaces_existing_records(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(AGENTS)
    agents = [sample(AGENTS, tenant) for _ in range(30)]
    await repo.put_many(agents)
    renamed = [attrs.evolve(a, agent_name="renamed") for a in agents]
    await repo.put_many(renamed)
    assert await repo.get_many(tenant, [AGENTS.key_of(a) for a in agents]) == renamed
