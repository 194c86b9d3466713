"""One entity's table with the clauses every statement on it needs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    false,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.sql.dml import Delete
from sqlalchemy.sql.elements import ColumnClause

from aace.adapters.sql.dialects import Insert
from aace.adapters.sql.point_reads import StoredRecord
from aace.adapters.sql.tables import primary_key
from aace.adapters.sql.types import Redacted
from aace.domain.records import from_known_record, from_record
from aace.domain.schema import AttrKind, EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = ["HASH_PARAMETER", "RANGE_PARAMETER", "EntityTable", "Record"]

E = TypeVar("E")
Record = dict[str, Any]

#: Bind parameter names of the key clauses (never an attribute name, so an UPDATE can take
#: its SET values from the same parameters).
_HASH, _RANGE, _TENANT = "key_hash_", "key_range_", "key_tenant_"
HASH_PARAMETER, RANGE_PARAMETER = _HASH, _RANGE
#: Validated rows a table remembers, and the text a row may hold to be remembered.
KNOWN_ROWS, KNOWN_ROW_CHARS = 512, 8192

#: Python types an equality filter on each kind can match (as ``==`` in the reference).
_MATCHING: dict[AttrKind, tuple[type, ...]] = {
    AttrKind.S: (str,),
    AttrKind.N: (int, float),
    AttrKind.B: (bool, int),
}


class EntityTable(Generic[E]):
    """An entity's schema, its SQL table, and its key statements (built once, run with
    parameters from :meth:`key_params`, so SQLAlchemy compiles each of them once).

    The schema's secret columns are :class:`SecretJson` (see :mod:`tables`): SQLAlchemy's
    engine log and the drivers' own logs show them as ``<redacted>``; :meth:`record` unwraps
    them.
    """

    def __init__(
        self, schema: EntitySchema[E], table: Table, insert: Callable[[Table], Insert]
    ) -> None:
        self.schema = schema
        self.table = table
        self.secrets = tuple(sorted(schema.secrets))
        self.insert = insert
        self.key_columns = tuple(table.c[name] for name in primary_key(schema))
        self.key_names = frozenset(c.name for c in self.key_columns)
        self.at_key = and_(
            self.key_columns[0] == bindparam(_HASH), self.key_columns[1] == bindparam(_RANGE)
        )
        #: The tenant's own row: on parent-hashed tables a foreign row never matches. Tables
        #: hashed on the tenant, and platform registries (no tenant column), match the key.
        self.owned = (
            and_(self.at_key, self.tenant_column == bindparam(_TENANT))
            if schema.tenant_checked
            else self.at_key
        )
        self.select_owned = select(table).where(self.owned)
        self.select_stored = select(self.key_columns[0]).where(self.at_key)
        self.update_owned = update(table).where(self.owned)
        self.delete_owned = delete(table).where(self.owned)
        self.insert_absent = insert(table).on_conflict_do_nothing(
            index_elements=list(self.key_columns)
        )
        #: Create or replace; on a parent-hashed table a foreign row is never replaced.
        self.upsert_own = self.upsert(same_tenant=schema.tenant_checked)
        self._locks: dict[tuple[frozenset[str], bool], Select[Any]] = {}
        #: Rows, as stored, that passed full validation (oldest first).
        self._known: dict[tuple[Any, ...], None] = {}
        self._known_lock = threading.Lock()
        self._not_newer: dict[str, tuple[Insert, Delete]] = {}

    def not_newer(self, field: str) -> tuple[Insert, Delete]:
        """The upsert and the delete that act only where the stored ``field`` is at most the
        ``:stamp`` given (newer wins); the upsert never replaces another tenant's row."""
        found = self._not_newer.get(field)
        if found is None:
            stamp = self.table.c[field]
            stmt = self.insert(self.table)
            excluded = stmt.excluded
            older = or_(stamp.is_(None), stamp <= excluded[field])
            owned = (
                self.tenant_column == excluded.partition_key
                if self.schema.tenant_checked
                else true()
            )
            upsert = stmt.on_conflict_do_update(
                index_elements=list(self.key_columns),
                set_={
                    c.name: excluded[c.name] for c in self.table.c if c.name not in self.key_names
                },
                where=and_(owned, older),
            )
            remove = delete(self.table).where(
                self.owned, or_(stamp.is_(None), stamp <= bindparam("stamp", type_=stamp.type))
            )
            found = self._not_newer[field] = (upsert, remove)
        return found

    def upsert(
        self, records: Sequence[Record] | None = None, *, same_tenant: bool = False
    ) -> Insert:
        """INSERT … ON CONFLICT (key) DO UPDATE every other column to the new values (rows
        given here, or as execution parameters); ``same_tenant`` leaves a stored row of
        another tenant untouched, and then no row is counted."""
        stmt = self.insert(self.table)
        if records is not None:
            stmt = stmt.values(list(records))
        excluded = stmt.excluded
        return stmt.on_conflict_do_update(
            index_elements=list(self.key_columns),
            set_={c.name: excluded[c.name] for c in self.table.c if c.name not in self.key_names},
            where=self.tenant_column == excluded.partition_key if same_tenant else None,
        )

    @property
    def tenant_column(self) -> ColumnClause[Any]:
        """The ``partition_key`` column (a platform registry has none: ``KeyError``)."""
        return self.table.c["partition_key"]

    def tenant_clause(self, tenant: PartitionKey) -> ColumnElement[bool]:
        """Rows of ``tenant`` only; every row of a platform registry (every tenant's)."""
        if self.schema.platform:
            return true()
        return self.tenant_column == str(tenant)

    def column(self, name: str) -> ColumnClause[Any]:
        return self.table.c[name]

    def lock_columns(self, names: Collection[str], *, shared: bool = False) -> Select[Any]:
        """Lock the tenant's row (:meth:`key_params`), reading only its key and ``names``
        (those that are columns): what a condition needs, and nothing more.

        ``shared``: ``FOR SHARE`` on PostgreSQL (others may lock it the same way, nobody may
        change or delete it until the transaction ends) instead of ``FOR UPDATE``. SQLite
        has no row locks: its write transactions are serialized by ``BEGIN IMMEDIATE``."""
        wanted = frozenset(n for n in names if n in self.table.c and n not in self.key_names)
        found = self._locks.get((wanted, shared))
        if found is None:
            columns = [*self.key_columns, *(self.table.c[n] for n in sorted(wanted))]
            found = select(*columns).where(self.owned).with_for_update(read=shared)
            self._locks[(wanted, shared)] = found
        return found

    def key_params(self, tenant: PartitionKey, key: EntityKey) -> dict[str, str]:
        """Parameters of :attr:`at_key` and :attr:`owned` for ``key`` of ``tenant`` (the
        key alone on a platform registry: ``tenant`` is not compared)."""
        if self.schema.tenant_hashed:
            return {_HASH: str(tenant), _RANGE: key[0]}
        if not self.schema.tenant_checked:
            return {_HASH: key[0], _RANGE: key[1]}
        return {_HASH: key[0], _RANGE: key[1], _TENANT: str(tenant)}

    def values(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record's non-key attributes (what an UPDATE sets)."""
        return {k: v for k, v in record.items() if k not in self.key_names}

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

    def record(self, row: Row[Any] | Mapping[str, Any]) -> Record:
        """The storage record of a row (a ``Row``, or the raw path's plain mapping)."""
        record = dict(row._mapping) if isinstance(row, Row) else dict(row)
        for name in self.secrets:
            value = record.get(name)
            if isinstance(value, Redacted):
                record[name] = value.value
        return record

    def entity(self, row: Row[Any] | Mapping[str, Any]) -> E:
        """The entity of a row. A row read on the raw path (:class:`StoredRecord`) that this
        table already validated in full in this exact stored form is rebuilt without the
        field validators (the tenant check always runs); any other row is validated in
        full: a first read, another writer's row, a row changed since."""
        stored = row.stored if isinstance(row, StoredRecord) else None
        record = self.record(row)
        if stored is None:
            return from_record(self.schema, record)
        if stored in self._known:
            return from_known_record(self.schema, record)
        entity = from_record(self.schema, record)
        self._remember(stored)
        return entity

    def _remember(self, stored: tuple[Any, ...]) -> None:
        """Keep a validated row (at most :data:`KNOWN_ROWS`, each of at most
        :data:`KNOWN_ROW_CHARS` characters of text: memory stays bounded)."""
        if sum(len(v) for v in stored if isinstance(v, str)) > KNOWN_ROW_CHARS:
            return
        with self._known_lock:
            known = self._known
            if len(known) >= KNOWN_ROWS:
                del known[next(iter(known))]
            known[stored] = None

    def entities(self, rows: Sequence[Row[Any]]) -> list[E]:
        return [from_record(self.schema, self.record(row)) for row in rows]
