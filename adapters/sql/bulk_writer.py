"""The migration's bulk copy into SQLite or PostgreSQL: newer-wins upserts of many rows.

One statement for a whole page: ``INSERT … VALUES (…), (…) ON CONFLICT (key) DO UPDATE SET
… WHERE the stored row is older (and, on tables checked by tenant, the same tenant's)
RETURNING key`` (SQLAlchemy sends the rows as multi-row VALUES: "insertmanyvalues"), in one
transaction under the writers' scope: the operator's in operator mode, as the migration
runs, so PostgreSQL's row-level security admits every tenant's rows (adapters/sql/scope.py).
A row that comes back was written; one that does not met a newer or another tenant's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.scope import write_scope
from aace.domain.bulk import Record
from aace.domain.schema import EntitySchema

if TYPE_CHECKING:
    from aace.adapters.sql.store import SqlStore

__all__ = ["SqlBulkWriter"]

#: The (hash, range) values of a written row.
Key = tuple[Any, Any]


class SqlBulkWriter:
    """Newer-wins multi-row upserts into one entity's table."""

    def __init__(self, store: SqlStore, schema: EntitySchema[Any]) -> None:
        self.schema = schema
        self.table = store.entity_table(schema)
        self.database = store.database
        upsert, _ = self.table.not_newer(schema.version_field)
        self.statement = upsert.returning(*self.table.key_columns)
        #: Statements sent (for reports and benchmarks).
        self.requests = 0

    def key_of(self, record: Record) -> Key:
        """The key a written row comes back with."""
        hash_column, range_column = self.table.key_columns
        return record[hash_column.name], record[range_column.name]

    async def is_empty(self) -> bool:
        """Never asked of SQL targets: their writes are conditional. True."""
        return True

    async def write(self, records: Sequence[Record]) -> set[Key]:
        """Upsert ``records`` (distinct keys, each a full storage record) where the stored
        row is older or absent; the keys written."""
        if not records:
            return set()
        platform = self.schema.platform
        tenants = () if platform else (str(r["partition_key"]) for r in records)
        scope = write_scope(tenants, registry=platform)
        rows = list(records)

        async def work(connection: AsyncConnection) -> set[Key]:
            result = await connection.execute(self.statement, rows)
            return {(row[0], row[1]) for row in result.all()}

        self.requests += 1
        written: set[Key] = await self.database.transaction(work, scope=scope)
        return written
