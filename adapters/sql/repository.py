"""Repository over SQL tables for one entity: reads in autocommit, writes through a unit of
work, batch reads as one ``IN`` query per chunk, keyset pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from sqlalchemy import Row, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.entity_table import EntityTable
from aace.adapters.sql.listing import count_statement, page_statement
from aace.adapters.sql.scan import read_page
from aace.domain.bulk import BulkInput, Record, put_in_chunks
from aace.domain.errors import NotFound
from aace.domain.ports import ANY, PRESENT, Condition, ScanPage
from aace.domain.query import CursorCodec, Page, Query, next_cursor, resolve
from aace.domain.scan import ScanRequest
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

if TYPE_CHECKING:
    from aace.adapters.sql.store import SqlStore

__all__ = ["MAX_KEYS_PER_READ", "MAX_ROWS_PER_WRITE", "SqlRepository"]

E = TypeVar("E")

#: Keys per ``IN`` query of get_many (2 bind parameters per key at most).
MAX_KEYS_PER_READ = 1000
#: Rows per multi-row upsert of put_many, bounded by bind parameters (columns x rows).
MAX_ROWS_PER_WRITE = 500
_MAX_BIND_PARAMETERS = 30000


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

        async def read(connection: AsyncConnection) -> Row[Any] | None:
            result = await connection.execute(
                table.select_owned, table.key_params(tenant, checked)
            )
            return result.first()

        row = await self._db.read(read)
        return None if row is None else table.entity(row)

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        checked = [self.schema.check_key(k) for k in keys]
        wanted = list(dict.fromkeys(checked))
        found: dict[EntityKey, E] = {}
        table = self._table
        for start in range(0, len(wanted), MAX_KEYS_PER_READ):
            statement = self._many_statement(tenant, wanted[start : start + MAX_KEYS_PER_READ])
            for row in await self._db.read(partial(_all_rows, statement=statement)):
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
        engine: a multi-row VALUES would be compiled again for every chunk)."""
        stmt = self._table.upsert()

        async def write(connection: Any) -> None:
            await connection.execute(stmt, rows)

        await self._db.transaction(write)

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None:
        async with self._store.unit_of_work() as uow:
            uow.delete(self.schema, tenant, key, condition=condition)

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        resolved = resolve(self.schema, tenant, query, self._codec)
        statement = page_statement(self._table, resolved, tenant)
        rows = await self._db.read(partial(_all_rows, statement=statement))
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            last = self._table.record(page[-1])
            cursor = next_cursor(resolved, self._codec, last)
        return Page(self._table.entities(page), cursor)

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        table = self._table
        statement = select(literal(1)).select_from(table.table).where(table.matches_all(equals))
        found = await self._db.read(partial(_first_row, statement=statement.limit(1)))
        return found is not None

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        resolved = resolve(self.schema, tenant, attrs.evolve(query, cursor=None), None)
        statement = count_statement(self._table, resolved, tenant)

        async def read(connection: AsyncConnection) -> int:
            return int((await connection.execute(statement)).scalar_one())

        return await self._db.read(read)

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
        rows, following = await self._db.read(partial(read_page, table=self._table, scan=scan))
        return ScanPage(self._table.entities(rows), following)


async def _first_row(connection: AsyncConnection, *, statement: Any) -> Any:
    return (await connection.execute(statement)).first()


async def _all_rows(connection: AsyncConnection, *, statement: Any) -> Sequence[Row[Any]]:
    return (await connection.execute(statement)).all()
