"""Records, pages and lists as JSON-ready data (the web shape), an entity's JSON Schema, and
JSON input back to the services' input mappings.

The web shape of a record is its fields by name, datetimes as ISO 8601 text (UTC), without
the tenant (``partition_key``, ``endpoint_id``, ``part_id``) and without the attributes its
schema keeps secret (``EntitySchema.secrets``) unless asked for. A page is
``{"items": [...], "next_cursor": ..., "related": ...}`` and a record loaded with its
relations ``{"record": ..., "related": ...}``, where ``related`` maps each relation name to
a list of ``{"key": [key parts], "value": related}`` in item order: item keys are tuples, and
a list of pairs keeps them exact (a key part may hold ``#``, so joined text would not).

``camel=True`` renames what the package names (record fields, ``next_cursor``, relation
names) to camelCase, never the contents of a JSON-valued field (``configuration``,
``variables``): those are the caller's own data, stored and returned as given, and renaming
them would change what the caller wrote (and could merge ``a_b`` with ``aB``).
"""

from __future__ import annotations

import enum
import functools
import re
import typing
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.schema import TENANT_ATTRS
from aace.domain.tenancy import PartitionKey

__all__ = [
    "JsonOptions",
    "camel_case",
    "input_data",
    "json_schema",
    "snake_case",
    "to_json_data",
    "web_fields",
]

_WORD = re.compile(r"_([a-z0-9])")
_UPPER = re.compile(r"(?<!^)([A-Z])")


def camel_case(name: str) -> str:
    """``agent_version_uuid`` → ``agentVersionUuid``."""
    return _WORD.sub(lambda m: m.group(1).upper(), name)


def snake_case(name: str) -> str:
    """``agentVersionUuid`` → ``agent_version_uuid`` (snake names stay as they are)."""
    return _UPPER.sub(r"_\1", name).lower()


@attrs.frozen
class JsonOptions:
    """How :func:`to_json_data` writes: camelCase names, the tenant fields, the secrets.
    Containers (``Page``, ``Loaded``) write themselves with it (``__json_data__``)."""

    camel: bool = False
    tenant: bool = False
    secrets: bool = False

    def name(self, name: str) -> str:
        """A name the package gives, as written."""
        return camel_case(name) if self.camel else name

    def data(self, value: Any) -> Any:
        """``value`` as JSON-ready data."""
        return _data(value, self)

    def related(self, related: Mapping[str, Mapping[tuple[str, ...], Any]]) -> dict[str, Any]:
        """``related[relation][item key]`` as ``{relation: [{"key": [...], "value": ...}]}``."""
        return {
            self.name(relation): [
                {"key": list(key), "value": self.data(value)} for key, value in by_key.items()
            ]
            for relation, by_key in related.items()
        }


def to_json_data(
    value: Any, *, camel: bool = False, tenant: bool = False, secrets: bool = False
) -> Any:
    """``value`` (a record, a page, a loaded record, a list or a map of them, plain JSON
    values) as data ``json.dumps`` writes: the web shape (module docstring). ``tenant``
    adds the three tenant fields, ``secrets`` the secret attributes, ``camel`` renames
    the package's names to camelCase."""
    return _data(value, JsonOptions(camel, tenant, secrets))


def _data(value: Any, options: JsonOptions) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, PartitionKey):
        return str(value)
    if isinstance(value, enum.Enum):
        return _data(value.value, options)
    writer: Callable[[JsonOptions], Any] | None = getattr(value, "__json_data__", None)
    if writer is not None:
        return writer(options)
    if attrs.has(type(value)):
        return _record(value, options)
    if isinstance(value, Mapping):
        return {_key(k): _data(v, options) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_data(item, options) for item in value]
    raise TypeError(f"no JSON shape for {type(value).__name__}")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"JSON object keys are text, not {type(key).__name__}")
    return key


