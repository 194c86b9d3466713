"""Conditions and limits that hold under concurrency, on real SQLite files and PostgreSQL;
transactions retried whole when the database reports contention."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS, TENANT_COUNTERS, Agent
from aace.domain.errors import ConditionFailed, Conflict, LimitExceeded, StorageUnavailable
from aace.domain.ports import ABSENT, Condition
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.sql.conftest import SQL_ADAPTERS, custom_store

pytestmark = pytest.mark.anyio

TENANT = PartitionKey("ep-concurrency", "tenant")


async def _outcomes(*calls: Any) -> list[BaseException | None]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_fifty_concurrent_creates_of_one_key_make_exactly_one_record(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"pool_size": "20"}) as store:
        repo = store.repository(AGENTS)
        first = sample(AGENTS, TENANT, agent_version_uuid="the-one")
        rivals = [attrs.evolve(first, agent_name=f"rival {i}") for i in range(50)]
        outcomes = await _outcomes(*(repo.put(a, condition=ABSENT) for a in rivals))
        assert outcomes.count(None) == 1
        assert all(isinstance(o, Conflict) for o in outcomes if o is not None)
        winner = rivals[outcomes.index(None)]
        assert await repo.get(TENANT, ("the-one",)) == winner
        assert await repo.count(TENANT, Query()) == 1


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_concurrent_increments_never_pass_the_limit(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"pool_size": "20"}) as store:

        async def add_one() -> None:
            async with store.unit_of_work() as uow:
                uow.increment(TENANT, "agents", 1, limit=10)
                uow.put(sample(AGENTS, TENANT), condition=ABSENT)

        outcomes = await _outcomes(*(add_one() for _ in range(40)))
        assert outcomes.count(None) == 10
        assert all(isinstance(o, LimitExceeded) for o in outcomes if o is not None)
        counter = await store.repository(TENANT_COUNTERS).get(TENANT, ("agents",))
        assert counter.value == 10
        assert await store.repository(AGENTS).count(TENANT, Query()) == 10


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_concurrent_updates_of_one_version_let_exactly_one_through(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"pool_size": "20"}) as store:
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, TENANT, agent_name="v0")
        await repo.put(agent, condition=ABSENT)
        guard = Condition.present(agent_name="v0")
        updates = [attrs.evolve(agent, agent_name=f"v{i + 1}") for i in range(30)]
        outcomes = await _outcomes(*(repo.put(u, condition=guard) for u in updates))
        assert outcomes.count(None) == 1
        assert all(isinstance(o, ConditionFailed) for o in outcomes if o is not None)
        stored = await repo.get(TENANT, (agent.agent_version_uuid,))
        assert stored == updates[outcomes.index(None)]


async def test_twenty_sqlite_writers_never_see_database_is_locked(
    request: pytest.FixtureRequest, anyio_backend: str
) -> None:
    """Each writer reads then writes in one transaction (the case a deferred BEGIN fails)."""
    async with custom_store(
        request, "sqlite", options={"pool_size": "20", "max_overflow": "0"}
    ) as store:
        assert isinstance(store, SqlStore)
        repo = store.repository(AGENTS)
        agents = [sample(AGENTS, TENANT, num_of_messages=0) for _ in range(20)]
        await repo.put_many(agents)

        async def writer(agent: Agent) -> None:
            for step in range(10):
                bumped = attrs.evolve(agent, num_of_messages=step + 1)
                async with store.unit_of_work() as uow:
                    uow.put(bumped, condition=Condition.present(num_of_messages=step))
                    uow.increment(TENANT, "writes", 1)
                await repo.query(TENANT, Query(limit=5))

        outcomes = await _outcomes(*(writer(a) for a in agents))
        assert outcomes == [None] * 20
        counter = await store.repository(TENANT_COUNTERS).get(TENANT, ("writes",))
        assert counter.value == 200
        stored = await repo.get_many(TENANT, [AGENTS.key_of(a) for a in agents])
        assert [s.num_of_messages if s else None for s in stored] == [10] * 20


class _Deadlock(Exception):
    """What a driver reports when the database picked this transaction as a deadlock victim."""

    sqlstate = "40P01"


def _deadlock() -> OperationalError:
    return OperationalError("COMMIT", None, _Deadlock("deadlock detected"))


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_a_transaction_is_retried_whole_after_a_deadlock(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"retries": "3"}) as store:
        assert isinstance(store, SqlStore)
        tries: list[int] = []

        async def work(connection: AsyncConnection) -> str:
            tries.append(len(tries) + 1)
            await connection.execute(text("SELECT 1"))
            if len(tries) < 3:
                raise _deadlock()
            return "landed"

        assert await store.database.transaction(work) == "landed"
        assert tries == [1, 2, 3]


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_a_transaction_that_keeps_deadlocking_is_unavailable_after_every_retry(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"retries": "3"}) as store:
        assert isinstance(store, SqlStore)
        tries: list[None] = []

        async def work(_: AsyncConnection) -> None:
            tries.append(None)
            raise _deadlock()

        with pytest.raises(StorageUnavailable, match="stayed busy after every retry"):
            await store.database.transaction(work)
        assert len(tries) == 3


@pytest.mark.parametrize("adapter", SQL_ADAPTERS)
async def test_a_failure_other_than_contention_is_not_retried(
    request: pytest.FixtureRequest, anyio_backend: str, adapter: str
) -> None:
    async with custom_store(request, adapter, options={"retries": "3"}) as store:
        assert isinstance(store, SqlStore)
        tries: list[None] = []

        async def work(_: AsyncConnection) -> None:
            tries.append(None)
            raise IntegrityError("INSERT", None, Exception("duplicate key"))

        with pytest.raises(Conflict):
            await store.database.transaction(work)
        assert len(tries) == 1
