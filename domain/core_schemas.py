"""What makes records, pages and loaded records pydantic v2 types, without importing pydantic.

pydantic asks a class for its core schema (``__get_pydantic_core_schema__``); a core schema
is plain data (pydantic-core's documented ``TypedDict`` shapes), so these functions build it
from the standard library alone and ``import aace.domain`` never loads pydantic. A record
validates as itself (or a public view of it: responses are records the services return,
never built from JSON; requests use ``aace.application.request_models``), serialises to its
web shape (:mod:`aace.domain.serialization`) and describes itself with
:func:`~aace.domain.serialization.json_schema`. A container (``Page[T]``, ``Loaded[E]``)
serialises its items through pydantic with the schema of ``T`` (a record where ``T`` is
``Any`` by its own serialiser), so the OpenAPI document refers to the item's own component.

The web options (camelCase, tenant, secrets) come from pydantic's serialisation context
(:func:`serialization_context`), else from :data:`WEB_OPTIONS`, which a framework
integration sets for the request it answers (FastAPI's ``install(camel=True)``).
A value pydantic meets where the type says ``Any`` (``dict[str, Any]``) is serialised by
its class's ``__pydantic_serializer__`` (:class:`PydanticSerializer`).
"""

from __future__ import annotations

import functools
import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aace.domain.serialization import JsonOptions, camel_case, json_schema

__all__ = [
    "CONTEXT_KEY",
    "WEB_OPTIONS",
    "PydanticSerializer",
    "container_core_schema",
    "options_of",
    "record_core_schema",
    "related_core_schema",
    "serialization_context",
    "web_options",
]

CoreSchema = dict[str, Any]
#: pydantic's ``GetCoreSchemaHandler``: ``handler.generate_schema(tp)`` is an item's schema.
Handler = Any
#: The key of pydantic's serialisation context that holds the web options.
CONTEXT_KEY = "aace"
#: The web options in effect where pydantic's context names none (set per request by a
#: framework integration; the default writes snake_case without the tenant or secrets).
_DEFAULT = JsonOptions()  # frozen: safe to share
WEB_OPTIONS: ContextVar[JsonOptions] = ContextVar("aace_web_options", default=_DEFAULT)


def serialization_context(
    *, camel: bool = False, tenant: bool = False, secrets: bool = False
) -> dict[str, Any]:
    """pydantic's serialisation ``context`` asking for these web options:
    ``TypeAdapter(Page[Agent]).dump_python(page, context=serialization_context(camel=True))``."""
    return {CONTEXT_KEY: JsonOptions(camel, tenant, secrets)}


@contextmanager
def web_options(options: JsonOptions) -> Iterator[None]:
    """:data:`WEB_OPTIONS` is ``options`` inside the block (one request, one document)."""
    token = WEB_OPTIONS.set(options)
    try:
        yield
    finally:
        WEB_OPTIONS.reset(token)


def options_of(info: Any) -> JsonOptions:
    """The web options of a serialisation: pydantic's context, else :data:`WEB_OPTIONS`."""
    context = getattr(info, "context", None)
    found = context.get(CONTEXT_KEY) if isinstance(context, Mapping) else None
    return found if isinstance(found, JsonOptions) else WEB_OPTIONS.get()


def _web_shape(value: Any, info: Any) -> Any:
    return options_of(info).data(value)


def _serialization() -> CoreSchema:
    return {
        "type": "function-plain",
        "function": _web_shape,
        "info_arg": True,
        "when_used": "always",
    }


class PydanticSerializer:
    """``__pydantic_serializer__`` of the web classes: what pydantic-core calls for a value
    it meets where the type says ``Any`` (``dict[str, Any]``, ``list[Any]``). It exists only
    once pydantic-core is loaded (it always is when pydantic asks), so nothing imports it."""

    def __get__(self, instance: object, owner: type[Any] | None = None) -> Any:
        core = sys.modules.get("pydantic_core")
        if core is None:
            raise AttributeError("__pydantic_serializer__")
        return _any_value_serializer(core)


