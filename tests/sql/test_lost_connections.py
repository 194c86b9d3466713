"""Lost PostgreSQL connections, handled without a ping before each use: a killed pooled
connection is survived by reads and writes; a connection lost before ``COMMIT`` is retried;
one lost at ``COMMIT`` is reported, never retried into a ``Conflict``.

A backend is killed from another connection, and the test goes on once the client has
noticed its closed socket (asyncpg's termination listener), as an idle pool would have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageUnavailable
from aace.domain.ports import ABSENT
from aace.domain.query import Query
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.sql.conftest import custom_store

pytestmark = pytest.mark.anyio

TENANT = PartitionKey("ep", "lost-connections")
_PID = text("SELECT pg_backend_pid()")
#: Seconds after which a client that never notices a killed backend fails the test instead
#: of hanging it: a guard, never a measure.
HANG_GUARD = 60


@pytest.fixture
async def store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[SqlStore]:
    async with custom_store(request, "postgresql", options={"pool_size": "1"}) as opened:
        assert opened.database.engine.pool._pre_ping is False
        yield opened


@attrs.frozen
class Backend:
    """One server backend and the client connection (asyncpg's) that talks to it."""

    pid: int
    driver: Any


async def _backend(connection: AsyncConnection) -> Backend:
    pid = int((await connection.execute(_PID)).scalar_one())
    raw = await connection.get_raw_connection()
    return Backend(pid, raw.driver_connection)


async def _terminate(store: SqlStore, backend: Backend) -> None:
    """Kill one server backend from another, plain connection, and return once the client
    has noticed its closed socket."""
    noticed = asyncio.Event()
    backend.driver.add_termination_listener(lambda _: noticed.set())
    killer = create_async_engine(store.database.engine.url)
    try:
        async with killer.connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": backend.pid}
            )
    finally:
        await killer.dispose()
    with anyio.fail_after(HANG_GUARD):
        await noticed.wait()


async def test_a_killed_pooled_connection_is_survived_by_reads_and_writes(
    store: SqlStore,
) -> None:
    repo = store.repository(AGENTS)
    first = sample(AGENTS, TENANT)
    await repo.put(first, condition=ABSENT)
    await _terminate(store, await store.database.read(_backend))
    assert await repo.get(TENANT, AGENTS.key_of(first)) == first  # a read after the kill
    await _terminate(store, await store.database.read(_backend))
    second = sample(AGENTS, TENANT)
    await repo.put(second, condition=ABSENT)  # a write after the kill
    assert await repo.count(TENANT, Query()) == 2


async def test_a_connection_lost_before_commit_runs_the_transaction_again(
    store: SqlStore,
) -> None:
    agent = sample(AGENTS, TENANT)
    tries: list[int] = []

    async def work(connection: AsyncConnection) -> None:
        backend = await _backend(connection)
        tries.append(backend.pid)
        if len(tries) == 1:
            await _terminate(store, backend)
        table = store.entity_table(AGENTS)
        await connection.execute(table.insert_absent, to_record(AGENTS, agent))

    await store.database.transaction(work)
    assert len(tries) == 2
    assert tries[0] != tries[1]
    assert await store.repository(AGENTS).get(TENANT, AGENTS.key_of(agent)) == agent


async def test_a_connection_lost_at_commit_is_reported_not_retried(store: SqlStore) -> None:
    agent = sample(AGENTS, TENANT)
    tries = 0

    async def work(connection: AsyncConnection) -> None:
        nonlocal tries
        tries += 1
        table = store.entity_table(AGENTS)
        await connection.execute(table.insert_absent, to_record(AGENTS, agent))
        await _terminate(store, await _backend(connection))  # the last statement ran; COMMIT next

    with pytest.raises(StorageUnavailable, match="may or may not have landed"):
        await store.database.transaction(work)
    assert tries == 1
    assert await store.repository(AGENTS).find(TENANT, AGENTS.key_of(agent)) is None
