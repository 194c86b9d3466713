"""Required records (``uow.require``): a unit of work commits only while the records it
requires are there, as the tenant's, with the required values; it writes nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest

from aace.domain.entities import MESSAGES, RUNS, THREADS, schema_for
from aace.domain.errors import ConditionFailed, NotFound, TransactionTooLarge, ValidationError
from aace.domain.ports import ABSENT, ANY, PRESENT, Condition, Store
from aace.domain.query import Query
from aace.domain.records import to_record
from aace.domain.relations import parents_of
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio


def parent_key(parent: EntitySchema[Any], child: Any) -> EntityKey:
    """The key of the ``parent`` record ``child`` points at (from :mod:`domain.relations`)."""
    relation = next(r for r in parents_of(schema_for(type(child))) if r.parent is parent)
    (values,) = relation.parent_values(to_record(relation.child, child))
    names = (parent.range_key,) if parent.tenant_hashed else (parent.hash_key, parent.range_key)
    return tuple(values[name] for name in names)


async def runs_of(store: Store, tenant: PartitionKey, thread_uuid: str) -> int:
    return await store.repository(RUNS).count(tenant, Query(parent=thread_uuid))


async def test_a_child_of_an_existing_parent_lands(store: Store, tenant: PartitionKey) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    run = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    async with store.unit_of_work() as uow:
        uow.require(THREADS, tenant, parent_key(THREADS, run))
        uow.put(run, condition=ABSENT)
    assert await store.repository(RUNS).get(tenant, RUNS.key_of(run)) == run
    assert await store.repository(THREADS).get(tenant, THREADS.key_of(thread)) == thread


async def test_a_child_of_a_missing_parent_is_refused(store: Store, tenant: PartitionKey) -> None:
    run = sample(RUNS, tenant)
    with pytest.raises(NotFound):
        async with store.unit_of_work() as uow:
            uow.require(THREADS, tenant, parent_key(THREADS, run))
            uow.put(run, condition=ABSENT)
            uow.increment(tenant, "runs", 1)
    assert await store.repository(RUNS).find(tenant, RUNS.key_of(run)) is None
    assert await runs_of(store, tenant, run.thread_uuid) == 0


@pytest.mark.parametrize("parent", [THREADS, RUNS], ids=["tenant_hashed", "parent_hashed"])
async def test_another_tenants_parent_counts_as_missing(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, parent: EntitySchema[Any]
) -> None:
    foreign = sample(parent, other_tenant)
    await store.repository(parent).put(foreign, condition=ABSENT)
    key = parent.key_of(foreign)
    if parent is THREADS:
        child: Any = sample(RUNS, tenant, thread_uuid=foreign.thread_uuid)
    else:
        child = sample(
            MESSAGES, tenant, thread_uuid=foreign.thread_uuid, run_uuid=foreign.run_uuid
        )
    assert parent_key(parent, child) == key
    with pytest.raises(NotFound):
        async with store.unit_of_work() as uow:
            uow.require(parent, tenant, key)
            uow.put(child, condition=ABSENT)
    assert (
        await store.repository(schema_for(type(child))).find(
            tenant, schema_for(type(child)).key_of(child)
        )
        is None
    )
    assert await store.repository(parent).get(other_tenant, key) == foreign


async def test_a_required_value_that_changed_fails_the_unit(
    store: Store, tenant: PartitionKey
) -> None:
    thread = sample(THREADS, tenant)
    threads = store.repository(THREADS)
    await threads.put(thread, condition=ABSENT)
    key = THREADS.key_of(thread)
    first = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    async with store.unit_of_work() as uow:  # the values still match: it lands
        uow.require(
            THREADS, tenant, key, condition=Condition.present(agent_uuid=thread.agent_uuid)
        )
        uow.put(first, condition=ABSENT)
    changed = attrs.evolve(thread, agent_uuid="another-agent")
    await threads.put(changed, condition=PRESENT)
    second = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    with pytest.raises(ConditionFailed):
        async with store.unit_of_work() as uow:
            uow.require(
                THREADS, tenant, key, condition=Condition.present(agent_uuid=thread.agent_uuid)
            )
            uow.put(second, condition=ABSENT)
    assert await store.repository(RUNS).find(tenant, RUNS.key_of(second)) is None
    assert await runs_of(store, tenant, thread.thread_uuid) == 1
    assert await threads.get(tenant, key) == changed


async def test_a_check_alone_commits_or_fails(store: Store, tenant: PartitionKey) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    async with store.unit_of_work() as uow:
        uow.require(THREADS, tenant, THREADS.key_of(thread))
    with pytest.raises(NotFound):
        async with store.unit_of_work() as uow:
            uow.require(THREADS, tenant, THREADS.key_of(sample(THREADS, tenant)))
    with pytest.raises(ConditionFailed):
        async with store.unit_of_work() as uow:
            uow.require(
                THREADS, tenant, THREADS.key_of(thread), condition=Condition.present(user_id="x")
            )
    assert await store.repository(THREADS).get(tenant, THREADS.key_of(thread)) == thread


async def test_a_check_counts_toward_max_actions(store: Store, tenant: PartitionKey) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    uow = store.unit_of_work()
    runs = [sample(RUNS, tenant, thread_uuid=thread.thread_uuid) for _ in range(uow.max_actions)]
    with pytest.raises(TransactionTooLarge):
        async with uow:
            uow.require(THREADS, tenant, THREADS.key_of(thread))
            for run in runs:
                uow.put(run, condition=ABSENT)
    assert await runs_of(store, tenant, thread.thread_uuid) == 0


@pytest.mark.parametrize("written", ["put", "delete"])
async def test_a_record_is_not_both_required_and_written(
    store: Store, tenant: PartitionKey, written: str
) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    key = THREADS.key_of(thread)
    run = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    with pytest.raises(ValidationError) as raised:
        async with store.unit_of_work() as uow:
            uow.put(run, condition=ABSENT)
            uow.require(THREADS, tenant, key)
            if written == "put":
                uow.put(attrs.evolve(thread, user_id="changed"))
            else:
                uow.delete(THREADS, tenant, key)
    assert raised.value.field == "key"
    assert await store.repository(THREADS).get(tenant, key) == thread
    assert await store.repository(RUNS).find(tenant, RUNS.key_of(run)) is None


@pytest.mark.parametrize("condition", [ABSENT, ANY], ids=["absent", "any"])
async def test_only_a_present_condition_can_be_required(
    store: Store, tenant: PartitionKey, condition: Condition
) -> None:
    uow = store.unit_of_work()
    with pytest.raises(ValidationError):
        uow.require(THREADS, tenant, (sample(THREADS, tenant).thread_uuid,), condition=condition)


async def test_a_child_never_outlives_a_parent_deleted_concurrently(
    store: Store, tenant: PartitionKey
) -> None:
    """Create a run under a thread while the thread is deleted (with the run, should it be
    there already): whichever lands first, no run is left whose thread is gone. A check
    that did not hold the thread until commit would let the run land after the delete."""
    threads, runs = store.repository(THREADS), store.repository(RUNS)
    created = 0
    for _ in range(20):
        thread = sample(THREADS, tenant)
        await threads.put(thread, condition=ABSENT)
        key = THREADS.key_of(thread)
        run = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)

        async def create(thread_key: EntityKey = key, child: Any = run) -> bool:
            try:
                async with store.unit_of_work() as uow:
                    uow.require(THREADS, tenant, thread_key)
                    uow.put(child, condition=ABSENT)
            except NotFound:
                return False
            return True

        async def delete(thread_key: EntityKey = key, child: Any = run) -> None:
            async with store.unit_of_work() as uow:
                uow.delete(THREADS, tenant, thread_key, condition=PRESENT)
                uow.delete(RUNS, tenant, RUNS.key_of(child), condition=ANY)

        landed, _ = await asyncio.gather(create(), delete())
        created += landed
        assert await threads.find(tenant, key) is None
        assert await runs.find(tenant, RUNS.key_of(run)) is None
    assert 0 <= created <= 20
