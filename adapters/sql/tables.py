"""SQL tables generated from the entity schemas: one table per entity, the DynamoDB key as a
composite primary key, one index per DynamoDB index, every attribute under its own name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, Column, Index, MetaData, PrimaryKeyConstraint, Table
from sqlalchemy.types import TypeEngine

from aace.adapters.sql.types import FreeText, Json, KeyText, Number, SecretJson, UtcDateTime
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.schema import AttributeSpec, AttrKind, EntitySchema, IndexSpec, TableNames

__all__ = [
    "MAX_IDENTIFIER_BYTES",
    "build_metadata",
    "column_type",
    "index_columns",
    "index_name",
    "key_attributes",
    "ordered_attributes",
    "primary_key",
]

#: PostgreSQL truncates longer identifiers silently; longer index names are shortened here.
MAX_IDENTIFIER_BYTES = 63


def primary_key(schema: EntitySchema[Any]) -> tuple[str, str]:
    """The DynamoDB key: (hash, range)."""
    return (schema.hash_key, schema.range_key)


def index_columns(schema: EntitySchema[Any], index: IndexSpec) -> tuple[str, ...]:
    """The index's hash and range columns, then the table key as the keyset tiebreaker."""
    leading = (index.hash_key, index.range_key)
    return leading + tuple(f for f in primary_key(schema) if f not in leading)


def index_name(table_name: str, index: str) -> str:
    """``{table}.{index}``: index names are per database schema in PostgreSQL."""
    name = f"{table_name}.{index}"
    if len(name.encode("utf-8")) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    return f"{name.encode('utf-8')[:50].decode('utf-8', 'ignore')}~{digest}"


def key_attributes(schema: EntitySchema[Any]) -> frozenset[str]:
    """Attributes that key, index or order records (stored as code-point-ordered text)."""
    names = set(primary_key(schema))
    for index in schema.indexes:
        names.update((index.hash_key, index.range_key))
    return frozenset(names)


def column_type(spec: AttributeSpec, keyed: bool, secret: bool = False) -> TypeEngine[Any]:
    """The column type for one attribute kind (a secret map: the same column, redacted in
    logs)."""
    if secret:
        return SecretJson()
    if spec.kind is AttrKind.S:
        return KeyText() if keyed else FreeText()
    if spec.kind is AttrKind.DT:
        return UtcDateTime()
    if spec.kind is AttrKind.N:
        return Number()
    if spec.kind is AttrKind.B:
        return Boolean()
    return Json()


def ordered_attributes(schema: EntitySchema[Any]) -> Iterable[AttributeSpec]:
    """Key attributes first (as in the primary key), then the rest in declaration order."""
    by_name = {spec.name: spec for spec in schema.attributes}
    key = primary_key(schema)
    yield from (by_name[name] for name in key)
    yield from (spec for spec in schema.attributes if spec.name not in key)


def _table(metadata: MetaData, schema: EntitySchema[Any], name: str) -> Table:
    keyed = key_attributes(schema)
    key = primary_key(schema)
    columns = [
        Column(
            spec.name,
            column_type(spec, spec.name in keyed, spec.name in schema.secrets),
            nullable=spec.nullable and spec.name not in key,
        )
        for spec in ordered_attributes(schema)
    ]
    indexes = [Index(index_name(name, i.name), *index_columns(schema, i)) for i in schema.indexes]
    return Table(name, metadata, *columns, PrimaryKeyConstraint(*key), *indexes)


def build_metadata(
    table_names: TableNames, schemas: Iterable[EntitySchema[Any]] = ALL_SCHEMAS
) -> tuple[MetaData, dict[str, Table]]:
    """A fresh MetaData with every entity's table, and the tables by schema name."""
    metadata = MetaData()
    tables = {s.name: _table(metadata, s, table_names(s)) for s in schemas}
    return metadata, tables