def _record(record: Any, options: JsonOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in web_fields(type(record), tenant=options.tenant, secrets=options.secrets):
        if name in TENANT_ATTRS:
            tenant = record.partition_key
            value: Any = tenant if name == "partition_key" else getattr(tenant, name)
        else:
            value = getattr(record, name)
        out[options.name(name)] = _data(value, options)
    return out


def _viewed(cls: type[Any]) -> type[Any]:
    """The entity a class shows: itself, or what a public view declares it shows."""
    return getattr(cls, "__aace_view_of__", None) or cls


def _secret_names(cls: type[Any]) -> frozenset[str]:
    """An entity's ``EntitySchema.secrets``; another class's ``__aace_secret_fields__``
    (what may name a host or hold a credential)."""
    from aace.domain.entities import ALL_SCHEMAS

    entity = _viewed(cls)
    for schema in ALL_SCHEMAS:
        if schema.entity is entity:
            return schema.secrets
    return frozenset(getattr(cls, "__aace_secret_fields__", ()))


def web_fields(cls: type[Any], *, tenant: bool = False, secrets: bool = False) -> tuple[str, ...]:
    """The names a record of ``cls`` is written with, in field order: the tenant's three
    in place of ``partition_key`` when ``tenant``, secret attributes only when ``secrets``."""
    return _web_fields(typing.cast(Hashable, cls), tenant, secrets)


@functools.cache
def _web_fields(cls: Any, tenant: bool, secrets: bool) -> tuple[str, ...]:
    hidden = frozenset() if secrets else _secret_names(cls)
    names: list[str] = []
    for field in attrs.fields(cls):
        if field.name == "partition_key":
            names.extend(TENANT_ATTRS if tenant else ())
        elif field.name not in hidden:
            names.append(field.name)
    return tuple(names)


def _value_schema(hint: Any, options: JsonOptions) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if type(None) in args:
        inner = [a for a in args if a is not type(None)]
        (one,) = inner
        return {"anyOf": [_value_schema(one, options), {"type": "null"}]}
    if isinstance(hint, type) and attrs.has(hint):
        return json_schema(
            hint, camel=options.camel, tenant=options.tenant, secrets=options.secrets
        )
    if hint is str or hint is PartitionKey:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is datetime:
        return {"type": "string", "format": "date-time"}
    if origin is dict or hint is dict:
        return {"type": "object"}
    if origin is list:
        return {"type": "array", "items": _value_schema(args[0], options) if args else {}}
    return {}


def json_schema(
    cls: type[Any], *, camel: bool = False, tenant: bool = False, secrets: bool = False
) -> dict[str, Any]:
    """The JSON Schema (2020-12) of ``cls``'s records as :func:`to_json_data` writes them
    with the same options: every field present (``null`` where a nullable one is unset), a
    nested record described in place."""
    options = JsonOptions(camel, tenant, secrets)
    hints = typing.get_type_hints(_viewed(cls))
    properties: dict[str, Any] = {}
    for name in web_fields(cls, tenant=tenant, secrets=secrets):
        schema = (
            {"type": "string"} if name in TENANT_ATTRS else _value_schema(hints[name], options)
        )
        properties[options.name(name)] = schema
    return {
        "title": cls.__name__,
        "description": (cls.__doc__ or "").strip().split("\n\n")[0],
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def input_data(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON input (field names in camelCase or snake_case) as a service's input mapping:
    the entity's field names in snake_case, values as given (the services check them;
    ISO 8601 text is a datetime where the field is one). A name the entity does not have
    stays as written, so the error names it as the caller did; a field given in both
    spellings is ``ValidationError``."""
    known = {field.name for field in attrs.fields(_viewed(cls))}
    out: dict[str, Any] = {}
    for name, value in data.items():
        snake = snake_case(name) if isinstance(name, str) else name
        target = snake if snake in known else name
        if target in out:
            raise ValidationError(str(name), f"is given twice (as {target!r} too)")
        out[target] = value
    return out
