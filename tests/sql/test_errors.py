"""Configuration mistakes and backend failures reach callers as the domain's errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from aace.adapters.config import StoreConfig
from aace.adapters.sql import open_store
from aace.adapters.sql.engine import normalize_url
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.query import CursorCodec, Query
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET

pytestmark = pytest.mark.anyio

TENANT = PartitionKey("ep-errors", "tenant")


def _config(url: str, **options: str) -> StoreConfig:
    return StoreConfig(url, CursorCodec(TEST_SECRET), options=options)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///data/aace.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///aace.db", "sqlite+aiosqlite"),
        ("postgresql://u@localhost/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@localhost/db?pool_size=3&ssl=require", "postgresql+asyncpg"),
    ],
)
def test_urls_map_to_the_async_drivers_without_adapter_options(url: str, driver: str) -> None:
    normalized = normalize_url(url)
    assert normalized.drivername == driver
    assert "pool_size" not in normalized.query


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg2://u@h/db", "mysql://u@h/db"],
)
def test_unusable_urls_are_refused_by_name(url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        open_store(_config(url))
    assert refused.value.field == "storage_url"


def test_a_malformed_option_names_itself() -> None:
    with pytest.raises(ValidationError) as refused:
        open_store(_config("sqlite:///x.db", pool_size="many"))
    assert refused.value.field == "pool_size"


def test_building_a_store_opens_no_connection() -> None:
    store = open_store(_config(f"postgresql://nobody@127.0.0.1:{_closed_port()}/none"))
    assert store.adapter == "postgresql"
    pool = store.database.engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.checkedout(), pool.checkedin()) == (0, 0)


async def test_an_unreachable_postgresql_is_storage_unavailable(anyio_backend: str) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/test?pool_timeout=2"
    store = open_store(_config(url, retries="1"))
    try:
        with pytest.raises(StorageUnavailable):
            await store.initialize()
        with pytest.raises(StorageUnavailable):
            await store.repository(AGENTS).query(TENANT, Query())
    finally:
        await store.close()


async def test_a_sqlite_file_in_a_new_folder_is_created_and_migrated(
    anyio_backend: str, tmp_path: Path
) -> None:
    store = open_store(_config(f"sqlite:///{tmp_path / 'new' / 'sub' / 'aace.db'}"))
    try:
        await store.initialize()
        assert await store.repository(AGENTS).count(TENANT, Query()) == 0
    finally:
        await store.close()
    assert (tmp_path / "new" / "sub" / "aace.db").is_file()


async def test_an_uncreatable_sqlite_file_is_storage_unavailable(anyio_backend: str) -> None:
    store = open_store(_config("sqlite:////proc/aace-cannot-exist/aace.db"))
    try:
        with pytest.raises(StorageUnavailable):
            await store.initialize()
    finally:
        await store.close()
