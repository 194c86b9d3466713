"""The SQL adapter: SQLite through aiosqlite (embedded default), PostgreSQL through asyncpg."""

from aace.adapters.sql.factory import open_store
from aace.adapters.sql.repository import SqlRepository
from aace.adapters.sql.store import SqlStore
from aace.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlRepository", "SqlStore", "SqlUnitOfWork", "open_store"]
