"""Shared by the benchmarks: each backend as an embedder configures it (SQLite file,
PostgreSQL when ``AACE_TEST_POSTGRES_URL`` is set, DynamoDB Local), the plain driver beside
it, and counting what a store sends."""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aace import Settings
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.adapters.sql.engine import normalize_url
from aace.domain.ports import Store
from tests.backends.dynamodb import (
    dynamodb_local_dir,
    fresh_prefix,
    running_dynamodb_local,
    store_config,
)

SECRET = b"aace-core-benchmark-cursor-secret"


@attrs.frozen
class Backend:
    """One backend: its settings, and where the plain driver finds the same tables."""

    name: str
    settings: Settings
    search_path: str = ""  # PostgreSQL: the schema this run's tables are in
    endpoint: str = ""  # DynamoDB Local: host:port

    def plain_engine(self) -> AsyncEngine:
        """A SQL engine as a user would create one: defaults, and the run's schema."""
        url = normalize_url(self.settings.storage_url)
        if not self.search_path:
            return create_async_engine(url)
        search_path = {"server_settings": {"search_path": self.search_path}}
        return create_async_engine(url, connect_args=search_path)


@asynccontextmanager
async def postgres_schema(url: str) -> AsyncIterator[str]:
    """A fresh schema on the PostgreSQL at ``url``, dropped afterwards."""
    schema = f"aace_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield schema
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@contextmanager
def dynamodb_local() -> Iterator[str]:
    """A DynamoDB Local of its own, stopped afterwards: its ``host:port``."""
    package = dynamodb_local_dir()
    if package is None:
        raise RuntimeError(
            "set AACE_TEST_DYNAMODB_LOCAL_DIR (nox -s bench installs DynamoDB Local)"
        )
    with running_dynamodb_local(package) as server:
        yield server.endpoint


async def for_each_backend(measure: Callable[[Backend], Awaitable[None]]) -> None:
    """Run ``measure`` on SQLite, PostgreSQL (when configured) and DynamoDB Local, each on
    tables of its own that opening creates."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        await measure(Backend("sqlite", Settings(storage_url=url)))
    postgres = os.environ.get("AACE_TEST_POSTGRES_URL", "")
    if postgres:
        async with postgres_schema(postgres) as schema:
            settings = Settings(
                storage_url=postgres,
                cursor_secret=SECRET,
                initialize="create",
                store_options={"search_path": schema},
            )
            await measure(Backend("postgresql", settings, search_path=schema))
    else:
        print("[postgresql] skipped: AACE_TEST_POSTGRES_URL is not set")
    with dynamodb_local() as endpoint:
        config = store_config(endpoint, fresh_prefix())
        settings = Settings(
            storage_url=config.url,
            cursor_secret=SECRET,
            initialize="create",
            store_options=config.options,
        )
        await measure(Backend("dynamodb", settings, endpoint=endpoint))


def requests_of(store: Store) -> Any:
    """What :func:`counting` listens on for ``store``: its SQL engine or botocore client."""
    if isinstance(store, SqlStore):
        return store.database.engine.sync_engine
    assert isinstance(store, DynamoStore)
    return store.runner.client


@contextmanager
def counting(target: Any) -> Iterator[Counter[str]]:
    """What ``target`` sends meanwhile, by kind: a SQL engine's statements (by their first
    word, from ``before_cursor_execute``) or a botocore client's requests (by operation,
    from ``before-send``, so retries count)."""
    sent: Counter[str] = Counter()
    if isinstance(target, Engine):

        def statement(_: Any, __: Any, sql: str, *args: Any) -> None:
            sent[sql.split(None, 1)[0].upper()] += 1

        event.listen(target, "before_cursor_execute", statement)
        try:
            yield sent
        finally:
            event.remove(target, "before_cursor_execute", statement)
        return

    lock = threading.Lock()  # requests are sent from the store's worker threads

    def request(event_name: str, **_: Any) -> None:
        with lock:
            sent[event_name.rsplit(".", 1)[-1]] += 1

    events = target.meta.events
    events.register("before-send.dynamodb", request)
    try:
        yield sent
    finally:
        events.unregister("before-send.dynamodb", request)


def breakdown(sent: Counter[str], per: int = 1) -> str:
    """``"INSERT 3, SELECT 1"``: each kind's count divided by ``per``."""
    return ", ".join(f"{kind} {count / per:g}" for kind, count in sorted(sent.items()))
