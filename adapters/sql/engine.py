"""Engines built from a :class:`StoreConfig`: URL normalisation, pool options, SQLite setup.

Creating an engine does no I/O; connections open on first use. Engines hide statement
parameters (``hide_parameters``): neither SQLAlchemy's statement log nor its errors show them.
"""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from aace.adapters.config import StoreConfig
from aace.adapters.sql.scan import BUCKET_FUNCTION
from aace.adapters.sql.scope import scope_statements
from aace.domain.errors import ValidationError
from aace.domain.scan import bucket

__all__ = ["BEGIN_OPTION", "EngineSettings", "create_engine", "normalize_url"]

#: Execution option naming how a SQLite transaction starts: "immediate" (writes, the
#: default) or "none" (single-statement reads in autocommit mode).
BEGIN_OPTION = "aace_begin"

#: Options this adapter reads (URL query or ``StoreConfig.options``); never passed to drivers.
OPTION_NAMES = frozenset(
    {
        "pool_size",
        "max_overflow",
        "pool_timeout",
        "pool_pre_ping",
        "pool_recycle",
        "busy_timeout_ms",
        "synchronous",
        "search_path",
        "retries",
        "version_table",
        "row_level_security",
    }
)


def _flag(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def _int(config: StoreConfig, name: str, default: int) -> int:
    text = config.option(name, str(default))
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationError(name, f"must be an integer, got {text!r}") from exc


@attrs.frozen
class EngineSettings:
    """The tuning one store runs with, read once from its configuration."""

    pool_size: int
    max_overflow: int
    pool_timeout: int
    pool_pre_ping: bool
    pool_recycle: int
    busy_timeout_ms: int
    synchronous: str
    search_path: str
    retries: int
    #: PostgreSQL: statements carry their scope for the row-level security policies (on by
    #: default; off only for a database whose policies its operator removed).
    row_level_security: bool = True

    @classmethod
    def from_config(cls, config: StoreConfig) -> EngineSettings:
        synchronous = config.option("synchronous", "NORMAL").upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValidationError("synchronous", "must be OFF, NORMAL, FULL or EXTRA")
        search_path = config.option("search_path", "")
        if search_path and not search_path.replace("_", "").replace(",", "").isalnum():
            raise ValidationError("search_path", "must be schema names separated by commas")
        return cls(
            pool_size=_int(config, "pool_size", 5),
            max_overflow=_int(config, "max_overflow", 10),
            pool_timeout=_int(config, "pool_timeout", 30),
            pool_pre_ping=_flag(config.option("pool_pre_ping", "false")),
            pool_recycle=_int(config, "pool_recycle", 1800),
            busy_timeout_ms=_int(config, "busy_timeout_ms", 30000),
            synchronous=synchronous,
            search_path=search_path,
            retries=_int(config, "retries", 5),
            row_level_security=_flag(config.option("row_level_security", "true")),
        )


def normalize_url(text: str) -> URL:
    """The async-driver URL: ``sqlite`` → ``sqlite+aiosqlite``, ``postgresql`` →
    ``postgresql+asyncpg``; this adapter's own options are removed from the query. (A SQLite
    store's engine runs the same file through :mod:`.sqlite_driver`, on stdlib sqlite3.)"""
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise ValidationError("storage_url", f"cannot parse {text!r}") from exc
    backend, _, driver = url.drivername.partition("+")
    expected = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}.get(backend)
    if expected is None:
        raise ValidationError("storage_url", f"not a SQL URL: {backend!r}")
    if driver not in ("", expected):
        raise ValidationError("storage_url", f"{backend} needs the {expected} driver")
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise ValidationError(
            "storage_url", "SQLite needs a file (sqlite:///path.db): memory is per connection"
        )
    url = url.set(drivername=f"{backend}+{expected}")
    return url.difference_update_query(OPTION_NAMES)


def _sqlite_engine(url: URL, settings: EngineSettings) -> AsyncEngine:
    from aace.adapters.sql.sqlite_driver import DRIVER, first_connect_from_any_thread

    engine = create_async_engine(
        url.set(drivername=f"sqlite+{DRIVER}"),
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        connect_args={"timeout": settings.busy_timeout_ms / 1000},
        hide_parameters=True,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
        # The driver must not open transactions itself: a deferred BEGIN that reads, then
        # writes, fails at once with "database is locked". _begin below opens them.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {settings.busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {settings.synchronous}")
        cursor.close()
        dbapi_connection.create_function(BUCKET_FUNCTION, 2, bucket, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(BEGIN_OPTION, "immediate") == "immediate":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    first_connect_from_any_thread(engine.sync_engine)
    return engine


def _postgresql_engine(url: URL, settings: EngineSettings) -> AsyncEngine:
    from aace.adapters.sql.scoped_connection import ScopedConnection  # imports asyncpg

    server_settings = {"search_path": settings.search_path} if settings.search_path else {}
    connect_args = {"server_settings": server_settings, "connection_class": ScopedConnection}
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
        pool_pre_ping=settings.pool_pre_ping,
        pool_recycle=settings.pool_recycle,
        connect_args=connect_args,
        hide_parameters=True,
    )
    if settings.row_level_security:
        scope_statements(engine.sync_engine)
    return engine


def create_engine(config: StoreConfig, settings: EngineSettings) -> AsyncEngine:
    """The engine for ``config.url`` (no connection is opened here)."""
    url = normalize_url(config.url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return _postgresql_engine(url, settings)
