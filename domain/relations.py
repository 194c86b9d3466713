"""Parent/child links between entities, described once (architecture.md, "Relations as
data"). Delete guards, cascades, cache invalidation and nested loading read this one
description; none keeps a list of its own.

A :class:`Relation` says which attributes of a child carry which attributes of its parent
(``via``), or, for the two links a parent keeps itself (a wizard group's ``wizard_uuids``, a
wizard's ``wizard_elements``), which list of the parent names the children. From that it
derives how to list a parent's children for a tenant (:meth:`Relation.children_query`) and
which parent a child points at (:meth:`Relation.parent_values`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from aace.domain.entities import (
    AGENTS,
    COORDINATIONS,
    ELEMENTS,
    FLOW_SNIPPETS,
    LLMS,
    MCP_SERVERS,
    MESSAGES,
    PROMPT_TEMPLATES,
    PUBLIC_IDS,
    RUNS,
    SESSION_AGENTS,
    SESSION_RUNS,
    SESSIONS,
    TASK_SCHEDULES,
    TASKS,
    THREADS,
    TOOL_CALLS,
    UI_COMPONENTS,
    WIZARD_GROUPS,
    WIZARD_SCHEMAS,
    WIZARDS,
)
from aace.domain.query import Query, RangeCondition
from aace.domain.schema import EntitySchema

__all__ = ["RELATIONS", "Link", "Relation", "children_of", "parents_of"]


class Link(enum.Enum):
    """Where a relation's link is stored."""

    #: The child holds the parent's attribute values (``via`` pairs).
    CHILD_HOLDS = "child_holds"
    #: The child holds a list of parent ids (``agents.mcp_server_uuids``).
    CHILD_LISTS = "child_lists"
    #: The parent holds a list of child ids, or of maps holding them (``list_key``).
    PARENT_LISTS = "parent_lists"


