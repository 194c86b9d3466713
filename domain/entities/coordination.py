"""The coordination engine's tables (deployed prefix ``ace-``)."""

from __future__ import annotations

from typing import Any

import attrs

from aace.domain.entities.base import AuditedEntity, lsi, status_field
from aace.domain.fields import (
    JsonList,
    JsonMap,
    id_field,
    integer,
    json_list,
    json_map,
    optional_id,
    optional_text,
    text,
)
from aace.domain.schema import EntitySchema, TableGroup

__all__ = [
    "COORDINATIONS",
    "SESSIONS",
    "SESSION_AGENTS",
    "SESSION_RUNS",
    "TASKS",
    "TASK_SCHEDULES",
    "Coordination",
    "Session",
    "SessionAgent",
    "SessionRun",
    "Task",
    "TaskSchedule",
    "default_agent_action",
]


@attrs.frozen(kw_only=True)
class Coordination(AuditedEntity):
    coordination_uuid: str = id_field()
    coordination_name: str = text(nonblank=True)
    coordination_description: str | None = optional_text()
    agents: JsonList = json_list()
    theme_uuid: str | None = optional_id()


COORDINATIONS = EntitySchema(
    name="coordinations",
    entity=Coordination,
    group=TableGroup.COORDINATION,
    hash_key="partition_key",
    range_key="coordination_uuid",
)


@attrs.frozen(kw_only=True)
class Task(AuditedEntity):
    coordination_uuid: str = id_field()
    task_uuid: str = id_field()
    task_name: str = text(nonblank=True)
    task_description: str | None = optional_text()
    initial_task_query: str = text()
    subtask_queries: JsonList = json_list()
    agent_actions: JsonMap = json_map()


TASKS = EntitySchema(
    name="tasks",
    entity=Task,
    group=TableGroup.COORDINATION,
    hash_key="coordination_uuid",
    range_key="task_uuid",
)


@attrs.frozen(kw_only=True)
class Session(AuditedEntity):
    coordination_uuid: str = id_field()
    session_uuid: str = id_field()
    task_uuid: str | None = optional_id()
    user_id: str | None = optional_id()
    task_query: str | None = optional_text()
    input_files: JsonList = json_list()
    iteration_count: int = integer(default=0)
    subtask_queries: JsonList = json_list()
    status: str = status_field("initial")
    logs: str | None = optional_text()


SESSIONS = EntitySchema(
    name="sessions",
    entity=Session,
    group=TableGroup.COORDINATION,
    hash_key="coordination_uuid",
    range_key="session_uuid",
    indexes=(
        lsi("task_uuid-index", "task_uuid", hash_key="coordination_uuid"),
        lsi("user_id-index", "user_id", hash_key="coordination_uuid"),
    ),
)


def default_agent_action() -> dict[str, Any]:
    """The documented default of ``SessionAgent.agent_action``."""
    return {
        "primary_path": True,
        "user_in_the_loop": None,
        "predecessors": [],
        "action_function": {},
    }


@attrs.frozen(kw_only=True)
class SessionAgent(AuditedEntity):
    session_uuid: str = id_field()
    session_agent_uuid: str = id_field()
    coordination_uuid: str = id_field()
    agent_uuid: str = id_field()
    agent_action: JsonMap | None = json_map(
        optional=True, default=attrs.Factory(default_agent_action)
    )
    user_input: str | None = optional_text()
    agent_input: str | None = optional_text()
    agent_output: str | None = optional_text()
    in_degree: int = integer(default=0)
    state: str = status_field("initial")
    notes: str | None = optional_text()


SESSION_AGENTS = EntitySchema(
    name="session_agents",
    entity=SessionAgent,
    group=TableGroup.COORDINATION,
    hash_key="session_uuid",
    range_key="session_agent_uuid",
)


@attrs.frozen(kw_only=True)
class SessionRun(AuditedEntity):
    session_uuid: str = id_field()
    run_uuid: str = id_field()
    thread_uuid: str = id_field()
    agent_uuid: str = id_field()
    coordination_uuid: str = id_field()
    async_task_uuid: str = id_field()
    session_agent_uuid: str | None = optional_id()


SESSION_RUNS = EntitySchema(
    name="session_runs",
    entity=SessionRun,
    group=TableGroup.COORDINATION,
    hash_key="session_uuid",
    range_key="run_uuid",
    indexes=(
        lsi("thread_uuid-index", "thread_uuid", hash_key="session_uuid"),
        lsi("agent_uuid-index", "agent_uuid", hash_key="session_uuid"),
    ),
)


@attrs.frozen(kw_only=True)
class TaskSchedule(AuditedEntity):
    task_uuid: str = id_field()
    schedule_uuid: str = id_field()
    coordination_uuid: str = id_field()
    schedule: str = text(nonblank=True)
    status: str = status_field("initial")


TASK_SCHEDULES = EntitySchema(
    name="task_schedules",
    entity=TaskSchedule,
    group=TableGroup.COORDINATION,
    hash_key="task_uuid",
    range_key="schedule_uuid",
)
