"""Units of work: all writes land together or none does; counters respect their limits."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from aace.domain.entities import AGENTS, COORDINATIONS, TASKS, TENANT_COUNTERS
from aace.domain.errors import (
    ConditionFailed,
    Conflict,
    LimitExceeded,
    NotFound,
    TransactionTooLarge,
    ValidationError,
)
from aace.domain.ports import ABSENT, PRESENT, Condition, Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio


async def test_a_coordination_and_its_tasks_land_together(
    store: Store, tenant: PartitionKey
) -> None:
    coordination = sample(COORDINATIONS, tenant)
    tasks = [
        sample(TASKS, tenant, coordination_uuid=coordination.coordination_uuid) for _ in range(5)
    ]
    async with store.unit_of_work() as uow:
        uow.put(coordination, condition=ABSENT)
        for task in tasks:
            uow.put(task, condition=ABSENT)
    assert await store.repository(COORDINATIONS).get(tenant, COORDINATIONS.key_of(coordination))
    listed = await store.repository(TASKS).query(
        tenant, Query(parent=coordination.coordination_uuid)
    )
    assert sorted(t.task_uuid for t in listed.items) == sorted(t.task_uuid for t in tasks)


async def test_one_failed_condition_leaves_nothing_behind(
    store: Store, tenant: PartitionKey
) -> None:
    existing = sample(AGENTS, tenant)
    await store.repository(AGENTS).put(existing, condition=ABSENT)
    fresh = [sample(AGENTS, tenant) for _ in range(3)]
    coordination = sample(COORDINATIONS, tenant)
    with pytest.raises(Conflict):
        async with store.unit_of_work() as uow:
            for agent in fresh:
                uow.put(agent, condition=ABSENT)
            uow.put(coordination, condition=ABSENT)
            uow.increment(tenant, "agents", 3)
            uow.put(attrs.evolve(existing, agent_name="changed"), condition=ABSENT)
    agents = store.repository(AGENTS)
    assert await agents.get_many(tenant, [AGENTS.key_of(a) for a in fresh]) == [None] * 3
    assert (
        await store.repository(COORDINATIONS).find(tenant, COORDINATIONS.key_of(coordination))
        is None
    )
    assert await store.repository(TENANT_COUNTERS).find(tenant, ("agents",)) is None
    assert await agents.get(tenant, AGENTS.key_of(existing)) == existing


@pytest.mark.parametrize(
    ("condition", "error"),
    [(PRESENT, NotFound), (Condition.present(status="inactive"), ConditionFailed)],
    ids=["missing", "changed"],
)
async def test_a_failed_delete_or_update_condition_rolls_back_the_rest(
    store: Store, tenant: PartitionKey, condition: Condition, error: type[Exception]
) -> None:
    agents = store.repository(AGENTS)
    kept = sample(AGENTS, tenant)
    await agents.put(kept, condition=ABSENT)
    target = sample(AGENTS, tenant) if condition is PRESENT else kept
    fresh = sample(AGENTS, tenant)
    with pytest.raises(error):
        async with store.unit_of_work() as uow:
            uow.put(fresh, condition=ABSENT)
            uow.delete(AGENTS, tenant, AGENTS.key_of(target), condition=condition)
    assert await agents.find(tenant, AGENTS.key_of(fresh)) is None
    assert await agents.get(tenant, AGENTS.key_of(kept)) == kept


async def test_an_exception_inside_the_block_discards_every_write(
    store: Store, tenant: PartitionKey
) -> None:
    agent = sample(AGENTS, tenant)
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as uow:
            uow.put(agent, condition=ABSENT)
            raise RuntimeError("caller failed half-way")
    assert await store.repository(AGENTS).find(tenant, AGENTS.key_of(agent)) is None


async def test_too_many_actions_are_refused_before_anything_is_written(
    store: Store, tenant: PartitionKey
) -> None:
    uow = store.unit_of_work()
    agents = [sample(AGENTS, tenant) for _ in range(uow.max_actions + 1)]
    with pytest.raises(TransactionTooLarge):
        async with uow:
            for agent in agents:
                uow.put(agent, condition=ABSENT)
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


async def test_the_largest_allowed_unit_of_work_lands(store: Store, tenant: PartitionKey) -> None:
    uow = store.unit_of_work()
    size = min(uow.max_actions, 100)
    agents = [sample(AGENTS, tenant) for _ in range(size)]
    async with uow:
        for agent in agents:
            uow.put(agent, condition=ABSENT)
    assert await store.repository(AGENTS).count(tenant, Query()) == size


async def test_two_actions_on_one_record_are_refused(store: Store, tenant: PartitionKey) -> None:
    agent = sample(AGENTS, tenant)
    with pytest.raises(ValidationError):
        async with store.unit_of_work() as uow:
            uow.put(agent, condition=ABSENT)
            uow.delete(AGENTS, tenant, AGENTS.key_of(agent))
    assert await store.repository(AGENTS).find(tenant, AGENTS.key_of(agent)) is None


async def test_a_counter_counts_up_to_its_limit_and_no_further(
    store: Store, tenant: PartitionKey
) -> None:
    for _ in range(3):
        async with store.unit_of_work() as uow:
            uow.increment(tenant, "agents", 1, limit=3)
    agent = sample(AGENTS, tenant)
    with pytest.raises(LimitExceeded):
        async with store.unit_of_work() as uow:
            uow.put(agent, condition=ABSENT)
            uow.increment(tenant, "agents", 1, limit=3)
    assert await store.repository(AGENTS).find(tenant, AGENTS.key_of(agent)) is None
    counter = await store.repository(TENANT_COUNTERS).get(tenant, ("agents",))
    assert counter.value == 3
    async with store.unit_of_work() as uow:
        uow.increment(tenant, "agents", -1)
    async with store.unit_of_work() as uow:
        uow.increment(tenant, "agents", 1, limit=3)
    assert (await store.repository(TENANT_COUNTERS).get(tenant, ("agents",))).value == 3


async def test_a_counter_never_drops_below_zero(store: Store, tenant: PartitionKey) -> None:
    with pytest.raises(ConditionFailed):
        async with store.unit_of_work() as uow:
            uow.increment(tenant, "agents", -1)


async def test_counters_are_per_tenant(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    for who in (tenant, tenant, other_tenant):
        async with store.unit_of_work() as uow:
            uow.increment(who, "agents", 1, limit=2)
    counters = store.repository(TENANT_COUNTERS)
    assert (await counters.get(tenant, ("agents",))).value == 2
    assert (await counters.get(other_tenant, ("agents",))).value == 1


async def test_concurrent_increments_never_pass_the_limit(
    store: Store, tenant: PartitionKey
) -> None:
    async def create() -> bool:
        try:
            async with store.unit_of_work() as uow:
                uow.put(sample(AGENTS, tenant), condition=ABSENT)
                uow.increment(tenant, "agents", 1, limit=5)
        except LimitExceeded:
            return False
        return True

    results = await asyncio.gather(*(create() for _ in range(20)))
    assert sum(results) == 5
    assert await store.repository(AGENTS).count(tenant, Query()) == 5
    assert (await store.repository(TENANT_COUNTERS).get(tenant, ("agents",))).value == 5


async def test_concurrent_creates_of_one_key_make_one_record(
    store: Store, tenant: PartitionKey
) -> None:
    agent = sample(AGENTS, tenant)

    async def create(name: str) -> bool:
        try:
            await store.repository(AGENTS).put(
                attrs.evolve(agent, agent_name=name), condition=ABSENT
            )
        except Conflict:
            return False
        return True

    results = await asyncio.gather(*(create(f"n{i}") for i in range(20)))
    assert sum(results) == 1
    assert await store.repository(AGENTS).count(tenant, Query()) == 1


async def test_a_unit_of_work_commits_once(store: Store, tenant: PartitionKey) -> None:
    uow = store.unit_of_work()
    uow.put(sample(AGENTS, tenant), condition=ABSENT)
    await uow.commit()
    with pytest.raises(ValidationError):
        await uow.commit()
    with pytest.raises(ValidationError):
        uow.put(sample(AGENTS, tenant))
