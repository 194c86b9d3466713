"""Repository over SQL tables for one entity: reads in autocommit, writes through a unit of
work, batch reads as one ``IN`` query per chunk, keyset pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from sqlalchemy import literal, select, tuple_

from aace.adapters.sql.entity_table import EntityTable
from aace.adapters.sql.listing import count_statement, page_statement
from aace.adapters.sql.scan import page_of
from aace.adapters.sql.scan import statement as scan_statement
from aace.adapters.sql.scope import Scope, scope_for, write_scope
from aace.domain.bulk import BulkInput, Record, put_in_chunks
from aace.domain.errors import NotFound
from aace.domain.ports import ANY, PRESENT, Condition, ScanPage
from aace.domain.query import CursorCodec, Page, Query, next_cursor, resolve
from aace.domain.scan import ScanRequest, refuse_tenant_hashed
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey, require_operator

if TYPE_CHECKING:
    from aace.adapters.sql.store import SqlStore

__all__ = ["MAX_KEYS_PER_READ", "MAX_ROWS_PER_WRITE", "SqlRepository"]

E = TypeVar("E")

#: Keys per ``IN`` query of get_many (2 bind parameters per key at most).
MAX_KEYS_PER_READ = 1000
#: Rows per multi-row upsert of put_many, bounded by bind parameters (columns x rows).
MAX_ROWS_PER_WRITE = 500
_MAX_BIND_PARAMETERS = 30000
#: SQLite: a batched read or a page of at most this many rows runs inline on the event loop
#: (decoding them there costs more than reading them); larger ones, counts and scans hop.
MAX_INLINE_ROWS = 200


class SqlRepository(Generic[E]):
    """Records of one entity, always seen through one tenant."""

    def __init__(self, store: SqlStore, table: EntityTable[E], codec: CursorCodec) -> None:
        self._store = store
        self._db = store.database
        self._table = table
        self._codec = codec
        self.schema: EntitySchema[E] = table.schema

    async def get(self, tenant: PartitionKey, key: EntityKey) -> E:
        found = await self.find(tenant, key)
        if found is None:
            raise NotFound(f"{self.schema.name} {key} not found")
        return found

    async def find(self, tenant: PartitionKey, key: EntityKey) -> E | None:
        checked = self.schema.check_key(key)
        table = self._table
        params = table.key_params(tenant, checked)
        rows = await self._db.fetch(
            table.select_owned, params, scope=self._scope(tenant), inline=True
        )
        return table.entity(rows[0]) if rows else None

    def _scope(self, tenant: PartitionKey | None) -> Scope:
        return scope_for(None if tenant is None else str(tenant), platform=self.schema.platform)

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        checked = [self.schema.check_key(k) for k in keys]
        wanted = list(dict.fromkeys(checked))
        found: dict[EntityKey, E] = {}
        table = self._table
        inline = len(wanted) <= MAX_INLINE_ROWS
        for start in range(0, len(wanted), MAX_KEYS_PER_READ):
            statement = self._many_statement(tenant, wanted[start : start + MAX_KEYS_PER_READ])
            rows = await self._db.fetch(statement, scope=self._scope(tenant), inline=inline)
            for row in rows:
                entity = table.entity(row)
                found[self.schema.key_of(entity)] = entity
        return [found.get(key) for key in checked]

    def _many_statement(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> Any:
        table = self._table
        if self.schema.tenant_hashed:
            return select(table.table).where(
                table.tenant_column == str(tenant),
                table.key_columns[1].in_([k[0] for k in keys]),
            )
        stmt = select(table.table).where(tuple_(*table.key_columns).in_(keys))
        return stmt.where(table.tenant_clause(tenant)) if self.schema.tenant_checked else stmt

    async def put(self, entity: E, *, condition: Condition = ANY) -> None:
        async with self._store.unit_of_work() as uow:
            uow.put(entity, condition=condition)

    async def put_many(self, entities: BulkInput[E]) -> None:
        """Unconditional multi-row upserts, streamed: one transaction per chunk of distinct
        keys (sized by the bind-parameter limit), applied in input order (last write wins)."""
        columns = len(self._table.table.c)
        size = max(1, min(MAX_ROWS_PER_WRITE, _MAX_BIND_PARAMETERS // columns))
        await put_in_chunks(self.schema, entities, size, self._upsert_rows)

    async def _upsert_rows(self, rows: list[Record]) -> None:
        """One chunk in one transaction, as an executemany of one upsert (compiled once per
        engine: a multi-row VALUES would be compiled again for every chunk), for the one
        tenant of its records (several: operator mode, checked as they were read)."""
        stmt = self._table.upsert()
        platform = self.schema.platform
        tenants = () if platform else (str(r["partition_key"]) for r in rows)
        scope = write_scope(tenants, registry=platform)

        async def write(connection: Any) -> None:
            await connection.execute(stmt, rows)

        await self._db.transaction(write, scope=scope)

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None:
        async with self._store.unit_of_work() as uow:
            uow.delete(self.schema, tenant, key, condition=condition)

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        resolved = resolve(self.schema, tenant, query, self._codec)
        statement = page_statement(self._table, resolved, tenant)
        inline = query.limit <= MAX_INLINE_ROWS
        rows = await self._db.fetch(statement, scope=self._scope(tenant), inline=inline)
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            last = self._table.record(page[-1])
            cursor = next_cursor(resolved, self._codec, last)
        return Page(self._table.entities(page), cursor)

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        require_operator("exists_in_any_tenant")
        table = self._table
        statement = select(literal(1)).select_from(table.table).where(table.matches_all(equals))
        return bool(await self._db.fetch(statement.limit(1), scope=self._scope(None)))

    async def find_in_any_tenant(self, key: EntityKey) -> E | None:
        require_operator("find_in_any_tenant")
        checked = refuse_tenant_hashed(self.schema, key)
        table = self._table
        statement = select(table.table).where(tuple_(*table.key_columns) == checked)
        rows = await self._db.fetch(statement, scope=self._scope(None))
        return table.entity(rows[0]) if rows else None

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        resolved = resolve(self.schema, tenant, attrs.evolve(query, cursor=None), None)
        statement = count_statement(self._table, resolved, tenant)
        (row,) = await self._db.fetch(statement, scope=self._scope(tenant))
        return int(row[0])

    async def scan(
        self,
        *,
        segment: int = 0,
        segments: int = 1,
        position: str | None = None,
        limit: int = 100,
        tenant: PartitionKey | None = None,
    ) -> ScanPage[E]:
        """Keyset pages in primary-key order (the reference's order, code points); segments
        by a hash of the key, the reference's, on SQLite and PostgreSQL alike: each segment
        reads past the others' rows, so segments share out the records, not the database's
        reading (see :mod:`.scan`). A position is ``{hash_key: value, range_key: value}``."""
        scan = ScanRequest.check(
            self.schema,
            segment=segment,
            segments=segments,
            position=position,
            limit=limit,
            tenant=tenant,
            bucketed=True,
        )
        table = self._table
        statement = scan_statement(table, self._db.dialect, scan)
        rows, following = page_of(
            await self._db.fetch(statement, scope=self._scope(scan.tenant)), table, scan
        )
        return ScanPage(table.entities(rows), following)
