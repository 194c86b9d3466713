"""SQL adapter figures, on one SQLite file (and PostgreSQL when ``AACE_TEST_POSTGRES_URL`` is
set): repository get/put against raw SQLAlchemy Core, statements per 1 000-key get_many,
and page 50 against page 1 of a 20 000-record listing."""

from __future__ import annotations

import functools
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aace.adapters.config import StoreConfig
from aace.adapters.sql import SqlStore, open_store
from aace.adapters.sql.engine import normalize_url
from aace.domain.entities import AGENTS, Agent
from aace.domain.query import CursorCodec, Query
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from benchmarks.backends import SECRET, postgres_schema
from benchmarks.report import Report, interleaved_ratio

#: What the baseline is, for the report.
PLAIN = "baseline: a fresh create_async_engine(url) with defaults (PostgreSQL: the run's schema)"
LISTING_SIZE = 20_000
PAGE_SIZE = 50
DEEP_PAGE = 50
MANY_KEYS = 1_000


def bench_agent(tenant: PartitionKey, number: int) -> Agent:
    return Agent(
        partition_key=tenant,
        updated_by="bench",
        agent_version_uuid=f"v-{number:06d}-{uuid.uuid4().hex[:8]}",
        agent_uuid=f"a-{number:06d}",
        agent_name=f"agent {number}",
        llm_provider="provider",
        llm_name="model",
        instructions="Answer briefly.",
        configuration={"temperature": 0.2, "max_tokens": 512},
        mcp_server_uuids=["m-1", "m-2"],
    )


async def _get_and_put(report: Report, section: str, store: SqlStore, plain: AsyncEngine) -> None:
    """Against the plain driver as a user would call it: a fresh engine with defaults."""
    tenant = PartitionKey("bench", "single")
    repo = store.repository(AGENTS)
    agent = bench_agent(tenant, 0)
    await repo.put(agent)
    table = store.entity_table(AGENTS)
    key = (agent.agent_version_uuid,)
    db = store.database
    columns = table.table.c
    by_key = select(table.table).where(
        columns.partition_key == str(tenant), columns.agent_version_uuid == key[0]
    )

    async def raw_get() -> Any:
        async with plain.connect() as connection:
            return (await connection.execute(by_key)).first()

    ratio, ours, raw = await interleaved_ratio(
        lambda: repo.get(tenant, key), raw_get, repeat=100, rounds=21
    )
    report.add(
        section,
        "repository get vs a plain engine's select",
        ratio,
        "x",
        target="<= 1.15x",
        met=ratio <= 1.15,
        context=f"{ours * 1e6:.0f} us vs {raw * 1e6:.0f} us per call; {PLAIN}",
    )
    record = to_record(AGENTS, agent)
    raw_insert = (
        postgresql.insert(table.table)
        if db.dialect == "postgresql"
        else sqlite.insert(table.table)
    )
    key_names = (AGENTS.hash_key, AGENTS.range_key)
    raw_upsert = raw_insert.on_conflict_do_update(
        index_elements=list(key_names),
        set_={
            c.name: raw_insert.excluded[c.name] for c in table.table.c if c.name not in key_names
        },
    )

    async def raw_put() -> None:
        async with plain.begin() as connection:
            await connection.execute(raw_upsert, record)

    put = functools.partial(repo.put, agent)
    await _put_figure(report, section, "", put, raw_put, f"upsert in engine.begin(); {PLAIN}")
    if db.dialect == "sqlite":
        await _sqlite_put_alike(report, section, put, plain, raw_put)


async def _put_figure(
    report: Report,
    section: str,
    alike: str,
    put: Callable[[], Awaitable[None]],
    raw_put: Callable[[], Awaitable[None]],
    note: str,
) -> None:
    ratio, ours, raw = await interleaved_ratio(put, raw_put, repeat=100, rounds=21)
    report.add(
        section,
        f"repository put vs a plain engine's upsert{alike}",
        ratio,
        "x",
        target="<= 1.2x",
        met=ratio <= 1.2,
        context=f"{ours * 1e6:.0f} us vs {raw * 1e6:.0f} us per call ({note})",
    )


