"""The SQL store: SQLite (embedded default) or PostgreSQL, one engine, tables from schemas."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Table

from aace.adapters.health import timed_check
from aace.adapters.sql.database import Database
from aace.adapters.sql.entity_table import EntityTable
from aace.adapters.sql.migrate import check_revision, shipped, upgrade
from aace.adapters.sql.repository import SqlRepository
from aace.adapters.sql.roles import grant_app_role
from aace.adapters.sql.unit_of_work import SqlUnitOfWork
from aace.domain.ports import Health
from aace.domain.query import CursorCodec
from aace.domain.schema import EntitySchema, TableNames

__all__ = ["SqlStore"]

E = TypeVar("E")


class SqlStore:
    """Hands out repositories and units of work over one database."""

    def __init__(
        self,
        database: Database,
        tables: dict[str, Table],
        table_names: TableNames,
        codec: CursorCodec,
        version_table: str,
    ) -> None:
        self.database = database
        self.adapter = database.dialect
        self.table_names = table_names
        self.version_table = version_table
        self._codec = codec
        self._tables = tables
        self._entity_tables: dict[str, EntityTable[Any]] = {}

    @property
    def runs_on_caller_thread(self) -> bool:
        """Whether a blocking caller may run calls on its own thread (SQLite: a synchronous
        driver and a pool bound to no event loop), without the blocking twin's portal."""
        return self.database.sqlite is not None

    def entity_table(self, schema: EntitySchema[E]) -> EntityTable[E]:
        found = self._entity_tables.get(schema.name)
        if found is None:
            found = EntityTable(schema, self._tables[schema.name], self.database.insert)
            self._entity_tables[schema.name] = found
        return found

    def repository(self, schema: EntitySchema[E]) -> SqlRepository[E]:
        return SqlRepository(self, self.entity_table(schema), self._codec)

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    async def initialize(self) -> None:
        """Bring the schema to the newest migration (creates every table on a new database)."""
        await self.database.prepare()
        await upgrade(self.database, self.table_names, self.version_table)

    async def grant_app_role(self, role: str) -> bool:
        """PostgreSQL: create ``role`` unless it exists, and grant it what the application
        needs (:mod:`.roles`); whether it was created. Run as the tables' owner."""
        tables = sorted(table.name for table in self._tables.values())
        return await grant_app_role(self.database, role, tables, self.version_table)

    async def verify(self) -> None:
        """Check, creating nothing, that the database is at the newest shipped migration
        (``StorageMisconfigured`` naming the revision found and what to run otherwise)."""
        await check_revision(self.database, self.version_table)

    async def ping(self) -> Health:
        """``SELECT 1``, then the revision check of :meth:`verify` (the version table's one
        row), timed; a failure is reported, never raised."""
        return Health(store=await timed_check(self._probe))

    async def _probe(self) -> str:
        await self.database.ping()
        await check_revision(self.database, self.version_table)
        return f"{self.database.where} at revision {shipped().head}"

    async def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        await self.database.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self.adapter})"
