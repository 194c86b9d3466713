"""What rotation erases on SQLite, reported honestly: a WAL checkpoint that another
connection keeps from completing (a reader on an old snapshot) is tried again after a
pause, and said when it never completes."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from aace.application.container import open_store
from aace.application.secrets_erase import erase_old_bytes, erase_sqlite
from aace.application.settings import Settings
from aace.domain.entities import MCP_SERVERS
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey
from tests.backends.sqlite import sqlite_url
from tests.factories import sample

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def short_waits(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A SQLite store with a few servers, whose statements wait 50 ms for a lock (so a
    blocked checkpoint answers at once instead of after the default 30 s)."""
    url = sqlite_url(request) + "?busy_timeout_ms=50"
    store = await open_store(Settings(storage_url=url, initialize="create"))
    try:
        tenant = PartitionKey("ep", "erase")
        for _ in range(5):
            await store.repository(MCP_SERVERS).put(sample(MCP_SERVERS, tenant))
        yield store
    finally:
        await store.close()


@contextmanager
def reading(store: Store) -> Iterator[sqlite3.Connection]:
    """Another connection inside a read transaction (it pins the log's old snapshot)."""
    path = Path(str(store.database.engine.url.database))  # type: ignore[attr-defined]
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchall()
        yield reader
    finally:
        if reader.in_transaction:
            reader.execute("COMMIT")
        reader.close()


async def test_a_checkpoint_kept_from_completing_is_tried_again_after_a_pause(
    request: pytest.FixtureRequest,
) -> None:
    async with short_waits(request) as store:
        with reading(store) as reader:
            pauses: list[float] = []

            async def pause(seconds: float) -> None:  # the reader finishes meanwhile
                pauses.append(seconds)
                reader.execute("COMMIT")

            result = await erase_sqlite(store, attempts=3, pause=pause)
        assert len(pauses) == 1
        assert result.complete
        assert (result.busy, result.log, result.checkpointed) == (0, 0, 0)


async def test_a_checkpoint_that_never_completes_is_reported_not_claimed(
    request: pytest.FixtureRequest,
) -> None:
    async with short_waits(request) as store:
        pauses: list[float] = []

        async def pause(seconds: float) -> None:
            pauses.append(seconds)

        with reading(store):
            note = await erase_old_bytes(store, pause=pause)
        assert len(pauses) == 2  # three tries
        assert "the WAL was not truncated (busy 1" in note
        assert "run `aace secrets rotate` again" in note
        assert "checkpointed and truncated" not in note
        idle = await erase_old_bytes(store, pause=pause)
        assert "freed pages zeroed" in idle
        assert "the WAL checkpointed and truncated" in idle
