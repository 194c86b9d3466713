"""The shape of an entity's rules, as data a service applies (services.md): how caller input
is stored, what a new record must be, what an update becomes. Each rule is a pure function
that returns the record to write or raises the domain's errors; services read, apply the
rules and write."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from aace.domain.entities import McpServer
from aace.domain.secrets import refuse_reserved

__all__ = ["MCP_SERVER_RULES", "EntityRules", "Normalise", "OnCreate", "OnUpdate"]

E = TypeVar("E")

#: Caller input (of a create or an update) as stored.
Normalise = Callable[[Mapping[str, Any]], Mapping[str, Any]]
#: A new record as written (or refused).
OnCreate = Callable[[E], E]
#: The record an update writes, from the record read, that record with the changes
#: applied (``updated_at`` is the update's moment) and the changes as given.
OnUpdate = Callable[[E, E, Mapping[str, Any]], E]


def as_given(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Input stored as given."""
    return data


def as_built(record: Any) -> Any:
    """A new record as built."""
    return record


def as_changed(current: Any, changed: Any, changes: Mapping[str, Any]) -> Any:
    """An update as applied."""
    return changed


@attrs.frozen
class EntityRules(Generic[E]):
    """An entity's pure rules; the defaults keep input and records as they are."""

    normalise: Normalise = as_given
    created: OnCreate[E] = as_built
    changed: OnUpdate[E] = as_changed


def mcp_server_input(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """An MCP server's input as given, once no ``headers`` name starts with ``aace:`` (an
    envelope's names; ``ValidationError`` naming ``headers``): create and update alike."""
    refuse_reserved("headers", data.get("headers"))
    return data


#: MCP servers: caller headers never pose as a sealed envelope.
MCP_SERVER_RULES: EntityRules[McpServer] = EntityRules(normalise=mcp_server_input)
