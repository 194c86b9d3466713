"""The platform's operations as data: per entity, its type name, the service behind it and
the platform's quirks (renamed filters, hidden or retyped fields, required arguments). Every
field and argument the platform has and the package stores is derived from the entity's
schema (:mod:`.types`, :mod:`.operations`); only what differs is written here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from aace.domain.entities import (
    AGENTS,
    ASYNC_TASKS,
    COORDINATIONS,
    ELEMENTS,
    FINE_TUNING_MESSAGES,
    FLOW_SNIPPETS,
    LLMS,
    MCP_SERVERS,
    MESSAGES,
    PROMPT_TEMPLATES,
    RUNS,
    SESSION_AGENTS,
    SESSION_RUNS,
    SESSIONS,
    TASK_SCHEDULES,
    TASKS,
    THREADS,
    TOOL_CALLS,
    UI_COMPONENTS,
    WIZARD_GROUP_FILTERS,
    WIZARD_GROUPS,
    WIZARD_SCHEMAS,
    WIZARDS,
)
from aace.domain.schema import EntitySchema

__all__ = ["AGENT_CORE", "COORDINATION", "EntityApi", "Filter", "Nested", "f"]

_TENANT = frozenset({"partition_key", "endpoint_id", "part_id"})
_NO_PARTS = frozenset({"endpoint_id", "part_id"})
_NO_PARTITION_OR_PART = frozenset({"partition_key", "part_id"})


def _same(value: Any) -> Any:
    return value


def _text(value: Any) -> Any:
    """The platform's Int ``toolType`` / ``name`` filters compare with stored text."""
    return None if value is None else str(value)


def _below(value: Any) -> Any:
    """``greatToken`` (upstream's inverted name) is an exclusive upper bound."""
    return None if value is None else value - 1


def _epoch(value: Any) -> Any:
    """A DateTime bound on fine-tuning messages' epoch-second timestamps (naive: UTC)."""
    if not isinstance(value, datetime):
        return value
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return int(aware.timestamp())


@attrs.frozen
class Filter:
    """One list argument: its name (snake_case), the service keyword it feeds (``None``:
    accepted and ignored, as upstream ignores it), its GraphQL type and a conversion."""

    arg: str
    keyword: str | None = None
    type: str = "String"
    convert: Callable[[Any], Any] = _same

    @property
    def target(self) -> str | None:
        return self.arg if self.keyword == "" else self.keyword


def f(arg: str, keyword: str | None = "", type: str = "String", **kw: Any) -> Filter:
    """A filter whose keyword is its own name unless given."""
    return Filter(arg, keyword, type, **kw)


@attrs.frozen
class Nested:
    """A field that is not a stored attribute: a related record (``target``: its type,
    ``many``: a list of them), JSON (``target`` ``None``), or a field the package does not
    keep (``relation`` ``None``). ``relation`` names the loader's relation or a resolver of
    :mod:`.nested`."""

    name: str
    target: str | None = None
    many: bool = False
    relation: str | None = None


@attrs.frozen
class EntityApi:
    """One entity's operations: ``get``, ``<name>List``, ``insertUpdate<Name>`` (or
    ``insertThread``) and ``delete<Name>``."""

    name: str  # snake_case stem of the operations: "tool_call"
    type_name: str  # "ToolCallType"
    service: str  # the service's attribute on Aace: "tool_calls"
    schema: EntitySchema[Any]
    mutation_name: str  # "ToolCall": InsertUpdateToolCall / DeleteToolCall
    #: stored attributes the platform's type does not show
    hide: frozenset[str] = frozenset()
    #: output scalars the platform types differently from the store
    retype: Mapping[str, str] = attrs.field(factory=dict)
    nested: tuple[Nested, ...] = ()
    #: the list item type, when the platform's differs: (name, fields it leaves out)
    list_item: tuple[str, frozenset[str]] | None = None
    #: ``get`` arguments; ``None``: the key parts, required
    get_args: tuple[str, ...] | None = None
    filters: tuple[Filter, ...] = ()
    #: ``updatedAtGt`` / ``updatedAtLt`` on the list
    updated_range: bool = True
    #: insert/update arguments the platform requires (besides ``updatedBy``)
    required: frozenset[str] = frozenset()
    #: stored attributes the platform does not take on insert/update
    input_hide: frozenset[str] = frozenset()
    #: arguments the platform takes that are not stored: name -> GraphQL type
    input_extra: Mapping[str, str] = attrs.field(factory=dict)
    #: arguments accepted and ignored, as upstream ignores them
    ignored: frozenset[str] = frozenset()
    #: delete arguments; ``None``: the key parts, required. Extra ones: name -> type
    delete_args: tuple[str, ...] | None = None
    delete_extra: Mapping[str, str] = attrs.field(factory=dict)
    #: the literal ``"null"`` clears a field (G2): upstream does so on these entities
    null_clears: bool = True
    #: how insertUpdate writes: generic, natural, versioned, thread, run, session,
    #: session_agent, session_run
    write: str = "generic"
    #: the versioned entity's stable id (versioned writes, gets by stable id)
    stable_id: str | None = None
    #: a platform registry (written only under the operator policy)
    registry: bool = False
    insert_name: str | None = None  # "insert_thread"; default insert_update_<name>
    updated_by: bool = True  # whether insertUpdate takes updatedBy!