@functools.cache
def _any_value_serializer(core: Any) -> Any:
    return core.SchemaSerializer({"type": "any", "serialization": _serialization()})


def _accepting(cls: type[Any]) -> Callable[[Any], Any]:
    def accept(value: Any) -> Any:
        shown = getattr(type(value), "__aace_view_of__", None)
        if isinstance(value, cls) or (shown is not None and issubclass(shown, cls)):
            return value
        raise ValueError(
            f"expected a {cls.__name__} as the services return it, got {type(value).__name__}"
        )

    return accept


def _plain(function: Callable[[Any], Any]) -> CoreSchema:
    return {"type": "function-plain", "function": {"type": "no-info", "function": function}}


def record_core_schema(cls: type[Any]) -> CoreSchema:
    """The core schema of an attrs record class: itself in, its web shape out."""
    schema = _plain(_accepting(cls))
    schema["ref"] = f"{cls.__module__}.{cls.__qualname__}"
    schema["serialization"] = _serialization()
    schema["metadata"] = {
        "pydantic_js_functions": [
            lambda _core, _handler: json_schema(cls, camel=WEB_OPTIONS.get().camel)
        ]
    }
    return schema


def related_core_schema() -> CoreSchema:
    """``related``'s web shape: relation name → list of ``{"key": [...], "value": ...}``."""
    pair: CoreSchema = {
        "type": "typed-dict",
        "fields": {
            "key": _field({"type": "list", "items_schema": {"type": "str"}}),
            "value": _field({"type": "any"}),
        },
    }
    return {
        "type": "dict",
        "keys_schema": {"type": "str"},
        "values_schema": {"type": "list", "items_schema": pair},
    }


def _field(schema: CoreSchema) -> CoreSchema:
    return {"type": "typed-dict-field", "schema": schema, "required": True}


def container_core_schema(
    cls: type[Any],
    source: Any,
    handler: Handler,
    fields: Callable[[CoreSchema], Mapping[str, CoreSchema]],
    shape: Callable[[Any, JsonOptions], Mapping[str, Any]],
) -> CoreSchema:
    """The core schema of a generic container (``Page[T]``): ``fields`` gives the schema of
    each of its web fields from the item's (``T``'s, ``Any`` when not parametrised);
    ``shape`` gives those fields of an instance (items as objects, ``related`` as data),
    which pydantic serialises (a record where ``T`` is ``Any`` by its own serialiser) and
    whose names the options then write (``next_cursor`` → ``nextCursor``)."""
    (item_type,) = typing.get_args(source) or (Any,)
    item = handler.generate_schema(item_type)
    web: CoreSchema = {
        "type": "typed-dict",
        "fields": {name: _field(schema) for name, schema in fields(item).items()},
    }

    def serialize(value: Any, serialize_web: Callable[[Any], Any], info: Any) -> Any:
        options = options_of(info)
        data = serialize_web(shape(value, options))
        return {options.name(name): field for name, field in data.items()}

    schema = _plain(_accepting(cls))
    schema["serialization"] = {
        "type": "function-wrap",
        "function": serialize,
        "info_arg": True,
        "schema": web,
        "when_used": "always",
    }
    schema["metadata"] = {
        "pydantic_js_functions": [lambda _core, json_handler: _named(json_handler(web))]
    }
    return schema


def _named(schema: dict[str, Any]) -> dict[str, Any]:
    """A container's JSON Schema with its field names as :data:`WEB_OPTIONS` writes them."""
    if not WEB_OPTIONS.get().camel:
        return schema
    properties = schema.get("properties", {})
    return {
        **schema,
        "properties": {camel_case(name): value for name, value in properties.items()},
        "required": [camel_case(name) for name in schema.get("required", [])],
    }
