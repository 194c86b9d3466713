"""The engine a store runs on: autocommit reads, retried write transactions, dialect bits,
and on PostgreSQL the scope (tenant, operator or nobody) each statement runs under, which
row-level security checks (:mod:`.scope`).

Lost connections are handled optimistically (no ping before each use): a read, or a
transaction that had not reached ``COMMIT``, is run again on a fresh connection (SQLAlchemy
invalidates the lost one, and the pool the older ones); a connection lost during ``COMMIT``
is ``StorageUnavailable`` saying the write may or may not have landed, never retried into a
``Conflict``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Row, Select, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from aace.adapters import retrying
from aace.adapters.sql.dialects import Insert, dialect_insert
from aace.adapters.sql.endpoint import Endpoint
from aace.adapters.sql.engine import BEGIN_OPTION, EngineSettings
from aace.adapters.sql.errors import (
    SQLITE_PATH_HINT,
    is_lost_connection,
    is_retryable,
    translate_errors,
)
from aace.adapters.sql.scope import NOBODY, SCOPE_OPTION, Scope
from aace.adapters.sql.sqlite_paths import SqlitePaths
from aace.adapters.sql.telemetry import observe_statements
from aace.domain.errors import StorageMisconfigured, StorageUnavailable
from aace.domain.retry import RetryPolicy

__all__ = ["Database"]

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]


def _worth_retrying(error: BaseException) -> bool:
    """Contention, or a connection lost before the transaction could commit."""
    return is_retryable(error) or is_lost_connection(error)


class Database:
    """One engine and the two ways this adapter uses it."""

    def __init__(self, engine: AsyncEngine, settings: EngineSettings, where: Endpoint) -> None:
        self.engine = engine
        self.settings = settings
        #: Where the database is, for error messages (computed once, never the password).
        self.where = where
        self.dialect = engine.dialect.name
        #: Whether statements carry their scope (PostgreSQL, unless the store's
        #: ``row_level_security`` option turned it off for a database without policies).
        self.scoped = self.dialect == "postgresql" and settings.row_level_security
        #: How a transaction is retried: ``settings.retries`` tries in all (at least one).
        self.retry_policy = RetryPolicy(attempts=max(1, settings.retries))
        observe_statements(engine.sync_engine, self.dialect)
        #: SQLite: where each statement runs (inline or on a worker thread, :mod:`.sqlite_paths`).
        self.sqlite: SqlitePaths | None = None
        if self.dialect == "sqlite":
            workers = max(1, min(8, settings.pool_size + settings.max_overflow - 1))
            self.sqlite = SqlitePaths(engine, workers)
            self._reader = engine.execution_options(**{BEGIN_OPTION: "none"})
        else:
            self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")

    def insert(self, table: Table) -> Insert:
        """The dialect's INSERT (it knows ``ON CONFLICT``)."""
        return dialect_insert(self.dialect, table)

    async def read(self, work: Work[T]) -> T:
        """Run ``work``, which only reads tables without tenants' rows (the migrations'
        version table), on a connection in autocommit mode; again on a fresh connection
        when the pooled one turns out to be lost. Entity reads go through :meth:`fetch`."""
        with translate_errors(self.where):
            return await retrying.call(
                self.retry_policy, is_lost_connection, self._autocommit, work
            )

    async def fetch(
        self,
        statement: Select[Any],
        params: Mapping[str, Any] | None = None,
        *,
        scope: Scope,
        inline: bool = False,
    ) -> Sequence[Row[Any]]:
        """The rows of one read ``statement``, run as one autocommit statement under
        ``scope`` (PostgreSQL: the statement sets it itself, see :mod:`.scope`).

        ``inline``: on SQLite, a read short enough to run on the event loop itself (a point
        read, a small batch or page); other reads run on a worker thread. Rows may then be
        plain mappings (the raw path of :mod:`.point_reads`)."""
        bound = dict(params) if params else None
        if self.sqlite is not None:
            with translate_errors(self.where):
                return await self.sqlite.fetch(statement, bound, inline=inline)
        options = {SCOPE_OPTION: scope} if self.scoped else {}

        async def rows(connection: AsyncConnection) -> Sequence[Row[Any]]:
            result = await connection.execute(statement, bound, execution_options=options)
            found: Sequence[Row[Any]] = result.all()
            return found

        return await self.read(rows)

    async def transaction(
        self, work: Work[T], *, scope: Scope = NOBODY, one_statement: bool = False
    ) -> T:
        """Run ``work`` in one transaction under ``scope`` (``BEGIN IMMEDIATE`` on SQLite),
        retrying the whole of it after a deadlock, a serialization failure, a busy database
        or a connection lost before ``COMMIT``.

        ``one_statement``: ``work`` writes with one statement (reading afterwards at most,
        to explain a refusal). SQLite then runs it without ``BEGIN``: the statement is
        atomic by itself and takes the write lock as it starts. SQLite runs each try on a
        worker thread (or a blocking caller's own), never on the loop.
        """
        with translate_errors(self.where):
            if self.sqlite is not None:
                run = functools.partial(self.sqlite.attempt, one_statement=one_statement)
                return await retrying.call(self.retry_policy, is_retryable, run, work)
            attempt = functools.partial(self._attempt, scope=scope)
            return await retrying.call(self.retry_policy, _worth_retrying, attempt, work)

    async def _autocommit(self, work: Work[T]) -> T:
        async with self._reader.connect() as connection:
            return await work(connection)

    async def _attempt(self, work: Work[T], *, scope: Scope) -> T:
        async with self.engine.connect() as connection:
            driver: Any = None
            if self.scoped:  # the driver's BEGIN, sent with the first statement, sets it
                driver = (await connection.get_raw_connection()).driver_connection
                driver.begin_as(scope)
            try:
                async with connection.begin() as transaction:
                    result = await work(connection)
                    await self._commit(transaction)
            finally:
                if driver is not None:
                    driver.begin_as(None)
        return result

    async def _commit(self, transaction: Any) -> None:
        try:
            await transaction.commit()
        except DBAPIError as exc:
            if not is_lost_connection(exc):
                raise
            raise StorageUnavailable(
                f"lost the connection to {self.where} while committing: the write may "
                "or may not have landed (read it back before trying again)"
            ) from exc

    def _sqlite_file(self) -> Path | None:
        """The SQLite file (``None`` for PostgreSQL, or a ``file:`` URI SQLite resolves)."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or self.engine.url.query.get("uri"):
            return None
        return Path(database)

    async def prepare(self) -> None:
        """Create the SQLite file's folder if needed (the file itself appears on connect)."""
        path = self._sqlite_file()
        if path is None:
            return
        folder = path.parent
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise StorageMisconfigured(
                f"cannot create the folder of {self.where}: "
                f"{folder.absolute()} exists and is not a folder",
                hint=SQLITE_PATH_HINT,
            ) from exc
        except OSError as exc:
            raise StorageMisconfigured(
                f"cannot create the folder of {self.where}: {exc}",
                hint=SQLITE_PATH_HINT,
            ) from exc

    async def exists(self) -> bool:
        """Whether the database is there, asked without creating it: something exists at the
        SQLite path (opening it tells whether it is a database); a server database is
        assumed to be (connecting tells)."""
        path = self._sqlite_file()
        return path is None or await asyncio.to_thread(path.exists)

    async def ping(self) -> None:
        """One ``SELECT 1`` on a pooled connection, tried once (a health check reports a
        failure rather than retrying it). Nothing for a SQLite file that does not exist:
        connecting would create it."""
        if not await self.exists():
            return

        async def select_one(connection: AsyncConnection) -> None:
            await connection.execute(text("SELECT 1"))

        with translate_errors(self.where):
            await self._autocommit(select_one)

    async def dispose(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        with translate_errors(self.where):
            await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.dialect})"
