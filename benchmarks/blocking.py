"""The blocking twin against the plain driver called synchronously, per backend: ``get``,
``put`` and a versioned ``create``. DynamoDB: PynamoDB on the same tables (the models the
adapter declares); SQLite and PostgreSQL: a plain synchronous SQLAlchemy engine (pysqlite,
psycopg) with defaults.

A synchronous function calls the twin from its own thread; the twin runs the call on its
event loop's thread (one hop there and back) and, when the call is the only one under way,
DynamoDB's driver inline on that thread. SQL drivers are asynchronous here: aiosqlite runs
every statement on a thread of its own, which bounds the SQLite figures.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.dialects import postgresql, sqlite

from aace import Aace, TenantContext
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS, TENANT_COUNTERS, Agent
from aace.domain.records import to_record
from benchmarks.backends import Backend, for_each_backend
from benchmarks.report import Report, interleaved_timing

DATA = {"agent_name": "Blocking", "llm_provider": "provider", "llm_name": "model"}
REPEAT, ROUNDS = 40, 9
TARGET = {"dynamodb": 1.10}
Calls = dict[str, Callable[[], Any]]


def _awaitable(call: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
    """The report's timing awaits what it times: this just calls ``call`` (blocking)."""

    async def timed() -> None:
        call()

    return timed


def _plain_sql(backend: Backend) -> Engine:
    url = backend.settings.storage_url
    if backend.name == "sqlite":
        return create_engine(url)
    sync_url = url.replace("+asyncpg", "").replace("postgresql://", "postgresql+psycopg://")
    return create_engine(
        sync_url, connect_args={"options": f"-csearch_path={backend.search_path}"}
    )


def _raw_sql(backend: Backend, store: SqlStore, agent: Agent) -> Calls:
    engine = _plain_sql(backend)
    table = store.entity_table(AGENTS).table
    counters = store.entity_table(TENANT_COUNTERS).table
    insert = postgresql.insert if backend.name == "postgresql" else sqlite.insert
    by_key = select(table).where(
        table.c.partition_key == str(agent.partition_key),
        table.c.agent_version_uuid == agent.agent_version_uuid,
    )
    key = ("partition_key", "agent_version_uuid")

    def get() -> None:
        with engine.connect() as connection:
            connection.execute(by_key).first()

    def put() -> None:
        stmt = insert(table).values(to_record(AGENTS, agent))
        changed = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in key}
        with engine.begin() as connection:
            connection.execute(stmt.on_conflict_do_update(index_elements=key, set_=changed))

    def create() -> None:  # the new agent and its tenant counter, in one transaction
        fresh = to_record(AGENTS, attrs.evolve(agent, agent_version_uuid=str(uuid.uuid4())))
        step = insert(counters).values(_counter_row(agent))
        with engine.begin() as connection:
            connection.execute(insert(table).values(fresh).on_conflict_do_nothing())
            connection.execute(
                step.on_conflict_do_update(
                    index_elements=["partition_key", "counter_name"],
                    set_={"value": counters.c.value + 1},
                )
            )

    return {"get": get, "put": put, "create": create}


def _counter_row(agent: Agent) -> dict[str, Any]:
    tenant = agent.partition_key
    return {
        "partition_key": str(tenant),
        "endpoint_id": tenant.endpoint_id,
        "part_id": tenant.part_id,
        "counter_name": "agents",
        "value": 1,
        "updated_at": agent.updated_at,
    }


def _raw_dynamodb(store: DynamoStore, agent: Agent) -> Calls:
    model, counters = store.model(AGENTS), store.model(TENANT_COUNTERS)
    codec, _ = store.target(AGENTS)
    tenant = str(agent.partition_key)
    settings = store.settings
    connection = Connection(
        host=settings.endpoint_url,
        region=settings.region,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
    )

    def get() -> None:
        model.get(tenant, agent.agent_version_uuid)

    def put() -> None:
        model.from_raw_data(codec.encode(to_record(AGENTS, agent))).save()

    def create() -> None:  # the new agent and its tenant counter, in one transaction
        fresh = attrs.evolve(agent, agent_version_uuid=str(uuid.uuid4()))
        item = model.from_raw_data(codec.encode(to_record(AGENTS, fresh)))
        with TransactWrite(connection=connection) as transaction:
            transaction.save(item, condition=getattr(model, AGENTS.range_key).does_not_exist())
            transaction.update(
                counters(tenant, "agents"), actions=[counters.get_attributes()["value"].add(1)]
            )

    return {"get": get, "put": put, "create": create}


async def _measure(report: Report, backend: Backend) -> None:
    async with Aace.open(backend.settings):
        pass  # creates the tables; the twin below opens a store of its own
    twin = Aace.open_sync(attrs.evolve(backend.settings, initialize="off"))
    try:
        store = twin._app.store  # the twin's own store, for the baselines
        ctx = TenantContext.from_request("bench", "blocking", updated_by="bench")
        agent = twin.agents.create(ctx, DATA)
        put = functools.partial(store.repository(AGENTS).put, agent)
        ours: Calls = {
            "get": functools.partial(twin.agents.get, ctx, agent.agent_version_uuid),
            # a repository put through the twin's portal: the store's blocking path
            "put": functools.partial(twin.agents._traffic.call, put),
            "create": functools.partial(twin.agents.create, ctx, DATA),
        }
        if isinstance(store, DynamoStore):
            raw = _raw_dynamodb(store, agent)
        else:
            assert isinstance(store, SqlStore)
            raw = _raw_sql(backend, store, agent)
        for name, call in ours.items():
            raw[name]()
            call()
            timing = await interleaved_timing(
                _awaitable(call), _awaitable(raw[name]), repeat=REPEAT, rounds=ROUNDS
            )
            target = TARGET.get(backend.name)
            report.add(
                f"blocking/{backend.name}",
                f"blocking {name} vs the plain driver called synchronously",
                timing.ratio,
                "x",
                target="" if target is None else f"<= {target}x",
                met=None if target is None else timing.ratio <= target,
                context=timing.describe(),
            )
    finally:
        twin.close()


async def run(report: Report) -> None:
    await for_each_backend(lambda backend: _measure(report, backend))
