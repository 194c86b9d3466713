"""Creating an agent with an idempotency key under a tenant limit, per backend, against
two baselines on the plain driver (a fresh SQLAlchemy engine with defaults; plain boto3):
one conditional insert of the same agent, which is what a caller might compare with, and
the same three writes done raw (the agent, its idempotency record and the counter bump with
the limit, in one transaction), which separates what the adapter costs from what the work
costs; and what one create sends to the backend."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy.dialects import postgresql, sqlite

from aace import Aace, TenantContext
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.application.services.agents import AGENT_COUNTER
from aace.domain.entities import AGENTS, IDEMPOTENCY, TENANT_COUNTERS, Agent
from aace.domain.ports import Store
from aace.domain.records import to_record
from aace.domain.schema import EntitySchema
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timings
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

#: What the figure's reader should know about the baselines.
NOTES = {
    "sqlite": "; the raw engine keeps SQLite's synchronous=FULL, the adapter sets NORMAL",
    "dynamodb": "; raw boto3 calls block the loop, the adapter goes through its worker pool",
}
#: What the three raw writes are, per kind of store.
THREE_WRITES = {
    True: "agent and idempotency INSERT … ON CONFLICT DO NOTHING, counter INSERT … ON "
    "CONFLICT DO UPDATE SET value = value + 1 WHERE value + 1 <= limit, rowcounts checked, "
    "in one engine.begin()",
    False: "one transact_write_items: agent and idempotency Put with attribute_not_exists, "
    "counter Update with ADD and the limit condition",
}
#: PynamoDB's UTCDateTimeAttribute format, as the counter's ``updated_at`` is stored.
DYNAMODB_TIME = "%Y-%m-%dT%H:%M:%S.%f+0000"

Call = Callable[[], Awaitable[None]]
#: What one create writes, in this order: the agent, its idempotency record, the counter.
WRITTEN: tuple[EntitySchema[Any], ...] = (AGENTS, IDEMPOTENCY, TENANT_COUNTERS)
Records = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


@attrs.frozen
class Plain:
    """The baselines on the plain driver, and what to count their requests on."""

    insert: Call  # one conditional insert of the agent
    three_writes: Call  # the agent, its idempotency record and the counter, as create does
    sent_on: Any


def _new_id() -> str:
    return str(uuid.uuid4())


def _fresh() -> tuple[dict[str, str], dict[str, Any]]:
    """New ids: (the agent's, its idempotency record's)."""
    version = _new_id()
    return (
        {"agent_uuid": _new_id(), "agent_version_uuid": version},
        {"idempotency_key": _new_id(), "entity_key": [version]},
    )


@asynccontextmanager
async def _sql(backend: Backend, store: SqlStore, records: Records) -> AsyncIterator[Plain]:
    """On a fresh engine with defaults, in ``engine.begin()``: the agent row with
    ``INSERT … ON CONFLICT DO NOTHING``, or that and the idempotency row and the counter
    upsert with the limit."""
    engine = backend.plain_engine()
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[engine.dialect.name]
    agents, keys, counters = (store.entity_table(s).table for s in WRITTEN)
    insert_agent = dialect.insert(agents).on_conflict_do_nothing()
    insert_key = dialect.insert(keys).on_conflict_do_nothing()
    upsert = dialect.insert(counters)
    bump = upsert.on_conflict_do_update(
        index_elements=[counters.c.partition_key, counters.c.counter_name],
        set_={"value": counters.c.value + 1, "updated_at": upsert.excluded.updated_at},
        where=counters.c.value + 1 <= LIMIT,
    )
    agent, key, counter = records

    async def insert() -> None:
        async with engine.begin() as connection:
            await connection.execute(insert_agent, {**agent, **_fresh()[0]})

    async def three_writes() -> None:
        ids, key_ids = _fresh()
        rows = (
            (insert_agent, {**agent, **ids}),
            (insert_key, {**key, **key_ids}),
            (bump, {**counter, "value": 1, "updated_at": datetime.now(UTC)}),
        )
        async with engine.begin() as connection:
            for statement, row in rows:
                if (await connection.execute(statement, row)).rowcount != 1:
                    raise RuntimeError(f"{statement.table.name}: no row written")

    try:
        yield Plain(insert, three_writes, engine.sync_engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def _dynamodb(
    backend: Backend, store: DynamoStore, records: Records
) -> AsyncIterator[Plain]:
    """Plain boto3: ``put_item`` of the agent item with ``attribute_not_exists``, or one
    ``transact_write_items`` with the three actions the adapter sends."""
    client = boto3_client(backend.endpoint)
    (codec, agents), (key_codec, keys), (_, counters) = (store.target(s) for s in WRITTEN)
    agent, key = codec.encode(records[0]), key_codec.encode(records[1])
    counter = records[2]
    bump = {
        "TableName": counters,
        "Key": {
            "partition_key": {"S": counter["partition_key"]},
            "counter_name": {"S": counter["counter_name"]},
        },
        "UpdateExpression": "SET endpoint_id = :ep, part_id = :part, updated_at = :ua ADD #v :by",
        "ConditionExpression": "attribute_not_exists(#v) OR #v <= :most",
        "ExpressionAttributeNames": {"#v": "value"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    values = {
        ":ep": {"S": counter["endpoint_id"]},
        ":part": {"S": counter["part_id"]},
        ":by": {"N": "1"},
        ":most": {"N": str(LIMIT - 1)},
    }

    def put(table: str, item: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
        wire = {
            name: {"L": [{"S": v} for v in value]} if isinstance(value, list) else {"S": value}
            for name, value in ids.items()
        }
        absent = "attribute_not_exists(partition_key)"
        return {"TableName": table, "Item": {**item, **wire}, "ConditionExpression": absent}

    async def insert() -> None:
        client.put_item(**put(agents, agent, _fresh()[0]))

    async def three_writes() -> None:
        ids, key_ids = _fresh()
        now = {":ua": {"S": datetime.now(UTC).strftime(DYNAMODB_TIME)}}
        client.transact_write_items(
            TransactItems=[
                {"Put": put(agents, agent, ids)},
                {"Put": put(keys, key, key_ids)},
                {"Update": {**bump, "ExpressionAttributeValues": {**values, **now}}},
            ],
            ClientRequestToken=_new_id(),
        )

    try:
        yield Plain(insert, three_writes, client)
    finally:
        client.close()


def _plain(backend: Backend, store: Store, records: Records) -> AbstractAsyncContextManager[Plain]:
    """The baselines for ``store``, writing ``records`` with fresh ids."""
    if isinstance(store, SqlStore):
        return _sql(backend, store, records)
    assert isinstance(store, DynamoStore)
    return _dynamodb(backend, store, records)


async def _stored(app: Aace, agent: Agent, key: str) -> Records:
    """What the create of ``agent`` with ``key`` stored, as records (as in :data:`WRITTEN`)."""
    tenant = agent.partition_key
    key_record = await app.store.repository(IDEMPOTENCY).get(tenant, (key,))
    counter = await app.store.repository(TENANT_COUNTERS).get(tenant, (AGENT_COUNTER,))
    return (
        to_record(AGENTS, agent),
        to_record(IDEMPOTENCY, key_record),
        to_record(TENANT_COUNTERS, counter),
    )


async def _measure(report: Report, backend: Backend) -> None:
    section = f"create/{backend.name}"
    settings = attrs.evolve(backend.settings, max_agents_per_tenant=LIMIT)
    context = TenantContext.from_request("bench", "create", updated_by="bench")
    async with Aace.open(settings) as app:
        sql = isinstance(app.store, SqlStore)

        async def create() -> None:
            await app.agents.create(context, DATA, idempotency_key=_new_id())

        key = _new_id()
        template = await app.agents.create(context, DATA, idempotency_key=key)
        records = await _stored(app, template, key)
        async with _plain(backend, app.store, records) as plain:
            await plain.three_writes()  # connect before timing, as the package's store has
            one, three = await interleaved_timings(
                create, [plain.insert, plain.three_writes], repeat=REPEAT, rounds=ROUNDS
            )
            with counting(plain.sent_on) as raw_one:
                await plain.insert()
            with counting(plain.sent_on) as raw_three:
                await plain.three_writes()
        rounds = f"; {ROUNDS} interleaved rounds of {REPEAT}" + NOTES.get(backend.name, "")
        report.add(
            section,
            "create (idempotency key, tenant limit) vs raw conditional insert",
            one.ratio,
            "x",
            target=f"<= {TARGET:g}x",
            met=one.ratio <= TARGET,
            context=f"{one.describe()}{rounds}",
        )
        report.add(
            section,
            "create vs the same three writes done raw",
            three.ratio,
            "x",
            context=f"{three.describe()}; raw: {THREE_WRITES[sql]}{rounds}",
        )
        with counting(requests_of(app.store)) as sent:
            for _ in range(COUNTED):
                await create()
    report.add(
        section,
        "statements per create" if sql else "requests per create",
        sum(sent.values()) / COUNTED,
        "statements" if sql else "requests",
        context=(
            f"{breakdown(sent, COUNTED)}; raw insert: {breakdown(raw_one)}; raw three writes: "
            f"{breakdown(raw_three)} "
            + ("(before_cursor_execute)" if sql else "(botocore before-send)")
        ),
    )


async def run(report: Report) -> None:
    await for_each_backend(lambda backend: _measure(report, backend))
