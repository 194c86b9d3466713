"""``verify()`` checks that the database is at the newest shipped migration, creating nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from aace.adapters.config import StoreConfig
from aace.adapters.sql import SqlStore, migrate
from aace.domain.errors import StorageMisconfigured
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET
from tests.sql.conftest import SQL_ADAPTERS, refusal, unprepared_store

pytestmark = pytest.mark.anyio


async def _table_names(store: SqlStore) -> set[str]:
    async with store.database.engine.begin() as connection:
        return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))


async def _stamp(store: SqlStore, revision: str) -> None:
    async with store.database.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"UPDATE \"{store.version_table}\" SET version_num = '{revision}'"
        )


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_verify_on_a_fresh_database_asks_for_aace_init(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with unprepared_store(request, adapter) as store:
        with pytest.raises(StorageMisconfigured) as refused:
            await store.verify()
        if adapter == "postgresql":
            assert await _table_names(store) == set()
    where = store.database.where
    assert str(refused.value) == (
        f"{where} does not exist, so it has no aace tables: run `aace init` to create it"
        if adapter == "sqlite"
        else f"{where} has no aace tables (no revision in its version table "
        "aace-alembic_version): run `aace init` to create them"
    )
    assert str(refused.value.hint).startswith("run `aace init --storage ")


async def test_verify_on_a_new_sqlite_path_creates_neither_file_nor_folder(
    anyio_backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "new" / "aace.db"
    refused = await refusal(
        StoreConfig(f"sqlite:///{path}", CursorCodec(TEST_SECRET)), "verify", StorageMisconfigured
    )
    assert str(refused) == (
        f"SQLite file {path} does not exist, so it has no aace tables: "
        "run `aace init` to create it"
    )
    assert refused.hint == f"run `aace init --storage sqlite:///{path}`"
    assert not (tmp_path / "new").exists()


async def test_verify_on_an_empty_sqlite_file_leaves_no_tables_behind(
    anyio_backend: str, tmp_path: Path
) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    error = await refusal(
        StoreConfig(f"sqlite:///{path}", CursorCodec(TEST_SECRET)), "verify", StorageMisconfigured
    )
    assert "has no aace tables (no revision in" in str(error)
    with sqlite3.connect(path) as connection:
        found = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert found == []


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_verify_after_initialize_passes(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with unprepared_store(request, adapter) as store:
        await store.initialize()
        await store.verify()


async def test_verify_uses_the_configured_version_table(
    request: pytest.FixtureRequest, anyio_backend: str
) -> None:
    async with unprepared_store(request, "sqlite", options={"version_table": "v"}) as store:
        await store.initialize()
        await store.verify()
        assert "v" in await _table_names(store)


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_a_database_migrated_by_a_newer_release_is_refused_untouched(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with unprepared_store(request, adapter) as store:
        await store.initialize()
        await _stamp(store, "9999")
        with pytest.raises(StorageMisconfigured) as on_verify:
            await store.verify()
        with pytest.raises(StorageMisconfigured) as on_initialize:
            await store.initialize()
        assert await migrate.current_revision(store.database, store.version_table) == "9999"
    expected = (
        f"{store.database.where} was migrated by a newer aace-core "
        f"(revision 9999; this one knows revisions up to {migrate.shipped().head})"
    )
    assert str(on_verify.value) == expected
    assert str(on_initialize.value) == expected
    assert on_verify.value.hint == (
        "upgrade aace-core to the release that migrated it, or point at another database"
    )


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_verify_names_an_older_revision_and_that_aace_init_migrates_it(
    request: pytest.FixtureRequest,
    anyio_backend: str,
    adapter: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A release shipping the revision after this one's head meets a database at the head."""
    head = migrate.shipped().head
    following = f"{int(head) + 1:04d}"
    later = migrate.Shipped(following, migrate.shipped().known | {following})
    async with unprepared_store(request, adapter) as store:
        await store.initialize()
        monkeypatch.setattr(migrate, "shipped", lambda: later)
        with pytest.raises(StorageMisconfigured) as refused:
            await store.verify()
    assert str(refused.value) == (
        f"{store.database.where} is at revision {head} but this aace-core needs revision "
        f"{following}: "
        "`aace init` migrates it"
    )
    assert str(refused.value.hint).startswith("run `aace init --storage ")
