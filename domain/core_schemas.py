"""What makes records, pages and loaded records pydantic v2 types, without importing pydantic.

pydantic asks a class for its core schema (``__get_pydantic_core_schema__``); a core schema
is plain data (pydantic-core's documented ``TypedDict`` shapes), so these functions build it
from the standard library alone and ``import aace.domain`` never loads pydantic. A record
validates as itself (or a public view of it: responses are records the services return,
never built from JSON; requests use ``aace.application.request_models``), serialises to its
web shape (:mod:`aace.domain.serialization`) and describes itself with
:func:`~aace.domain.serialization.json_schema`. A container (``Page[T]``, ``Loaded[E]``)
serialises its items through pydantic with the schema of ``T``, so the OpenAPI document
refers to the item's own component.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any

from aace.domain.serialization import JsonOptions, json_schema, to_json_data

__all__ = ["container_core_schema", "record_core_schema", "related_core_schema"]

CoreSchema = dict[str, Any]
#: pydantic's ``GetCoreSchemaHandler``: ``handler.generate_schema(tp)`` is an item's schema.
Handler = Any


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
    schema["serialization"] = {
        "type": "function-plain",
        "function": to_json_data,
        "info_arg": False,
        "when_used": "always",
    }
    schema["metadata"] = {"pydantic_js_functions": [lambda _core, _handler: json_schema(cls)]}
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
    shape: Callable[[Any], Mapping[str, Any]],
) -> CoreSchema:
    """The core schema of a generic container (``Page[T]``): ``fields`` gives the schema of
    each of its web fields from the item's (``T``'s, ``Any`` when not parametrised);
    ``shape`` gives those fields of an instance (items as objects, ``related`` as data)."""
    (item_type,) = typing.get_args(source) or (Any,)
    item = handler.generate_schema(item_type)
    item_name = getattr(item_type, "__name__", "Any")
    web: CoreSchema = {
        "type": "typed-dict",
        "fields": {name: _field(schema) for name, schema in fields(item).items()},
        "ref": f"{cls.__module__}.{cls.__qualname__}[{item_name}]",
    }
    schema = _plain(_accepting(cls))
    schema["serialization"] = {
        "type": "function-plain",
        "function": shape,
        "info_arg": False,
        "return_schema": web,
        "when_used": "always",
    }
    schema["metadata"] = {"pydantic_js_functions": [lambda _core, json_handler: json_handler(web)]}
    return schema


def related_data(related: Mapping[str, Mapping[tuple[str, ...], Any]]) -> dict[str, Any]:
    """``related`` in its web shape (what a container's ``shape`` gives pydantic)."""
    return JsonOptions().related(related)
