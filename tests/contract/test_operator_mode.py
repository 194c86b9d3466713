"""Operator mode on every adapter: a call that crosses tenants (a unit of work or a
``put_many`` holding several tenants' records, ``exists_in_any_tenant``; scans in
test_scan.py) is ``Forbidden`` outside ``as_operator`` and writes nothing; inside it, it
works as before. On PostgreSQL the same calls run under the policies' operator setting, and
a call naming one tenant stays that tenant's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from aace.domain.entities import (
    AGENTS,
    LLMS,
    MIGRATION_STATE,
    TASK_SCHEDULES,
    Agent,
    MigrationState,
)
from aace.domain.errors import Forbidden
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey, PlatformContext, as_operator
from tests.factories import sample

pytestmark = pytest.mark.anyio

OPS = PlatformContext(updated_by="ops@example.com")


async def _stored(store: Store, tenant: PartitionKey, agents: Sequence[Agent]) -> int:
    keys = [AGENTS.key_of(a) for a in agents]
    return sum(1 for a in await store.repository(AGENTS).get_many(tenant, keys) if a)


async def test_a_unit_of_work_of_two_tenants_needs_operator_mode(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    mine, theirs = sample(AGENTS, tenant), sample(AGENTS, other_tenant)
    with pytest.raises(Forbidden, match="2 tenants"):
        async with store.unit_of_work() as uow:
            uow.put(mine, condition=ABSENT)
            uow.put(theirs, condition=ABSENT)
    assert await _stored(store, tenant, [mine]) == 0
    assert await _stored(store, other_tenant, [theirs]) == 0
    with as_operator(OPS):
        async with store.unit_of_work() as uow:
            uow.put(mine, condition=ABSENT)
            uow.put(theirs, condition=ABSENT)
    assert await _stored(store, tenant, [mine]) == 1
    assert await _stored(store, other_tenant, [theirs]) == 1


async def test_a_put_many_of_two_tenants_needs_operator_mode(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    mine = [sample(AGENTS, tenant) for _ in range(3)]
    theirs = [sample(AGENTS, other_tenant) for _ in range(3)]
    with pytest.raises(Forbidden, match="several tenants"):
        await store.repository(AGENTS).put_many(mine + theirs)
    assert await _stored(store, tenant, mine) == 0  # refused before the chunk was written
    with as_operator(OPS):
        await store.repository(AGENTS).put_many(mine + theirs)
    assert await _stored(store, tenant, mine) == 3
    assert await _stored(store, other_tenant, theirs) == 3


async def test_exists_in_any_tenant_needs_operator_mode(
    store: Store, tenant: PartitionKey
) -> None:
    schedules = store.repository(TASK_SCHEDULES)  # a table the other tests hardly fill
    schedule = sample(TASK_SCHEDULES, tenant)
    await schedules.put(schedule)
    wanted = {"schedule_uuid": schedule.schedule_uuid}
    with pytest.raises(Forbidden, match="crosses tenants"):
        await schedules.exists_in_any_tenant(wanted)
    with as_operator(OPS):
        assert await schedules.exists_in_any_tenant(wanted)
        assert not await schedules.exists_in_any_tenant({"schedule_uuid": "none-such"})


async def test_a_tenants_calls_inside_operator_mode_stay_that_tenants(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    mine, theirs = sample(AGENTS, tenant), sample(AGENTS, other_tenant)
    with as_operator(OPS):
        await store.repository(AGENTS).put_many([mine, theirs])
        assert await _stored(store, tenant, [mine, theirs]) == 1
        page = await store.repository(AGENTS).scan(tenant=tenant)
    assert [a.partition_key for a in page.items] == [tenant]


async def test_a_registry_write_added_in_operator_mode_commits_after_it(store: Store) -> None:
    """The writer is checked as the action is added; the unit acts as the operator wherever
    it commits (on PostgreSQL too, where the policies see the operator's setting)."""
    llm = sample(LLMS, PartitionKey("any", "tenant"))
    uow = store.unit_of_work()
    with as_operator(OPS):
        uow.put(llm, condition=ABSENT)
    await uow.commit()
    assert await store.repository(LLMS).get(PartitionKey("any", "tenant"), LLMS.key_of(llm))


async def test_the_migration_state_is_read_in_operator_mode_only(store: Store) -> None:
    state = MigrationState(job=f"job-{uuid.uuid4()}", item="job", state={"n": 1}, updated_by="op")
    repo = store.repository(MIGRATION_STATE)
    with as_operator(OPS):
        await repo.put(state)
    key = MIGRATION_STATE.key_of(state)
    nobody = PartitionKey("any", "tenant")
    reads = [
        lambda: repo.find(nobody, key),
        lambda: repo.get_many(nobody, [key]),
        lambda: repo.query(nobody, Query(parent=state.job)),
        lambda: repo.count(nobody, Query(parent=state.job)),
        lambda: repo.scan(),
    ]
    for read in reads:
        with pytest.raises(Forbidden, match="the operator's alone"):
            await read()
    with as_operator(OPS):
        assert await repo.find(nobody, key) == state
        assert await repo.count(nobody, Query(parent=state.job)) == 1
