"""The platform registries (behaviour.md §2): every tenant reads them, only a PlatformContext
writes them; a tenant's write is ``Forbidden`` and writes nothing, on every adapter."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from aace.domain.entities import AGENTS, LLMS
from aace.domain.errors import Conflict, Forbidden, NotFound
from aace.domain.ports import ABSENT, ANY, PRESENT, Store
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, PlatformContext, writing_as_platform
from tests.factories import PLATFORM, sample

pytestmark = pytest.mark.anyio

every_registry = pytest.mark.parametrize("schema", PLATFORM, ids=lambda s: s.name)
OPERATOR = PlatformContext(updated_by="operator@example.com")


def needs_platform_reads(store: Store) -> None:
    """Reads and writes of registries are wired on the in-memory adapter only so far: the
    SQL and DynamoDB repositories still check ``partition_key`` on every key (entity_table,
    conditions), which registry records do not have."""
    if store.adapter != "memory":
        pytest.skip(f"platform-registry reads and writes are not wired on {store.adapter} yet")


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
    if store.adapter in ("sqlite", "postgresql"):
        pytest.skip("SQL repositories of platform registries are not wired yet")
    repo = store.repository(schema)
    record = sample(schema, tenant)
    key = schema.key_of(record)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.put(record, condition=ABSENT)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.put(record)
    with pytest.raises(Forbidden, match=schema.name):
        await repo.delete(tenant, key, condition=ANY)
    if store.adapter == "memory":  # put_many: see needs_platform_reads
        with pytest.raises(Forbidden, match=schema.name):
            await repo.put_many([record])
        assert await repo.find(tenant, key) is None


@every_registry
async def test_the_operator_writes_and_every_tenant_reads_the_same_record(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    needs_platform_reads(store)
    repo = store.repository(schema)
    record = sample(schema, tenant, updated_by=OPERATOR.updated_by)
    key = schema.key_of(record)
    with writing_as_platform(OPERATOR):
        await repo.put(record, condition=ABSENT)
        with pytest.raises(Conflict):
            await repo.put(record, condition=ABSENT)
    assert await repo.get(tenant, key) == record
    assert await repo.get(other_tenant, key) == record
    assert await repo.get_many(other_tenant, [key]) == [record]
    # Outside the block the operator's authority is gone again.
    with pytest.raises(Forbidden):
        await repo.delete(tenant, key)
    with writing_as_platform(OPERATOR):
        await repo.delete(other_tenant, key, condition=PRESENT)
    assert await repo.find(tenant, key) is None
    with pytest.raises(NotFound), writing_as_platform(OPERATOR):
        await repo.delete(tenant, key)


async def test_the_operator_writes_registries_in_a_unit_of_work_and_put_many(
    store: Store, tenant: PartitionKey
) -> None:
    needs_platform_reads(store)
    repo = store.repository(LLMS)
    first, second = sample(LLMS, tenant), sample(LLMS, tenant)
    with writing_as_platform(OPERATOR):
        async with store.unit_of_work() as uow:
            uow.put(first, condition=ABSENT)
        changed = attrs.evolve(first, module_name="langchain_openai")
        await repo.put_many([changed, second])
    assert await repo.get_many(tenant, [LLMS.key_of(first), LLMS.key_of(second)]) == [
        changed,
        second,
    ]
