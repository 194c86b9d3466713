"""The agent engine's services, per backend:

- ``threads.history`` of a thread with 200 messages and 100 tool calls: requests, and the
  ratio to reading the same rows raw (a fresh SQLAlchemy engine with defaults; plain boto3
  queries), interleaved rounds;
- re-pointing 100 agents to a new flow-snippet version: requests and wall time;
- a filtered list page (agents by ``agent_name_contains`` where 1 in 20 matches), page 1 vs
  page 20: requests and time of each.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

from sqlalchemy import select

from aace import Aace, TenantContext
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS, MESSAGES, RUNS, TOOL_CALLS
from aace.domain.ports import Store
from aace.domain.schema import EntitySchema
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timing
from tests.backends.dynamodb import boto3_client
from tests.factories import sample

MESSAGES_PER_THREAD = 200
TOOL_CALLS_PER_THREAD = 100
AGENTS_REPOINTED = 100
AGENTS_LISTED = 2000  # 1 in 20 matches: 100 matches, 20 pages of 5
PAGE = 5
AGENT = {"agent_name": "Agent", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _history(report: Report, backend: Backend, app: Aace, ctx: TenantContext) -> None:
    agent = await app.agents.create(ctx, AGENT)
    thread = await app.threads.create(ctx, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(ctx, {"thread_uuid": thread.thread_uuid})
    tenant, t, r = ctx.partition_key, thread.thread_uuid, run.run_uuid
    messages = [
        sample(MESSAGES, tenant, thread_uuid=t, run_uuid=r, role="user", message=f"m{i}")
        for i in range(MESSAGES_PER_THREAD)
    ]
    calls = [
        sample(
            TOOL_CALLS,
            tenant,
            thread_uuid=t,
            run_uuid=r,
            tool_type="f",
            name="n",
            tool_call_id=f"c{i}",
            content=f"out {i}",
        )
        for i in range(TOOL_CALLS_PER_THREAD)
    ]
    await app.store.repository(MESSAGES).put_many(messages)
    await app.store.repository(TOOL_CALLS).put_many(calls)

    async def history() -> None:
        entries = await app.threads.history(ctx, t, limit=1000)
        assert len(entries) == MESSAGES_PER_THREAD + TOOL_CALLS_PER_THREAD

    with counting(requests_of(app.store)) as sent:
        await history()
    raw, close = _raw_reader(backend, app.store, t)
    try:
        timing = await interleaved_timing(history, raw, repeat=5, rounds=7)
    finally:
        await close()
    report.add(
        "services",
        f"{backend.name}: threads.history, 200 messages + 100 tool calls, vs raw reads",
        timing.ratio,
        "x",
        context=f"{timing.describe()}; requests per call: {breakdown(sent)}",
    )


def _raw_reader(backend: Backend, store: Store, thread: str) -> tuple[Any, Any]:
    """Reading the thread's runs, messages and tool calls as a user would, plainly."""
    read: tuple[EntitySchema[Any], ...] = (RUNS, MESSAGES, TOOL_CALLS)
    if isinstance(store, SqlStore):
        engine = backend.plain_engine()
        tables = [store.entity_table(s).table for s in read]

        async def sql() -> None:
            async with engine.connect() as connection:
                for table in tables:
                    (
                        await connection.execute(
                            select(table).where(table.c.thread_uuid == thread)
                        )
                    ).all()

        return sql, engine.dispose
    client = boto3_client(backend.endpoint)
    assert isinstance(store, DynamoStore)
    names = [store.target(s)[1] for s in read]

    async def dynamodb() -> None:
        for name in names:
            request: dict[str, Any] = {
                "TableName": name,
                "KeyConditionExpression": "thread_uuid = :t",
                "ExpressionAttributeValues": {":t": {"S": thread}},
            }
            while True:
                page = client.query(**request)
                if "LastEvaluatedKey" not in page:
                    break
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    async def close() -> None:
        client.close()

    return dynamodb, close


async def _repoint(report: Report, backend: Backend, app: Aace, ctx: TenantContext) -> None:
    snippet = await app.flow_snippets.create(ctx, {"prompt_uuid": "p", "flow_name": "Flow"})
    for _ in range(AGENTS_REPOINTED):
        await app.agents.create(
            ctx, {**AGENT, "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid}
        )
    times = []
    old = snippet.flow_snippet_version_uuid
    for round_number in range(3):
        new = f"v-{round_number}-{uuid.uuid4().hex[:6]}"
        with counting(requests_of(app.store)) as sent:
            start = time.perf_counter()
            moved = await app.flow_snippets.repoint(ctx, old, new)
            times.append(time.perf_counter() - start)
        assert moved == AGENTS_REPOINTED
        old = new
    report.add(
        "services",
        f"{backend.name}: re-pointing 100 agents",
        statistics.median(times),
        "s",
        context=f"min {min(times):.2f} s over 3 rounds; requests: {breakdown(sent)}",
    )


async def _filtered_pages(report: Report, backend: Backend, app: Aace, ctx: TenantContext) -> None:
    agents = [
        sample(
            AGENTS,
            ctx.partition_key,
            agent_name="needle" if i % 20 == 0 else f"hay {i}",
            status="active",
        )
        for i in range(AGENTS_LISTED)
    ]
    await app.store.repository(AGENTS).put_many(agents)
    cursor = None
    for _ in range(19):
        page = await app.agents.list(ctx, agent_name_contains="needle", limit=PAGE, cursor=cursor)
        cursor = page.next_cursor
    figures = {}
    for label, at in (("page 1", None), ("page 20", cursor)):
        with counting(requests_of(app.store)) as sent:
            page = await app.agents.list(ctx, agent_name_contains="needle", limit=PAGE, cursor=at)
        assert len(page.items) == PAGE
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            await app.agents.list(ctx, agent_name_contains="needle", limit=PAGE, cursor=at)
            samples.append(time.perf_counter() - start)
        figures[label] = (statistics.median(samples), min(samples), breakdown(sent))
    (first, first_min, first_sent), (last, last_min, last_sent) = figures.values()
    report.add(
        "services",
        f"{backend.name}: filtered page (1 in 20 match), page 20 vs page 1",
        last / first,
        "x",
        context=(
            f"page 1 {first * 1e3:.1f} ms (min {first_min * 1e3:.1f}), {first_sent}; "
            f"page 20 {last * 1e3:.1f} ms (min {last_min * 1e3:.1f}), {last_sent}"
        ),
    )


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        async with Aace.open(backend.settings) as app:
            for part, step in (("h", _history), ("r", _repoint), ("f", _filtered_pages)):
                ctx = TenantContext.from_request("bench", f"{part}-{uuid.uuid4().hex[:8]}")
                await step(report, backend, app, ctx)

    await for_each_backend(measure)
