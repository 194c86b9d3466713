"""Batch reads: one result per key, in the caller's order, across backend chunk sizes."""

from __future__ import annotations

import pytest

from aace.domain.entities import AGENTS, TOOL_CALLS, Agent
from aace.domain.errors import ValidationError
from aace.domain.ports import Store
from aace.domain.schema import EntityKey
from aace.domain.tenancy import PartitionKey
from tests.factories import new_id, sample

pytestmark = pytest.mark.anyio


async def test_get_many_returns_results_in_the_callers_order_with_gaps(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agents = [sample(AGENTS, tenant) for _ in range(250)]
    await repo.put_many(agents)
    keys: list[EntityKey] = []
    expected: list[Agent | None] = []
    for index, agent in enumerate(reversed(agents)):
        keys.append(AGENTS.key_of(agent))
        expected.append(agent)
        if index % 7 == 0:
            keys.append((new_id(),))
            expected.append(None)
    assert await repo.get_many(tenant, keys) == expected


async def test_get_many_on_a_child_table_spans_parents(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(TOOL_CALLS)
    calls = [
        sample(TOOL_CALLS, tenant, thread_uuid=f"t{i % 5}-{tenant.part_id}") for i in range(120)
    ]
    await repo.put_many(calls)
    assert await repo.get_many(tenant, [TOOL_CALLS.key_of(c) for c in calls]) == calls


async def test_get_many_with_repeated_keys_answers_each_position(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    agent = sample(AGENTS, tenant)
    await repo.put_many([agent])
    key = AGENTS.key_of(agent)
    assert await repo.get_many(tenant, [key, key, (new_id(),), key]) == [agent, agent, None, agent]


async def test_get_many_of_nothing_is_empty(store: Store, tenant: PartitionKey) -> None:
    assert await store.repository(AGENTS).get_many(tenant, []) == []


async def test_get_many_refuses_a_malformed_key_before_reading(
    store: Store, tenant: PartitionKey
) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.repository(AGENTS).get_many(tenant, [(new_id(),), ("",)])
    assert caught.value.field == "agent_version_uuid"
