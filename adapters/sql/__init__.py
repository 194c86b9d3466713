"""The SQL adapter: SQLite through aiosqlite (embedded default), PostgreSQL through asyncpg."""

from adapters.sql.factory import open_store
from adapters.sql.repository import SqlRepository
from adapters.sql.store import SqlStore
from adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlRepository", "SqlStore", "SqlUnitOfWork", "open_store"]
