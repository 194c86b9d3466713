"""Where a SQLite store's statements run: on the calling thread, or on a worker thread.

* A point read (and a small batched read or page) runs inline on the event loop: in WAL
  mode a reader never waits for a writer, and the read costs less than the hop would.
* Counts, scans and large batches, and every transaction (``BEGIN IMMEDIATE`` may wait for
  another process's write lock, ``COMMIT`` syncs the file), run on one of the store's worker
  threads, one hop per transaction, so the loop never waits on a lock.
* A blocking caller on its own thread (:data:`~aace.adapters.scheduling.CALLER_THREAD`)
  runs everything there: no hop at all.

Transactions are the same ``async`` work functions the PostgreSQL path runs
(:mod:`.writes`), driven to their end on a plain connection (:class:`_Statements`): they
await nothing but their statements, which complete at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Row, Select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from aace.adapters.scheduling import CALLER_THREAD
from aace.adapters.sql.engine import BEGIN_OPTION
from aace.adapters.sql.point_reads import PointReads

__all__ = ["SqlitePaths", "run_to_end"]

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]


def run_to_end(awaitable: Awaitable[T]) -> T:
    """The result of a coroutine that never suspends (it awaits only finished work)."""
    coroutine = cast(Coroutine[Any, Any, T], awaitable)
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a SQLite statement function awaited something besides its statements")


class _Statements:
    """What a work function uses of an ``AsyncConnection``, over a plain connection: each
    ``execute`` runs at once on this thread."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.dialect = connection.dialect

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._connection.execute(statement, parameters, execution_options=execution_options)

    async def run_sync(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return function(self._connection, *args, **kwargs)


class SqlitePaths:
    """The plain engine under a SQLite store's ``AsyncEngine`` (one pool), its worker
    threads, and the point reads compiled for the raw path."""

    def __init__(self, engine: AsyncEngine, workers: int) -> None:
        self._engine = engine.sync_engine
        self._reader = self._engine.execution_options(**{BEGIN_OPTION: "none"})
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aace-sqlite")
        self.point_reads = PointReads(self._engine)

    def fetch_here(self, statement: Select[Any], params: Mapping[str, Any] | None) -> Any:
        """The rows of one read, in autocommit mode, on this thread."""
        with self._reader.connect() as connection:
            return connection.execute(statement, params).all()

    async def fetch(
        self, statement: Select[Any], params: Mapping[str, Any] | None, *, inline: bool
    ) -> Sequence[Row[Any]]:
        if inline or CALLER_THREAD.get():
            if params is not None and self.point_reads.usable():
                return cast(Sequence[Row[Any]], self.point_reads.records(statement, params))
            rows: Sequence[Row[Any]] = self.fetch_here(statement, params)
            return rows
        found: Sequence[Row[Any]] = await self._off_loop(self.fetch_here, statement, params)
        return found

    def attempt_here(self, work: Work[T], one_statement: bool) -> T:
        """One try of a transaction on this thread: ``BEGIN IMMEDIATE`` … ``COMMIT``, or one
        write statement in autocommit mode (atomic by itself)."""
        if one_statement:
            with self._reader.connect() as connection:
                return run_to_end(work(cast(AsyncConnection, _Statements(connection))))
        with self._engine.connect() as connection, connection.begin():
            return run_to_end(work(cast(AsyncConnection, _Statements(connection))))

    async def attempt(self, work: Work[T], *, one_statement: bool) -> T:
        if CALLER_THREAD.get():
            return self.attempt_here(work, one_statement)
        result: T = await self._off_loop(self.attempt_here, work, one_statement)
        return result

    async def _off_loop(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on a worker thread, in this task's context (an observer of
        the call sees its statements)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._workers, call)

    def close(self) -> None:
        self.point_reads.close()
        self._workers.shutdown(wait=False)
