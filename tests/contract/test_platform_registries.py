"""The platform registries (behaviour.md §2): every tenant reads them, only a PlatformContext
writes them; a tenant's write is ``Forbidden`` and writes nothing, on every adapter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, LLMS
from aace.domain.errors import Conflict, Forbidden, InvalidCursor, NotFound
from aace.domain.ports import ABSENT, ANY, PRESENT, Store
from aace.domain.query import Query, RangeCondition
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, PlatformContext, as_operator
from tests.factories import PLATFORM, new_id, sample

pytestmark = pytest.mark.anyio

every_registry = pytest.mark.parametrize("schema", PLATFORM, ids=lambda s: s.name)
OPERATOR = PlatformContext(updated_by="operator@example.com")


@every_registry
async def test_a_tenant_unit_of_work_writing_a_registry_is_forbidden_and_writes_nothing(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    record = sample(schema, tenant)
    agent = sample(AGENTS, tenant)
    with pytest.raises(Forbidden, match=schema.name):
        async with store.unit_of_work() as uow:
            uow.put(agent, condition=ABSENT)
            uow.put(record)
    with pytest.raises(Forbidden, match=schema.name):
        async with store.unit_of_work() as uow:
            uow.put(agent, condition=ABSENT)
            uow.delete(schema, tenant, schema.key_of(record), condition=ANY)
    # The whole unit of work was discarded: the tenant's own write did not land either.
    assert await store.repository(AGENTS).find(tenant, AGENTS.key_of(agent)) is None


@every_registry
async def test_a_tenant_repository_write_of_a_registry_is_forbidden_and_writes_nothing(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    record = sample(schema, tenant)
    key = schema.key_of(record)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.put(record, condition=ABSENT)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.put(record)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.delete(tenant, key, condition=ANY)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.put_many([record])
    with pytest.raises(Forbidden, match=schema.name):  # refused before the input is read
        await repo.put_many(_unreadable())
    assert await repo.find(tenant, key) is None


def _unreadable() -> Iterator[Any]:
    yield from ()  # a generator: the line below runs when its first item is read
    raise AssertionError("put_many read the input of a forbidden write")


@every_registry
async def test_the_operator_writes_and_every_tenant_reads_the_same_record(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    record = sample(schema, tenant, updated_by=OPERATOR.updated_by)
    key = schema.key_of(record)
    with as_operator(OPERATOR):
        await repo.put(record, condition=ABSENT)
        with pytest.raises(Conflict):
            await repo.put(record, condition=ABSENT)
    assert await repo.get(tenant, key) == record
    assert await repo.get(other_tenant, key) == record
    assert await repo.get_many(other_tenant, [key]) == [record]
    # Outside the block the operator's authority is gone again.
    with pytest.raises(Forbidden):
        await repo.delete(tenant, key)
    with as_operator(OPERATOR):
        await repo.delete(other_tenant, key, condition=PRESENT)
    assert await repo.find(tenant, key) is None
    with pytest.raises(NotFound), as_operator(OPERATOR):
        await repo.delete(tenant, key)


async def test_the_operator_writes_registries_in_a_unit_of_work_and_put_many(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(LLMS)
    first, second = sample(LLMS, tenant), sample(LLMS, tenant)
    with as_operator(OPERATOR):
        async with store.unit_of_work() as uow:
            uow.put(first, condition=ABSENT)
        changed = attrs.evolve(first, module_name="langchain_openai")
        await repo.put_many([changed, second])
    assert await repo.get_many(tenant, [LLMS.key_of(first), LLMS.key_of(second)]) == [
        changed,
        second,
    ]


async def _registry_records(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any], count: int
) -> tuple[str, list[Any]]:
    """``count`` records written by the operator under a fresh hash value, in listing order
    (the range key); the first one is the operator's own, the rest the factory's."""
    parent = new_id()
    records = [
        sample(schema, tenant, **{schema.hash_key: parent, "updated_by": who})
        for who in [OPERATOR.updated_by, *["tester"] * (count - 1)]
    ]
    with as_operator(OPERATOR):
        await store.repository(schema).put_many(records)
    return parent, sorted(records, key=schema.key_of)


@every_registry
async def test_every_tenant_lists_and_counts_the_same_registry_records(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    parent, records = await _registry_records(store, tenant, schema, 5)
    first = next(r for r in records if r.updated_by == OPERATOR.updated_by)
    repo = store.repository(schema)
    by_update = Query(index="updated_at-index", parent=parent, limit=10)
    for reader in (tenant, other_tenant):
        page = await repo.query(reader, Query(parent=parent, limit=10))
        assert page.items == records
        assert page.next_cursor is None
        newest = await repo.query(reader, Query(parent=parent, descending=True))
        assert newest.items == records[::-1]
        assert sorted((await repo.query(reader, by_update)).items, key=schema.key_of) == records
        assert await repo.count(reader, Query(parent=parent)) == 5
        assert await repo.count(reader, by_update) == 5
        one = RangeCondition.eq(getattr(first, schema.range_key))
        assert (await repo.query(reader, Query(parent=parent, range=one))).items == [first]
        assert await repo.count(reader, Query(parent=parent, range=one)) == 1
        mine = Query(parent=parent, filters={"updated_by": OPERATOR.updated_by})
        assert (await repo.query(reader, mine)).items == [first]
        assert await repo.count(reader, mine) == 1
    assert await repo.count(tenant, Query(parent=new_id())) == 0


@every_registry
async def test_every_tenant_pages_through_a_registry_with_its_own_cursors(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    parent, records = await _registry_records(store, tenant, schema, 7)
    repo = store.repository(schema)
    cursors = {}
    for reader in (tenant, other_tenant):
        for descending in (False, True):
            seen: list[Any] = []
            cursor = None
            pages = 0
            while True:
                query = Query(parent=parent, limit=3, descending=descending, cursor=cursor)
                page = await repo.query(reader, query)
                seen.extend(page.items)
                pages += 1
                cursor = page.next_cursor
                if cursor is None:
                    break
                cursors[reader] = cursor
            assert seen == (records[::-1] if descending else records)
            assert pages == 3
    # The cursor is bound to the tenant that was given it (behaviour §2 and §6), even though
    # both tenants list the same records.
    with pytest.raises(InvalidCursor):
        await repo.query(
            other_tenant, Query(parent=parent, limit=3, descending=True, cursor=cursors[tenant])
        )