@attrs.frozen
class Relation:
    """One parent → children link.

    ``via`` pairs a parent attribute with the child attribute that holds its value; the
    last pair is the link itself, earlier pairs narrow it (a run's messages live under the
    run's thread). ``children`` and ``parent`` name the two directions for nested reads.
    ``guards_delete``: a parent is not deleted while it has such children. ``owned``: the
    children belong to the parent, so a cascading delete removes them (a reference, such as
    agents naming a flow-snippet version, only guards). ``required``: a child is created
    only under an existing parent of the tenant, checked atomically with the child's write
    (where a run already requires its thread, its messages require only the run).
    """

    parent: EntitySchema[Any]
    child: EntitySchema[Any]
    via: tuple[tuple[str, str], ...]
    children: str
    parent_name: str
    link: Link = Link.CHILD_HOLDS
    list_key: str | None = None
    guards_delete: bool = True
    owned: bool = True
    required: bool = False

    def __attrs_post_init__(self) -> None:
        for parent_attr, child_attr in self.via:
            _require(self.parent, parent_attr)
            _require(self.child, child_attr)

    @property
    def link_attrs(self) -> tuple[str, str]:
        """(parent attribute, child attribute) of the link itself."""
        return self.via[-1]

    def children_query(self, parent: Mapping[str, Any], limit: int = 1000) -> Query:
        """How to list, for the parent's tenant, the children of ``parent`` (a record).

        Children found by their hash key or an index on the link attribute are read
        directly (a child hashed on its own id, as public ids are, through a global index
        on the tenant and the link attribute); otherwise the tenant's listing is filtered
        on the link attribute.
        """
        if self.link is not Link.CHILD_HOLDS:
            raise ValueError(f"{self.children} of {self.parent.name} are not listed by query")
        values = {child: parent[attr] for attr, child in self.via}
        child = self.child
        parent_value = None if child.tenant_hashed else values.pop(child.hash_key, None)
        link_attr = self.link_attrs[1]
        index = next(
            (
                i
                for i in child.indexes
                if i.range_key == link_attr
                and i.hash_key != link_attr
                and (i.hash_key == "partition_key") == (parent_value is None)
            ),
            None,
        )
        if link_attr in values and index is not None:
            value = values.pop(link_attr)
            return Query(
                index=index.name,
                parent=parent_value,
                range=RangeCondition.eq(value),
                filters=values,
                limit=limit,
            )
        return Query(parent=parent_value, filters=values, limit=limit)

    def parent_values(self, child: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The parent attribute values ``child`` (a record) points at (none, one, or many
        for list links, whose items are ids or maps holding the parent's key)."""
        if self.link is Link.CHILD_LISTS:
            ((parent_attr, child_attr),) = self.via
            found = []
            for item in child.get(child_attr) or []:
                if isinstance(item, Mapping):
                    key = {name: item.get(name) for name in self.parent.key_fields}
                    if all(isinstance(v, str) and v for v in key.values()):
                        found.append(key)
                elif isinstance(item, str) and item and len(self.parent.key_fields) == 1:
                    found.append({parent_attr: item})
            return found
        if self.link is Link.PARENT_LISTS:
            raise ValueError(f"{self.child.name} does not know its {self.parent_name}")
        if any(child.get(c) is None for _, c in self.via):
            return []
        return [{p: child[c] for p, c in self.via}]


def _require(schema: EntitySchema[Any], name: str) -> None:
    if name not in schema.attribute_kinds:
        raise ValueError(f"{schema.name} has no attribute {name!r}")


def _child(
    parent: EntitySchema[Any],
    child: EntitySchema[Any],
    *via: str,
    children: str,
    parent_name: str,
    required: bool = True,
    owned: bool = True,
) -> Relation:
    """A link whose child holds the parent's attributes under the same names."""
    pairs = tuple((name, name) for name in via)
    return Relation(parent, child, pairs, children, parent_name, required=required, owned=owned)


#: Every parent → children link of the platform's entities.
RELATIONS: tuple[Relation, ...] = (
    Relation(
        LLMS,
        AGENTS,
        (("llm_provider", "llm_provider"), ("llm_name", "llm_name")),
        children="agents",
        parent_name="llm",
        guards_delete=False,  # llms.delete reads every tenant's agents instead
        owned=False,
    ),
    Relation(
        MCP_SERVERS,
        PROMPT_TEMPLATES,
        (("mcp_server_uuid", "mcp_servers"),),
        children="prompt_templates",
        parent_name="mcp_servers",
        link=Link.CHILD_LISTS,
        guards_delete=False,
        owned=False,
    ),
    Relation(
        UI_COMPONENTS,
        PROMPT_TEMPLATES,
        (("ui_component_uuid", "ui_components"),),
        children="prompt_templates",
        parent_name="ui_components",
        link=Link.CHILD_LISTS,
        guards_delete=False,
        owned=False,
    ),
    Relation(
        WIZARD_SCHEMAS,
        WIZARDS,
        (
            ("wizard_schema_type", "wizard_schema_type"),
            ("wizard_schema_name", "wizard_schema_name"),
        ),
        children="wizards",
        parent_name="wizard_schema",
        guards_delete=False,
        owned=False,
    ),
    _child(AGENTS, THREADS, "agent_uuid", children="threads", parent_name="agent"),
    _child(AGENTS, PUBLIC_IDS, "agent_uuid", children="public_ids", parent_name="agent"),
    _child(THREADS, RUNS, "thread_uuid", children="runs", parent_name="thread"),
    _child(
        THREADS, MESSAGES, "thread_uuid", children="messages", parent_name="thread", required=False
    ),
    _child(
        THREADS,
        TOOL_CALLS,
        "thread_uuid",
        children="tool_calls",
        parent_name="thread",
        required=False,
    ),
    _child(RUNS, MESSAGES, "thread_uuid", "run_uuid", children="messages", parent_name="run"),
    _child(RUNS, TOOL_CALLS, "thread_uuid", "run_uuid", children="tool_calls", parent_name="run"),
    _child(
        FLOW_SNIPPETS,
        AGENTS,
        "flow_snippet_version_uuid",
        children="agents",
        parent_name="flow_snippet",
        required=False,  # a missing snippet leaves the agent as given (services.md)
        owned=False,
    ),
    Relation(
        MCP_SERVERS,
        AGENTS,
        (("mcp_server_uuid", "mcp_server_uuids"),),
        children="agents",
        parent_name="mcp_servers",
        link=Link.CHILD_LISTS,
        owned=False,
    ),
    _child(
        PROMPT_TEMPLATES,
        FLOW_SNIPPETS,
        "prompt_uuid",
        children="flow_snippets",
        parent_name="prompt_template",
        required=False,
        owned=False,
    ),
    _child(
        COORDINATIONS,
        TASKS,
        "coordination_uuid",
        children="tasks",
        parent_name="coordination",
    ),
    _child(
        COORDINATIONS,
        SESSIONS,
        "coordination_uuid",
        children="sessions",
        parent_name="coordination",
    ),
    _child(
        TASKS,
        SESSIONS,
        "coordination_uuid",
        "task_uuid",
        children="sessions",
        parent_name="task",
    ),
    _child(
        TASKS,
        TASK_SCHEDULES,
        "coordination_uuid",
        "task_uuid",
        children="task_schedules",
        parent_name="task",
    ),
    _child(
        SESSIONS,
        SESSION_AGENTS,
        "coordination_uuid",
        "session_uuid",
        children="session_agents",
        parent_name="session",
    ),
    _child(
        SESSIONS,
        SESSION_RUNS,
        "coordination_uuid",
        "session_uuid",
        children="session_runs",
        parent_name="session",
    ),
    Relation(
        WIZARD_GROUPS,
        WIZARDS,
        (("wizard_uuids", "wizard_uuid"),),
        children="wizards",
        parent_name="wizard_group",
        link=Link.PARENT_LISTS,
    ),
    Relation(
        WIZARDS,
        ELEMENTS,
        (("wizard_elements", "element_uuid"),),
        children="elements",
        parent_name="wizards",
        link=Link.PARENT_LISTS,
        list_key="element_uuid",
        guards_delete=False,  # an element may serve several wizards; it outlives them
        owned=False,
    ),
)


def children_of(schema: EntitySchema[Any]) -> tuple[Relation, ...]:
    """The relations in which ``schema`` is the parent."""
    return tuple(r for r in RELATIONS if r.parent is schema)


def parents_of(schema: EntitySchema[Any]) -> tuple[Relation, ...]:
    """The relations in which ``schema`` is the child."""
    return tuple(r for r in RELATIONS if r.child is schema)
