"""The agent engine's tenant tables (hash key ``partition_key``)."""

from __future__ import annotations

from datetime import datetime

import attrs

from aace.domain.entities.base import VERSION_STATUSES, AuditedEntity, Entity, lsi, status_field
from aace.domain.errors import ValidationError
from aace.domain.fields import (
    JsonList,
    JsonMap,
    id_field,
    integer,
    json_list,
    json_map,
    optional_id,
    optional_text,
    string_list,
    text,
    timestamp,
)
from aace.domain.schema import EntitySchema, TableGroup
from aace.domain.values import check_json, check_text

__all__ = [
    "AGENTS",
    "ELEMENTS",
    "FLOW_SNIPPETS",
    "MCP_SERVERS",
    "PROMPT_TEMPLATES",
    "THREADS",
    "WIZARDS",
    "WIZARD_GROUPS",
    "WIZARD_GROUP_FILTERS",
    "Agent",
    "Element",
    "FlowSnippet",
    "McpServer",
    "PromptTemplate",
    "Thread",
    "Wizard",
    "WizardGroup",
    "WizardGroupFilter",
]

_UPDATED = lsi("updated_at-index", "updated_at")


@attrs.frozen(kw_only=True)
class Agent(AuditedEntity):
    """One version of an agent; ``agent_uuid`` is the stable id shared by its versions."""

    agent_version_uuid: str = id_field()
    agent_uuid: str = id_field()
    agent_name: str = text(nonblank=True)
    agent_description: str | None = optional_text()
    llm_provider: str = text(nonblank=True)
    llm_name: str = text(nonblank=True)
    instructions: str | None = optional_text()
    configuration: JsonMap = json_map()
    mcp_server_uuids: list[str] | None = string_list()
    variables: JsonList | None = json_list(optional=True)
    num_of_messages: int = integer(default=10)
    tool_call_role: str = text(default="developer", nonblank=True)
    flow_snippet_version_uuid: str | None = optional_id()
    status: str = status_field("active", VERSION_STATUSES)


AGENTS = EntitySchema(
    name="agents",
    entity=Agent,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="agent_version_uuid",
    indexes=(lsi("agent_uuid-index", "agent_uuid"), _UPDATED),
)


@attrs.frozen(kw_only=True)
class Thread(Entity):
    """A conversation with an agent. Threads keep only ``created_at`` (deployed layout)."""

    thread_uuid: str = id_field()
    agent_uuid: str = id_field()
    user_id: str | None = optional_id()
    created_at: datetime = timestamp()


THREADS = EntitySchema(
    name="threads",
    entity=Thread,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="thread_uuid",
    # The deployed index named updated_at-index sorts on created_at: the name is kept.
    indexes=(lsi("agent_uuid-index", "agent_uuid"), lsi("updated_at-index", "created_at")),
)


@attrs.frozen(kw_only=True)
class PromptTemplate(AuditedEntity):
    """One version of a prompt template; ``prompt_uuid`` is the stable id."""

    prompt_version_uuid: str = id_field()
    prompt_uuid: str = id_field()
    prompt_type: str = id_field()
    prompt_name: str = text(nonblank=True)
    prompt_description: str | None = optional_text()
    template_context: str = text()
    variables: JsonList = json_list()
    mcp_servers: JsonList = json_list()
    ui_components: JsonList = json_list()
    status: str = status_field("active", VERSION_STATUSES)


PROMPT_TEMPLATES = EntitySchema(
    name="prompt_templates",
    entity=PromptTemplate,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="prompt_version_uuid",
    indexes=(
        lsi("prompt_uuid-index", "prompt_uuid"),
        lsi("prompt_type-index", "prompt_type"),
        _UPDATED,
    ),
)


@attrs.frozen(kw_only=True)
class FlowSnippet(AuditedEntity):
    """One version of a flow snippet; ``flow_snippet_uuid`` is the stable id."""

    flow_snippet_version_uuid: str = id_field()
    flow_snippet_uuid: str = id_field()
    prompt_uuid: str = id_field()
    flow_name: str = text(nonblank=True)
    flow_relationship: str | None = optional_text()
    flow_context: str | None = optional_text()
    enabled_tools: list[str] | None = string_list()
    status: str = status_field("active", VERSION_STATUSES)


