"""Configuration mistakes and backend failures reach callers as the domain's errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from aace.adapters.config import StoreConfig
from aace.adapters.sql import open_store
from aace.adapters.sql.engine import normalize_url
from aace.adapters.sql.errors import SQLITE_PATH_HINT
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageMisconfigured, StorageUnavailable, ValidationError
from aace.domain.query import CursorCodec, Query
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET
from tests.sql.conftest import SQL_ADAPTERS, refusal, unprepared_store

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


async def test_an_unreachable_postgresql_names_its_address_and_the_drivers_reason(
    anyio_backend: str,
) -> None:
    port = _closed_port()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test?pool_timeout=2"
    store = open_store(_config(url, retries="1"))
    expected = (
        rf"^cannot reach PostgreSQL at 127\.0\.0\.1:{port} \(database test\): "
        rf"\[Errno 111\] Connect call failed \('127\.0\.0\.1', {port}\)$"
    )
    try:
        with pytest.raises(StorageUnavailable, match=expected):
            await store.initialize()
        with pytest.raises(StorageUnavailable, match=expected):
            await store.verify()
        with pytest.raises(StorageUnavailable, match=expected):
            await store.repository(AGENTS).query(TENANT, Query())
    finally:
        await store.close()


async def test_an_unknown_host_is_unavailable_naming_the_host(anyio_backend: str) -> None:
    refused = await refusal(
        _config("postgresql://postgres@no-such-host.invalid/test"),
        "initialize",
        StorageUnavailable,
    )
    message = str(refused)
    assert message.startswith(
        "cannot reach PostgreSQL at no-such-host.invalid:5432 (database test): [Errno "
    )
    assert isinstance(refused.__cause__, OSError)


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


async def test_the_password_never_appears_in_an_error(anyio_backend: str) -> None:
    secret = "s3cret-Pa55-in-url"
    url = f"postgresql://app:{secret}@127.0.0.1:{_closed_port()}/test?search_path=s"
    error = await refusal(_config(url), "initialize", StorageUnavailable)
    shown = [str(error), repr(error), str(error.hint), *map(repr, _chain(error))]
    assert not [text for text in shown if secret in text]
    where = open_store(_config(url)).database.where
    assert secret not in repr(where)
    assert secret not in where.init_command
    assert where.init_command.startswith("aace init --storage 'postgresql://app:***@127.0.0.1:")
    assert where.scrub(f"a driver echoing {secret}") == "a driver echoing ***"


async def test_an_unknown_role_is_misconfigured_with_the_servers_reason(
    postgres_server: str,
) -> None:
    url = make_url(postgres_server).set(username="no_such_role_xyz", password=None)
    where = f"{url.host}:{url.port or 5432}"
    store = open_store(_config(url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(StorageMisconfigured) as refused:
            await store.initialize()
        with pytest.raises(StorageMisconfigured):
            await store.repository(AGENTS).count(TENANT, Query())
    finally:
        await store.close()
    assert str(refused.value) == (
        f"authentication failed for role no_such_role_xyz at PostgreSQL {where}: "
        'role "no_such_role_xyz" does not exist'
    )
    assert refused.value.hint == "check the user name and password in the storage URL"


async def test_a_missing_database_is_misconfigured_naming_it(postgres_server: str) -> None:
    url = make_url(postgres_server).set(database="aace_no_such_database")
    where = f"{url.host}:{url.port or 5432}"
    refused = await refusal(
        _config(url.render_as_string(hide_password=False)), "verify", StorageMisconfigured
    )
    assert str(refused) == (
        f"the database aace_no_such_database does not exist on PostgreSQL {where}: "
        'database "aace_no_such_database" does not exist'
    )


async def test_a_missing_search_path_schema_is_misconfigured(postgres_server: str) -> None:
    store = open_store(_config(postgres_server, search_path="aace_no_such_schema"))
    try:
        with pytest.raises(StorageMisconfigured, match="has no schema to keep the aace tables"):
            await store.initialize()
    finally:
        await store.close()


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_the_first_query_on_an_unprepared_database_asks_for_aace_init(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with unprepared_store(request, adapter) as store:
        with pytest.raises(StorageMisconfigured) as refused:
            await store.repository(AGENTS).query(TENANT, Query())
    assert "lacks the aace tables or holds an older version of them" in str(refused.value)
    assert "aace-agents" in str(refused.value)
    assert str(refused.value).endswith(": run `aace init`")
    assert str(refused.value.hint).startswith("run `aace init --storage ")


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


async def test_an_uncreatable_sqlite_folder_names_the_path_and_the_reason(
    anyio_backend: str,
) -> None:
    refused = await refusal(
        _config("sqlite:////proc/aace-cannot-exist/aace.db"), "initialize", StorageMisconfigured
    )
    assert str(refused) == (
        "cannot create the folder of SQLite file /proc/aace-cannot-exist/aace.db: "
        "[Errno 2] No such file or directory: '/proc/aace-cannot-exist'"
    )


async def test_a_sqlite_folder_that_is_a_file_names_the_path_and_the_reason(
    anyio_backend: str, tmp_path: Path
) -> None:
    (tmp_path / "plain").write_text("not a folder")
    path = tmp_path / "plain" / "aace.db"
    store = open_store(_config(f"sqlite:///{path}"))
    try:
        with pytest.raises(StorageMisconfigured) as on_init:
            await store.initialize()
        with pytest.raises(StorageMisconfigured) as on_query:
            await store.repository(AGENTS).count(TENANT, Query())
    finally:
        await store.close()
    assert str(on_init.value) == (
        f"cannot create the folder of SQLite file {path}: "
        f"{tmp_path / 'plain'} exists and is not a folder"
    )
    assert str(on_query.value) == (
        f"cannot open SQLite file {path}: [Errno 20] Not a directory: '{tmp_path / 'plain'}'"
    )
    assert on_query.value.hint == SQLITE_PATH_HINT


async def test_a_sqlite_path_that_is_a_folder_cannot_be_opened(
    anyio_backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "aace.db"
    path.mkdir()
    refused = await refusal(_config(f"sqlite:///{path}"), "initialize", StorageMisconfigured)
    assert str(refused) == (f"cannot open SQLite file {path}: [Errno 21] Is a directory: '{path}'")


async def test_a_file_that_is_not_a_sqlite_database_is_misconfigured(
    anyio_backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are notes, not a database " * 64)
    refused = await refusal(_config(f"sqlite:///{path}"), "verify", StorageMisconfigured)
    assert str(refused) == (f"SQLite file {path} is not a SQLite database: file is not a database")
