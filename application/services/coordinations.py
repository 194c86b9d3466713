"""Coordinations, their tasks and task schedules, and session runs (services.md,
"Coordination engine")."""

from __future__ import annotations

from typing import Any, ClassVar

from injector import inject

from aace.application.services.arguments import (
    Actor,
    Input,
    Inputs,
    OptionalId,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.generated import NaturalKeyService
from aace.application.services.inputs import new_record
from aace.application.services.listing import Listing, contains, eq, one_of
from aace.application.settings import Settings
from aace.domain.coordination_rules import COORDINATION_RULES, checked_task
from aace.domain.entities import (
    COORDINATIONS,
    SESSION_RUNS,
    TASK_SCHEDULES,
    TASKS,
    Coordination,
    SessionRun,
    Task,
    TaskSchedule,
)
from aace.domain.errors import ValidationError
from aace.domain.ports import ABSENT, Store
from aace.domain.tenancy import TenantContext

__all__ = ["CoordinationService", "SessionRunService", "TaskScheduleService", "TaskService"]


@checked_entry_points
class TaskService(EntityService[Task]):
    """Tasks of a coordination: ``subtask_queries`` and ``agent_actions`` may name only the
    coordination's agents (``ValidationError`` naming the agent; the platform dropped
    them silently)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        TASKS,
        Listing(
            {
                "coordination_uuid": eq("coordination_uuid"),
                "task_name_contains": contains("task_name"),
                "task_description_contains": contains("task_description"),
                "initial_task_query_contains": contains("initial_task_query"),
            },
            order=None,
        ),
        completes_on=frozenset({"subtask_queries", "agent_actions"}),
    )

    async def _complete(self, context: Any, entity: Task) -> Task:
        """Read the task's coordination; the task may name only its agents."""
        coordinations = self._store.repository(COORDINATIONS)
        coordination = await coordinations.get(context.partition_key, (entity.coordination_uuid,))
        return checked_task(coordination, entity)


@checked_entry_points
class CoordinationService(EntityService[Coordination]):
    """Coordinations: their ``agents`` are ``{agent_uuid, agent_name, agent_description,
    agent_type}``; ``create`` writes the coordination and its tasks in one unit of work;
    ``delete`` is guarded by tasks and sessions (``cascade=True`` removes the tasks, their
    schedules, the sessions, their agents and runs)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        COORDINATIONS,
        Listing(
            {
                "coordination_name_contains": contains("coordination_name"),
                "coordination_description_contains": contains("coordination_description"),
            },
            order=None,
        ),
        rules=COORDINATION_RULES,
    )

    @inject
    def __init__(self, store: Store, settings: Settings, tasks: TaskService) -> None:
        super().__init__(store, settings)
        self._tasks = tasks

    async def create(  # type: ignore[override]
        self,
        context: TenantContext,
        data: Input,
        *,
        tasks: Inputs = (),
        idempotency_key: OptionalId = None,
        id: OptionalId = None,
    ) -> Coordination:
        """A coordination and, when given, its tasks, in one unit of work (more tasks than
        the backend writes atomically is ``TransactionTooLarge``, before anything is
        written); the tasks are read through ``tasks.list(ctx, coordination_uuid=…)``. A
        repeated ``idempotency_key`` with the same input returns the first coordination;
        ``id`` is a caller-chosen ``coordination_uuid`` (as ``EntityService.create``)."""
        with self._chosen_id(id):
            coordination = await self._build(context, data)
        built = []
        for number, task in enumerate(tasks):
            if "coordination_uuid" in task:
                raise ValidationError(f"tasks[{number}].coordination_uuid", "is the new one's")
            plain = new_record(
                self._tasks.spec,
                context,
                {**task, "coordination_uuid": coordination.coordination_uuid},
            )
            built.append(checked_task(coordination, plain))
        uow = self._store.unit_of_work()
        uow.put(coordination, condition=ABSENT)
        for task_entity in built:
            uow.put(task_entity, condition=ABSENT)
        created: Coordination = await self._idempotency.commit_once(
            context,
            idempotency_key,
            "coordinations.create",
            {"coordination": data, "tasks": list(tasks)},
            uow,
            coordination,
        )
        return created


class TaskScheduleService(EntityService[TaskSchedule]):
    """A task's schedules."""

    spec = ServiceSpec(
        TASK_SCHEDULES,
        Listing(
            {
                "task_uuid": eq("task_uuid"),
                "coordination_uuid": eq("coordination_uuid"),
                "statuses": one_of("status"),
            },
            order=None,
        ),
    )


@checked_entry_points
class SessionRunService(NaturalKeyService[SessionRun]):
    """Session runs, keyed by the agent engine's ``run_uuid`` within a session: ``create``
    on an existing key updates it (the platform's natural-key upsert)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        SESSION_RUNS,
        Listing(
            {
                "session_uuid": eq("session_uuid"),
                "coordination_uuid": eq("coordination_uuid"),
                "agent_uuid": eq("agent_uuid"),
                "thread_uuid": eq("thread_uuid"),
                "session_agent_uuid": eq("session_agent_uuid"),
            },
            order=None,
        ),
        natural_key=True,
    )

    async def create(
        self,
        context: Actor,
        data: Input,
        *,
        idempotency_key: OptionalId = None,
        id: OptionalId = None,
    ) -> SessionRun:
        """Create the session run, or update the one with this key (``idempotency_key`` is
        accepted for the shared shape; an upsert is idempotent by itself)."""
        with self._chosen_id(id):
            return await self.upsert(context, data)
