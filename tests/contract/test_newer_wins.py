"""Newer wins (``Condition.not_newer``): what a migration and a replicator write with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from aace.domain.errors import ConditionFailed, Conflict, ValidationError
from aace.domain.ports import Condition, Store
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.factories import PARENT_HASHED, SCHEMAS, sample

pytestmark = pytest.mark.anyio

by_name = pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.name)
SECOND = timedelta(seconds=1)


def dated(entity: Any, schema: EntitySchema[Any], at: datetime) -> Any:
    return attrs.evolve(entity, **{schema.version_field: at})


def stamp(entity: Any, schema: EntitySchema[Any]) -> datetime:
    value: datetime = getattr(entity, schema.version_field)
    return value


def newer_wins(schema: EntitySchema[Any], entity: Any) -> Condition:
    return Condition.not_newer(schema.version_field, stamp(entity, schema))


@by_name
async def test_a_missing_record_is_written(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    await repo.put(entity, condition=newer_wins(schema, entity))
    assert await repo.get(tenant, schema.key_of(entity)) == entity


@by_name
async def test_an_older_or_equal_record_is_replaced_and_a_newer_one_is_kept(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    stored = sample(schema, tenant)
    await repo.put(stored)
    key = schema.key_of(stored)
    same_age = dated(sample(schema, tenant), schema, stamp(stored, schema))
    same_age = attrs.evolve(same_age, **dict(zip(schema.key_fields, key, strict=True)))
    await repo.put(same_age, condition=newer_wins(schema, same_age))
    assert await repo.get(tenant, key) == same_age
    newer = dated(same_age, schema, stamp(stored, schema) + SECOND)
    await repo.put(newer, condition=newer_wins(schema, newer))
    assert await repo.get(tenant, key) == newer
    older = dated(stored, schema, stamp(stored, schema) - SECOND)
    with pytest.raises(ConditionFailed):
        await repo.put(older, condition=newer_wins(schema, older))
    assert await repo.get(tenant, key) == newer


@by_name
async def test_a_delete_removes_only_what_is_not_newer(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    entity = sample(schema, tenant)
    key = schema.key_of(entity)
    await repo.put(entity)
    with pytest.raises(ConditionFailed):
        await repo.delete(
            tenant,
            key,
            condition=Condition.not_newer(schema.version_field, stamp(entity, schema) - SECOND),
        )
    assert await repo.get(tenant, key) == entity
    await repo.delete(tenant, key, condition=newer_wins(schema, entity))
    assert await repo.find(tenant, key) is None
    # a tombstone over a missing record is a no-op
    await repo.delete(tenant, key, condition=newer_wins(schema, entity))


@pytest.mark.parametrize("schema", PARENT_HASHED, ids=lambda s: s.name)
async def test_another_tenants_record_under_the_key_is_a_conflict_and_kept(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    repo = store.repository(schema)
    theirs = sample(schema, other_tenant)
    await repo.put(theirs)
    ours = attrs.evolve(
        dated(theirs, schema, stamp(theirs, schema) + SECOND), partition_key=tenant
    )
    with pytest.raises(Conflict):
        await repo.put(ours, condition=newer_wins(schema, ours))
    with pytest.raises(Conflict):
        await repo.delete(tenant, schema.key_of(ours), condition=newer_wins(schema, ours))
    assert await repo.get(other_tenant, schema.key_of(theirs)) == theirs


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_by", datetime.now(UTC)),
        ("agent_name", datetime.now(UTC)),
        ("updated_at", datetime(2026, 1, 1)),
        ("updated_at", "2026-01-01"),
    ],
)
async def test_a_stamp_the_schema_cannot_compare_is_refused_and_nothing_written(
    store: Store, tenant: PartitionKey, field: str, value: Any
) -> None:
    from aace.domain.entities import AGENTS

    repo = store.repository(AGENTS)
    entity = sample(AGENTS, tenant)
    with pytest.raises(ValidationError) as caught:
        await repo.put(entity, condition=Condition.not_newer(field, value))
    assert caught.value.field == "condition"
    assert await repo.find(tenant, AGENTS.key_of(entity)) is None
