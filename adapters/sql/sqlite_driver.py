"""SQLite under SQLAlchemy without a driver thread: stdlib ``sqlite3`` connections that the
store's ``AsyncEngine`` and its plain ``Engine`` (``engine.sync_engine``) share, one pool.

aiosqlite ran every statement on a thread of its own (five hops for one read). Here a
statement runs on the thread that sends it. Sent through the ``AsyncEngine`` (inside
SQLAlchemy's greenlet, on the event loop), reads run inline and whatever may wait for the
write lock or fsync (``BEGIN``, writes, DDL, ``COMMIT``) hops to a worker thread, so the
loop is never stalled by another process's lock. The store's hot paths use the plain
engine directly (:class:`~aace.adapters.sql.database.Database` says where each runs).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.util.concurrency import await_, in_greenlet

__all__ = ["DRIVER", "InlineSqliteDialect", "first_connect_from_any_thread"]

#: The driver name of the engine URL (``sqlite+aace_sqlite3``); users write ``sqlite://``.
DRIVER = "aace_sqlite3"
#: Statements that only read: run inline on the loop when sent through the AsyncEngine.
_READS = ("SELECT", "PRAGMA", "select", "pragma")


async def _ready() -> None:
    """The await SQLAlchemy's AsyncConnection wants to see for a statement run inline."""


class _Cursor(sqlite3.Cursor):
    """Runs inline, except a statement that may wait for the write lock sent from the loop
    (inside SQLAlchemy's greenlet): that one runs on a worker thread."""

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        if not in_greenlet():
            super().execute(sql, parameters)
        elif sql.lstrip().startswith(_READS):
            super().execute(sql, parameters)
            await_(_ready())
        else:
            await_(asyncio.to_thread(super().execute, sql, parameters))
        return self

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's async results call on a cursor they are done with (its rows are
        already fetched: nothing to do)."""

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:
        if in_greenlet():
            await_(asyncio.to_thread(super().executemany, sql, parameters))
        else:
            super().executemany(sql, parameters)
        return self


class _Connection(sqlite3.Connection):
    """A connection whose cursors are :class:`_Cursor` and whose commit and rollback, sent
    from the loop, run on a worker thread (a commit syncs the file)."""

    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)

    def commit(self) -> None:
        if in_greenlet():
            await_(asyncio.to_thread(super().commit))
        else:
            super().commit()

    def rollback(self) -> None:
        if in_greenlet():
            await_(asyncio.to_thread(super().rollback))
        else:
            super().rollback()


class _SharedPool(QueuePool):
    """A thread-safe queue pool both engines share (an AsyncEngine asks for an asyncio
    pool; nothing here waits on the loop: a connection is held for one statement inline, or
    by a worker thread)."""

    _is_asyncio = True


class InlineSqliteDialect(SQLiteDialect_pysqlite):
    """pysqlite, flagged async so an ``AsyncEngine`` accepts it; connections are
    :class:`_Connection` usable from any thread (one at a time, as the pool hands them)."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[Pool]:
        return _SharedPool

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        cparams["factory"] = _Connection
        cparams["check_same_thread"] = False
        return super().connect(*cargs, **cparams)


def first_connect_from_any_thread(sync_engine: Any) -> None:
    """Let the pool's first connection open on any thread: SQLAlchemy guards an asyncio
    engine's first ``connect`` listeners with a lock awaited on the loop, which a worker
    thread or a blocking caller cannot await (call it once every listener is set)."""
    for name in ("connect", "first_connect"):
        listeners = getattr(sync_engine.pool.dispatch, name)
        if hasattr(listeners, "_exec_once_mutex"):  # none registered: nothing to guard
            listeners._exec_once_mutex = threading.Lock()


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSqliteDialect")