_STATUSES = f("statuses", type="[String]")

#: The agent engine's 17 entities (AC), in the platform's order.
AGENT_CORE: tuple[EntityApi, ...] = (
    EntityApi(
        "llm",
        "LlmType",
        "llms",
        LLMS,
        "Llm",
        filters=(f("llm_provider"), f("module_name"), f("class_name")),
        required=frozenset({"llm_provider", "llm_name"}),
        write="natural",
        registry=True,
    ),
    EntityApi(
        "agent",
        "AgentType",
        "agents",
        AGENTS,
        "Agent",
        nested=(
            Nested("llm", "LlmType", relation="llm"),
            Nested("mcp_servers", "MCPServerType", many=True, relation="mcp_servers"),
            Nested("flow_snippet", "FlowSnippetType", relation="flow_snippet"),
        ),
        get_args=("agent_uuid", "agent_version_uuid"),
        filters=(
            f("agent_uuid"),
            f("agent_name", "agent_name_contains"),
            f("llm_provider"),
            f("llm_name"),
            f("model"),
            _STATUSES,
            f("flow_snippet_version_uuid"),
        ),
        input_extra={"duplicate": "Boolean"},
        delete_args=("agent_version_uuid",),
        write="versioned",
        stable_id="agent_uuid",
    ),
    EntityApi(
        "thread",
        "ThreadType",
        "threads",
        THREADS,
        "Thread",
        nested=(
            Nested("agent", "AgentType", relation="agent"),
            Nested("messages", many=True, relation="thread_messages"),
            Nested("tool_calls", many=True, relation="thread_tool_calls"),
        ),
        filters=(
            f("agent_uuid"),
            f("user_id"),
            f("created_at_gt", "created_after", "DateTime"),
            f("created_at_lt", "created_before", "DateTime"),
        ),
        updated_range=False,
        write="thread",
        insert_name="insert_thread",
        updated_by=False,
    ),
    EntityApi(
        "run",
        "RunType",
        "runs",
        RUNS,
        "Run",
        hide=_NO_PARTS,
        retype={"time_spent": "Int"},
        nested=(Nested("thread", "ThreadType", relation="thread"),),
        filters=(
            f("thread_uuid"),
            f("run_id"),
            f("token_type"),
            f("great_token", "max_tokens", "Int", convert=_below),
            f("less_token", "min_tokens", "Int"),
        ),
        required=frozenset({"thread_uuid"}),
        input_hide=frozenset({"time_spent"}),
        null_clears=False,
        write="run",
    ),
    EntityApi(
        "tool_call",
        "ToolCallType",
        "tool_calls",
        TOOL_CALLS,
        "ToolCall",
        hide=_TENANT,
        retype={"time_spent": "Int"},
        nested=(Nested("run", "RunType", relation="run"),),
        filters=(
            f("thread_uuid"),
            f("run_uuid"),
            f("tool_call_id"),
            f("tool_type", "tool_type", "Int", convert=_text),
            f("name", "name", "Int", convert=_text),
            f("statues", "statuses", "[String]"),
        ),
        required=frozenset({"thread_uuid"}),
        input_hide=frozenset({"time_spent"}),
        null_clears=False,
    ),
    EntityApi(
        "message",
        "MessageType",
        "messages",
        MESSAGES,
        "Message",
        hide=_TENANT,
        nested=(Nested("run", "RunType", relation="run"),),
        filters=(f("thread_uuid"), f("run_uuid"), f("message_id"), f("roles", type="[String]")),
        required=frozenset({"thread_uuid"}),
        null_clears=False,
    ),
    EntityApi(
        "async_task",
        "AsyncTaskType",
        "async_tasks",
        ASYNC_TASKS,
        "AsyncTask",
        hide=_NO_PARTS,
        retype={"time_spent": "Int", "output_files": "JSONCamelCase"},
        filters=(f("function_name"), f("statues", "statuses", "[String]")),
        updated_range=False,
        required=frozenset({"function_name"}),
        input_hide=frozenset({"time_spent"}),
        input_extra={"task_type": "String"},
        ignored=frozenset({"task_type"}),
    ),
    EntityApi(
        "fine_tuning_message",
        "FineTuningMessageType",
        "fine_tuning_messages",
        FINE_TUNING_MESSAGES,
        "FineTuningMessage",
        hide=_NO_PARTITION_OR_PART,
        retype={"weight": "Float"},
        filters=(
            f("agent_uuid"),
            f("thread_uuid"),
            f("roles", type="[String]"),
            f("trained", type="Boolean"),
            f("from_date", "timestamp_from", "DateTime", convert=_epoch),
            f("to_date", "timestamp_to", "DateTime", convert=_epoch),
        ),
        updated_range=False,
        required=frozenset({"agent_uuid", "message_uuid"}),
        ignored=frozenset({"timestamp"}),
        null_clears=False,
        write="natural",
    ),
    EntityApi(
        "element",
        "ElementType",
        "elements",
        ELEMENTS,
        "Element",
        filters=(f("data_type"), f("attribute_name")),
        required=frozenset({"data_type", "element_title", "attribute_name", "attribute_type"}),
    ),
    EntityApi(
        "wizard",
        "WizardType",
        "wizards",
        WIZARDS,
        "Wizard",
        nested=(
            Nested("wizard_element_refs", many=True),
            Nested("wizard_schema", "WizardSchemaType", relation="wizard_schema"),
            Nested("wizard_elements", many=True, relation="wizard_elements"),
        ),
        filters=(f("wizard_type"), f("wizard_title")),
        required=frozenset(
            {"wizard_title", "wizard_type", "wizard_schema_type", "wizard_schema_name"}
        ),
    ),
    EntityApi(
        "wizard_schema",
        "WizardSchemaType",
        "wizard_schemas",
        WIZARD_SCHEMAS,
        "WizardSchema",
        filters=(f("wizard_schema_type"), f("wizard_schema_name")),
        required=frozenset({"wizard_schema_type", "wizard_schema_name"}),
        write="natural",
        registry=True,
    ),
    EntityApi(
        "wizard_group",
        "WizardGroupType",
        "wizard_groups",
        WIZARD_GROUPS,
        "WizardGroup",
        nested=(
            Nested("wizards", many=True, relation="wizards_json"),
            Nested("wizard_items", "WizardType", many=True, relation="wizards"),
        ),
        filters=(f("wizard_group_name"),),
        required=frozenset({"wizard_group_name"}),
    ),
    EntityApi(
        "wizard_group_filter",
        "WizardGroupFilterType",
        "wizard_group_filters",
        WIZARD_GROUP_FILTERS,
        "WizardGroupFilter",
        nested=(Nested("wizard_group", "WizardGroupType", relation="wizard_group"),),
        filters=(f("wizard_group_filter_name"), f("region"), f("wizard_group_uuid")),
        required=frozenset({"wizard_group_filter_name", "region"}),
    ),
    EntityApi(
        "mcp_server",
        "MCPServerType",
        "mcp_servers",
        MCP_SERVERS,
        "MCPServer",
        nested=(Nested("headers", relation="headers"), Nested("tools", many=True)),
        filters=(f("mcp_label"),),
        required=frozenset({"mcp_label", "mcp_server_url"}),
    ),
    EntityApi(
        "ui_component",
        "UIComponentType",
        "ui_components",
        UI_COMPONENTS,
        "UIComponent",
        filters=(f("ui_component_type"), f("tag_name", "tag_name_contains")),
        required=frozenset({"ui_component_type", "tag_name"}),
        registry=True,
    ),
    EntityApi(
        "flow_snippet",
        "FlowSnippetType",
        "flow_snippets",
        FLOW_SNIPPETS,
        "FlowSnippet",
        nested=(Nested("prompt_template", "PromptTemplateType", relation="prompt_template"),),
        list_item=(
            "FlowSnippetBaseType",
            frozenset({"flow_relationship", "flow_context", "prompt_template"}),
        ),
        get_args=("flow_snippet_version_uuid", "flow_snippet_uuid"),
        filters=(
            f("flow_snippet_uuid"),
            f("prompt_uuid"),
            f("flow_name", "flow_name_contains"),
            _STATUSES,
        ),
        input_extra={"duplicate": "Boolean"},
        delete_args=("flow_snippet_version_uuid",),
        write="versioned",
        stable_id="flow_snippet_uuid",
    ),
    EntityApi(
        "prompt_template",
        "PromptTemplateType",
        "prompt_templates",
        PROMPT_TEMPLATES,
        "PromptTemplate",
        retype={"variables": "JSONCamelCase"},
        nested=(
            Nested("mcp_servers", "MCPServerType", many=True, relation="mcp_servers"),
            Nested("ui_components", relation="ui_components"),
        ),
        list_item=("PromptTemplateBaseType", frozenset({"mcp_servers", "ui_components"})),
        get_args=("prompt_version_uuid", "prompt_uuid"),
        filters=(
            f("prompt_uuid"),
            f("prompt_type"),
            f("prompt_name", "prompt_name_contains"),
            _STATUSES,
        ),
        required=frozenset({"prompt_type", "prompt_name", "template_context"}),
        input_extra={"duplicate": "Boolean"},
        delete_args=("prompt_version_uuid",),
        write="versioned",
        stable_id="prompt_uuid",
    ),
)

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
        filters=(f("coordination_uuid"), f("task_uuid"), f("user_id"), _STATUSES),
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
        hide=_NO_PARTS,
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
        hide=_TENANT,
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
        filters=(f("task_uuid"), f("coordination_uuid"), _STATUSES),
        updated_range=False,
        required=frozenset({"task_uuid"}),
        input_extra={"task_schedule": "JSONCamelCase"},
        ignored=frozenset({"task_schedule"}),
        null_clears=False,
    ),
)
