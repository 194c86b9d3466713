"""Row-level security on PostgreSQL: repository get, put, a first and a deep page of 50
(by a date, and by a number) with the policies on (revision 0005, each statement scoped)
against the same store with them off (no policies and no scope sent at all), in the same
run, both connected as the same application role (a superuser is never held to policies,
so it would measure nothing). Needs ``AACE_TEST_POSTGRES_URL``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import attrs
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from aace.adapters.config import StoreConfig
from aace.adapters.sql import SqlStore, open_store
from aace.adapters.sql.engine import normalize_url
from aace.domain.entities import AGENTS, ALL_SCHEMAS, FINE_TUNING_MESSAGES, FineTuningMessage
from aace.domain.query import CursorCodec, Query
from aace.domain.tenancy import PartitionKey
from benchmarks.backends import SECRET, breakdown, counting, postgres_schema
from benchmarks.report import Report, interleaved_timing
from benchmarks.sql import bench_agent
from tests.backends.postgresql import as_role

SECTION = "sql/postgresql row-level security"
ROLE = "aace_bench_app"
RECORDS = 1_000
PAGE = 50
DEEP = 20
AGENT = "a-bench"
TARGET = 1.05


@asynccontextmanager
async def _store(url: str, schema: str, *, policies: bool) -> AsyncIterator[SqlStore]:
    """A store on ``schema`` as :data:`ROLE`: migrated by the URL's role, then (``policies``
    off) with every policy dropped and row-level security disabled, and no scope sent."""
    options = {"search_path": schema}
    owner = open_store(StoreConfig(url, CursorCodec(SECRET), options=options))
    try:
        await owner.initialize()
        await owner.grant_app_role(ROLE)
        if not policies:
            await _drop_policies(owner)
    finally:
        await owner.close()
    options["row_level_security"] = "true" if policies else "false"
    store = open_store(StoreConfig(as_role(url, ROLE), CursorCodec(SECRET), options=options))
    try:
        yield store
    finally:
        await store.close()


async def _drop_policies(owner: SqlStore) -> None:
    async def work(connection: Any) -> None:
        for schema in ALL_SCHEMAS:
            table = owner.table_names(schema)
            policies = await connection.execute(
                text("SELECT polname FROM pg_policy WHERE polrelid = CAST(:t AS regclass)"),
                {"t": f'"{table}"'},
            )
            for (policy,) in policies.all():
                await connection.execute(text(f'DROP POLICY "{policy}" ON "{table}"'))
            await connection.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))

    await owner.database.transaction(work)


async def _deep(repo: Any, tenant: PartitionKey, query: Query) -> Query:
    """``query`` moved to its page :data:`DEEP` (a cursor after DEEP - 1 pages)."""
    for _ in range(DEEP - 1):
        page = await repo.query(tenant, query)
        query = attrs.evolve(query, cursor=page.next_cursor)
    return query


async def _operations(
    store: SqlStore, tenant: PartitionKey
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The calls measured, on records :func:`_load` stored."""
    agents, messages = store.repository(AGENTS), store.repository(FINE_TUNING_MESSAGES)
    agent = bench_agent(tenant, 0)
    await agents.put(agent)  # the record the gets read
    by_date = Query(index="updated_at-index", descending=True, limit=PAGE)
    deep_by_date = await _deep(agents, tenant, by_date)
    by_number = Query(index="timestamp-index", parent=AGENT, limit=PAGE)
    deep_by_number = await _deep(messages, tenant, by_number)
    return {
        "get": lambda: agents.get(tenant, AGENTS.key_of(agent)),
        "put": lambda: agents.put(agent),
        f"page 1 of agents by updated_at ({PAGE})": lambda: agents.query(tenant, by_date),
        f"page {DEEP} of agents by updated_at": lambda: agents.query(tenant, deep_by_date),
        f"page {DEEP} of fine-tuning messages by timestamp (a number)": lambda: messages.query(
            tenant, deep_by_number
        ),
    }


async def _load(store: SqlStore, tenant: PartitionKey) -> None:
    await store.repository(AGENTS).put_many(bench_agent(tenant, n) for n in range(RECORDS))
    messages = (
        FineTuningMessage(
            partition_key=tenant,
            agent_uuid=AGENT,
            message_uuid=f"m-{n:06d}",
            thread_uuid="t-1",
            timestamp=1_700_000_000 + n,
            role="user",
            content="hello",
            updated_by="bench",
        )
        for n in range(RECORDS)
    )
    await store.repository(FINE_TUNING_MESSAGES).put_many(messages)


async def _messages(operation: Callable[[], Awaitable[Any]]) -> int:
    """Simple-query messages (BEGIN, COMMIT) the driver sends for one call."""
    sent = 0
    original = asyncpg.Connection.execute

    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        return await original(self, query, *args, **kwargs)

    asyncpg.Connection.execute = counted
    try:
        await operation()
    finally:
        asyncpg.Connection.execute = original
    return sent


async def _analyze(url: str, schema: str) -> None:
    """ANALYZE the schema's tables as their owner, as autovacuum soon would after a load
    (unanalyzed, the planner guesses one row where policies filter and sorts instead of
    walking the index, policies or not)."""
    engine = create_async_engine(
        normalize_url(url), connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


async def _measure(report: Report, url: str, stores: dict[str, SqlStore]) -> None:
    tenant = PartitionKey("bench", "rls")
    for schema, store in stores.items():
        await _load(store, tenant)
        await _analyze(url, schema)
    on, off = stores.values()
    ours, theirs = await _operations(on, tenant), await _operations(off, tenant)
    for name, operation in ours.items():
        baseline = theirs[name]
        timing = await interleaved_timing(operation, baseline, repeat=100, rounds=15)
        counts = []
        for subject in (operation, baseline):
            with (
                counting(on.database.engine.sync_engine) as sent_on,
                counting(off.database.engine.sync_engine) as sent_off,
            ):
                messages = await _messages(subject)
            counts.append(f"{breakdown(sent_on + sent_off)}, {messages} simple queries")
        report.add(
            SECTION,
            f"{name}: policies on vs off",
            timing.ratio,
            "x",
            target=f"<= {TARGET}x",
            met=timing.ratio <= TARGET,
            context=(
                f"median of 15 interleaved rounds of 100 calls; {timing.describe('us', 1e6)}; "
                f"per call, on: {counts[0]}; off: {counts[1]}"
            ),
        )


async def run(report: Report) -> None:
    url = os.environ.get("AACE_TEST_POSTGRES_URL", "")
    if not url:
        print(f"[{SECTION}] skipped: AACE_TEST_POSTGRES_URL is not set")
        return
    async with (
        postgres_schema(url) as on_schema,
        postgres_schema(url) as off_schema,
        _store(url, on_schema, policies=True) as on,
        _store(url, off_schema, policies=False) as off,
    ):
        await _measure(report, url, {on_schema: on, off_schema: off})