async def _sqlite_put_alike(
    report: Report,
    section: str,
    put: Callable[[], Awaitable[None]],
    plain: AsyncEngine,
    raw_put: Callable[[], Awaitable[None]],
) -> None:
    """The same put against a plain engine whose connections sync as the adapter's do
    (``synchronous=NORMAL``; the file is in WAL mode for both): what the adapter itself
    costs, apart from the durability setting it chose."""

    @event.listens_for(plain.sync_engine, "connect")
    def _alike(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")

    await plain.dispose()  # reconnect with the PRAGMA
    await _put_figure(report, section, ", both synchronous=NORMAL", put, raw_put, "WAL file")


async def _get_many(report: Report, section: str, store: SqlStore) -> None:
    tenant = PartitionKey("bench", "many")
    repo = store.repository(AGENTS)
    agents = [bench_agent(tenant, i) for i in range(MANY_KEYS)]
    await repo.put_many(agents)
    keys = [AGENTS.key_of(a) for a in reversed(agents)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = store.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = await repo.get_many(tenant, keys)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [a.agent_version_uuid for a in found if a] == [k[0] for k in keys]
    report.add(
        section,
        f"get_many of {MANY_KEYS} keys",
        len(statements),
        "statements",
        target="<= 2",
        met=len(statements) <= 2,
        context="counted with before_cursor_execute",
    )


async def _deep_page(report: Report, section: str, store: SqlStore) -> None:
    tenant = PartitionKey("bench", "listing")
    repo = store.repository(AGENTS)
    await repo.put_many([bench_agent(tenant, i) for i in range(LISTING_SIZE)])
    first = Query(index="updated_at-index", descending=True, limit=PAGE_SIZE)
    page = await repo.query(tenant, first)
    for _ in range(DEEP_PAGE - 2):
        page = await repo.query(tenant, attrs.evolve(first, cursor=page.next_cursor))
    deep = attrs.evolve(first, cursor=page.next_cursor)
    assert len((await repo.query(tenant, deep)).items) == PAGE_SIZE
    ratio, ours, base = await interleaved_ratio(
        lambda: repo.query(tenant, deep), lambda: repo.query(tenant, first), repeat=20, rounds=15
    )
    report.add(
        section,
        f"page {DEEP_PAGE} vs page 1 of {LISTING_SIZE} records",
        ratio,
        "x",
        target="<= 1.2x",
        met=ratio <= 1.2,
        context=f"{ours * 1e3:.2f} ms vs {base * 1e3:.2f} ms (agents by updated_at, newest first)",
    )


async def _measure(report: Report, section: str, store: SqlStore, plain: AsyncEngine) -> None:
    await store.initialize()
    try:
        await _get_and_put(report, section, store, plain)
    finally:
        await plain.dispose()
    await _get_many(report, section, store)
    await _deep_page(report, section, store)


async def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        store = open_store(StoreConfig(url, CursorCodec(SECRET)))
        try:
            await _measure(report, "sql/sqlite", store, create_async_engine(normalize_url(url)))
        finally:
            await store.close()
    postgres = os.environ.get("AACE_TEST_POSTGRES_URL", "")
    if not postgres:
        print("[sql/postgresql] skipped: AACE_TEST_POSTGRES_URL is not set")
        return
    async with postgres_schema(postgres) as schema:
        config = StoreConfig(postgres, CursorCodec(SECRET), options={"search_path": schema})
        store = open_store(config)
        plain = create_async_engine(
            normalize_url(postgres), connect_args={"server_settings": {"search_path": schema}}
        )
        try:
            await _measure(report, "sql/postgresql", store, plain)
        finally:
            await store.close()
