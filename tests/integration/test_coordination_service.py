"""Coordinations with their tasks, atomically and per tenant."""

from __future__ import annotations

import pytest

from aace.application.services import CoordinationService
from aace.domain.entities import COORDINATIONS, TASKS
from aace.domain.errors import NotFound, TransactionTooLarge, ValidationError
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import TenantContext

pytestmark = pytest.mark.anyio

COORDINATION = {"coordination_name": "Onboarding", "agents": [{"agent_uuid": "a1"}]}


def _tasks(count: int) -> list[dict[str, str]]:
    return [{"task_name": f"t{i}", "initial_task_query": f"do {i}"} for i in range(count)]


async def test_a_coordination_is_created_with_its_tasks(
    coordinations: CoordinationService, context: TenantContext
) -> None:
    created = await coordinations.create(context, COORDINATION, _tasks(3))
    page = await coordinations.tasks(context, created.coordination.coordination_uuid)
    assert sorted(t.task_name for t in page.items) == ["t0", "t1", "t2"]
    assert all(t.partition_key == context.partition_key for t in page.items)


async def test_a_bad_task_writes_neither_the_coordination_nor_the_other_tasks(
    coordinations: CoordinationService, context: TenantContext, store: Store
) -> None:
    tasks = [*_tasks(2), {"task_name": "", "initial_task_query": "x"}]
    with pytest.raises(ValidationError) as caught:
        await coordinations.create(context, COORDINATION, tasks)
    assert caught.value.field == "task_name"
    assert await store.repository(COORDINATIONS).count(context.partition_key, Query()) == 0


async def test_too_many_tasks_are_refused_before_anything_is_written(
    coordinations: CoordinationService, context: TenantContext, store: Store
) -> None:
    limit = store.unit_of_work().max_actions
    with pytest.raises(TransactionTooLarge):
        await coordinations.create(context, COORDINATION, _tasks(limit))
    assert await store.repository(COORDINATIONS).count(context.partition_key, Query()) == 0


async def test_an_idempotent_create_returns_the_same_coordination_and_tasks(
    coordinations: CoordinationService, context: TenantContext
) -> None:
    once = await coordinations.create(context, COORDINATION, _tasks(2), idempotency_key="c-1")
    again = await coordinations.create(context, COORDINATION, _tasks(2), idempotency_key="c-1")
    assert again.coordination == once.coordination
    assert sorted(t.task_uuid for t in again.tasks) == sorted(t.task_uuid for t in once.tasks)


async def test_another_tenant_cannot_see_a_coordination_or_its_tasks(
    coordinations: CoordinationService,
    context: TenantContext,
    other_context: TenantContext,
    store: Store,
) -> None:
    created = await coordinations.create(context, COORDINATION, _tasks(2))
    uuid = created.coordination.coordination_uuid
    with pytest.raises(NotFound):
        await coordinations.get(other_context, uuid)
    with pytest.raises(NotFound):
        await coordinations.tasks(other_context, uuid)
    tasks = await store.repository(TASKS).query(other_context.partition_key, Query(parent=uuid))
    assert tasks.items == []
