"""Paging through large groups of records that tie on the range attribute (bulk imports that
share one ``updated_at``).

Each adapter orders ties its own way; whichever it is, walking the pages lists every record
exactly once, in range order, in one order whatever the page size (so where a page ends
changes nothing), and a descending walk is the ascending one reversed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, ASYNC_TASKS, MESSAGES, Agent
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.contract.paging import TABLE_KEY_TIES, all_pages, check_walk
from tests.factories import sample

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)
GROUPS = 3
GROUP_SIZE = 1000


def _at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


async def _tied_agents(store: Store, tenant: PartitionKey) -> list[Agent]:
    """``GROUPS`` groups of ``GROUP_SIZE`` agents sharing one ``updated_at`` each, a lone
    agent before each group; every third agent is active."""
    agents = []
    for group in range(GROUPS):
        agents.append(sample(AGENTS, tenant, updated_at=_at(2 * group)))
        agents.extend(
            sample(
                AGENTS,
                tenant,
                updated_at=_at(2 * group + 1),
                status="active" if number % 3 == 0 else "inactive",
            )
            for number in range(GROUP_SIZE)
        )
    await store.repository(AGENTS).put_many(agents)
    return agents


async def _walks(
    store: Store,
    schema: EntitySchema[Any],
    tenant: PartitionKey,
    query: Query,
    expected: list[Any],
    limits: tuple[int, ...],
) -> list[Any]:
    """Walk ``query`` (on an index ranged by ``updated_at``) with each page size, then
    descending: check every walk, and that they all list the records in one order. Returns
    the ascending order."""
    key = schema.key_of
    ascending: list[Any] = []
    for limit in limits:
        found = await all_pages(store, schema, tenant, attrs.evolve(query, limit=limit))
        check_walk(found, expected, key=key, range_of=lambda r: r.updated_at)
        if ascending:
            assert [key(r) for r in found] == [key(r) for r in ascending], "order changed"
        ascending = found
    query = attrs.evolve(query, descending=True, limit=limits[0])
    back = await all_pages(store, schema, tenant, query)
    check_walk(back, expected, key=key, range_of=lambda r: r.updated_at, descending=True)
    assert [key(r) for r in back] == [key(r) for r in reversed(ascending)]
    return ascending


async def test_paging_through_groups_of_a_thousand_ties(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _tied_agents(store, tenant)
    query = Query(index="updated_at-index")
    found = await _walks(store, AGENTS, tenant, query, agents, (50, 37, 1000))
    if store.adapter in TABLE_KEY_TIES:
        assert found == sorted(agents, key=lambda a: (a.updated_at, a.agent_version_uuid))


async def test_a_filtered_listing_over_ties_keeps_the_unfiltered_order(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _tied_agents(store, tenant)
    active = [a for a in agents if a.status == "active"]
    query = Query(index="updated_at-index", filters={"status": "active"})
    found = await _walks(store, AGENTS, tenant, query, active, (50, 1000))
    everything = await all_pages(
        store, AGENTS, tenant, Query(index="updated_at-index", limit=1000)
    )
    assert found == [a for a in everything if a.status == "active"]
    assert await store.repository(AGENTS).count(tenant, query) == len(active)


async def test_ties_on_a_global_index_across_table_partitions(
    store: Store, tenant: PartitionKey
) -> None:
    tasks = [
        sample(ASYNC_TASKS, tenant, function_name=f"f{number % 7}", updated_at=_at(group))
        for group in range(2)
        for number in range(300)
    ]
    await store.repository(ASYNC_TASKS).put_many(tasks)
    query = Query(index="partition_key-updated_at-index")
    await _walks(store, ASYNC_TASKS, tenant, query, tasks, (50, 1000))


async def test_ties_in_a_parent_partition_shared_with_another_tenant(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    thread = f"th-{tenant.part_id}"
    mine = [
        sample(MESSAGES, tenant, thread_uuid=thread, updated_at=_at(number % 2))
        for number in range(600)
    ]
    theirs = [
        sample(MESSAGES, other_tenant, thread_uuid=thread, updated_at=_at(number % 2))
        for number in range(150)
    ]
    await store.repository(MESSAGES).put_many(mine)  # a put_many is one tenant's
    await store.repository(MESSAGES).put_many(theirs)
    query = Query(index="updated_at-index", parent=thread)
    await _walks(store, MESSAGES, tenant, query, mine, (50, 1000))
    assert await store.repository(MESSAGES).count(tenant, query) == len(mine)


async def test_changes_inside_a_tie_group_between_pages(
    store: Store, tenant: PartitionKey
) -> None:
    """The record a cursor ended on is deleted and a new tie is added before the next page:
    the records that were there all along still come once each, and nothing twice."""
    agents = await _tied_agents(store, tenant)
    repo = store.repository(AGENTS)
    query = Query(index="updated_at-index", limit=50)
    seen: list[str] = []
    page = await repo.query(tenant, query)
    while True:
        seen.extend(a.agent_version_uuid for a in page.items)
        if page.next_cursor is None:
            break
        last = page.items[-1]
        await repo.delete(tenant, AGENTS.key_of(last))
        await repo.put(sample(AGENTS, tenant, updated_at=last.updated_at), condition=ABSENT)
        page = await repo.query(tenant, attrs.evolve(query, cursor=page.next_cursor))
    assert len(seen) == len(set(seen))
    assert set(seen) >= {a.agent_version_uuid for a in agents}
