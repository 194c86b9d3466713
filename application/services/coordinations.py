"""Coordinations and their tasks, created together or not at all (behaviour.md §8)."""

from __future__ import annotations

import uuid

import attrs

from aace.application.services.arguments import (
    Cursor,
    Id,
    Input,
    Inputs,
    OptionalId,
    PageSize,
    checked_entry_points,
)
from aace.application.services.idempotency import Idempotency
from aace.application.services.inputs import build_entity
from aace.domain.entities import COORDINATIONS, TASKS, Coordination, Task
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Page, Query
from aace.domain.tenancy import TenantContext

__all__ = ["CoordinationService", "CreatedCoordination"]


@attrs.frozen
class CreatedCoordination:
    coordination: Coordination
    tasks: list[Task]


@checked_entry_points
class CoordinationService:
    """Create coordinations with their tasks atomically; read and list them per tenant."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._coordinations = store.repository(COORDINATIONS)
        self._tasks = store.repository(TASKS)
        self._idempotency = Idempotency(store)

    async def create(
        self,
        context: TenantContext,
        data: Input,
        tasks: Inputs = (),
        *,
        idempotency_key: OptionalId = None,
    ) -> CreatedCoordination:
        """One coordination and its tasks in one unit of work. More tasks than the backend
        writes atomically is ``TransactionTooLarge``, raised before anything is written."""
        coordination_uuid = str(uuid.uuid4())
        coordination = build_entity(
            Coordination, context, data, managed={"coordination_uuid": coordination_uuid}
        )
        built = [
            build_entity(
                Task,
                context,
                task,
                managed={"coordination_uuid": coordination_uuid, "task_uuid": str(uuid.uuid4())},
            )
            for task in tasks
        ]
        uow = self._store.unit_of_work()  # refuses more actions than it applies atomically
        uow.put(coordination, condition=ABSENT)
        for task in built:
            uow.put(task, condition=ABSENT)
        created: Coordination = await self._idempotency.commit_once(
            context,
            idempotency_key,
            "coordinations.create",
            {"coordination": data, "tasks": list(tasks)},
            uow,
            coordination,
        )
        if created is coordination:
            return CreatedCoordination(coordination, built)
        return await self._with_tasks(context, created)

    async def get(self, context: TenantContext, coordination_uuid: Id) -> Coordination:
        return await self._coordinations.get(context.partition_key, (coordination_uuid,))

    async def list(
        self, context: TenantContext, *, limit: PageSize = 50, cursor: Cursor = None
    ) -> Page[Coordination]:
        return await self._coordinations.query(
            context.partition_key, Query(limit=limit, cursor=cursor)
        )

    async def tasks(
        self,
        context: TenantContext,
        coordination_uuid: Id,
        *,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[Task]:
        """The coordination's tasks (``NotFound`` if the tenant has no such coordination)."""
        await self.get(context, coordination_uuid)
        return await self._tasks.query(
            context.partition_key, Query(parent=coordination_uuid, limit=limit, cursor=cursor)
        )

    async def _with_tasks(
        self, context: TenantContext, coordination: Coordination
    ) -> CreatedCoordination:
        tasks: list[Task] = []
        cursor = None
        while True:
            page = await self.tasks(
                context, coordination.coordination_uuid, limit=1000, cursor=cursor
            )
            tasks.extend(page.items)
            if page.next_cursor is None:
                return CreatedCoordination(coordination, tasks)
            cursor = page.next_cursor
