"""PynamoDB models built from the entity schemas at run time (never bound at import).

Each model mirrors one table of storage-layout.md: its key attributes, every index with an
``ALL`` projection, and one PynamoDB attribute per stored attribute, which the item codec
uses to (de)serialise records.
"""

from __future__ import annotations

from inspect import getmembers
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, Index, LocalSecondaryIndex
from pynamodb.models import Model

from aace.adapters.dynamodb.settings import DynamoSettings
from aace.domain.schema import AttrKind, EntitySchema, IndexKind, IndexSpec

__all__ = ["build_model", "model_attribute", "table_schema"]


def model_attribute(
    name: str, kind: AttrKind, *, hash_key: bool = False, range_key: bool = False
) -> Attribute[Any]:
    """The PynamoDB attribute that stores one attribute of the layout."""
    options: dict[str, Any] = {"attr_name": name, "hash_key": hash_key, "range_key": range_key}
    if not (hash_key or range_key):
        options["null"] = True
    if kind is AttrKind.S:
        return UnicodeAttribute(**options)
    if kind is AttrKind.N:
        return NumberAttribute(**options)
    if kind is AttrKind.B:
        return BooleanAttribute(**options)
    if kind is AttrKind.DT:
        return UTCDateTimeAttribute(**options)
    if kind is AttrKind.M:
        return MapAttribute(**options)  # type: ignore[no-untyped-call]
    if kind is AttrKind.LS:
        return ListAttribute(of=UnicodeAttribute, **options)
    return ListAttribute(**options)  # L<M>: a list of raw maps


def _index_class(schema: EntitySchema[Any], spec: IndexSpec) -> type[Any]:
    kinds = schema.attribute_kinds
    base: type[Any] = (
        GlobalSecondaryIndex if spec.kind is IndexKind.GLOBAL else LocalSecondaryIndex
    )
    meta = type("Meta", (), {"index_name": spec.name, "projection": AllProjection()})
    namespace: dict[str, Any] = {
        "Meta": meta,
        spec.hash_key: model_attribute(spec.hash_key, kinds[spec.hash_key], hash_key=True),
        spec.range_key: model_attribute(spec.range_key, kinds[spec.range_key], range_key=True),
    }
    return type(f"{schema.name}_{spec.name}".replace("-", "_"), (base,), namespace)


def build_model(schema: EntitySchema[Any], settings: DynamoSettings) -> type[Model]:
    """A model class for ``schema``'s table, configured from ``settings``."""
    meta = type(
        "Meta",
        (),
        {
            "table_name": settings.table_name(schema),
            "region": settings.region,
            "host": settings.endpoint_url,
            "billing_mode": settings.table_options.billing_mode,
            "connect_timeout_seconds": settings.connect_timeout,
            "read_timeout_seconds": settings.read_timeout,
            "max_pool_connections": settings.workers,
            "aws_access_key_id": settings.aws_access_key_id,
            "aws_secret_access_key": settings.aws_secret_access_key,
            "aws_session_token": settings.aws_session_token,
        },
    )
    namespace: dict[str, Any] = {"Meta": meta, "__module__": __name__}
    for spec in schema.attributes:
        namespace[spec.name] = model_attribute(
            spec.name,
            spec.kind,
            hash_key=spec.name == schema.hash_key,
            range_key=spec.name == schema.range_key,
        )
    for index in schema.indexes:
        namespace[index.name.replace("-", "_")] = _index_class(schema, index)()
    return type(f"{schema.name.title().replace('_', '')}Model", (Model,), namespace)


def _keys(attributes: list[Attribute[Any]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The key schema and the attribute definitions of the key ``attributes``."""
    keyed = [a for a in attributes if a.is_hash_key or a.is_range_key]
    key_schema = [
        {"AttributeName": a.attr_name, "KeyType": "HASH" if a.is_hash_key else "RANGE"}
        for a in keyed
    ]
    definitions = [{"AttributeName": a.attr_name, "AttributeType": a.attr_type} for a in keyed]
    return key_schema, definitions


def table_schema(model: type[Model]) -> dict[str, Any]:
    """The table ``model`` describes, read through PynamoDB's public API only: its key
    schema, the definitions of every key attribute (the table's and its indexes') and its
    ``global_secondary_indexes`` and ``local_secondary_indexes`` (name, key schema,
    projection), in the shape of CreateTable's request."""
    key_schema, definitions = _keys(list(model.get_attributes().values()))
    schema: dict[str, Any] = {
        "key_schema": key_schema,
        "attribute_definitions": definitions,
        "global_secondary_indexes": [],
        "local_secondary_indexes": [],
    }
    for _, index in getmembers(model, lambda member: isinstance(member, Index)):
        members = getmembers(type(index), lambda member: isinstance(member, Attribute))
        index_keys, index_definitions = _keys([attribute for _, attribute in members])
        kind = "global" if isinstance(index, GlobalSecondaryIndex) else "local"
        schema[f"{kind}_secondary_indexes"].append(
            {
                "index_name": index.Meta.index_name,
                "key_schema": index_keys,
                "projection": {"ProjectionType": index.Meta.projection.projection_type},
            }
        )
        definitions.extend(d for d in index_definitions if d not in definitions)
    return schema
