"""Every stored entity, its schema, and the registry adapters build their tables from."""

from __future__ import annotations

from typing import Any, TypeVar

from aace.domain.entities.agent_engine import (
    AGENTS,
    ELEMENTS,
    FLOW_SNIPPETS,
    MCP_SERVERS,
    PROMPT_TEMPLATES,
    THREADS,
    WIZARD_GROUP_FILTERS,
    WIZARD_GROUPS,
    WIZARDS,
    Agent,
    Element,
    FlowSnippet,
    McpServer,
    PromptTemplate,
    Thread,
    Wizard,
    WizardGroup,
    WizardGroupFilter,
)
from aace.domain.entities.base import AuditedEntity, AuditedPlatformEntity, Entity
from aace.domain.entities.bookkeeping import (
    IDEMPOTENCY,
    MIGRATION_STATE,
    TENANT_COUNTERS,
    IdempotencyRecord,
    MigrationState,
    TenantCounter,
)
from aace.domain.entities.conversation import (
    ASYNC_TASKS,
    FINE_TUNING_MESSAGES,
    MESSAGES,
    RUNS,
    TOOL_CALLS,
    AsyncTask,
    FineTuningMessage,
    Message,
    Run,
    ToolCall,
)
from aace.domain.entities.coordination import (
    COORDINATIONS,
    SESSION_AGENTS,
    SESSION_RUNS,
    SESSIONS,
    TASK_SCHEDULES,
    TASKS,
    Coordination,
    Session,
    SessionAgent,
    SessionRun,
    Task,
    TaskSchedule,
    default_agent_action,
)
from aace.domain.entities.public_ids import PUBLIC_IDS, PublicId
from aace.domain.entities.registries import (
    LLMS,
    PLATFORM_SCHEMAS,
    UI_COMPONENTS,
    WIZARD_SCHEMAS,
    Llm,
    UiComponent,
    WizardSchema,
)
from aace.domain.entities.usage import (
    PERIODS,
    USAGE_LIMITS,
    USAGE_SUMMARIES,
    UsageLimit,
    UsageSummary,
)
from aace.domain.schema import EntitySchema

__all__ = [
    "AGENTS",
    "ALL_SCHEMAS",
    "ASYNC_TASKS",
    "COORDINATIONS",
    "ELEMENTS",
    "FINE_TUNING_MESSAGES",
    "FLOW_SNIPPETS",
    "IDEMPOTENCY",
    "MIGRATION_STATE",
    "LLMS",
    "MCP_SERVERS",
    "MESSAGES",
    "PERIODS",
    "PLATFORM_SCHEMAS",
    "PROMPT_TEMPLATES",
    "PUBLIC_IDS",
    "RUNS",
    "SESSIONS",
    "SESSION_AGENTS",
    "SESSION_RUNS",
    "TASKS",
    "TASK_SCHEDULES",
    "TENANT_COUNTERS",
    "THREADS",
    "TOOL_CALLS",
    "UI_COMPONENTS",
    "USAGE_LIMITS",
    "USAGE_SUMMARIES",
    "WIZARDS",
    "WIZARD_GROUPS",
    "WIZARD_GROUP_FILTERS",
    "WIZARD_SCHEMAS",
    "Agent",
    "AsyncTask",
    "AuditedEntity",
    "AuditedPlatformEntity",
    "Coordination",
    "Element",
    "Entity",
    "FineTuningMessage",
    "FlowSnippet",
    "IdempotencyRecord",
    "MigrationState",
    "Llm",
    "McpServer",
    "Message",
    "PromptTemplate",
    "PublicId",
    "Run",
    "Session",
    "SessionAgent",
    "SessionRun",
    "Task",
    "TaskSchedule",
    "TenantCounter",
    "Thread",
    "ToolCall",
    "UiComponent",
    "UsageLimit",
    "UsageSummary",
    "Wizard",
    "WizardGroup",
    "WizardGroupFilter",
    "WizardSchema",
    "default_agent_action",
    "schema_for",
    "schema_named",
]

#: Every table the package reads or writes, deployed tables first.
ALL_SCHEMAS: tuple[EntitySchema[Any], ...] = (
    AGENTS,
    THREADS,
    PROMPT_TEMPLATES,
    FLOW_SNIPPETS,
    MCP_SERVERS,
    ELEMENTS,
    WIZARDS,
    WIZARD_GROUPS,
    WIZARD_GROUP_FILTERS,
    RUNS,
    MESSAGES,
    TOOL_CALLS,
    ASYNC_TASKS,
    FINE_TUNING_MESSAGES,
    *PLATFORM_SCHEMAS,
    COORDINATIONS,
    TASKS,
    SESSIONS,
    SESSION_AGENTS,
    SESSION_RUNS,
    TASK_SCHEDULES,
    IDEMPOTENCY,
    TENANT_COUNTERS,
    USAGE_LIMITS,
    USAGE_SUMMARIES,
    MIGRATION_STATE,
    PUBLIC_IDS,
)

_BY_TYPE: dict[type[Any], EntitySchema[Any]] = {s.entity: s for s in ALL_SCHEMAS}
_BY_NAME: dict[str, EntitySchema[Any]] = {s.name: s for s in ALL_SCHEMAS}


E = TypeVar("E")


def schema_for(entity_type: type[E]) -> EntitySchema[E]:
    """The schema of an entity class."""
    return _BY_TYPE[entity_type]


def schema_named(name: str) -> EntitySchema[Any]:
    """The schema with this base table name (``agents``, ``session_runs``, …)."""
    return _BY_NAME[name]
