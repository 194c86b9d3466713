"""Documents as the platform's clients build them: from a schema's introspection, an
operation with every argument declared as a variable of its introspected type and every
field of its result selected, recursively (an object or list field is expanded unless its
type is one of the client's scalar names). ``query ping {ping}`` for an operation without
arguments or fields. Documents are cached per schema, never shared between two."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import graphene
from graphql import get_introspection_query

from aace.domain.errors import ValidationError

__all__ = ["generate_operation", "introspection"]

#: The names the platform's client treats as scalars even inside a LIST.
_SCALARS = frozenset(
    {"String", "Int", "Float", "DateTime", "JSON", "JSONCamelCase", "JSONSnakeCase", "SafeFloat"}
)


def introspection(schema: graphene.Schema) -> dict[str, Any]:
    """The ``__schema`` of ``schema``'s standard introspection query."""
    result = schema.execute(get_introspection_query())
    if result.errors or result.data is None:
        raise RuntimeError(f"introspection failed: {result.errors}")
    found: dict[str, Any] = result.data["__schema"]
    return found


def _type_text(kind: Mapping[str, Any]) -> str:
    if kind["kind"] == "NON_NULL":
        return f"{_type_text(kind['ofType'])}!"
    if kind["kind"] == "LIST":
        return f"[{_type_text(kind['ofType']) if kind.get('ofType') else 'String'}]"
    return str(kind["name"])


def _named(kind: Mapping[str, Any]) -> str | None:
    while kind.get("name") is None and kind.get("ofType"):
        kind = kind["ofType"]
    return kind.get("name")


def _selection(types: Mapping[str, Mapping[str, Any]], name: str, seen: tuple[str, ...]) -> str:
    parts = []
    for field in types[name].get("fields") or []:
        kind = field["type"]
        target = _named(kind)
        expand = kind["kind"] in ("OBJECT", "LIST") and target not in _SCALARS
        if expand and target is not None and target in types:
            if types[target]["kind"] != "OBJECT" or target in seen:
                parts.append(field["name"])
                continue
            parts.append(f"{field['name']} {{ {_selection(types, target, (*seen, target))} }}")
        else:
            parts.append(field["name"])
    return " ".join(parts)


def generate_operation(operation_name: str, operation_type: str, schema: graphene.Schema) -> str:
    """The document the platform's generator builds for ``operation_name`` of
    ``operation_type`` (``Query`` or ``Mutation``) of ``schema``."""
    return _generate(operation_name, operation_type, schema)


@functools.lru_cache(maxsize=1024)
def _generate(operation_name: str, operation_type: str, schema: graphene.Schema) -> str:
    described = introspection(schema)
    types = {t["name"]: t for t in described["types"]}
    root = "Mutations" if operation_type == "Mutation" else operation_type
    fields = {f["name"]: f for f in (types.get(root) or {}).get("fields") or []}
    if operation_type not in ("Query", "Mutation") or operation_name not in fields:
        raise ValidationError(
            "operation_name", f"{operation_type} {operation_name!r} is not in the schema"
        )
    field = fields[operation_name]
    args = field["args"]
    declared = ", ".join(f"${a['name']}: {_type_text(a['type'])}" for a in args)
    used = ", ".join(f"{a['name']}: ${a['name']}" for a in args)
    result = field["type"]
    if result["kind"] == "NON_NULL":
        result = result["ofType"]
    selected = (
        _selection(types, result["name"], (result["name"],)) if result["kind"] == "OBJECT" else ""
    )
    keyword = operation_type.lower()
    if not args and not selected:
        return f"{keyword} {operation_name} {{{operation_name}}}"
    return (
        f"{keyword} {operation_name}({declared}) {{\n"
        f"    {operation_name}({used}) {{\n"
        f"        {selected}\n"
        f"    }}\n"
        f"}}\n"
    )
