"""The values the GraphQL catalogue is written in: an entity's operations (:class:`EntityApi`),
its list arguments (:class:`Filter`, :func:`f`), its fields that are not stored attributes
(:class:`Nested`), and the conversions and field sets the catalogue's entries share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from aace.domain.schema import EntitySchema

__all__ = [
    "NO_PARTITION_OR_PART",
    "NO_PARTS",
    "STATUSES",
    "TENANT",
    "EntityApi",
    "Filter",
    "Nested",
    "as_text",
    "below",
    "epoch_seconds",
    "f",
    "unchanged",
]

TENANT = frozenset({"partition_key", "endpoint_id", "part_id"})
NO_PARTS = frozenset({"endpoint_id", "part_id"})
NO_PARTITION_OR_PART = frozenset({"partition_key", "part_id"})


def unchanged(value: Any) -> Any:
    return value


def as_text(value: Any) -> Any:
    """The platform's Int ``toolType`` / ``name`` filters compare with stored text."""
    return None if value is None else str(value)


def below(value: Any) -> Any:
    """``greatToken`` (upstream's inverted name) is an exclusive upper bound."""
    return None if value is None else value - 1


def epoch_seconds(value: Any) -> Any:
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
    convert: Callable[[Any], Any] = unchanged

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


#: The ``statuses`` list filter many entities take.
STATUSES = f("statuses", type="[String]")
