"""The verbs every service offers (services.md, "One surface, the same verbs everywhere"),
for every agent-engine service, on every adapter."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from aace.application.roster import service_names
from aace.domain.errors import (
    ConditionFailed,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from aace.domain.tenancy import TenantContext
from tests.integration.records import CHANGES, ELSEWHERE, OPERATOR, PLATFORM, minimal

pytestmark = pytest.mark.anyio

#: Every service of the roster but those tested elsewhere (each needs its records).
SERVICES = sorted(set(service_names()) - set(ELSEWHERE))


def test_every_service_of_the_roster_has_its_test_records() -> None:
    missing = set(SERVICES) - set(CHANGES)
    assert not missing, f"add records for {sorted(missing)} to tests/integration/records.py"
    assert set(ELSEWHERE) <= set(service_names())


def writer(service: str, context: TenantContext) -> Any:
    return OPERATOR if service in PLATFORM else context


def key_of(app: Any, service: str, record: Any) -> tuple[str, ...]:
    return getattr(app, service).schema.key_of(record)


@pytest.mark.parametrize("service", SERVICES)
async def test_create_get_update_list_count_delete(
    app: Any, context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    data = await minimal(app, context, service)
    created = await verbs.create(writer(service, context), data)
    key = key_of(app, service, created)
    assert await verbs.get(context, *key) == created
    assert await verbs.find(context, *key) == created
    missing = tuple(f"{part}-missing" for part in key)
    assert await verbs.find(context, *missing) is None
    with pytest.raises(NotFound):
        await verbs.get(context, *missing)
    many = await verbs.get_many(context, [key if len(key) > 1 else key[0], missing])
    assert many == [created, None]

    changed = await verbs.update(writer(service, context), *key, CHANGES[service])
    for name, value in CHANGES[service].items():
        assert getattr(changed, name) == value
    assert await verbs.get(context, *key) == changed
    if hasattr(created, "updated_at"):
        assert changed.updated_at >= created.updated_at
        with pytest.raises(ConditionFailed):  # a stale expectation writes nothing
            await verbs.update(
                writer(service, context),
                *key,
                CHANGES[service],
                expected_updated_at=created.updated_at,
            )

    hash_filter = _parent_filter(verbs, created)
    page = await verbs.list(context, limit=1000, **hash_filter)
    assert changed in page.items
    assert await verbs.count(context, **hash_filter) == len(page.items)

    await verbs.delete(writer(service, context), *key)
    assert await verbs.find(context, *key) is None
    with pytest.raises(NotFound):
        await verbs.delete(writer(service, context), *key)


def _parent_filter(verbs: Any, record: Any) -> dict[str, Any]:
    """Tables grouped by a parent are listed with it."""
    schema = verbs.schema
    if schema.tenant_hashed or schema.name == "async_tasks":
        return {}
    return {schema.hash_key: getattr(record, schema.hash_key)}


@pytest.mark.parametrize("service", SERVICES)
async def test_keys_and_managed_fields_cannot_change(
    app: Any, context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    created = await verbs.create(writer(service, context), await minimal(app, context, service))
    key = key_of(app, service, created)
    for field in (*verbs.schema.key_fields, *verbs.spec.managed, "updated_at", "partition_key"):
        with pytest.raises(ValidationError) as caught:
            await verbs.update(writer(service, context), *key, {field: "x"})
        assert caught.value.field == field
    assert await verbs.get(context, *key) == created
    for field in verbs.spec.managed:  # never from the caller on create either
        data = {**(await minimal(app, context, service)), field: 1}
        with pytest.raises(ValidationError) as caught:
            await verbs.create(writer(service, context), data)
        assert caught.value.field == field


@pytest.mark.parametrize("service", SERVICES)
async def test_an_unknown_filter_or_field_is_refused_by_name(
    app: Any, context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    with pytest.raises(ValidationError) as caught:
        await verbs.list(context, colour="blue")
    assert caught.value.field == "colour"
    data = {**(await minimal(app, context, service)), "colour": "blue"}
    with pytest.raises(ValidationError) as caught:
        await verbs.create(writer(service, context), data)
    assert caught.value.field == "colour"


@pytest.mark.parametrize("service", sorted(set(SERVICES) - set(PLATFORM)))
async def test_another_tenant_sees_and_changes_nothing(
    app: Any, context: TenantContext, other_context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    created = await verbs.create(context, await minimal(app, context, service))
    key = key_of(app, service, created)
    assert await verbs.find(other_context, *key) is None
    assert await verbs.get_many(other_context, [key if len(key) > 1 else key[0]]) == [None]
    with pytest.raises(NotFound):
        await verbs.update(other_context, *key, CHANGES[service])
    with pytest.raises(NotFound):
        await verbs.delete(other_context, *key)
    page = await verbs.list(other_context, **_parent_filter(verbs, created))
    assert created not in page.items
    assert await verbs.get(context, *key) == created


@pytest.mark.parametrize("service", PLATFORM)
async def test_registries_are_read_by_any_tenant_and_written_by_the_platform_only(
    app: Any, context: TenantContext, other_context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    data = await minimal(app, context, service)
    with pytest.raises(Forbidden):
        await verbs.create(context, data)
    created = await verbs.create(OPERATOR, data)
    key = key_of(app, service, created)
    assert await verbs.get(other_context, *key) == created
    with pytest.raises(Forbidden):
        await verbs.update(other_context, *key, CHANGES[service])
    with pytest.raises(Forbidden):
        await verbs.delete(context, *key)
    assert await verbs.get(context, *key) == created
    await verbs.delete(OPERATOR, *key)


@pytest.mark.parametrize(
    "service", ["llms", "wizard_schemas", "fine_tuning_messages", "session_runs"]
)
async def test_a_natural_key_is_created_once(
    app: Any, context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    data = await minimal(app, context, service)
    created = await verbs.create(writer(service, context), data)
    if service == "session_runs":  # the platform's rule: create on an existing key updates
        again = await verbs.create(context, data)
        assert again == attrs.evolve(created, updated_at=again.updated_at)
        created = again
    else:
        with pytest.raises(Conflict):
            await verbs.create(writer(service, context), data)
    key = key_of(app, service, created)
    assert await verbs.get(context, *key) == created
    upserted = await verbs.upsert(writer(service, context), {**data, **CHANGES[service]})
    for name, value in CHANGES[service].items():
        assert getattr(upserted, name) == value
    assert upserted.created_at == created.created_at if hasattr(created, "created_at") else True
    await verbs.delete(writer(service, context), *key)
    fresh = await verbs.upsert(writer(service, context), data)
    assert await verbs.get(context, *key) == fresh
    with pytest.raises(ValidationError) as caught:
        await verbs.upsert(writer(service, context), {})
    assert caught.value.field == verbs.schema.key_fields[0]


@pytest.mark.parametrize("service", ["runs", "messages", "tool_calls", "threads"])
async def test_a_child_of_a_missing_or_foreign_parent_is_not_found(
    app: Any, context: TenantContext, other_context: TenantContext, service: str
) -> None:
    verbs = getattr(app, service)
    data = await minimal(app, other_context, service)  # parents are the other tenant's
    with pytest.raises(NotFound):
        await verbs.create(context, data)
    parent_key = {"threads": "agent_uuid", "runs": "thread_uuid"}.get(service, "run_uuid")
    with pytest.raises(NotFound):
        await verbs.create(context, {**data, parent_key: "nowhere"})
    grouped = {} if service == "threads" else {"thread_uuid": data["thread_uuid"]}
    assert await verbs.count(context, **grouped) == 0
