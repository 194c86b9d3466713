"""A document's storage requests, estimated before execution: one per root read (page k of
a list walks k pages, plus its count), one per nested relation per level (the loader
batches a page's keys), one per parent record for relations read per parent (an active
version by stable id, a parent's children, MCP credentials). A document above the bound is
refused before anything runs, naming the bound."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
)
from graphql.language import DocumentNode, IntValueNode, VariableNode

from aace.application.serialization import camel_case
from aace.graphql.catalogue import AGENT_CORE
from aace.graphql.coordination_catalogue import COORDINATION
from aace.graphql.nested import PER_PARENT
from aace.graphql.paging import DEFAULT_LIMIT

__all__ = ["DEFAULT_MAX_COST", "estimate"]

#: The default bound: every document the platform's generator builds fits (a list of the
#: default 100 records selecting everything costs a few hundred requests).
DEFAULT_MAX_COST = 10_000
#: How many related records a to-many nested field is assumed to hold.
_FAN_OUT = 10

#: "Type.field" -> whether it costs one request per parent record.
_NESTED: dict[str, bool] = {}
for _api in (*AGENT_CORE, *COORDINATION):
    for _nested in _api.nested:
        if _nested.relation is None:
            continue
        _names = [_api.type_name] + ([_api.list_item[0]] if _api.list_item else [])
        for _type in _names:
            _NESTED[f"{_type}.{camel_case(_nested.name)}"] = _nested.relation in PER_PARENT


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    for argument in field.arguments:
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
    return None


def _whole(value: Any, default: int) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
    )


class _Walk:
    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        operator: bool,
    ) -> None:
        self.fragments = fragments
        self.variables = variables
        self.operator = operator

    def fields(self, selection: SelectionSetNode | None) -> list[FieldNode]:
        found: list[FieldNode] = []
        for node in selection.selections if selection is not None else ():
            if isinstance(node, FieldNode):
                found.append(node)
            elif isinstance(node, InlineFragmentNode):
                found.extend(self.fields(node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    found.extend(self.fields(fragment.selection_set))
        return found

    def nested(self, kind: Any, selection: SelectionSetNode | None, parents: int) -> int:
        named = get_named_type(kind)
        if not isinstance(named, GraphQLObjectType):
            return 0
        cost = 0
        for field in self.fields(selection):
            definition = named.fields.get(field.name.value)
            if definition is None:
                continue
            key = f"{named.name}.{field.name.value}"
            per_parent = _NESTED.get(key)
            if per_parent is not None and (field.name.value != "headers" or self.operator):
                cost += parents if per_parent else 1
            many = isinstance(get_nullable_type(definition.type), GraphQLList)
            below = parents * _FAN_OUT if many and per_parent is not None else parents
            cost += self.nested(definition.type, field.selection_set, below)
        return cost

    def root(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> int:
        root_type = schema.mutation_type if operation.operation.value == "mutation" else None
        root_type = root_type or schema.query_type
        cost = 0
        for field in self.fields(operation.selection_set):
            if field.name.value.startswith("__") or root_type is None:
                continue
            definition = root_type.fields.get(field.name.value)
            if definition is None:
                continue
            parents = 1
            if field.name.value.endswith("List"):
                parents = _whole(_argument(field, "limit", self.variables), DEFAULT_LIMIT)
                cost += _whole(_argument(field, "pageNumber", self.variables), 1) + 1
            else:
                cost += 3 if operation.operation.value == "mutation" else 1
            cost += self.nested(definition.type, field.selection_set, parents)
        return cost


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    operation_name: str | None = None,
    *,
    operator: bool = False,
) -> int:
    """The storage requests ``document`` may cost (its largest operation, or the named one)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(fragments, variables, operator)
    costs = [
        walk.root(schema, d)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    return max(costs, default=0)
