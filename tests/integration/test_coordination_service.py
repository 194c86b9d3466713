"""Coordinations with their tasks, atomically and per tenant."""

from __future__ import annotations

from typing import Any

import pytest

from aace.domain.entities import COORDINATIONS, TASKS
from aace.domain.errors import NotFound, TransactionTooLarge, ValidationError
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import TenantContext

pytestmark = pytest.mark.anyio

COORDINATION: dict[str, Any] = {
    "coordination_name": "Onboarding",
    "agents": [{"agent_uuid": "a1", "agent_name": "Helper", "agent_type": "task"}],
}


def _tasks(count: int) -> list[dict[str, str]]:
    return [{"task_name": f"t{i}", "initial_task_query": f"do {i}"} for i in range(count)]


async def _tasks_of(app: Any, context: TenantContext, coordination_uuid: str) -> list[Any]:
    page = await app.tasks.list(context, coordination_uuid=coordination_uuid, limit=1000)
    return list(page.items)


async def test_a_coordination_is_created_with_its_tasks(app: Any, context: TenantContext) -> None:
    created = await app.coordinations.create(context, COORDINATION, tasks=_tasks(3))
    tasks = await _tasks_of(app, context, created.coordination_uuid)
    assert sorted(t.task_name for t in tasks) == ["t0", "t1", "t2"]
    assert all(t.partition_key == context.partition_key for t in tasks)
    assert created.agents == [{**COORDINATION["agents"][0], "agent_description": None}]


async def test_a_bad_task_writes_neither_the_coordination_nor_the_other_tasks(
    app: Any, context: TenantContext, store: Store
) -> None:
    tasks = [*_tasks(2), {"task_name": "", "initial_task_query": "x"}]
    with pytest.raises(ValidationError) as caught:
        await app.coordinations.create(context, COORDINATION, tasks=tasks)
    assert caught.value.field == "task_name"
    assert await store.repository(COORDINATIONS).count(context.partition_key, Query()) == 0


async def test_too_many_tasks_are_refused_before_anything_is_written(
    app: Any, context: TenantContext, store: Store
) -> None:
    limit = store.unit_of_work().max_actions
    with pytest.raises(TransactionTooLarge):
        await app.coordinations.create(context, COORDINATION, tasks=_tasks(limit))
    assert await store.repository(COORDINATIONS).count(context.partition_key, Query()) == 0


async def test_an_idempotent_create_returns_the_same_coordination_and_tasks(
    app: Any, context: TenantContext
) -> None:
    once = await app.coordinations.create(
        context, COORDINATION, tasks=_tasks(2), idempotency_key="c-1"
    )
    again = await app.coordinations.create(
        context, COORDINATION, tasks=_tasks(2), idempotency_key="c-1"
    )
    assert again == once
    assert len(await _tasks_of(app, context, once.coordination_uuid)) == 2


async def test_another_tenant_cannot_see_a_coordination_or_its_tasks(
    app: Any, context: TenantContext, other_context: TenantContext, store: Store
) -> None:
    created = await app.coordinations.create(context, COORDINATION, tasks=_tasks(2))
    uuid = created.coordination_uuid
    with pytest.raises(NotFound):
        await app.coordinations.get(other_context, uuid)
    assert await _tasks_of(app, other_context, uuid) == []
    tasks = await store.repository(TASKS).query(other_context.partition_key, Query(parent=uuid))
    assert tasks.items == []
