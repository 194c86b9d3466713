"""Stores of the SQL adapter on both backends, fresh per test (a new file or schema)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TypeVar

import pytest

from aace.adapters.config import StoreConfig
from aace.adapters.sql import SqlStore, open_store
from aace.domain.errors import AaceError
from aace.domain.query import CursorCodec
from aace.domain.schema import TableNames
from tests.backends import TEST_SECRET, opener, postgresql
from tests.backends.postgresql import fresh_schema, postgres_url
from tests.backends.sqlite import sqlite_url

SQL_ADAPTERS = ("sqlite", "postgresql")


@pytest.fixture(params=SQL_ADAPTERS)
async def sql_store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[SqlStore]:
    """A migrated SQL store on an empty database, one per test."""
    async with opener(request.param)(request) as store:
        assert store.adapter == request.param
        assert isinstance(store, SqlStore)
        yield store


@asynccontextmanager
async def unprepared_store(
    request: pytest.FixtureRequest,
    adapter: str,
    *,
    table_names: TableNames | None = None,
    options: dict[str, str] | None = None,
) -> AsyncIterator[SqlStore]:
    """A store on a fresh file (not created yet) or an empty schema, not initialized."""
    settings = dict(options or {})
    async with AsyncExitStack() as stack:
        if adapter == "sqlite":
            url = sqlite_url(request)
        else:
            url = postgres_url()
            settings["search_path"] = await stack.enter_async_context(fresh_schema(url))
        config = StoreConfig(
            url, CursorCodec(TEST_SECRET), table_names or TableNames(), options=settings
        )
        store = open_store(config)
        try:
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def custom_store(
    request: pytest.FixtureRequest,
    adapter: str,
    *,
    table_names: TableNames | None = None,
    options: dict[str, str] | None = None,
) -> AsyncIterator[SqlStore]:
    """A migrated store on a fresh file or schema, with its own names and options."""
    async with unprepared_store(
        request, adapter, table_names=table_names, options=options
    ) as store:
        await store.initialize()
        yield store


@pytest.fixture
async def postgres_server(anyio_backend: str) -> str:
    """The test server's URL once it answered (a skip, or a failure under CI, otherwise)."""
    url = postgres_url()
    async with fresh_schema(url):
        return url


async def run_as_owner(store: SqlStore, *statements: str) -> None:
    """DDL a test needs, in one transaction: on PostgreSQL as the tables' owner (stores from
    :func:`tests.backends.postgresql.open_store` connect as the application role)."""
    if store.adapter == "postgresql":
        await postgresql.run_as_owner(store, *statements)
        return
    async with store.database.engine.begin() as connection:
        for statement in statements:
            await connection.exec_driver_sql(statement)


E = TypeVar("E", bound=AaceError)


async def refusal(config: StoreConfig, step: str, error: type[E]) -> E:
    """The ``error`` that ``store.<step>()`` raises on a store built from ``config``
    (``initialize`` or ``verify``); the store is closed afterwards."""
    store = open_store(config)
    try:
        with pytest.raises(error) as refused:
            await getattr(store, step)()
    finally:
        await store.close()
    return refused.value
