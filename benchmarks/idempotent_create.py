"""Creating an agent with an idempotency key under a tenant limit, per backend, against one
conditional insert of the same record with the plain driver (a fresh SQLAlchemy engine with
defaults; plain boto3), and what one create sends to the backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import attrs
from sqlalchemy.dialects import postgresql, sqlite

from aace import Aace, TenantContext
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS
from aace.domain.ports import Store
from aace.domain.records import to_record
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timing
from tests.backends.dynamodb import boto3_client

REPEAT = 50
ROUNDS = 10
COUNTED = 10  # creates whose requests are counted
TARGET = 2.0
#: A tenant limit never reached: the limit is checked, never hit.
LIMIT = 10**9
DATA = {
    "agent_name": "Support",
    "llm_provider": "provider",
    "llm_name": "model",
    "instructions": "Answer briefly.",
    "configuration": {"temperature": 0.2, "max_tokens": 512},
    "mcp_server_uuids": ["m-1", "m-2"],
}

#: What the figure's reader should know about the baseline.
NOTES = {
    "sqlite": "; the raw engine keeps SQLite's synchronous=FULL, the adapter sets NORMAL",
    "dynamodb": "; raw put_item blocks the loop, the adapter goes through its worker pool",
}

Insert = Callable[[], Awaitable[None]]


def _new_id() -> str:
    return str(uuid.uuid4())


@asynccontextmanager
async def _sql_insert(
    backend: Backend, store: SqlStore, record: dict[str, Any]
) -> AsyncIterator[tuple[Insert, Any]]:
    """``INSERT … ON CONFLICT DO NOTHING`` of one agent row in ``engine.begin()``, on a fresh
    engine with defaults."""
    engine = backend.plain_engine()
    table = store.entity_table(AGENTS).table
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[engine.dialect.name]
    statement = dialect.insert(table).on_conflict_do_nothing()

    async def insert() -> None:
        row = {**record, "agent_uuid": _new_id(), "agent_version_uuid": _new_id()}
        async with engine.begin() as connection:
            await connection.execute(statement, row)

    try:
        yield insert, engine.sync_engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def _dynamodb_put(
    backend: Backend, store: Store, record: dict[str, Any]
) -> AsyncIterator[tuple[Insert, Any]]:
    """Plain boto3 ``put_item`` of the same item with ``attribute_not_exists``."""
    client = boto3_client(backend.endpoint)
    codec, table_name = store.target(AGENTS)  # type: ignore[attr-defined]
    item = codec.encode(record)

    async def insert() -> None:
        fresh = {"agent_uuid": {"S": _new_id()}, "agent_version_uuid": {"S": _new_id()}}
        client.put_item(
            TableName=table_name,
            Item={**item, **fresh},
            ConditionExpression="attribute_not_exists(agent_version_uuid)",
        )

    try:
        yield insert, client
    finally:
        client.close()


def _plain_insert(
    backend: Backend, store: Store, record: dict[str, Any]
) -> AbstractAsyncContextManager[tuple[Insert, Any]]:
    """(one raw insert of ``record`` with fresh ids, what to count its requests on)."""
    if isinstance(store, SqlStore):
        return _sql_insert(backend, store, record)
    return _dynamodb_put(backend, store, record)


async def _measure(report: Report, backend: Backend) -> None:
    section = f"create/{backend.name}"
    settings = attrs.evolve(backend.settings, max_agents_per_tenant=LIMIT)
    context = TenantContext.from_request("bench", "create", updated_by="bench")
    async with Aace.open(settings) as app:

        async def create() -> None:
            await app.agents.create(context, DATA, idempotency_key=_new_id())

        template = await app.agents.create(context, DATA, idempotency_key=_new_id())
        async with _plain_insert(backend, app.store, to_record(AGENTS, template)) as (
            insert,
            plain,
        ):
            await insert()  # connect before timing, as the package's store already has
            timing = await interleaved_timing(create, insert, repeat=REPEAT, rounds=ROUNDS)
            with counting(plain) as raw_sent:
                await insert()
        ratio = timing.ratio
        report.add(
            section,
            "create (idempotency key, tenant limit) vs raw conditional insert",
            ratio,
            "x",
            target=f"<= {TARGET:g}x",
            met=ratio <= TARGET,
            context=(
                f"{timing.describe()}; {ROUNDS} interleaved rounds of {REPEAT}"
                + NOTES.get(backend.name, "")
            ),
        )
        with counting(requests_of(app.store)) as sent:
            for _ in range(COUNTED):
                await create()
    sql = isinstance(app.store, SqlStore)
    report.add(
        section,
        "statements per create" if sql else "requests per create",
        sum(sent.values()) / COUNTED,
        "statements" if sql else "requests",
        context=(
            f"{breakdown(sent, COUNTED)}; raw insert: {breakdown(raw_sent)} "
            + ("(before_cursor_execute)" if sql else "(botocore before-send)")
        ),
    )


async def run(report: Report) -> None:
    await for_each_backend(lambda backend: _measure(report, backend))
