"""Serialisation for web frameworks, in one module: what the services return as JSON-ready
data or bytes, JSON input back to the services' input mappings, and an entity's JSON Schema.

The shapes are :mod:`aace.domain.serialization`'s (its docstring is the reference): a
record without its tenant or secrets unless asked, ``Page`` as ``items`` / ``next_cursor`` /
``related``, ``Loaded`` as ``record`` / ``related``, ``related`` as lists of
``{"key": [...], "value": ...}``, camelCase on request for the package's names only.
:func:`dumps` encodes with msgspec where it is installed, else with ``json``: equivalent
JSON (the same data), not necessarily the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from aace.domain.entities import ALL_SCHEMAS
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema
from aace.domain.serialization import (
    camel_case,
    input_data,
    json_schema,
    snake_case,
    to_json_data,
)

__all__ = [
    "camel_case",
    "dumps",
    "from_json_data",
    "json_schema",
    "snake_case",
    "to_json_data",
]

_SCHEMAS = {schema.name: schema for schema in ALL_SCHEMAS}


def _json_encoder() -> Callable[[Any], bytes]:
    try:
        import msgspec
    except ImportError:
        return lambda data: json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    encode: Callable[[Any], bytes] = msgspec.json.encode
    return encode


#: Compact UTF-8 JSON: msgspec's encoder when importable, else the standard library's.
_encode = _json_encoder()


def dumps(
    value: Any, *, camel: bool = False, tenant: bool = False, secrets: bool = False
) -> bytes:
    """``value`` (records, pages, loaded records, lists of them) as compact UTF-8 JSON in
    the web shape (:func:`to_json_data`'s options)."""
    return _encode(to_json_data(value, camel=camel, tenant=tenant, secrets=secrets))


def from_json_data(entity: str | type[Any] | EntitySchema[Any], data: Any) -> dict[str, Any]:
    """A JSON object (camelCase or snake_case names) as the input mapping of ``entity``'s
    service (``create``'s data, ``update``'s changes): ``entity`` is a service's name
    (``"agents"``), an entity class or its schema. Values are kept as given; the service
    checks them and names every bad field."""
    if not isinstance(data, Mapping):
        raise ValidationError("body", f"must be a JSON object, got {type(data).__name__}")
    return input_data(_entity(entity), data)


def _entity(entity: str | type[Any] | EntitySchema[Any]) -> type[Any]:
    if isinstance(entity, EntitySchema):
        return entity.entity
    if isinstance(entity, str):
        schema = _SCHEMAS.get(entity)
        if schema is None:
            raise ValidationError("entity", f"{entity!r} names no entity")
        return schema.entity
    return entity