FLOW_SNIPPETS = EntitySchema(
    name="flow_snippets",
    entity=FlowSnippet,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="flow_snippet_version_uuid",
    indexes=(
        lsi("flow_snippet_uuid-index", "flow_snippet_uuid"),
        lsi("prompt_uuid-index", "prompt_uuid"),
        _UPDATED,
    ),
)


@attrs.frozen(kw_only=True)
class McpServer(AuditedEntity):
    """An MCP server. ``headers`` hold credentials: they never appear in ``repr``."""

    mcp_server_uuid: str = id_field()
    mcp_label: str = text(nonblank=True)
    mcp_server_url: str = text(nonblank=True)
    headers: JsonMap = attrs.field(factory=dict, repr=lambda _: "<redacted>")

    @headers.validator
    def _check_headers(self, attribute: attrs.Attribute[JsonMap], value: object) -> None:
        if not isinstance(value, dict):
            raise ValidationError(attribute.name, "must be a map")
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(attribute.name, "must map strings to strings")
            check_text(f"{attribute.name} (a header name)", key)
            if not isinstance(item, str):
                # Never echo the value: it is a credential.
                raise ValidationError(f"{attribute.name}.{key}", "must map strings to strings")
        check_json(attribute.name, value)  # names a bad header, never shows a value


MCP_SERVERS = EntitySchema(
    name="mcp_servers",
    entity=McpServer,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="mcp_server_uuid",
    indexes=(_UPDATED,),
    secrets=frozenset({"headers"}),
)


@attrs.frozen(kw_only=True)
class Element(AuditedEntity):
    """A wizard UI element."""

    element_uuid: str = id_field()
    data_type: str = id_field()
    element_title: str = text(nonblank=True)
    priority: int = integer(default=0)
    attribute_name: str = text(nonblank=True)
    attribute_type: str = text(nonblank=True)
    option_values: JsonList = json_list()
    conditions: JsonList = json_list()
    pattern: str = text(default="")


ELEMENTS = EntitySchema(
    name="elements",
    entity=Element,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="element_uuid",
    indexes=(lsi("data_type-index", "data_type"), _UPDATED),
)


@attrs.frozen(kw_only=True)
class Wizard(AuditedEntity):
    """A wizard: ``wizard_attributes`` hold ``{name, value}``, ``wizard_elements`` hold
    ``{element_uuid, required, placeholder}``."""

    wizard_uuid: str = id_field()
    wizard_title: str = text(nonblank=True)
    wizard_description: str | None = optional_text()
    wizard_type: str = text(nonblank=True)
    wizard_schema_type: str = text(nonblank=True)
    wizard_schema_name: str = text(nonblank=True)
    wizard_attributes: JsonList = json_list()
    wizard_elements: JsonList = json_list()
    priority: int = integer(default=0)


WIZARDS = EntitySchema(
    name="wizards",
    entity=Wizard,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="wizard_uuid",
    indexes=(_UPDATED,),
)


@attrs.frozen(kw_only=True)
class WizardGroup(AuditedEntity):
    wizard_group_uuid: str = id_field()
    wizard_group_name: str = text(nonblank=True)
    wizard_group_description: str | None = optional_text()
    weight: int = integer(default=0)
    wizard_uuids: list[str] | None = string_list()


WIZARD_GROUPS = EntitySchema(
    name="wizard_groups",
    entity=WizardGroup,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="wizard_group_uuid",
    indexes=(_UPDATED,),
)


@attrs.frozen(kw_only=True)
class WizardGroupFilter(AuditedEntity):
    wizard_group_filter_uuid: str = id_field()
    wizard_group_filter_name: str = text(nonblank=True)
    wizard_group_filter_description: str | None = optional_text()
    region: str = text(nonblank=True)
    criteria: JsonMap = json_map()
    weight: int = integer(default=0)
    wizard_group_uuid: str | None = optional_id()


WIZARD_GROUP_FILTERS = EntitySchema(
    name="wizard_group_filters",
    entity=WizardGroupFilter,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="wizard_group_filter_uuid",
    indexes=(_UPDATED,),
)
