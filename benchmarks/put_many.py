"""put_many of 100 000 small records from a generator, per backend: peak memory above the
input (tracemalloc, one run of its own, outside the timed rounds) and throughput, against
the plain driver doing the same bulk insert from a generator of rows (a fresh SQLAlchemy
engine with defaults, one executemany INSERT per 500 rows in its own transaction; plain boto3
``batch_write_item`` of 25 items, one request at a time, unprocessed items sent again)."""

from __future__ import annotations

import gc
import itertools
import statistics
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from aace import Aace
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.domain.entities import TENANT_COUNTERS, TenantCounter
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from benchmarks.backends import Backend, for_each_backend
from benchmarks.idempotent_create import DYNAMODB_TIME
from benchmarks.report import Report, Timing, interleaved_timing
from tests.backends.dynamodb import boto3_client

RECORDS = 100_000
ROUNDS = 3
SQL_CHUNK = 500
DYNAMODB_CHUNK = 25
TARGET_MB = 10.0
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

#: Writes RECORDS records for a fresh tenant.
Load = Callable[[], Awaitable[None]]


def _tenant() -> PartitionKey:
    return PartitionKey("bench", f"put-many-{uuid.uuid4().hex[:8]}")


def _counters(tenant: PartitionKey) -> Iterator[TenantCounter]:
    """Small records: six attributes, about 100 bytes each."""
    for number in range(RECORDS):
        yield TenantCounter(
            partition_key=tenant, counter_name=f"c-{number:07d}", value=number, updated_at=NOW
        )


def _rows(tenant: PartitionKey) -> Iterator[dict[str, Any]]:
    """The same records as plain rows, as a caller of the plain driver would make them."""
    endpoint, part = str(tenant).split("#", 1)
    for number in range(RECORDS):
        yield {
            "partition_key": str(tenant),
            "endpoint_id": endpoint,
            "part_id": part,
            "counter_name": f"c-{number:07d}",
            "value": number,
            "updated_at": NOW,
        }


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


@asynccontextmanager
async def _plain_sql(backend: Backend, store: SqlStore) -> AsyncIterator[Load]:
    engine = backend.plain_engine()
    table = store.entity_table(TENANT_COUNTERS).table
    insert = {"postgresql": postgresql, "sqlite": sqlite}[engine.dialect.name].insert(table)

    async def load() -> None:
        for chunk in _chunks(_rows(_tenant()), SQL_CHUNK):
            async with engine.begin() as connection:
                await connection.execute(insert, chunk)

    try:
        yield load
    finally:
        await engine.dispose()


@asynccontextmanager
async def _plain_dynamodb(backend: Backend, store: DynamoStore) -> AsyncIterator[Load]:
    client = boto3_client(backend.endpoint)
    _, table = store.target(TENANT_COUNTERS)
    updated_at = NOW.strftime(DYNAMODB_TIME)

    def item(row: dict[str, Any]) -> dict[str, Any]:
        wire = {k: {"S": v} for k, v in row.items() if isinstance(v, str)}
        return {**wire, "value": {"N": str(row["value"])}, "updated_at": {"S": updated_at}}

    async def load() -> None:
        for chunk in _chunks(_rows(_tenant()), DYNAMODB_CHUNK):
            pending = [{"PutRequest": {"Item": item(row)}} for row in chunk]
            while pending:
                response = client.batch_write_item(RequestItems={table: pending})
                pending = response.get("UnprocessedItems", {}).get(table, [])

    try:
        yield load
    finally:
        client.close()


def _plain(backend: Backend, store: Store) -> AbstractAsyncContextManager[Load]:
    if isinstance(store, SqlStore):
        return _plain_sql(backend, store)
    assert isinstance(store, DynamoStore)
    return _plain_dynamodb(backend, store)


async def _peak_mb(load: Load) -> float:
    """Peak traced memory above what was traced when ``load`` began, in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        await load()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - start) / 2**20


def _throughput(timing: Timing) -> str:
    """Records per second of both, median and best round."""
    rates = [
        f"{who} {RECORDS / statistics.median(times):,.0f} records/s "
        f"(best {RECORDS / min(times):,.0f})"
        for who, times in (("put_many", timing.subject), ("plain driver", timing.baseline))
    ]
    return ", ".join(rates)


async def _measure(report: Report, backend: Backend) -> None:
    section = f"put_many/{backend.name}"
    async with Aace.open(backend.settings) as app:
        repo = app.store.repository(TENANT_COUNTERS)
        written: list[PartitionKey] = []

        async def put_many() -> None:
            written.append(_tenant())
            await repo.put_many(_counters(written[-1]))

        async with _plain(backend, app.store) as plain:
            started = time.perf_counter()
            ours = await _peak_mb(put_many)
            print(f"[{section}] traced run: {time.perf_counter() - started:.1f} s")
            assert await repo.count(written[-1], Query()) == RECORDS
            theirs = await _peak_mb(plain)
            timing = await interleaved_timing(put_many, plain, repeat=1, rounds=ROUNDS)
    report.add(
        section,
        f"peak memory above the input, put_many of {RECORDS:,} records from a generator",
        ours,
        "MB",
        target=f"<= {TARGET_MB:g} MB",
        met=ours <= TARGET_MB,
        context=f"tracemalloc, one run outside the timed rounds; plain driver {theirs:.1f} MB",
    )
    report.add(
        section,
        "put_many throughput",
        RECORDS / statistics.median(timing.subject),
        "records/s",
        context=f"median of {ROUNDS} rounds; {_throughput(timing)}",
    )
    report.add(
        section,
        f"put_many vs plain driver bulk insert of {RECORDS:,} records",
        timing.ratio,
        "x",
        context=f"{timing.describe('s', 1)}; {ROUNDS} interleaved rounds (plain driver first)",
    )


async def run(report: Report) -> None:
    await for_each_backend(lambda backend: _measure(report, backend))
