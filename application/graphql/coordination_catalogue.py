"""The coordination engine's entities as data (the agent engine's are in :mod:`.catalogue`):
what each operation is named, which service it calls and the platform's quirks."""

from __future__ import annotations

from aace.domain.entities import (
    COORDINATIONS,
    SESSION_AGENTS,
    SESSION_RUNS,
    SESSIONS,
    TASK_SCHEDULES,
    TASKS,
)
from aace.graphql.entity_api import (
    NO_PARTS,
    STATUSES,
    TENANT,
    EntityApi,
    Nested,
    f,
)

__all__ = ["COORDINATION"]

#: The coordination engine's 6 entities (CO).
COORDINATION: tuple[EntityApi, ...] = (
    EntityApi(
        "coordination",
        "CoordinationType",
        "coordinations",
        COORDINATIONS,
        "Coordination",
        nested=(Nested("theme", "ThemeSettingType"),),
        filters=(
            f("coordination_name", "coordination_name_contains"),
            f("coordination_description", "coordination_description_contains"),
        ),
        updated_range=False,
    ),
    EntityApi(
        "session",
        "SessionType",
        "sessions",
        SESSIONS,
        "Session",
        hide=frozenset({"part_id"}),
        nested=(
            Nested("coordination", "CoordinationType", relation="coordination"),
            Nested("task", "TaskType", relation="task"),
            Nested("session_agents", many=True, relation="session_agents"),
            Nested("session_runs", many=True, relation="session_runs"),
        ),
        filters=(f("coordination_uuid"), f("task_uuid"), f("user_id"), STATUSES),
        updated_range=False,
        required=frozenset({"coordination_uuid"}),
        write="session",
    ),
    EntityApi(
        "session_run",
        "SessionRunType",
        "session_runs",
        SESSION_RUNS,
        "SessionRun",
        hide=NO_PARTS,
        nested=(
            Nested("async_task"),
            Nested("session", "SessionType", relation="session"),
            Nested("session_agent", "SessionAgentType", relation="session_agent"),
        ),
        filters=(f("session_uuid"), f("coordination_uuid"), f("agent_uuid"), f("thread_uuid")),
        updated_range=False,
        required=frozenset(
            {
                "session_uuid",
                "run_uuid",
                "thread_uuid",
                "agent_uuid",
                "coordination_uuid",
                "async_task_uuid",
            }
        ),
        delete_args=("session_uuid", "run_uuid"),
        delete_extra={"coordination_uuid": "String!"},
        write="natural",
    ),
    EntityApi(
        "task",
        "TaskType",
        "tasks",
        TASKS,
        "Task",
        hide=frozenset({"part_id"}),
        nested=(Nested("coordination", "CoordinationType", relation="coordination"),),
        filters=(
            f("coordination_uuid"),
            f("task_name", "task_name_contains"),
            f("task_description", "task_description_contains"),
            f("initial_task_query", "initial_task_query_contains"),
        ),
        updated_range=False,
        required=frozenset({"coordination_uuid", "task_name"}),
        null_clears=False,
    ),
    EntityApi(
        "session_agent",
        "SessionAgentType",
        "session_agents",
        SESSION_AGENTS,
        "SessionAgent",
        hide=TENANT,
        nested=(Nested("session", "SessionType", relation="session"),),
        filters=(
            f("session_uuid"),
            f("coordination_uuid"),
            f("task_uuid", None),
            f("agent_name", None),
            f("primary_path", type="Boolean"),
            f("user_in_the_loop"),
            f("predecessor", "successors_of"),
            f("predecessors", "agent_uuid_in", "[String]"),
            f("in_degree", type="Int"),
            f("states", type="[String]"),
        ),
        updated_range=False,
        required=frozenset({"session_uuid"}),
        null_clears=False,
        write="session_agent",
    ),
    EntityApi(
        "task_schedule",
        "TaskScheduleType",
        "task_schedules",
        TASK_SCHEDULES,
        "TaskSchedule",
        hide=frozenset({"part_id"}),
        nested=(
            Nested("task", "TaskType", relation="task"),
            Nested("coordination", "CoordinationType", relation="coordination"),
        ),
        filters=(f("task_uuid"), f("coordination_uuid"), STATUSES),
        updated_range=False,
        required=frozenset({"task_uuid"}),
        input_extra={"task_schedule": "JSONCamelCase"},
        ignored=frozenset({"task_schedule"}),
        null_clears=False,
    ),
)
