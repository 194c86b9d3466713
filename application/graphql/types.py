"""The platform's result types, generated: each entity's type is its stored attributes in
camelCase (kinds from the entity schema), less what the catalogue hides, retyped where the
platform types a field otherwise, plus the nested fields the catalogue names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import graphene

from aace.domain.schema import AttrKind, EntitySchema
from aace.graphql.entity_api import EntityApi, Nested
from aace.graphql.nested import nested_resolver
from aace.graphql.scalars import JSONCamelCase

__all__ = ["TypeRegistry", "graphene_type", "kind_type"]

_SCALARS: Mapping[str, Any] = {
    "String": graphene.String,
    "Int": graphene.Int,
    "Float": graphene.Float,
    "Boolean": graphene.Boolean,
    "DateTime": graphene.DateTime,
    "JSONCamelCase": JSONCamelCase,
}

_KINDS = {
    AttrKind.S: "String",
    AttrKind.N: "Int",
    AttrKind.B: "Boolean",
    AttrKind.DT: "DateTime",
    AttrKind.M: "JSONCamelCase",
    AttrKind.LS: "[String]",
    AttrKind.LM: "[JSONCamelCase]",
}


def kind_type(kind: AttrKind) -> str:
    """The GraphQL type (as written in SDL) of a stored attribute of ``kind``."""
    return _KINDS[kind]


def graphene_type(spec: str, named: Callable[[str], Any] | None = None) -> Any:
    """The graphene type written ``spec`` in SDL (``[String]``, ``String!``, ``AgentType``)."""
    if spec.endswith("!"):
        return graphene.NonNull(graphene_type(spec[:-1], named))
    if spec.startswith("["):
        return graphene.List(graphene_type(spec[1:-1], named))
    if spec in _SCALARS:
        return _SCALARS[spec]
    if named is None:
        raise KeyError(spec)
    return named(spec)


def _tenant_part(part: str) -> Callable[..., Any]:
    def resolve(root: Any, info: Any) -> Any:
        return getattr(root.partition_key, part)

    return resolve


def _whole(name: str) -> Callable[..., Any]:
    """The platform's Int for a stored number (``time_spent`` in milliseconds)."""

    def resolve(root: Any, info: Any) -> Any:
        value = getattr(root, name, None)
        return None if value is None else round(value)

    return resolve


def stored_fields(schema: EntitySchema[Any], api: EntityApi) -> dict[str, str]:
    """The stored attributes the platform's type shows: name -> GraphQL type."""
    nested = {n.name for n in api.nested}
    return {
        spec.name: api.retype.get(spec.name, kind_type(spec.kind))
        for spec in schema.attributes
        if spec.name not in api.hide and spec.name not in nested
    }


class TypeRegistry:
    """The object types of one schema by name; fields refer to each other lazily."""

    def __init__(self) -> None:
        self.types: dict[str, type[graphene.ObjectType]] = {}

    def named(self, name: str) -> Any:
        return lambda: self.types[name]

    def field(self, spec: str) -> graphene.Field:
        return graphene.Field(graphene_type(spec, self.named))

    def add(self, name: str, fields: Mapping[str, Any]) -> type[graphene.ObjectType]:
        made: type[graphene.ObjectType] = type(name, (graphene.ObjectType,), dict(fields))
        self.types[name] = made
        return made

    def entity(self, api: EntityApi) -> None:
        """The entity's type, its list item type where the platform's differs, its list
        type and its mutation payloads."""
        self.add(api.type_name, self._entity_fields(api, frozenset()))
        item = api.type_name
        if api.list_item is not None:
            item, left_out = api.list_item
            self.add(item, self._entity_fields(api, left_out))
        self.add(
            api.type_name.replace("Type", "ListType"),
            {
                "page_size": graphene.Int(),
                "page_number": graphene.Int(),
                "total": graphene.Int(),
                f"{api.name}_list": graphene.List(self.named(item)),
            },
        )

    def _entity_fields(self, api: EntityApi, left_out: frozenset[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, spec in stored_fields(api.schema, api).items():
            if name in left_out:
                continue
            fields[name] = self.field(spec)
            if name in ("endpoint_id", "part_id"):
                fields[f"resolve_{name}"] = _tenant_part(name)
            elif spec == "Int" and name in api.retype:
                fields[f"resolve_{name}"] = _whole(name)
        for nested in api.nested:
            if nested.name in left_out:
                continue
            fields[nested.name] = self._nested_field(nested)
            fields[f"resolve_{nested.name}"] = nested_resolver(api, nested)
        return fields

    def _nested_field(self, nested: Nested) -> Any:
        if nested.target is None:
            spec = "[JSONCamelCase]" if nested.many else "JSONCamelCase"
        else:
            spec = f"[{nested.target}]" if nested.many else nested.target
        return self.field(spec)
