"""Litestar's OpenAPI schemas of records, pages and loaded records as they are sent: the
:func:`~aace.domain.serialization.json_schema` of each record (no tenant, no secrets,
camelCase when asked) as a component, a page's items referring to it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Reference, Schema
from litestar.typing import FieldDefinition

from aace.application.loader import Loaded
from aace.domain.entities.base import WebRecord
from aace.domain.query import Page
from aace.domain.serialization import JsonOptions, json_schema

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = ["is_web_type", "web_schema"]


def _web_class(field_definition: FieldDefinition) -> type[Any] | None:
    found = field_definition.origin or field_definition.annotation
    if isinstance(found, type) and issubclass(found, (WebRecord, Page, Loaded)):
        return found
    return None


def is_web_type(field_definition: FieldDefinition) -> bool:
    """Whether the annotation is a record class, a ``Page`` or a ``Loaded``."""
    return _web_class(field_definition) is not None


def web_schema(
    field_definition: FieldDefinition, creator: SchemaCreator, *, camel: bool
) -> Schema:
    """The schema of the annotation's web shape: a record's is registered as a component
    (Litestar refers to it by name), a container's refers to its item's."""
    cls = _web_class(field_definition)
    if cls is None:
        raise TypeError(f"{field_definition.annotation!r} is not a record, page or loaded")
    if issubclass(cls, WebRecord):
        schema = creator.schema_registry.get_schema_for_field_definition(field_definition)
        described = _schema(json_schema(cls, camel=camel))
        for name in ("title", "description", "type", "properties", "required"):
            setattr(schema, name, getattr(described, name))
        return schema
    inner = field_definition.inner_types
    item: Schema | Reference = creator.for_field_definition(inner[0]) if inner else Schema()
    written = JsonOptions(camel=camel).name
    fields: dict[str, Schema | Reference]
    if issubclass(cls, Page):
        nullable_text = Schema(type=[OpenAPIType.STRING, OpenAPIType.NULL])
        fields = {"items": Schema(type=OpenAPIType.ARRAY, items=item)}
        fields[written("next_cursor")] = nullable_text
    else:
        fields = {"record": item}
    fields["related"] = _RELATED
    return Schema(type=OpenAPIType.OBJECT, properties=fields, required=list(fields))


#: ``related``: relation name → ``[{"key": [key parts], "value": related}]``.
_RELATED = Schema(
    type=OpenAPIType.OBJECT,
    additional_properties=Schema(
        type=OpenAPIType.ARRAY,
        items=Schema(
            type=OpenAPIType.OBJECT,
            properties={
                "key": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING)),
                "value": Schema(),
            },
            required=["key", "value"],
        ),
    ),
)


def _schema(data: Mapping[str, Any]) -> Schema:
    """A JSON Schema of :func:`json_schema`'s vocabulary as Litestar's ``Schema``."""
    described = data.get("description") or None
    return Schema(
        title=data.get("title"),
        description=described,
        type=OpenAPIType(data["type"]) if "type" in data else None,
        format=OpenAPIFormat(data["format"]) if "format" in data else None,
        properties={k: _schema(v) for k, v in data["properties"].items()}
        if "properties" in data
        else None,
        required=list(data["required"]) if "required" in data else None,
        items=_schema(data["items"]) if "items" in data else None,
        any_of=[_schema(one) for one in data["anyOf"]] if "anyOf" in data else None,
    )
