"""Where SQLite statements run (adapters/sql/sqlite_paths.py): reads inline on the loop see
committed writes; a write waiting for another connection's write lock waits off the loop
while reads go on; threads share one blocking twin that runs on their own threads; rows
are rebuilt without validators only in the exact form already validated, the tenant check
always runs."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import attrs
import pytest

from aace import Aace, Settings, TenantContext
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS
from aace.domain.errors import InvalidPartitionKey, ValidationError
from aace.domain.records import from_known_record, from_record, to_record
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET
from tests.factories import sample
from tests.sql.conftest import custom_store

pytestmark = pytest.mark.anyio
TENANT = PartitionKey("ep-paths", "tenant")
DATA = {"agent_name": "Paths", "llm_provider": "provider", "llm_name": "model"}


def _file(store: SqlStore) -> str:
    return str(store.database.engine.url.database)


def _table(store: SqlStore) -> str:
    return store.entity_table(AGENTS).table.name


async def test_inline_reads_see_committed_writes(request: pytest.FixtureRequest) -> None:
    async with custom_store(request, "sqlite") as store:
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, TENANT)
        key = (agent.agent_version_uuid,)
        assert await repo.find(TENANT, key) is None
        await repo.put(agent)
        assert await repo.get(TENANT, key) == agent
        renamed = attrs.evolve(agent, agent_name="renamed")
        await repo.put(renamed)
        assert await repo.get(TENANT, key) == renamed
        assert await repo.get_many(TENANT, [key]) == [renamed]


async def test_a_write_waiting_for_another_writers_lock_does_not_stop_reads_on_the_loop(
    request: pytest.FixtureRequest,
) -> None:
    """Another connection holds the write lock (as another process would); our write waits
    for it on a worker thread, and reads on the loop complete meanwhile: they finish before
    the lock is released, and the write only after."""
    async with custom_store(request, "sqlite", options={"busy_timeout_ms": "120000"}) as store:
        repo = store.repository(AGENTS)
        present = sample(AGENTS, TENANT)
        await repo.put(present)
        other = sqlite3.connect(_file(store), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        order: list[str] = []
        waiting = sample(AGENTS, TENANT)

        async def write() -> None:
            await repo.put(waiting)
            order.append("write")

        writer = asyncio.create_task(write())
        await asyncio.sleep(0)  # let the write start (it hands its work to a worker)
        for _ in range(50):
            assert await repo.get(TENANT, (present.agent_version_uuid,)) == present
        order.append("reads")
        assert not writer.done()
        other.execute("COMMIT")
        other.close()
        await writer
        assert order == ["reads", "write"]
        assert await repo.get(TENANT, (waiting.agent_version_uuid,)) == waiting


def test_threads_share_one_blocking_twin_on_their_own_threads(tmp_path: Path) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path / 'twin.db'}", cursor_secret=TEST_SECRET)
    threads, each = 6, 5
    start = threading.Barrier(threads)
    made: list[str] = []
    errors: list[BaseException] = []
    with Aace.open_sync(settings) as app:
        assert app._traffic.on_caller_thread

        def work(number: int) -> None:
            try:
                context = TenantContext.from_request("ep-threads", f"t{number}", updated_by="t")
                start.wait()
                for _ in range(each):
                    agent = app.agents.create(context, DATA)
                    assert app.agents.get(context, agent.agent_version_uuid) == agent
                    made.append(agent.agent_version_uuid)
                assert app.agents.count(context) == each
            except BaseException as error:  # reported below
                errors.append(error)

        running = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
    assert errors == []
    assert len(set(made)) == threads * each


async def test_a_row_changed_behind_the_package_is_validated_in_full_again(
    request: pytest.FixtureRequest,
) -> None:
    async with custom_store(request, "sqlite") as store:
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, TENANT)
        key = (agent.agent_version_uuid,)
        await repo.put(agent)
        assert await repo.get(TENANT, key) == agent  # validated in full, remembered
        assert await repo.get(TENANT, key) == agent  # rebuilt from the remembered form
        with sqlite3.connect(_file(store)) as other:
            other.execute(f'UPDATE "{_table(store)}" SET agent_name = ?', ("   ",))
        with pytest.raises(ValidationError) as refused:
            await repo.get(TENANT, key)
        assert refused.value.field == "agent_name"


async def test_a_row_another_writer_left_is_validated_in_full(
    request: pytest.FixtureRequest,
) -> None:
    async with custom_store(request, "sqlite") as store:
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, TENANT)
        await repo.put(agent)
        with sqlite3.connect(_file(store)) as other:
            other.execute(
                f'UPDATE "{_table(store)}" SET agent_name = ?, agent_version_uuid = ?',
                ("", "written-elsewhere"),
            )
        with pytest.raises(ValidationError):
            await repo.get(TENANT, ("written-elsewhere",))


async def test_a_row_of_another_tenant_never_reaches_the_decoder(
    request: pytest.FixtureRequest,
) -> None:
    async with custom_store(request, "sqlite") as store:
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, TENANT)
        key = (agent.agent_version_uuid,)
        await repo.put(agent)
        assert await repo.get(TENANT, key) == agent
        assert await repo.find(PartitionKey("ep-paths", "other"), key) is None


def test_the_known_record_path_keeps_the_tenant_check() -> None:
    agent = sample(AGENTS, TENANT)
    record = to_record(AGENTS, agent)
    assert from_known_record(AGENTS, record) == from_record(AGENTS, record) == agent
    with pytest.raises(InvalidPartitionKey):
        from_known_record(AGENTS, {**record, "endpoint_id": "ep-someone-else"})
