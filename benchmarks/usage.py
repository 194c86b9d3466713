"""Usage metering, per backend: ``app.usage.record`` vs one raw conditional update of a
counter on the plain driver (a fresh SQLAlchemy engine with defaults; plain boto3), and 50
concurrent ``record``s of one key: successes, p50 and p95 latency."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from aace import Aace, TenantContext
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.domain.entities import USAGE_SUMMARIES
from aace.domain.errors import LimitExceeded
from aace.domain.tenancy import PlatformContext
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timing
from tests.backends.dynamodb import boto3_client


async def _raw_update(backend: Backend, app: Aace, ctx: TenantContext) -> tuple[Any, Any]:
    """One conditional increment of the tenant's all-time ``calls`` total, as a user would
    write it on the plain driver; the summary exists already."""
    await app.usage.record(ctx, "calls", 1)
    key = "calls#none#-"
    store = app.store
    if isinstance(store, SqlStore):
        engine = backend.plain_engine()
        table = store.entity_table(USAGE_SUMMARIES).table
        statement = (
            update(table)
            .where(table.c.partition_key == str(ctx.partition_key), table.c.summary_key == key)
            .where(table.c.value + 1 <= 10**12)
            .values(value=table.c.value + 1, updated_at=datetime.now(UTC))
        )

        async def sql() -> None:
            async with engine.begin() as connection:
                await connection.execute(statement)

        return sql, engine.dispose
    client = boto3_client(backend.endpoint)
    assert isinstance(store, DynamoStore)
    _, table_name = store.target(USAGE_SUMMARIES)

    async def dynamodb() -> None:
        client.update_item(
            TableName=table_name,
            Key={"partition_key": {"S": str(ctx.partition_key)}, "summary_key": {"S": key}},
            UpdateExpression="ADD #v :one",
            ConditionExpression="#v <= :most",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":most": {"N": str(10**12 - 1)}},
        )

    async def close() -> None:
        client.close()

    return dynamodb, close


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        async with Aace.open(backend.settings) as app:
            ctx = TenantContext.from_request("bench", f"u-{uuid.uuid4().hex[:8]}")
            ops = PlatformContext(updated_by="bench", tenant=ctx.partition_key)
            await app.usage_limits.create(
                ops, {"usage_key": "calls", "period": "none", "limit": 10**12}
            )
            raw, close = await _raw_update(backend, app, ctx)

            async def record() -> None:
                await app.usage.record(ctx, "calls", 1)

            with counting(requests_of(app.store)) as sent:
                await record()
            try:
                timing = await interleaved_timing(record, raw, repeat=20, rounds=7)
            finally:
                await close()
            report.add(
                "usage",
                f"{backend.name}: usage.record vs one raw conditional update",
                timing.ratio,
                "x",
                context=f"{timing.describe()}; requests per record: {breakdown(sent)}",
            )
            hot = TenantContext.from_request("bench", f"h-{uuid.uuid4().hex[:8]}")
            await app.usage_limits.create(
                PlatformContext(updated_by="bench", tenant=hot.partition_key),
                {"usage_key": "calls", "period": "day", "limit": 40},
            )
            latencies: list[float] = []

            async def one() -> bool:
                start = time.perf_counter()
                try:
                    await app.usage.record(hot, "calls", 1)
                    return True
                except LimitExceeded:
                    return False
                finally:
                    latencies.append(time.perf_counter() - start)

            accepted = sum(await asyncio.gather(*(one() for _ in range(50))))
            latencies.sort()
            p50 = statistics.median(latencies)
            p95 = latencies[int(0.95 * len(latencies)) - 1]
            report.add(
                "usage",
                f"{backend.name}: 50 concurrent records of one key (limit 40)",
                accepted,
                "accepted",
                context=f"p50 {p50 * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms",
            )

    await for_each_backend(measure)
