"""One entity's table with the clauses every statement on it needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, Table, and_, false, literal, true
from sqlalchemy.sql.elements import ColumnClause

from adapters.sql.tables import primary_key
from domain.records import from_record
from domain.schema import AttrKind, EntityKey, EntitySchema
from domain.tenancy import PartitionKey

__all__ = ["EntityTable", "Record"]

E = TypeVar("E")
Record = dict[str, Any]

#: Python types an equality filter on each kind can match (as ``==`` in the reference).
_MATCHING: dict[AttrKind, tuple[type, ...]] = {
    AttrKind.S: (str,),
    AttrKind.N: (int, float),
    AttrKind.B: (bool, int),
}


class EntityTable(Generic[E]):
    """An entity's schema and its SQL table."""

    def __init__(self, schema: EntitySchema[E], table: Table) -> None:
        self.schema = schema
        self.table = table
        self.key_columns = tuple(table.c[name] for name in primary_key(schema))
        self.partition_key = table.c.partition_key

    def column(self, name: str) -> ColumnClause[Any]:
        return self.table.c[name]

    def stored_key(self, tenant: PartitionKey, key: EntityKey) -> tuple[str, str]:
        """The primary-key values of ``key`` (tenant tables are hashed on the tenant)."""
        if self.schema.tenant_hashed:
            return (str(tenant), key[0])
        return (key[0], key[1])

    def at_key(self, tenant: PartitionKey, key: EntityKey) -> ColumnElement[bool]:
        """The row stored under ``key``, whichever tenant wrote it."""
        hash_value, range_value = self.stored_key(tenant, key)
        return and_(self.key_columns[0] == hash_value, self.key_columns[1] == range_value)

    def owned(self, tenant: PartitionKey, key: EntityKey) -> ColumnElement[bool]:
        """The tenant's own row under ``key``: a foreign row never matches."""
        clause = self.at_key(tenant, key)
        if self.schema.tenant_hashed:
            return clause
        return and_(clause, self.partition_key == str(tenant))

    def equals(self, name: str, value: Any) -> ColumnElement[bool]:
        """``attribute == value`` with the reference's Python semantics (None matches a
        missing value; a value of another type matches nothing)."""
        column = self.column(name)
        if value is None:
            return column.is_(None)
        kind = self.schema.attribute_kinds[name]
        if kind is AttrKind.DT:
            return (
                column == literal(value, column.type) if isinstance(value, datetime) else false()
            )
        allowed = _MATCHING.get(kind)
        if allowed is None or not isinstance(value, allowed):
            return false()
        if kind is AttrKind.B:
            if value not in (0, 1):
                return false()
            value = bool(value)
        return column == literal(value, column.type)

    def matches_all(self, equals: Mapping[str, Any]) -> ColumnElement[bool]:
        return and_(true(), *(self.equals(k, v) for k, v in equals.items()))

    def record(self, row: Row[Any]) -> Record:
        return dict(row._mapping)

    def entity(self, row: Row[Any]) -> E:
        return from_record(self.schema, self.record(row))

    def entities(self, rows: Sequence[Row[Any]]) -> list[E]:
        return [from_record(self.schema, self.record(row)) for row in rows]
