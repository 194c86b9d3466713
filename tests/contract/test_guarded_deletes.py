"""Guarded deletes (``uow.delete(..., guards=...)``): a record is not deleted while a guard's
listing holds a dependent the same unit of work does not delete, and that holds against
children created concurrently (behaviour.md §9)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aace.domain.entities import MESSAGES, RUNS, THREADS
from aace.domain.errors import HasDependents, NotFound
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.schema import EntityKey
from aace.domain.tenancy import PartitionKey
from aace.domain.unit_of_work import Guard
from tests.factories import sample

pytestmark = pytest.mark.anyio


def runs_guard(thread_uuid: str) -> Guard:
    return Guard("runs", RUNS, Query(parent=thread_uuid))


async def test_a_parent_with_children_is_not_deleted(store: Store, tenant: PartitionKey) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    run = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    await store.repository(RUNS).put(run, condition=ABSENT)
    key = THREADS.key_of(thread)
    with pytest.raises(HasDependents, match="runs"):
        async with store.unit_of_work() as uow:
            uow.delete(THREADS, tenant, key, guards=[runs_guard(thread.thread_uuid)])
    assert await store.repository(THREADS).get(tenant, key) == thread
    # The parent stays fully usable: a new child can be created under it at once.
    second = sample(RUNS, tenant, thread_uuid=thread.thread_uuid)
    async with store.unit_of_work() as uow:
        uow.require(THREADS, tenant, key)
        uow.put(second, condition=ABSENT)
    assert await store.repository(RUNS).get(tenant, RUNS.key_of(second)) == second


async def test_children_deleted_in_the_same_unit_do_not_count(
    store: Store, tenant: PartitionKey
) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    runs = [sample(RUNS, tenant, thread_uuid=thread.thread_uuid) for _ in range(3)]
    for run in runs:
        await store.repository(RUNS).put(run, condition=ABSENT)
    async with store.unit_of_work() as uow:
        for run in runs:
            uow.delete(RUNS, tenant, RUNS.key_of(run))
        uow.delete(
            THREADS, tenant, THREADS.key_of(thread), guards=[runs_guard(thread.thread_uuid)]
        )
    assert await store.repository(THREADS).find(tenant, THREADS.key_of(thread)) is None
    assert await store.repository(RUNS).count(tenant, Query(parent=thread.thread_uuid)) == 0


async def test_another_tenants_children_do_not_guard(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    thread = sample(THREADS, tenant)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    foreign = sample(MESSAGES, other_tenant, thread_uuid=thread.thread_uuid)
    await store.repository(MESSAGES).put(foreign, condition=ABSENT)
    guard = Guard("messages", MESSAGES, Query(parent=thread.thread_uuid))
    async with store.unit_of_work() as uow:
        uow.delete(THREADS, tenant, THREADS.key_of(thread), guards=[guard])
    assert await store.repository(THREADS).find(tenant, THREADS.key_of(thread)) is None


async def test_a_guarded_delete_of_a_missing_record_is_not_found(
    store: Store, tenant: PartitionKey
) -> None:
    thread = sample(THREADS, tenant)
    with pytest.raises(NotFound):
        async with store.unit_of_work() as uow:
            uow.delete(
                THREADS, tenant, THREADS.key_of(thread), guards=[runs_guard(thread.thread_uuid)]
            )


async def test_no_child_outlives_a_guarded_delete_under_concurrency(
    store: Store, tenant: PartitionKey
) -> None:
    """20 rounds of "create a run under the thread" racing "delete the thread unless it has
    runs": either the run lands and the delete is refused, or the delete lands and the run
    is refused; never a run whose thread is gone."""
    threads, runs = store.repository(THREADS), store.repository(RUNS)
    outcomes = set()
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

        async def delete(thread_key: EntityKey = key, parent: Any = thread) -> bool:
            try:
                async with store.unit_of_work() as uow:
                    uow.delete(
                        THREADS, tenant, thread_key, guards=[runs_guard(parent.thread_uuid)]
                    )
            except HasDependents:
                return False
            return True

        created, deleted = await asyncio.gather(create(), delete())
        assert created != deleted, (created, deleted)
        thread_left = await threads.find(tenant, key)
        run_left = await runs.find(tenant, RUNS.key_of(run))
        assert (thread_left is None) == deleted
        assert (run_left is None) == (not created)
        outcomes.add(created)
    assert outcomes  # at least one interleaving was seen; both usually are
