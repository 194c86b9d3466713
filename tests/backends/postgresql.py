"""PostgreSQL through asyncpg, at ``AACE_TEST_POSTGRES_URL``.

Each opener creates a schema of its own (``aace_test_<random>``), points the store at it
through the ``search_path`` option, and drops it with everything in it afterwards, so runs
never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aace.adapters.config import StoreConfig
from aace.adapters.sql.engine import normalize_url
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET, unavailable

URL_VARIABLE = "AACE_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The server's URL, or a skip (a failure under CI) when it is not configured."""
    url = os.environ.get(URL_VARIABLE, "")
    if not url:
        unavailable(f"{URL_VARIABLE} is not set: PostgreSQL tests need a server")
    return url


@asynccontextmanager
async def fresh_schema(url: str) -> AsyncIterator[str]:
    """A new, empty schema; dropped (cascading) on exit."""
    schema = f"aace_test_{uuid.uuid4().hex[:12]}"
    admin: AsyncEngine = create_async_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        try:
            async with admin.connect() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except (OSError, Exception) as exc:  # the server is down or refuses us
            unavailable(f"PostgreSQL at {URL_VARIABLE} is unreachable: {exc}")
        try:
            yield schema
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    url = postgres_url()
    async with fresh_schema(url) as schema:
        config = StoreConfig(url, CursorCodec(TEST_SECRET), options={"search_path": schema})
        store = build_store(config)
        await store.initialize()
        try:
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def fresh_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings on a new, empty schema (dropped afterwards)."""
    url = postgres_url()
    async with fresh_schema(url) as schema:
        yield Settings(
            storage_url=url, cursor_secret=TEST_SECRET, store_options={"search_path": schema}
        )
