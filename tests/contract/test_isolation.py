"""Tenant isolation: a record of another tenant behaves exactly as a missing one."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, ASYNC_TASKS, MESSAGES, RUNS, SESSIONS
from aace.domain.errors import Conflict, InvalidCursor, NotFound
from aace.domain.ports import ABSENT, ANY, PRESENT, Store
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.factories import PARENT_HASHED, SCHEMAS, TENANT_HASHED, sample

pytestmark = pytest.mark.anyio

every_table = pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)


def _listing(schema: EntitySchema[Any], entity: Any) -> Query:
    """The table's own listing that would include ``entity`` for its owner."""
    if schema.tenant_hashed:
        return Query()
    return Query(parent=getattr(entity, schema.hash_key))


@every_table
async def test_another_tenant_cannot_read_a_record(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=ABSENT)
    key = schema.key_of(entity)
    assert await repo.find(other_tenant, key) is None
    with pytest.raises(NotFound):
        await repo.get(other_tenant, key)
    assert await repo.get_many(other_tenant, [key]) == [None]
    assert (await repo.query(other_tenant, _listing(schema, entity))).items == []
    assert await repo.count(other_tenant, _listing(schema, entity)) == 0
    assert await repo.count(tenant, _listing(schema, entity)) == 1


@every_table
async def test_another_tenant_cannot_update_or_delete_a_record(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=ABSENT)
    key = schema.key_of(entity)
    intruder = attrs.evolve(entity, partition_key=other_tenant)
    with pytest.raises(NotFound):
        await repo.put(intruder, condition=PRESENT)
    with pytest.raises(NotFound):
        await repo.delete(other_tenant, key)
    await repo.delete(other_tenant, key, condition=ANY)  # as for a missing record: no-op
    assert await repo.get(tenant, key) == entity


@pytest.mark.parametrize("schema", PARENT_HASHED, ids=lambda s: s.name)
async def test_a_foreign_record_under_a_parent_uuid_is_never_replaced(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=ABSENT)
    intruder = attrs.evolve(entity, partition_key=other_tenant)
    for condition in (ABSENT, ANY):
        with pytest.raises(Conflict):
            await repo.put(intruder, condition=condition)
    assert await repo.get(tenant, schema.key_of(entity)) == entity


@pytest.mark.parametrize("schema", TENANT_HASHED, ids=lambda s: s.name)
async def test_two_tenants_may_use_the_same_range_key_on_tenant_tables(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    mine = sample(schema, tenant)
    theirs = attrs.evolve(mine, partition_key=other_tenant)
    await repo.put(mine, condition=ABSENT)
    await repo.put(theirs, condition=ABSENT)
    key = schema.key_of(mine)
    assert await repo.get(tenant, key) == mine
    assert await repo.get(other_tenant, key) == theirs


async def test_children_of_one_parent_are_listed_for_their_tenant_only(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    """Even if two tenants' records share a parent uuid, each sees only its own."""
    repo = store.repository(MESSAGES)
    thread = "shared-thread-" + tenant.part_id
    mine = [sample(MESSAGES, tenant, thread_uuid=thread, run_uuid="r1") for _ in range(3)]
    theirs = [sample(MESSAGES, other_tenant, thread_uuid=thread, run_uuid="r1") for _ in range(2)]
    for message in mine + theirs:
        await repo.put(message, condition=ABSENT)
    for query in (Query(parent=thread), Query(parent=thread, index="run_uuid-index")):
        assert {m.message_uuid for m in (await repo.query(tenant, query)).items} == {
            m.message_uuid for m in mine
        }
        assert await repo.count(other_tenant, query) == 2


async def test_the_async_task_index_lists_one_tenant_across_functions(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    repo = store.repository(ASYNC_TASKS)
    mine = [sample(ASYNC_TASKS, tenant, function_name=f"fn-{i}") for i in range(3)]
    await repo.put(sample(ASYNC_TASKS, other_tenant, function_name="fn-0"), condition=ABSENT)
    for task in mine:
        await repo.put(task, condition=ABSENT)
    page = await repo.query(tenant, Query(index="partition_key-updated_at-index"))
    assert {t.async_task_uuid for t in page.items} == {t.async_task_uuid for t in mine}


async def test_a_cursor_from_another_tenant_is_refused(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    repo = store.repository(AGENTS)
    for _ in range(3):
        await repo.put(sample(AGENTS, tenant), condition=ABSENT)
        await repo.put(sample(AGENTS, other_tenant), condition=ABSENT)
    page = await repo.query(tenant, Query(limit=2))
    assert page.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await repo.query(other_tenant, Query(limit=2, cursor=page.next_cursor))


async def test_a_cursor_for_another_parent_is_refused(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(RUNS)
    for thread in ("t-a-" + tenant.part_id, "t-b-" + tenant.part_id):
        for _ in range(3):
            await repo.put(sample(RUNS, tenant, thread_uuid=thread), condition=ABSENT)
    page = await repo.query(tenant, Query(parent="t-a-" + tenant.part_id, limit=2))
    assert page.next_cursor is not None
    with pytest.raises(InvalidCursor):
        await repo.query(
            tenant, Query(parent="t-b-" + tenant.part_id, limit=2, cursor=page.next_cursor)
        )


async def test_the_sessions_of_a_coordination_are_isolated_on_every_index(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    repo = store.repository(SESSIONS)
    coordination = "coord-" + tenant.part_id
    await repo.put(
        sample(SESSIONS, other_tenant, coordination_uuid=coordination, task_uuid="t", user_id="u"),
        condition=ABSENT,
    )
    for index in (None, "task_uuid-index", "user_id-index"):
        assert await repo.count(tenant, Query(parent=coordination, index=index)) == 0
