"""PostgreSQL through asyncpg, at ``AACE_TEST_POSTGRES_URL``.

Each opener creates a schema of its own (``aace_test_<random>``), points the store at it
through the ``search_path`` option, and drops it with everything in it afterwards, so runs
never see each other's data.

:func:`open_store` migrates the schema as the URL's role (the tables' owner), grants the
application role :data:`APP_ROLE` what ``aace init --app-role`` grants, and hands out a store
connected as that role: the URL's role is a superuser, which row-level security never holds,
so only the application role shows the policies at work.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aace.adapters.config import StoreConfig
from aace.adapters.sql.engine import normalize_url
from aace.adapters.sql.store import SqlStore
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET, unavailable

URL_VARIABLE = "AACE_TEST_POSTGRES_URL"
#: The role the stores of :func:`open_store` connect as (created on first use, kept).
APP_ROLE = "aace_test_app"


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


async def run_as_owner(store: SqlStore, *statements: str) -> None:
    """Run ``statements`` in one transaction as the tables' owner (the URL's role) on the
    store's schema: DDL a test needs, which the application role may not run."""
    url = normalize_url(postgres_url())
    search_path = store.database.settings.search_path
    owner = create_async_engine(
        url, connect_args={"server_settings": {"search_path": search_path}}
    )
    try:
        async with owner.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await owner.dispose()


def as_role(url: str, role: str) -> str:
    """``url`` with ``role`` as its user (and no password: the test server trusts local
    connections)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@asynccontextmanager
async def app_role_schema(**options: str) -> AsyncIterator[StoreConfig]:
    """A fresh schema migrated by the URL's role, which grants :data:`APP_ROLE` what
    ``aace init --app-role`` grants: the configuration of a store connected as that role
    (``options``: more store options)."""
    url = postgres_url()
    codec = CursorCodec(TEST_SECRET)
    async with fresh_schema(url) as schema:
        options = {"search_path": schema, **options}
        owner = build_store(StoreConfig(url, codec, options=options))
        try:
            await owner.initialize()
            assert isinstance(owner, SqlStore)
            await owner.grant_app_role(APP_ROLE)
        finally:
            await owner.close()
        yield StoreConfig(as_role(url, APP_ROLE), codec, options=options)


@asynccontextmanager
async def open_store(request: pytest.FixtureRequest, **options: str) -> AsyncIterator[Store]:
    """A store on a fresh schema, connected as :data:`APP_ROLE` (``options``: more store
    options)."""
    async with app_role_schema(**options) as config:
        store = build_store(config)
        try:
            await store.verify()
            yield store
        finally:
            await store.close()


@asynccontextmanager
async def app_role_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings connecting as :data:`APP_ROLE` to a fresh schema its owner migrated."""
    async with app_role_schema() as config:
        yield Settings(
            storage_url=config.url, cursor_secret=TEST_SECRET, store_options=dict(config.options)
        )


@asynccontextmanager
async def fresh_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings on a new, empty schema (dropped afterwards)."""
    url = postgres_url()
    async with fresh_schema(url) as schema:
        yield Settings(
            storage_url=url, cursor_secret=TEST_SECRET, store_options={"search_path": schema}
        )
