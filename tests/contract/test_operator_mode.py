"""Operator mode on every adapter: a call that crosses tenants (a unit of work or a
``put_many`` holding several tenants' records, ``exists_in_any_tenant``; scans in
test_scan.py) is ``Forbidden`` outside ``as_operator`` and writes nothing; inside it, it
works as before. On PostgreSQL the same calls run under the policies' operator setting, and
a call naming one tenant stays that tenant's."""

from __future__ import annotations

import pytest

from aace.domain.entities import AGENTS, TASK_SCHEDULES
from aace.domain.errors import Forbidden
from aace.domain.ports import ABSENT, Store
from aace.domain.tenancy import PartitionKey, PlatformContext, as_operator
from tests.factories import sample

pytestmark = pytest.mark.anyio

OPS = PlatformContext(updated_by="ops@example.com")


async def _stored(store: Store, tenant: PartitionKey, agents: list[object]) -> int:
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
